#!/usr/bin/env bash
# Cross build a static arm64 iotrace (and, with --deb, its .deb) on an x86 Debian 12 machine.
# Needs `scripts/deps.sh arm64` first. BUILD_DIR defaults to build-arm64/.
# Also builds the static arm64 iotest (tests/tools/iotest.c), the I/O helper of the arm64
# VM guests. Prints the binary's path (and the .deb's).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-arm64}
deb=0
if [ "${1:-}" = --deb ]; then deb=1; shift; fi
command -v aarch64-linux-gnu-gcc >/dev/null ||
  { echo "build-arm64.sh: no aarch64-linux-gnu-gcc; run: sudo scripts/deps.sh arm64" >&2; exit 1; }
[ -e /usr/lib/aarch64-linux-gnu/pkgconfig/libbpf.pc ] ||
  { echo "build-arm64.sh: no libbpf-dev:arm64; run: sudo scripts/deps.sh arm64" >&2; exit 1; }
cmake -S "$root" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64.cmake" \
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DIOTRACE_STATIC=ON -DIOTRACE_TESTS=OFF "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
# (the unit tests need an arm64 cmocka and ASan: only the guests' I/O helper is built)
aarch64-linux-gnu-gcc -O2 -Wall -static -pthread "$root/tests/tools/iotest.c" -o "$build/iotest"
echo "$build/iotrace"
if [ $deb = 1 ]; then
  (cd "$build" && cpack -G DEB >/dev/null)
  ls "$build"/iotrace_*_arm64.deb
fi
