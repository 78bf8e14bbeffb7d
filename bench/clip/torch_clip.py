#!/usr/bin/python3
"""PyTorch baseline for bench/clip: the same CLIP architecture as clip_bench
(HF CLIPModel layout, eager attention, quick_gelu), random weights, the same
measurements, one JSON object per line.

  /usr/bin/python3 torch_clip.py vision b32 THREADS f32|bf16 1,8,32 REPS
  /usr/bin/python3 torch_clip.py text   b32 THREADS f32|bf16 8,77 REPS

Run it with OMP_NUM_THREADS=THREADS (run.sh does) so intra-op threads and
the BLAS pool do not oversubscribe the cores.
"""
import json
import math
import sys
import time

import torch
from torch import nn

ARCH = {  # vision width/inter/heads/layers/image/patch, text width/inter/heads/layers, proj
    "b32": dict(vw=768, vi=3072, vh=12, vl=12, img=224, patch=32,
                tw=512, ti=2048, th=8, tl=12, vocab=49408, ctx=77, proj=512),
    "b16": dict(vw=768, vi=3072, vh=12, vl=12, img=224, patch=16,
                tw=512, ti=2048, th=8, tl=12, vocab=49408, ctx=77, proj=512),
}


class Block(nn.Module):
    def __init__(self, w, inter, heads):
        super().__init__()
        self.h, self.d = heads, w // heads
        self.ln1, self.ln2 = nn.LayerNorm(w), nn.LayerNorm(w)
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
        x = x + self.attn(self.ln1(x), mask)
        h = self.fc1(self.ln2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


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


def timed(fn, reps):
    fn()  # warm-up
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
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
    model = (Vision(a) if test == "vision" else Text(a)).eval().to(dt)
    with torch.inference_mode():
        for n in (int(s) for s in sizes.split(",")):
            if test == "vision":
                px = torch.randn(n, 3, a["img"], a["img"], dtype=dt)
                med = timed(lambda: model(px), reps)
                rec = dict(batch=n, value=round(n / med, 3), unit="img/s")
            else:
                ids = torch.randint(300, 40000, (1, n))
                ids[0, 0], ids[0, -1] = 49406, 49407
                med = timed(lambda: model(ids), reps)
                rec = dict(tokens=n, value=round(1e3 * med, 3), unit="ms")
            print(json.dumps(dict(impl="torch", test=test, prec=prec, threads=threads,
                                  isa=capability(), **rec)),
                  flush=True)


if __name__ == "__main__":
    main()
