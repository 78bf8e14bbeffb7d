#!/usr/bin/python3
"""PyTorch baseline for bench/llava: the same shapes as llava_bench (CLIP
ViT-L/14-336 tower run to the penultimate block, GELU MLP projector,
TinyLlama-1.1B-sized Llama decoder with a KV cache), random weights.

Prints one JSON line per precision, like llava_bench:
  /usr/bin/python3 torch_llava.py [--threads N] [--gen N] [--prec f32|bf16|both]
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn.functional as F

V_W, V_INTER, V_HEADS, V_LAYERS, IMG, PATCH = 1024, 4096, 16, 24, 336, 14
D, HID, LAYERS, HEADS, KV_HEADS, VOCAB = 2048, 5632, 22, 32, 4, 32000
PROMPT_TEXT = 20  # ids around the image in the default prompt (BOS + text)


def lin(o, i, bias=True):
    return torch.nn.Linear(i, o, bias=bias)


class VisionBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(V_W), torch.nn.LayerNorm(V_W)
        self.qkv = lin(3 * V_W, V_W)
        self.out = lin(V_W, V_W)
        self.fc1, self.fc2 = lin(V_INTER, V_W), lin(V_W, V_INTER)

    def forward(self, x):
        T, hs = x.shape[0], V_W // V_HEADS
        q, k, v = self.qkv(self.ln1(x)).view(T, 3, V_HEADS, hs).permute(1, 2, 0, 3)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hs), -1) @ v
        x = x + self.out(a.transpose(0, 1).reshape(T, V_W))
        h = self.fc1(self.ln2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class Vision(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = IMG // PATCH
        self.patch = torch.nn.Conv2d(3, V_W, PATCH, PATCH, bias=False)
        self.cls = torch.nn.Parameter(torch.randn(V_W) * 0.1)
        self.pos = torch.nn.Parameter(torch.randn(1 + g * g, V_W) * 0.02)
        self.pre = torch.nn.LayerNorm(V_W)
        self.blocks = torch.nn.ModuleList(VisionBlock() for _ in range(V_LAYERS - 1))
        self.proj1, self.proj2 = lin(D, V_W), lin(D, D)

    def forward(self, px):
        p = self.patch(px).flatten(2)[0].T
        x = self.pre(torch.cat([self.cls[None], p]) + self.pos)
        for b in self.blocks:
            x = b(x)
        return self.proj2(F.gelu(self.proj1(x[1:])))


def rope(x, pos, hs):
    inv = 1.0 / (10000 ** (torch.arange(0, hs, 2, dtype=torch.float32) / hs))
    ang = pos[:, None].float() * inv[None]
    cos, sin = torch.cat([ang.cos()] * 2, -1).to(x.dtype), torch.cat([ang.sin()] * 2, -1).to(x.dtype)
    x1, x2 = x[..., : hs // 2], x[..., hs // 2:]
    return x * cos[:, None] + torch.cat([-x2, x1], -1) * sin[:, None]


class RMSNorm(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(n))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(x.dtype) * self.w


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        kv = D // HEADS * KV_HEADS
        self.n1, self.n2 = RMSNorm(D), RMSNorm(D)
        self.q, self.k, self.v, self.o = lin(D, D, False), lin(kv, D, False), lin(kv, D, False), lin(D, D, False)
        self.gate, self.up, self.down = lin(HID, D, False), lin(HID, D, False), lin(D, HID, False)

    def forward(self, x, pos, cache):
        n, hs = x.shape[0], D // HEADS
        h = self.n1(x)
        q = rope(self.q(h).view(n, HEADS, hs), pos, hs)
        k = rope(self.k(h).view(n, KV_HEADS, hs), pos, hs)
        v = self.v(h).view(n, KV_HEADS, hs)
        cache[0] = k if cache[0] is None else torch.cat([cache[0], k])
        cache[1] = v if cache[1] is None else torch.cat([cache[1], v])
        K = cache[0].repeat_interleave(HEADS // KV_HEADS, 1).transpose(0, 1)
        Vv = cache[1].repeat_interleave(HEADS // KV_HEADS, 1).transpose(0, 1)
        s = q.transpose(0, 1) @ K.transpose(1, 2) / math.sqrt(hs)
        L = K.shape[1]
        mask = torch.arange(L)[None, :] > (pos[:, None])
        s = s.masked_fill(mask[None], float("-inf"))
        a = (torch.softmax(s.float(), -1).to(x.dtype) @ Vv).transpose(0, 1).reshape(n, D)
        x = x + self.o(a)
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, D)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.norm = RMSNorm(D)
        self.head = lin(VOCAB, D, False)

    def forward(self, x, pos, caches):
        for l, c in zip(self.layers, caches):
            x = l(x, pos, c)
        return self.head(self.norm(x[-1:]))


class Stopwatch:
    """Wall and per-thread CPU seconds (a shared machine steals wall time)."""

    def __init__(self):
        self.w, self.c = time.perf_counter(), time.process_time()

    def stop(self):
        return (time.perf_counter() - self.w,
                (time.process_time() - self.c) / torch.get_num_threads())


def run(prec, gen):
    dt = torch.bfloat16 if prec == "bf16" else torch.float32
    vis, lm = Vision().to(dt).eval(), Llama().to(dt).eval()
    px = torch.randn(1, 3, IMG, IMG, dtype=dt)
    with torch.inference_mode():
        vis(px)
        t = Stopwatch()
        img = vis(px)
        vision_s, vision_cpu = t.stop()
        ids = torch.randint(3, 30000, (PROMPT_TEXT,))
        x = torch.cat([lm.embed(ids[:5]), img, lm.embed(ids[5:])])
        n = x.shape[0]
        lm(x, torch.arange(n), [[None, None] for _ in range(LAYERS)])  # warm-up
        caches = [[None, None] for _ in range(LAYERS)]
        t = Stopwatch()
        logits = lm(x, torch.arange(n), caches)
        prompt_s, prompt_cpu = t.stop()
        t = Stopwatch()
        for i in range(gen):
            tok = logits[0].argmax()
            logits = lm(lm.embed(tok[None]), torch.tensor([n + i]), caches)
        gen_s, gen_cpu = t.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1048576
    return {"impl": "torch", "precision": prec, "vision_s": round(vision_s, 4),
            "vision_cpu_s": round(vision_cpu, 4), "prompt_tokens": n,
            "prompt_tps": round(n / prompt_s, 2), "prompt_cpu_tps": round(n / prompt_cpu, 2),
            "gen_tps": round(gen / gen_s, 3), "ms_per_token": round(1e3 * gen_s / gen, 2),
            "cpu_ms_per_token": round(1e3 * gen_cpu / gen, 2),
            "peak_rss_gb": round(rss, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--prec", default="both")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for p in ("f32", "bf16"):
        if a.prec in ("both", p):
            print("JSON " + json.dumps(run(p, a.gen)), flush=True)


if __name__ == "__main__":
    main()
