#!/usr/bin/python3
"""Turns the JSON lines of bench/clip/run.sh into a table with C/PyTorch
ratios (ratio > 1 means the C code is faster)."""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]


def key(r):
    size = r.get("batch", r.get("tokens", ""))
    return (r["arch"], r["test"], r.get("prec", r.get("parts", "")), r.get("threads", ""), size)


c = {key(r): r for r in rows if r["impl"] == "c"}
t = {key(r): r for r in rows if r["impl"] == "torch"}
print(f"{'arch':10} {'test':7} {'prec':5} {'thr':>3} {'size':>5} {'C':>10} {'torch':>10} {'unit':6} {'C/torch':>8}")
for k, r in c.items():
    if r["test"] == "rss":
        print(f"{k[0]:10} {'rss':7} {r['parts']:5} {'':>3} {'':>5} {r['value']:10.1f} {'':>10} {'MB':6} "
              f"(load {r['load_ms']:.0f} ms)")
        continue
    tv = t.get(k, {}).get("value")
    ratio = ""
    if tv:
        ratio = r["value"] / tv if r["unit"] == "img/s" else tv / r["value"]
        ratio = f"{ratio:8.2f}"
    tvs = f"{tv:10.2f}" if tv else f"{'-':>10}"
    print(f"{k[0]:10} {k[1]:7} {k[2]:5} {k[3]:>3} {k[4]:>5} {r['value']:10.2f} {tvs} {r['unit']:6} {ratio:>8}")
