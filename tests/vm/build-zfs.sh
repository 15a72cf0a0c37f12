#!/bin/bash
# tests/vm/build-zfs.sh [--keep-build] KERNEL_ID
# Builds the OpenZFS kernel modules pinned in kernels.conf (zfs-dkms source) for one
# pinned Debian kernel, out of tree, against unpacked (not installed) linux-headers,
# and unpacks the matching zfsutils-linux + libs for the guest's zpool/zfs/zinject.
# Results (cached, keyed by versions; a second run takes well under a second):
#   /var/cache/iotrace-test/zfs/<zfs-ver>-<uname -r>/   *.ko (stripped), load-order,
#       kernel-deps, build.log, timing, .stamp
#   /var/cache/iotrace-test/zfsutils/<debian-ver>/root/  unpacked user space
set -euo pipefail
. "$(dirname "$0")/lib.sh"

keep=0
while (($#)); do
    case $1 in
    --keep-build) keep=1 ;;
    -h | --help) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (usage: build-zfs.sh [--keep-build] KERNEL_ID)" ;;
    *) break ;;
    esac
    shift
done
(($# == 1)) || die "usage: build-zfs.sh [--keep-build] KERNEL_ID (one of: $KERNEL_IDS)"
id=$1
need_kernel_id "$id"
zver=$(zconf "$id" VERSION)
[[ -n $zver ]] || die "kernels.conf pins no ZFS for kernel $id (set Z_${id//./_}_VERSION etc.)"
ensure_root

kver=$(kconf "$id" VERSION) krel=$(kconf "$id" KREL) srcver=$(zconf "$id" SRCVER)
out=$(zfs_dir "$id")
udir=$(zfsutils_dir "$id")
want_stamp="zfs-dkms=$zver headers=$(zconf "$id" HEADERS)=$kver"

# ---------------------------------------------------------------- user space
build_utils() {
    [[ -e $udir/.stamp ]] && return 0
    local t0 p deb
    t0=$(now_s)
    rm -rf "$udir.tmp" && mkdir -p "$udir.tmp/root"
    for p in $(zconf "$id" UTILS); do
        deb=$(deb_fetch "$p" "$zver")
        deb_unpack "$deb" "$udir.tmp/root"
    done
    local b
    for b in zpool zfs zinject; do
        [[ -x $udir.tmp/root/sbin/$b ]] || die "$b missing from the unpacked $(zconf "$id" UTILS) $zver (fix Z_${id//./_}_UTILS in kernels.conf)"
    done
    rm -rf "$udir.tmp/root/usr/share"
    echo "$zver" >"$udir.tmp/.stamp"
    rm -rf "$udir" && mv "$udir.tmp" "$udir"
    log "$id: zfsutils $zver unpacked in $(elapsed "$t0")s -> $udir/root"
}

# ---------------------------------------------------------------- modules
build_modules() {
    if [[ -e $out/.stamp && $(cat "$out/.stamp") == "$want_stamp" ]]; then
        log "$id: ZFS $srcver modules cached in $out"
        return 0
    fi
    local t0 t1 hdr p deb
    t0=$(now_s)
    # Host build tools. The Debian kernel headers name gcc-12 as CC (.kernelvariables);
    # kbuild's prebuilt helpers (fixdep, modpost, objtool) need libelf1 and libssl3.
    # The 6.12 headers ship a vmlinux (BTF only), so kbuild runs pahole to give the
    # modules BTF; without pahole even configure's test modules fail to link.
    host_pkgs gcc-12:gcc-12 make:make /usr/include/stdio.h:libc6-dev strip:binutils \
        perl:perl awk:gawk bc:bc file:file \
        /usr/lib/x86_64-linux-gnu/libelf.so.1:libelf1 /usr/lib/x86_64-linux-gnu/libssl.so.3:libssl3 \
        modinfo:kmod pahole:dwarves readelf:binutils

    # 1. Unpack linux-headers-*-amd64, -common and linux-kbuild into a private root.
    hdr=$CACHE/headers/${krel}_$kver
    if [[ ! -e $hdr/.stamp ]]; then
        rm -rf "$hdr" && mkdir -p "$hdr/root"
        for p in $(zconf "$id" HEADERS); do
            deb=$(deb_fetch "$p" "$kver")
            deb_unpack "$deb" "$hdr/root"
        done
        # The -amd64 Makefile includes the -common one by absolute path; point it into our root.
        local mk=$hdr/root/usr/src/linux-headers-$krel/Makefile
        [[ -e $mk ]] || die "no usr/src/linux-headers-$krel in the header packages (check Z_${id//./_}_HEADERS)"
        sed -i "s#^include /usr/src/#include $hdr/root/usr/src/#" "$mk"
        # Any other absolute /usr/src or /usr/lib/linux-kbuild reference left in a makefile?
        local stale
        stale=$(grep -rsl --include='Makefile*' --include='Kbuild*' -e 'include /usr/src/' \
            -e '/usr/lib/linux-kbuild' "$hdr/root/usr/src" | head -3 || true)
        [[ -z $stale ]] || die "unpacked headers still reference /usr/src or /usr/lib/linux-kbuild in: $stale (extend the sed in build-zfs.sh)"
        [[ -x $hdr/root/usr/src/linux-headers-$krel/scripts/basic/fixdep ]] ||
            die "headers' scripts/ symlink does not resolve to linux-kbuild (check Z_${id//./_}_HEADERS lists linux-kbuild-*)"
        echo "$kver" >"$hdr/.stamp"
    fi
    local common=$hdr/root/usr/src/linux-headers-${krel%-amd64}-common
    local obj=$hdr/root/usr/src/linux-headers-$krel
    [[ -d $common ]] || die "missing $common (headers -common package not unpacked?)"

    # 2. Unpack the zfs-dkms source into a fresh build dir.
    local bdir=$CACHE/zfs-build/$srcver-$krel src
    rm -rf "$bdir" && mkdir -p "$bdir"
    deb=$(deb_fetch zfs-dkms "$zver")
    deb_unpack "$deb" "$bdir"
    src=$bdir/usr/src/zfs-$srcver
    [[ -x $src/configure ]] || {
        host_pkgs autoconf:autoconf automake:automake libtoolize:libtool
        (cd "$src" && timeout 600 ./autogen.sh) >"$bdir/autogen.log" 2>&1 ||
            die "zfs autogen.sh failed (log: $bdir/autogen.log)"
    }
    mkdir -p "$out.tmp" && rm -rf "${out:?}.tmp"/* && : >"$out.tmp/build.log"
    log "$id: configuring zfs $srcver against $krel (log: $out.tmp/build.log)"
    t1=$(now_s)
    (cd "$src" && timeout 1800 ./configure --with-config=kernel \
        --with-linux="$common" --with-linux-obj="$obj") >>"$out.tmp/build.log" 2>&1 || {
        tail -25 "$out.tmp/build.log" >&2
        die "zfs $srcver configure for $krel failed (full log: $out.tmp/build.log, config.log in $src)"
    }
    local tconf
    tconf=$(elapsed "$t1")
    log "$id: configure took ${tconf}s; make -C module"
    t1=$(now_s)
    timeout 3600 make -C "$src/module" -j"$(($(nproc) + 1))" >>"$out.tmp/build.log" 2>&1 || {
        grep -E 'error|Error' "$out.tmp/build.log" | tail -15 >&2
        die "zfs $srcver module build for $krel failed (full log: $out.tmp/build.log)"
    }
    local tmake
    tmake=$(elapsed "$t1")

    # 3. Strip, record load order (dependencies first) and kernel module deps.
    local ko n
    while read -r ko; do
        timeout 300 strip --strip-debug -o "$out.tmp/$(basename "$ko")" "$ko" || die "strip --strip-debug $ko failed"
        [[ $(modinfo -F vermagic "$out.tmp/$(basename "$ko")") == "$krel "* ]] ||
            die "$(basename "$ko") vermagic '$(modinfo -F vermagic "$ko")' does not match $krel"
    done < <(find "$src/module" -name '*.ko')
    local -A have=() seen=()
    for ko in "$out.tmp"/*.ko; do n=$(basename "$ko" .ko); have[${n//-/_}]=$ko; done
    ((${#have[@]})) || die "zfs build produced no .ko files (log: $out.tmp/build.log)"
    : >"$out.tmp/load-order"
    : >"$out.tmp/kernel-deps"
    visit() {
        local m=${1//-/_} d
        [[ -n ${seen[$m]:-} ]] && return 0
        seen[$m]=1
        if [[ -z ${have[$m]:-} ]]; then echo "$m" >>"$out.tmp/kernel-deps"; return 0; fi
        for d in $(modinfo -F depends "${have[$m]}" | tr ',' ' '); do visit "$d"; done
        basename "${have[$m]}" >>"$out.tmp/load-order"
    }
    visit zfs
    for n in "${!have[@]}"; do visit "$n"; done
    local total
    total=$(elapsed "$t0")
    {
        echo "zfs=$srcver ($zver) kernel=$krel ($kver)"
        echo "configure_s=$tconf make_s=$tmake total_s=$total nproc=$(nproc)"
        echo "sizes: $(cd "$out.tmp" && du -ch ./*.ko | tail -1)"
        if readelf -S "$out.tmp/zfs.ko" | grep -q '\.BTF'; then echo "btf=yes (zfs.ko has .BTF)"; else echo "btf=no"; fi
    } >"$out.tmp/timing"
    echo "$want_stamp" >"$out.tmp/.stamp"
    rm -rf "$out" && mv "$out.tmp" "$out"
    ((keep)) || rm -rf "$bdir"
    log "$id: ZFS $srcver for $krel built in ${total}s (configure ${tconf}s, make ${tmake}s) -> $out"
    log "$id: load order: $(tr '\n' ' ' <"$out/load-order")"
}

build_utils
build_modules
# Kernel modules the ZFS modules need from the linux-image (usually none).
if [[ -s $out/kernel-deps ]]; then
    "$VM_DIR/fetch-kernels.sh" "$id" >/dev/null
    # shellcheck disable=SC2046
    kernel_modules "$id" $(cat "$out/kernel-deps")
fi
echo "$out"
