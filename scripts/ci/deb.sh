#!/bin/bash
# CI stage: build the Debian packages (dpkg-buildpackage -us -uc -b) from
# this tree, check their contents and dependencies, then install them into
# a clean Debian 12 chroot (mmdebstrap) and run vlmindex there on a fixture
# model (scripts/ci/deb-chroot-test.sh).
#
#   scripts/ci/deb.sh            outputs in build-deb/ (the .debs stay there)
# Environment: VLM_FIXTURES (default ../shared/fixtures), VLM_BUILD_DIR
# (a build of this tree with tests, for the DICOM generator; default build),
# DEB_CHECK=1 also runs the test suite inside the package build (CI runs it
# separately, so it is off by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "deb: $*"; }
fail() { echo "deb: FAILED: $*" >&2; exit 1; }
out=$(realpath -m build-deb)
fixtures=$(realpath -m "${VLM_FIXTURES:-../shared/fixtures}")
gen="$(realpath -m "${VLM_BUILD_DIR:-build}")/tests/dicom/make_synthetic"

for tool in dpkg-buildpackage dh mmdebstrap jq; do
    command -v "$tool" >/dev/null ||
        fail "$tool is missing: run scripts/setup.sh (scripts/debian-packages.txt)"
done

# The package version must be the project's version.
meson_version=$(meson introspect --projectinfo meson.build 2>/dev/null | jq -r .version)
deb_version=$(dpkg-parsechangelog -SVersion)
[ "${deb_version%%-*}" = "$meson_version" ] ||
    fail "debian/changelog says $deb_version, meson.build says $meson_version"

# Build from a copy of the tracked (and new, unignored) files, so that
# dpkg-buildpackage's outputs land in build-deb/, not next to the checkout.
rm -rf "$out"
mkdir -p "$out/src"
git ls-files -z --cached --others --exclude-standard |
    tar --null --files-from=- --ignore-failed-read -cf - |
    tar -C "$out/src" -xf -
opts="parallel=$(nproc)"
profiles=""
if [ "${DEB_CHECK:-0}" = 1 ]; then
    export VLM_FIXTURES_DIR="$fixtures"
else
    opts="$opts nocheck"
    profiles="--build-profiles=nocheck"
fi
say "dpkg-buildpackage -us -uc -b $profiles (DEB_BUILD_OPTIONS=$opts)"
(cd "$out/src" && DEB_BUILD_OPTIONS="$opts" \
    dpkg-buildpackage -us -uc -b $profiles > "$out/build.log" 2>&1) ||
    { tail -n 60 "$out/build.log"; fail "dpkg-buildpackage (log: $out/build.log)"; }
arch=$(dpkg --print-architecture)
main_deb="$out/vlmindex_${deb_version}_$arch.deb"
dicom_deb="$out/vlmindex-dicom_${deb_version}_$arch.deb"
for d in "$main_deb" "$dicom_deb"; do
    [ -f "$d" ] || fail "no $(basename "$d") in $out"
done

# Contents: binaries, man pages, completions in vlmindex; the GDCM module
# only in vlmindex-dicom; GDCM never a dependency of vlmindex.
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
for f in /usr/bin/vlmindex /usr/bin/vlmsearch \
    /usr/share/man/man1/vlmindex.1.gz /usr/share/man/man1/vlmsearch.1.gz \
    /usr/share/bash-completion/completions/vlmindex \
    /usr/share/bash-completion/completions/vlmsearch \
    /usr/libexec/vlmindex/vlm-decode-worker; do
    contents "$main_deb" | grep -qx "$f" || fail "vlmindex lacks $f"
done
contents "$dicom_deb" | grep -q '/vlmindex/libvlm_gdcm\.so$' ||
    fail "vlmindex-dicom lacks libvlm_gdcm.so"
contents "$main_deb" | grep -q 'libvlm_gdcm' &&
    fail "vlmindex ships the GDCM module"
main_depends=$(dpkg-deb -f "$main_deb" Depends)
echo "$main_depends" | grep -qi gdcm && fail "vlmindex depends on GDCM: $main_depends"
dpkg-deb -f "$dicom_deb" Depends | grep -q libgdcm ||
    fail "vlmindex-dicom does not depend on GDCM's libraries"
say "built $(cd "$out" && echo ./*.deb)"
say "vlmindex Depends: $main_depends"

# A clean Debian 12 chroot: install, run, search (needs root for chroot).
if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED the chroot install test: it needs root (mmdebstrap root mode)"
    exit 0
fi
[ -f "$fixtures/clip-tiny-quickgelu-f32/model.safetensors" ] ||
    fail "fixtures not found in $fixtures (set VLM_FIXTURES)"
stage="$out/chroot-input"
mkdir -p "$stage/dicom"
cp "$main_deb" "$dicom_deb" scripts/ci/deb-chroot-test.sh "$stage/"
cp -r "$fixtures/clip-tiny-quickgelu-f32" "$fixtures/tokenizer-clip" \
    "$fixtures/images/photos" "$stage/"
if [ -x "$gen" ]; then
    "$gen" "$stage/dicom" >/dev/null
else
    say "no DICOM generator at $gen (build the tests first): DICOM checks skip"
fi
mirror=http://deb.debian.org/debian
say "mmdebstrap: clean bookworm chroot, install the packages, run them"
# shellcheck disable=SC2016 # $1 is the chroot, expanded by mmdebstrap's sh
mmdebstrap --quiet --variant=apt bookworm /dev/null \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" \
    --customize-hook="copy-in $stage /tmp" \
    --customize-hook='chroot "$1" /bin/sh /tmp/chroot-input/deb-chroot-test.sh /tmp/chroot-input' ||
    fail "the packages did not install or run in a clean chroot"
say "OK"
