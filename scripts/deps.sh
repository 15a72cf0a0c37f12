#!/usr/bin/env bash
# Install everything iotrace needs to build and test on Debian 12 (bookworm), as root.
# Idempotent: apt-get skips what is already there.
set -euo pipefail

BUILD_PACKAGES=(gcc make cmake pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
                libzstd-dev libcmocka-dev)
# live tests: loop devices, partitions, JSON checks, bpftool inspection, fio (queue depth)
TEST_PACKAGES=(util-linux fdisk python3 procps libcap2-bin groff-base dpkg-dev file libclang-rt-dev fio python3-prometheus-client)
# VM matrix: boot Debian kernels under qemu with a busybox initramfs; blktrace for the guests
VM_PACKAGES=(qemu-system-x86 busybox-static cpio xz-utils zstd blktrace)

want=("${BUILD_PACKAGES[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${TEST_PACKAGES[@]}" "${VM_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: must run as root (apt-get install); try: sudo $0 $*" >&2
  exit 1
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
timeout 900 apt-get update -qq || { echo "deps.sh: apt-get update failed (network/mirror?)" >&2; exit 1; }
timeout 1800 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  { echo "deps.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
