#!/bin/bash
# CI stage: cross-build vlmindex for arm64 (aarch64) and run the whole test
# suite (model parity, end-to-end add/search, ...) under qemu-user with
# QEMU_CPU=max (SVE, BF16, dot product: a Graviton3-class CPU), then the
# kernel tests again with QEMU_CPU=cortex-a72 (plain ARMv8.0 NEON:
# Raspberry Pi 4, Graviton1).
#
#   scripts/ci/arm64.sh        (build-arm64-sysroot/ and build-arm64/)
#
# Needs crossbuild-essential-arm64, qemu-user and mmdebstrap (amd64 packages,
# scripts/debian-packages.txt); the arm64 libraries come from a private
# sysroot (scripts/ci/arm64-sysroot.sh), never installed system-wide.
# Criterion re-executes each test binary, so aarch64 programs must start
# from exec() too: this registers qemu-aarch64 with binfmt_misc (as Debian's
# qemu-user-binfmt would; it stays registered), which needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "arm64: $*"; }
fail() { echo "arm64: FAILED: $*" >&2; exit 1; }
sysroot=$(realpath -m build-arm64-sysroot)
build="build-arm64"
fixtures=$(realpath -m "${VLM_FIXTURES:-../shared/fixtures}")

for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ qemu-aarch64 mmdebstrap; do
    command -v "$tool" >/dev/null ||
        fail "$tool is missing: run scripts/setup.sh (scripts/debian-packages.txt)"
done
[ -f "$fixtures/clip-tiny-quickgelu-f32/model.safetensors" ] ||
    fail "fixtures not found in $fixtures: the parity tests would only skip"

t0=$SECONDS
scripts/ci/arm64-sysroot.sh "$sysroot"
say "sysroot ready in $((SECONDS - t0)) s"
t0=$SECONDS
cross=(--cross-file "$sysroot/sysroot.ini" --cross-file cross/aarch64-linux-gnu.ini)
reconfigure=""
[ -d "$build" ] && reconfigure=--reconfigure
meson setup $reconfigure "$build" "${cross[@]}" -Dnative=false -Dbench=false \
    -Dfixtures_dir="$fixtures" > /dev/null
ninja -C "$build" -j "$(nproc)" > "$build/ninja.log" 2>&1 ||
    { tail -n 40 "$build/ninja.log"; fail "cross build (log: $build/ninja.log)"; }
aarch64-linux-gnu-readelf -h "$build/bin/vlmindex" | grep -q AArch64 ||
    fail "$build/bin/vlmindex is not an aarch64 program"
say "cross build done in $((SECONDS - t0)) s"

binfmt=/proc/sys/fs/binfmt_misc
[ -e "$binfmt/register" ] ||
    mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || true
if [ ! -e "$binfmt/qemu-aarch64" ]; then
    if [ ! -w "$binfmt/register" ]; then
        say "SKIPPED the tests under qemu: cannot register qemu-aarch64 with" \
            "binfmt_misc (needs root); the cross build passed"
        exit 0
    fi
    # ELF magic and mask of aarch64 executables (as in QEMU's
    # scripts/qemu-binfmt-conf.sh).
    printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64:' \
        > "$binfmt/register"
fi
grep -qx enabled "$binfmt/qemu-aarch64" || fail "binfmt entry qemu-aarch64 is disabled"

# qemu finds the arm64 loader and libraries under QEMU_LD_PREFIX.
export QEMU_LD_PREFIX="$sysroot"
say "$(qemu-aarch64 "$build/bin/vlmindex" --version | head -n 1) (under qemu-aarch64)"
# The whole suite on the richest CPU; on plain NEON the tests of the compute
# kernels (parity, precision paths) and one end-to-end add/search.
kernel_tests=(core_gemm clip_parity clip_precision clip_vision clip_text_query
    llava_llama_gemv llava_parity llava_bf16 e2e_cli_search)
run_suite() {
    local cpu=$1 t0=$SECONDS
    shift
    say "meson test under qemu-aarch64 -cpu $cpu: ${*:-the whole suite}"
    QEMU_CPU=$cpu meson test -C "$build" --print-errorlogs \
        --timeout-multiplier 4 --num-processes "$(nproc)" "$@" ||
        fail "tests under qemu-aarch64 -cpu $cpu"
    say "qemu -cpu $cpu: passed in $((SECONDS - t0)) s"
}
run_suite max
run_suite cortex-a72 "${kernel_tests[@]}"
say "OK"
