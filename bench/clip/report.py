#!/usr/bin/python3
"""Turns the JSON lines of bench/clip/run.sh into one table per
instruction-set path with C/PyTorch ratios (ratio > 1 means the C code is
faster).  Each C row is compared with the PyTorch row of the same precision
from the same path, else with PyTorch fp32 (the "vs" column says which).
Vision rows also give GFLOP/s and the fraction of the path's measured FMA
ceiling ("peak" rows)."""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]

# multiply-adds per image of a CLIP ViT-B vision tower, x2 = FLOP (patch embedding,
# 12 blocks of q/k/v/o + MLP, attention products, projection)
def vision_gflop(arch):
    w, inter, layers, img, proj = 768, 3072, 12, 224, 512
    patch = 32 if arch == "b32" else 16
    t = 1 + (img // patch) ** 2
    macs = (t - 1) * 3 * patch * patch * w
    macs += layers * (t * (4 * w * w + 2 * w * inter) + 2 * t * t * w)
    macs += w * proj
    return 2 * macs / 1e9


def key(r, prec=None):
    size = r.get("batch", r.get("tokens", ""))
    return (r["path"], r["arch"], r["test"], prec or r.get("prec", ""), r.get("threads", ""), size)


torch = {key(r): r for r in rows if r["impl"] == "torch"}
peak = {(r["path"], r["threads"]): r["value"] for r in rows if r["test"] == "peak"}
paths = []
for r in rows:
    if r["path"] not in paths:
        paths.append(r["path"])

for path in paths:
    print(f"\n== path {path}")
    print(f"{'arch':10} {'test':6} {'prec':4} {'thr':>3} {'size':>4} {'C':>9} {'torch':>9} "
          f"{'vs':4} {'unit':6} {'C/torch':>7} {'GFLOP/s':>7} {'ceil':>5}  C backend / torch isa")
    for r in rows:
        if r["impl"] != "c" or r["path"] != path:
            continue
        if r["test"] == "peak":
            print(f"{'':4} {'peak':6} {'':4} {r['threads']:>3} {'':>4} {r['value']:9.1f} {'':>9} "
                  f"{'':4} {'GFLOP/s':6}  (FMA ceiling of this path)")
            continue
        if r["test"] == "rss":
            print(f"{r['arch']:10} {'rss':6} {r['parts']:4} {'':>3} {'':>4} {r['value']:9.1f} "
                  f"{'':>9} {'':4} {'MB':6}  (load {r['load_ms']:.0f} ms)")
            continue
        t = torch.get(key(r))
        vs = r["prec"]
        if t is None:
            t, vs = torch.get(key(r, "f32")), "f32"
        tv = t["value"] if t else None
        ratio = ""
        if tv:
            ratio = r["value"] / tv if r["unit"] == "img/s" else tv / r["value"]
            ratio = f"{ratio:7.2f}"
        gf = ceil = ""
        if r["test"] == "vision" and r["arch"] in ("b32", "b16"):
            g = r["value"] * vision_gflop(r["arch"])
            gf = f"{g:7.1f}"
            p = peak.get((path, r["threads"]))
            ceil = f"{g / p:5.2f}" if p else ""
        size = r.get("batch", r.get("tokens", ""))
        tvs = f"{tv:9.2f}" if tv else f"{'-':>9}"
        where = f"{r.get('isa', '?')}/{r.get('backend', '?')}"
        if t:
            where += f" / torch {t.get('isa', '?')}"
        print(f"{r['arch']:10} {r['test']:6} {r['prec']:4} {r['threads']:>3} {size:>4} "
              f"{r['value']:9.2f} {tvs} {vs if t else '':4} {r['unit']:6} {ratio:>7} "
              f"{gf:>7} {ceil:>5}  {where}")
