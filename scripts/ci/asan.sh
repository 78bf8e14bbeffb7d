#!/bin/bash
# CI stage: the whole suite again under AddressSanitizer + UBSan (a UBSan
# report fails the test), in build-asan/.
set -euo pipefail
cd "$(dirname "$0")/../.."
reconfigure=""
[ -d build-asan ] && reconfigure=--reconfigure
meson setup $reconfigure build-asan -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
meson test -C build-asan --print-errorlogs --timeout-multiplier 4
