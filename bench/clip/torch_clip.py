#!/usr/bin/python3
"""PyTorch baseline for bench/clip: the same architectures as clip_bench
(HF layouts, eager attention), random weights, the same measurements, one
JSON object per line.

  b32, b16     CLIPModel ViT-B/32, ViT-B/16: quick_gelu, causal text
  siglip-b16   SiglipModel base-patch16-224: tanh GELU, no CLS, attention-
               pooling head (torch.nn.MultiheadAttention, as transformers),
               bidirectional 64-token text pooled at the last position + head
  cnclip-b16   ChineseCLIPModel ViT-B/16: CLIP ViT-B/16 + a post-norm BERT
               text tower (exact GELU) pooled at [CLS]

  /usr/bin/python3 torch_clip.py vision ARCH THREADS f32|bf16 1,8,32 REPS
  /usr/bin/python3 torch_clip.py text   ARCH THREADS f32|bf16 8,77 REPS

Text rows are given unpadded (the tokens measured), as the C code computes
them: CLIP only needs the prefix up to its end token, BERT masks its padding
away; SigLIP always runs its full 64 positions.

Run it with OMP_NUM_THREADS=THREADS (run.sh does) so intra-op threads and
the BLAS pool do not oversubscribe the cores.
"""
import json
import math
import os
import sys
import time

import torch
from torch import nn

B = dict(vw=768, vi=3072, vh=12, vl=12, img=224)
ARCH = {  # vision width/inter/heads/layers/image/patch, text width/inter/heads/layers, proj
    "b32": dict(B, family="clip", patch=32, tw=512, ti=2048, th=8, tl=12,
                vocab=49408, ctx=77, proj=512),
    "b16": dict(B, family="clip", patch=16, tw=512, ti=2048, th=8, tl=12,
                vocab=49408, ctx=77, proj=512),
    "siglip-b16": dict(B, family="siglip", patch=16, tw=768, ti=3072, th=12,
                       tl=12, vocab=32000, ctx=64, proj=768),
    "cnclip-b16": dict(B, family="chinese_clip", patch=16, tw=768, ti=3072,
                       th=12, tl=12, vocab=21128, ctx=512, proj=512),
}


def quick_gelu(h):
    return h * torch.sigmoid(1.702 * h)


def gelu_tanh(h):
    return nn.functional.gelu(h, approximate="tanh")


class Block(nn.Module):
    """Pre-norm (CLIP, SigLIP) or post-norm (BERT) transformer block."""

    def __init__(self, w, inter, heads, act=quick_gelu, eps=1e-5, post=False):
        super().__init__()
        self.h, self.d, self.act, self.post = heads, w // heads, act, post
        self.ln1, self.ln2 = nn.LayerNorm(w, eps=eps), nn.LayerNorm(w, eps=eps)
        self.q, self.k, self.v, self.o = (nn.Linear(w, w) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(w, inter), nn.Linear(inter, w)

    def attn(self, x, mask):
        b, t, w = x.shape
        def split(y):
            return y.view(b, t, self.h, self.d).transpose(1, 2)
        q = split(self.q(x) * (self.d ** -0.5))
        k, v = split(self.k(x)), split(self.v(x))
        s = q @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        p = s.softmax(-1)
        return self.o((p @ v).transpose(1, 2).reshape(b, t, w))

    def forward(self, x, mask=None):
        if self.post:
            x = self.ln1(x + self.attn(x, mask))
            return self.ln2(x + self.fc2(self.act(self.fc1(x))))
        x = x + self.attn(self.ln1(x), mask)
        return x + self.fc2(self.act(self.fc1(self.ln2(x))))


class Vision(nn.Module):
    def __init__(self, a):
        super().__init__()
        g = a["img"] // a["patch"]
        self.patch = nn.Conv2d(3, a["vw"], a["patch"], a["patch"], bias=False)
        self.cls = nn.Parameter(torch.randn(a["vw"]) * 0.02)
        self.pos = nn.Parameter(torch.randn(1 + g * g, a["vw"]) * 0.02)
        self.pre, self.post = nn.LayerNorm(a["vw"]), nn.LayerNorm(a["vw"])
        self.blocks = nn.ModuleList(Block(a["vw"], a["vi"], a["vh"]) for _ in range(a["vl"]))
        self.proj = nn.Linear(a["vw"], a["proj"], bias=False)

    def forward(self, px):
        x = self.patch(px).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.pos
        x = self.pre(x)
        for blk in self.blocks:
            x = blk(x)
        return self.proj(self.post(x[:, 0]))


class SiglipVision(nn.Module):
    def __init__(self, a):
        super().__init__()
        g, w = a["img"] // a["patch"], a["vw"]
        self.patch = nn.Conv2d(3, w, a["patch"], a["patch"], bias=True)
        self.pos = nn.Parameter(torch.randn(g * g, w) * 0.02)
        self.blocks = nn.ModuleList(Block(w, a["vi"], a["vh"], gelu_tanh, 1e-6)
                                    for _ in range(a["vl"]))
        self.post = nn.LayerNorm(w, eps=1e-6)
        self.probe = nn.Parameter(torch.randn(1, 1, w) * 0.1)
        self.mha = nn.MultiheadAttention(w, a["vh"], batch_first=True)
        self.head_ln = nn.LayerNorm(w, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(w, a["vi"]), nn.Linear(a["vi"], w)

    def forward(self, px):
        x = self.patch(px).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            x = blk(x)
        x = self.post(x)
        a = self.mha(self.probe.expand(x.shape[0], -1, -1), x, x,
                     need_weights=False)[0]
        return (a + self.fc2(gelu_tanh(self.fc1(self.head_ln(a)))))[:, 0]


class Text(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.tok = nn.Embedding(a["vocab"], a["tw"])
        self.pos = nn.Parameter(torch.randn(a["ctx"], a["tw"]) * 0.01)
        self.blocks = nn.ModuleList(Block(a["tw"], a["ti"], a["th"]) for _ in range(a["tl"]))
        self.final = nn.LayerNorm(a["tw"])
        self.proj = nn.Linear(a["tw"], a["proj"], bias=False)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tok(ids) + self.pos[:t]
        mask = torch.full((t, t), float("-inf"), dtype=x.dtype).triu(1)
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.final(x)
        return self.proj(x[torch.arange(x.shape[0]), ids.argmax(-1)])


class SiglipText(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.tok = nn.Embedding(a["vocab"], a["tw"])
        self.pos = nn.Parameter(torch.randn(a["ctx"], a["tw"]) * 0.01)
        self.blocks = nn.ModuleList(Block(a["tw"], a["ti"], a["th"], gelu_tanh, 1e-6)
                                    for _ in range(a["tl"]))
        self.final = nn.LayerNorm(a["tw"], eps=1e-6)
        self.head = nn.Linear(a["tw"], a["proj"])

    def forward(self, ids):
        x = self.tok(ids) + self.pos[:ids.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.final(x)[:, -1])


class BertText(nn.Module):
    def __init__(self, a):
        super().__init__()
        w = a["tw"]
        self.tok = nn.Embedding(a["vocab"], w)
        self.pos = nn.Parameter(torch.randn(a["ctx"], w) * 0.02)
        self.type0 = nn.Parameter(torch.randn(w) * 0.02)
        self.ln = nn.LayerNorm(w, eps=1e-12)
        self.blocks = nn.ModuleList(
            Block(w, a["ti"], a["th"], nn.functional.gelu, 1e-12, post=True)
            for _ in range(a["tl"]))
        self.proj = nn.Linear(w, a["proj"], bias=False)

    def forward(self, ids):
        x = self.ln(self.tok(ids) + self.type0 + self.pos[:ids.shape[1]])
        for blk in self.blocks:
            x = blk(x)
        return self.proj(x[:, 0])


def build(test, a):
    fam = a["family"]
    if test == "vision":
        return SiglipVision(a) if fam == "siglip" else Vision(a)
    return {"clip": Text, "siglip": SiglipText, "chinese_clip": BertText}[fam](a)


# BENCH_CLOCK=cpu: process CPU time instead of wall time, as clip_bench.
CLOCK = time.process_time if os.environ.get("BENCH_CLOCK", "").startswith("c") \
    else time.perf_counter


def timed(fn, reps):
    fn()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = CLOCK()
        fn()
        ts.append(CLOCK() - t0)
    return min(ts)  # the least disturbed rep, as clip_bench reports


def capability():
    """The kernel path PyTorch runs ("AVX2", ...; ATEN_CPU_CAPABILITY caps it)."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip().lower()
    return "?"


def main():
    test, arch, threads, prec, sizes, reps = sys.argv[1:7]
    threads, reps = int(threads), int(reps)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    a = ARCH[arch]
    dt = torch.bfloat16 if prec == "bf16" else torch.float32
    model = build(test, a).eval().to(dt)
    with torch.inference_mode():
        for n in (int(s) for s in sizes.split(",")):
            if test == "vision":
                px = torch.randn(n, 3, a["img"], a["img"], dtype=dt)
                med = timed(lambda: model(px), reps)
                rec = dict(batch=n, value=round(n / med, 3), unit="img/s")
            else:
                ids = torch.randint(300, 20000, (1, n))
                if a["family"] == "clip":
                    ids[0, 0], ids[0, -1] = 49406, 49407
                med = timed(lambda: model(ids), reps)
                rec = dict(tokens=n, value=round(1e3 * med, 3), unit="ms")
            print(json.dumps(dict(impl="torch", test=test, prec=prec, threads=threads,
                                  isa=capability(), **rec)),
                  flush=True)


if __name__ == "__main__":
    main()
