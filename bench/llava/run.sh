#!/bin/sh
# bench/llava/run.sh — llava_bench (C) and torch_llava.py (PyTorch) on the
# same shapes, one after the other on the same machine, each precision in its
# own process (so peak RSS is per precision), then a table with ratios.
#   bench/llava/run.sh [BUILD_DIR] [GEN_TOKENS] [THREADS]
# THREADS 0 = all cores.  On a shared, busy machine use 1 and read the CPU
# columns: OpenMP teams stall whenever one thread is preempted, and wall time
# counts the time other jobs held the core.
# The random checkpoint (~5.6 GB) is written once to /tmp/vlm-llava-bench.
set -eu
BUILD=${1:-build}
GEN=${2:-32}
THREADS=${3:-0}
HERE=$(dirname "$0")
OUT=$(mktemp -d)
: "${VLM_FIXTURES:=$HERE/../../../shared/fixtures}"
export VLM_FIXTURES
for p in f32 bf16; do
  "$BUILD/bench/llava/llava_bench" --gen "$GEN" --threads "$THREADS" --prec $p \
    | tee -a "$OUT/c.txt"
  /usr/bin/python3 "$HERE/torch_llava.py" --gen "$GEN" --threads "$THREADS" \
    --prec $p | tee -a "$OUT/torch.txt"
done
/usr/bin/python3 "$HERE/compare.py" "$OUT/c.txt" "$OUT/torch.txt"
rm -rf "$OUT"
