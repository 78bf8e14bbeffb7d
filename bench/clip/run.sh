#!/bin/sh
# bench/clip/run.sh — CLIP tower speed: our C code vs a PyTorch baseline of
# the same architecture, in one invocation, on random weights in the real
# ViT-B/32 (and ViT-B/16) layout.  Prints a table with ratios (>1 = C faster).
#
#   bench/clip/run.sh [BUILD_DIR]          (default: build)
# Environment: ARCHS="b32 b16"  REPS=3  THREADS="1 2"  B16_BATCHES=1,8
#              SKIP_TORCH=1 to time only the C code.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench="$build/bench/clip/clip_bench"
[ -x "$bench" ] || { echo "run.sh: $bench not built (ninja -C $build bench/clip/clip_bench)" >&2; exit 1; }
ARCHS=${ARCHS:-"b32 b16"}
REPS=${REPS:-3}
THREADS=${THREADS:-"1 2"}
tmp=$(mktemp -d /tmp/clip-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
out="$tmp/results.jsonl"

# Both sides get the same thread budget and nothing else running in parallel.
run() { # threads cmd...
    t=$1; shift
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=1 "$@" | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
}

for arch in $ARCHS; do
    ck="$tmp/$arch"
    "$bench" write "$arch" "$ck"
    batches=1,8,32
    [ "$arch" = b16 ] && batches=${B16_BATCHES:-1,8}
    for t in $THREADS; do
        for prec in f32 bf16; do
            run "$t" "$bench" vision "$ck" "$t" "$prec" "$batches" "$REPS"
            [ -n "${SKIP_TORCH:-}" ] || run "$t" /usr/bin/python3 "$here/torch_clip.py" vision "$arch" "$t" "$prec" "$batches" "$REPS"
        done
        [ "$arch" = b32 ] || continue
        for prec in f32 bf16; do
            run "$t" "$bench" text "$ck" "$t" "$prec" 8,77 $((REPS * 7))
            [ -n "${SKIP_TORCH:-}" ] || run "$t" /usr/bin/python3 "$here/torch_clip.py" text "$arch" "$t" "$prec" 8,77 $((REPS * 7))
        done
    done
    [ "$arch" = b32 ] || continue
    "$bench" rss "$ck" text | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
    "$bench" rss "$ck" all | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
    "$bench" vision "$ck" 2 f32p 1,8,32 "$REPS" | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
done

/usr/bin/python3 "$here/report.py" "$out"
