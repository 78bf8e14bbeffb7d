#!/usr/bin/python3
"""Table of llava_bench vs torch_llava.py JSON lines (bench/llava/run.sh)."""
import json
import sys

ROWS = (("vision_s", "vision s/image (wall)", False),
        ("vision_cpu_s", "vision s/image (CPU)", False),
        ("prompt_tps", "prompt tok/s (wall)", True),
        ("prompt_cpu_tps", "prompt tok/s (CPU)", True),
        ("ms_per_token", "generate ms/tok (wall)", False),
        ("cpu_ms_per_token", "generate ms/tok (CPU)", False),
        ("peak_rss_gb", "peak RSS GB", False))


def main():
    rows = {}
    for path in sys.argv[1:]:
        for line in open(path):
            if line.startswith("JSON "):
                r = json.loads(line[5:])
                rows[(r["impl"], r["precision"])] = r
    print("\n| precision | metric | vlmindex | torch | vlmindex speed-up |")
    print("|---|---|---|---|---|")
    for p in ("f32", "bf16"):
        c, t = rows.get(("vlmindex", p)), rows.get(("torch", p))
        if not c or not t:
            continue
        for key, name, higher in ROWS:
            a, b = c[key], t[key]
            ratio = a / b if higher else b / a
            print(f"| {p} | {name} | {a:.3f} | {b:.3f} | {ratio:.2f}x |")
    for p in ("f32", "bf16"):
        c = rows.get(("vlmindex", p))
        if c:
            print(f"{p}: {c['ms_per_token']:.1f} ms/token wall, "
                  f"{c['cpu_ms_per_token']:.1f} ms CPU, vs bandwidth bound "
                  f"{c['bound_ms']:.1f} ms ({c['read_gbs']:.1f} GB/s read): "
                  f"{c['ms_per_token'] / c['bound_ms']:.2f}x wall, "
                  f"{c['cpu_ms_per_token'] / c['bound_ms']:.2f}x CPU")
    c, b = rows.get(("vlmindex", "f32")), rows.get(("vlmindex", "bf16"))
    if c and b:
        print(f"bf16 vs f32 time per token: "
              f"{c['ms_per_token'] / b['ms_per_token']:.2f}x faster wall, "
              f"{c['cpu_ms_per_token'] / b['cpu_ms_per_token']:.2f}x CPU")


if __name__ == "__main__":
    main()
