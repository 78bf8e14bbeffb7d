#!/bin/sh
# bench/clip/run.sh — dual-encoder tower speed: our C code vs a PyTorch
# baseline of the same architecture, in one invocation, on random weights in
# the real layouts: CLIP ViT-B/32 and ViT-B/16, SigLIP-B/16-224 (siglip-b16),
# Chinese-CLIP ViT-B/16 (cnclip-b16).  Prints a table with ratios (>1 = C
# faster).
#
#   bench/clip/run.sh [BUILD_DIR]          (default: build)
# Environment: ARCHS="b32 b16 siglip-b16 cnclip-b16"  REPS=3  THREADS="1 2"
#              B16_BATCHES=1,8 (every /16 tower)  PRECS="f32 bf16"
#              SKIP_TORCH=1 to time only the C code.
#              BENCH_CLOCK=cpu times process CPU time instead of wall time
#              (with THREADS=1: comparable on a machine others are loading).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench="$build/bench/clip/clip_bench"
[ -x "$bench" ] || { echo "run.sh: $bench not built (ninja -C $build bench/clip/clip_bench)" >&2; exit 1; }
ARCHS=${ARCHS:-"b32 b16 siglip-b16 cnclip-b16"}
PRECS=${PRECS:-"f32 bf16"}
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
    [ "$arch" = b32 ] || batches=${B16_BATCHES:-1,8}
    treps=$((REPS * 2))
    case $arch in # text rows: CLIP 77, SigLIP always 64, Chinese-CLIP 52
        b32) lens=8,77 treps=$((REPS * 7)) ;;
        siglip-b16) lens=64 ;;
        cnclip-b16) lens=8,52 ;;
        *) lens= ;;
    esac
    for t in $THREADS; do
        for prec in $PRECS; do
            run "$t" "$bench" vision "$ck" "$t" "$prec" "$batches" "$REPS"
            [ -n "${SKIP_TORCH:-}" ] || run "$t" /usr/bin/python3 "$here/torch_clip.py" vision "$arch" "$t" "$prec" "$batches" "$REPS"
        done
        [ -n "$lens" ] || continue
        for prec in $PRECS; do
            run "$t" "$bench" text "$ck" "$t" "$prec" "$lens" "$treps"
            [ -n "${SKIP_TORCH:-}" ] || run "$t" /usr/bin/python3 "$here/torch_clip.py" text "$arch" "$t" "$prec" "$lens" "$treps"
        done
    done
    if [ "$arch" = b32 ]; then
        "$bench" rss "$ck" text | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
        "$bench" rss "$ck" all | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
        "$bench" vision "$ck" 2 f32p 1,8,32 "$REPS" | sed "s/^{/{\"arch\":\"$arch\",/" >> "$out"
    fi
    rm -rf "$ck" # 0.6-0.8 GB each
done

/usr/bin/python3 "$here/report.py" "$out"
