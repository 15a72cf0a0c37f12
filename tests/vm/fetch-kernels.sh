#!/bin/bash
# tests/vm/fetch-kernels.sh [--list] [--update] [KERNEL_ID...]
# Downloads the Debian kernels pinned in kernels.conf with a private apt configuration
# and unpacks vmlinuz + the needed modules into /var/cache/iotrace-test/kernels/.
# Idempotent; a cached kernel costs well under a second.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit "${1:-0}"; }
list=0 ids=()
while (($#)); do
    case $1 in
    --list) list=1 ;;
    --update) ensure_root; apt_update force ;;
    -h | --help) usage ;;
    -*) usage 2 ;;
    *) ids+=("$1") ;;
    esac
    shift
done
((${#ids[@]})) || read -ra ids <<<"$KERNEL_IDS"
ensure_root
host_pkgs dpkg-deb:dpkg xz:xz-utils zstd:zstd tar:tar modinfo:kmod

if ((list)); then
    apt_update
    echo "# linux-image-*-amd64 (suite: versions)"
    papt apt-cache madison linux-image-amd64 | awk -F'|' '{print "linux-image-amd64 ->", $2, $3}'
    papt apt-cache pkgnames linux-image- | grep -E '^linux-image-[0-9][^ ]*-amd64$' | sort -V |
        while read -r p; do papt apt-cache madison "$p"; done
    for p in zfs-dkms zfsutils-linux; do papt apt-cache madison "$p"; done
    exit 0
fi

t0=$(now_s)
for id in "${ids[@]}"; do
    kernel_fetch "$id"
    echo "$id $(kconf "$id" KREL) $(kernel_dir "$id")"
done
log "all kernels ready in $(elapsed "$t0")s"
