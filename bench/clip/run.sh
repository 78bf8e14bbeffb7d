#!/bin/sh
# bench/clip/run.sh — dual-encoder tower speed: our C code vs a PyTorch
# baseline of the same architecture (Debian's python3-torch through
# /usr/bin/python3), in one invocation, on random weights in the real layouts
# (CLIP ViT-B/32 and ViT-B/16, SigLIP-B/16-224 "siglip-b16", Chinese-CLIP
# ViT-B/16 "cnclip-b16"), once per instruction-set path.  Prints a table with
# ratios (>1 = C faster) and, for CLIP vision towers, the fraction of the
# path's FMA ceiling.
#
#   bench/clip/run.sh [BUILD_DIR]          (default: build)
#
# Environment: ISAS="avx512 avx2 generic" (default: every path this CPU has,
#              widest first)  ARCHS="b32" (or "b32 b16 siglip-b16 cnclip-b16")
#              REPS=3  THREADS="2"  B16_BATCHES=1,8 (every /16 tower)
#              PRECS="f32p f32 bf16" (vision)  SKIP_TORCH=1 (time only C)
#              BENCH_CLOCK=cpu times process CPU time instead of wall time
#              (with THREADS=1: comparable on a machine others are loading).
#
# Per path, both sides are capped alike: our kernels (VLMINDEX_MAX_ISA),
# oneDNN (DNNL_MAX_CPU_ISA), OpenBLAS (OPENBLAS_CORETYPE) and PyTorch's own
# kernels (ATEN_CPU_CAPABILITY).  PyTorch bf16 rows run only on avx512, the
# path with native bf16; elsewhere C bf16 (emulated) is compared with
# PyTorch fp32.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench="$build/bench/clip/clip_bench"
[ -x "$bench" ] || { echo "run.sh: $bench not built (ninja -C $build bench/clip/clip_bench)" >&2; exit 1; }
if [ -z "${SKIP_TORCH:-}" ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "run.sh: PyTorch missing: apt-get install -y python3-torch (or SKIP_TORCH=1)" >&2
    exit 1
fi
widest=$("$bench" isa)
case $widest in
    avx512) all="avx512 avx2 generic" ;;
    avx2) all="avx2 generic" ;;
    *) all="generic" ;;
esac
ISAS=${ISAS:-$all}
ARCHS=${ARCHS:-"b32"}
PRECS=${PRECS:-"f32p f32 bf16"}
REPS=${REPS:-3}
THREADS=${THREADS:-"2"}
tmp=$(mktemp -d /tmp/clip-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
out="$tmp/results.jsonl"

# The caps of one path, for both sides.
caps() {
    unset VLMINDEX_MAX_ISA DNNL_MAX_CPU_ISA OPENBLAS_CORETYPE ATEN_CPU_CAPABILITY
    export VLMINDEX_MAX_ISA=$1
    case $1 in
        avx512) export ATEN_CPU_CAPABILITY=avx512 ;;
        avx2) export DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ;;
        generic) export DNNL_MAX_CPU_ISA=SSE41 OPENBLAS_CORETYPE=Nehalem ATEN_CPU_CAPABILITY=default ;;
    esac
}

# Both sides get the same thread budget and nothing else running in parallel.
run() { # threads cmd...
    t=$1; shift
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=1 "$@" |
        sed "s/^{/{\"arch\":\"$arch\",\"path\":\"$isa\",/" >> "$out"
}
torch() { # threads test prec sizes reps
    [ -n "${SKIP_TORCH:-}" ] || run "$1" /usr/bin/python3 "$here/torch_clip.py" "$2" "$arch" "$1" "$3" "$4" "$5"
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
    for isa in $ISAS; do
        caps "$isa"
        for t in $THREADS; do
            run "$t" "$bench" peak "$t"
            for prec in $PRECS; do
                run "$t" "$bench" vision "$ck" "$t" "$prec" "$batches" "$REPS"
            done
            torch "$t" vision f32 "$batches" "$REPS"
            [ "$isa" != avx512 ] || torch "$t" vision bf16 "$batches" "$REPS"
            [ -n "$lens" ] || continue
            for prec in f32 bf16 int8 f32p; do
                run "$t" "$bench" text "$ck" "$t" "$prec" "$lens" "$treps"
            done
            torch "$t" text f32 "$lens" "$treps"
            [ "$isa" != avx512 ] || torch "$t" text bf16 "$lens" "$treps"
        done
    done
    if [ "$arch" = b32 ]; then
        isa=$widest
        caps "$isa"
        run 1 "$bench" rss "$ck" text
        run 1 "$bench" rss "$ck" all
    fi
    rm -rf "$ck" # 0.6-0.8 GB each
done

/usr/bin/python3 "$here/report.py" "$out"
