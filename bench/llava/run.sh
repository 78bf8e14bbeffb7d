#!/bin/sh
# bench/llava/run.sh — llava_bench (C) and torch_llava.py (PyTorch) on the
# same shapes, one after the other on the same machine, then a table with
# ratios.  Usage: bench/llava/run.sh [BUILD_DIR] [GEN_TOKENS] [THREADS]
# (THREADS 0 = all cores; on a shared, busy machine use 1: OpenMP teams of
# several threads stall whenever one of them is preempted).
# The random checkpoint (~5.7 GB) is written once to /tmp/vlm-llava-bench.
set -eu
BUILD=${1:-build}
GEN=${2:-32}
THREADS=${3:-0}
HERE=$(dirname "$0")
OUT=$(mktemp -d)
: "${VLM_FIXTURES:=$HERE/../../../shared/fixtures}"
export VLM_FIXTURES
"$BUILD/bench/llava/llava_bench" --gen "$GEN" --threads "$THREADS" | tee "$OUT/c.txt"
/usr/bin/python3 "$HERE/torch_llava.py" --gen "$GEN" --threads "$THREADS" | tee "$OUT/torch.txt"
/usr/bin/python3 - "$OUT/c.txt" "$OUT/torch.txt" <<'PY'
import json, sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("JSON "):
            r = json.loads(line[5:])
            rows[(r["impl"], r["precision"])] = r
print("\n| precision | metric | vlmindex | torch | speed-up |")
print("|---|---|---|---|---|")
for p in ("f32", "bf16"):
    c, t = rows.get(("vlmindex", p)), rows.get(("torch", p))
    if not c or not t:
        continue
    for key, name, higher in (("vision_s", "vision s/image (wall)", False),
                              ("vision_cpu_s", "vision s/image (CPU)", False),
                              ("prompt_tps", "prompt tok/s (wall)", True),
                              ("prompt_cpu_tps", "prompt tok/s (CPU)", True),
                              ("ms_per_token", "generate ms/tok (wall)", False),
                              ("cpu_ms_per_token", "generate ms/tok (CPU)", False),
                              ("peak_rss_gb", "peak RSS GB", False)):
        a, b = c[key], t[key]
        ratio = a / b if higher else b / a
        print(f"| {p} | {name} | {a:.3f} | {b:.3f} | {ratio:.2f}x |")
for p in ("f32", "bf16"):
    c = rows.get(("vlmindex", p))
    if c:
        print(f"{p}: {c['ms_per_token']:.1f} ms/token wall, "
              f"{c['cpu_ms_per_token']:.1f} ms CPU/thread, vs bandwidth bound "
              f"{c['bound_ms']:.1f} ms ({c['read_gbs']:.1f} GB/s read): "
              f"{c['ms_per_token'] / c['bound_ms']:.2f}x wall, "
              f"{c['cpu_ms_per_token'] / c['bound_ms']:.2f}x CPU")
c, b = rows.get(("vlmindex", "f32")), rows.get(("vlmindex", "bf16"))
if c and b:
    print(f"bf16 vs f32 time per token: {c['ms_per_token'] / b['ms_per_token']:.2f}x "
          f"faster wall, {c['cpu_ms_per_token'] / b['cpu_ms_per_token']:.2f}x CPU")
PY
rm -rf "$OUT"
