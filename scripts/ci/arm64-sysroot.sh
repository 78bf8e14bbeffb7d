#!/bin/bash
# Assembles a private arm64 (aarch64) Debian 12 sysroot in DIR: the :arm64
# builds of every lib*-dev package in scripts/debian-packages.txt, with
# their dependencies, unpacked (not installed) by mmdebstrap.  Nothing is
# installed system-wide for arm64, so the machine's amd64 -dev packages stay
# as they are.  The cross build (cross/aarch64-linux-gnu.ini) compiles and
# links against DIR, and qemu-aarch64 -L DIR runs the results.
#
#   scripts/ci/arm64-sysroot.sh [DIR]     (default: build-arm64-sysroot)
#
# Writes DIR/sysroot.ini, the meson cross-file fragment that names DIR; give
# it to meson before cross/aarch64-linux-gnu.ini.  Re-running with an
# existing, complete DIR does nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(realpath -m "${1:-build-arm64-sysroot}")
stamp="$dir/.vlmindex-sysroot"
want=$( (grep -E '^lib.*-dev$' scripts/debian-packages.txt; \
         echo libc6-dev; echo libstdc++-12-dev) | sort -u | paste -sd, -)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "arm64 sysroot: $dir is up to date"
    exit 0
fi
command -v mmdebstrap >/dev/null ||
    { echo "arm64 sysroot: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }
rm -rf "$dir"
mirror=http://deb.debian.org/debian
mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$want" \
    bookworm "$dir" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"

# Unpacked packages never ran their maintainer scripts, so the
# update-alternatives links for BLAS/LAPACK (OpenBLAS, as on amd64) are
# missing: make them by hand, relative so they resolve inside DIR.
lib="$dir/usr/lib/aarch64-linux-gnu"
ob=openblas-pthread
ln -sf "$ob/libblas.so.3" "$lib/libblas.so.3"
ln -sf "$ob/libblas.so" "$lib/libblas.so"
ln -sf "$ob/liblapack.so.3" "$lib/liblapack.so.3"
ln -sf "$ob/liblapack.so" "$lib/liblapack.so"
ln -sf "$ob/libopenblas.so.0" "$lib/libopenblas.so.0"
ln -sf "$ob/libopenblas.so" "$lib/libopenblas.so"
for pc in blas lapack openblas; do
    [ -e "$lib/$ob/pkgconfig/$pc.pc" ] &&
        ln -sf "../$ob/pkgconfig/$pc.pc" "$lib/pkgconfig/$pc.pc"
done
# Absolute symlinks inside the sysroot (e.g. /usr/lib/.../libm.so ->
# /lib/...) would point into the build machine's own root; make them
# relative so the linker finds the arm64 files.
find "$dir" -type l -lname '/*' | while read -r l; do
    t=$(readlink "$l")
    ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir$t")" "$l"
done
printf "[constants]\nsysroot = '%s'\n" "$dir" > "$dir/sysroot.ini"
echo "$want" > "$stamp"
echo "arm64 sysroot: $dir ($(du -sh "$dir" | cut -f1))"
