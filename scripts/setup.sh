#!/bin/sh
# One-step set-up on Debian 12: install the Debian packages vlmindex needs,
# then configure and build into ./build.  Safe to re-run.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=$(grep -v '^#' scripts/debian-packages.txt | grep -v '^$' | tr '\n' ' ')
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $pkgs
if [ -d build ]; then
    meson setup --reconfigure build "$@"
else
    meson setup build "$@"
fi
ninja -C build
