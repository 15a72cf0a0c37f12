# tests/vm/lib.sh -- shared helpers for the VM test scripts. Source it; do not run it.
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IOTRACE_TEST_CACHE:-/var/cache/iotrace-test}
APTDIR=$CACHE/apt
DEBDIR=$CACHE/debs

# shellcheck source=kernels.conf
. "$VM_DIR/kernels.conf"

_prog=$(basename "$0")
log() { printf '[%s %(%H:%M:%S)T] %s\n' "$_prog" -1 "$*" >&2; }
die() { printf '[%s] FAILED: %s\n' "$_prog" "$*" >&2; exit 1; }

# now_s: seconds since epoch with sub-second precision (for timings)
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# kconf ID FIELD -> value of K_<id>_<FIELD> from kernels.conf (empty if unset); dots and
# dashes of the id become underscores (arm64-6.12 -> K_arm64_6_12_FIELD)
kconf() { local v="K_${1//[.-]/_}_$2"; printf '%s' "${!v:-}"; }
zconf() { local v="Z_${1//[.-]/_}_$2"; printf '%s' "${!v:-}"; }
# karch ID -> the kernel's Debian architecture: K_<id>_ARCH, amd64 when unset
karch() { local a; a=$(kconf "$1" ARCH); printf '%s' "${a:-amd64}"; }

need_kernel_id() {
    [[ -n "$(kconf "$1" IMAGE)" ]] ||
        die "unknown kernel id '$1' (known: $KERNEL_IDS); add it to tests/vm/kernels.conf"
}

# kernel_dir ID -> cache directory of that kernel, keyed by uname -r + Debian version
kernel_dir() { printf '%s/kernels/%s_%s' "$CACHE" "$(kconf "$1" KREL)" "$(kconf "$1" VERSION)"; }
zfs_dir() { printf '%s/zfs/%s-%s' "$CACHE" "$(zconf "$1" SRCVER)" "$(kconf "$1" KREL)"; }
zfsutils_dir() { printf '%s/zfsutils/%s' "$CACHE" "$(zconf "$1" VERSION)"; }

ensure_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (writes $CACHE, may apt-get install)"; }

# host_pkgs CMD:PKG ... -> apt-get install the packages whose command is missing
host_pkgs() {
    local want=() pair cmd pkg
    for pair in "$@"; do
        cmd=${pair%%:*} pkg=${pair#*:}
        if [[ $cmd == /* ]]; then [[ -e $cmd ]] && continue
        else command -v "$cmd" >/dev/null 2>&1 && continue; fi
        want+=("$pkg")
    done
    ((${#want[@]})) || return 0
    log "installing host packages: ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! timeout 900 apt-get install -y --no-install-recommends "${want[@]}" >&2; then
        timeout 300 apt-get update >&2 || die "apt-get update failed; check that deb.debian.org is reachable"
        timeout 900 apt-get install -y --no-install-recommends "${want[@]}" >&2 ||
            die "apt-get install ${want[*]} failed; install them by hand and re-run"
    fi
}

# ---------------------------------------------------------------------------
# Private apt configuration: own sources list, lists, cache, status, lock.
# The system's /etc/apt and /var/lib/apt are never read or written.
# ---------------------------------------------------------------------------
apt_private_setup() {
    mkdir -p "$APTDIR"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,etc/trusted.gpg.d} \
        "$APTDIR"/{lists/partial,cache/archives/partial,log} "$DEBDIR"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [[ -r $keyring ]] || host_pkgs "$keyring:debian-archive-keyring"
    local s src=""
    for s in $APT_SUITES; do
        src+="deb [arch=${APT_ARCHS// /,} signed-by=$keyring] $APT_MIRROR $s $APT_COMPONENTS"$'\n'
    done
    printf '%s' "$src" >"$APTDIR/etc/sources.list.new"
    # A changed suite list invalidates the lists.
    if ! cmp -s "$APTDIR/etc/sources.list.new" "$APTDIR/etc/sources.list"; then
        mv "$APTDIR/etc/sources.list.new" "$APTDIR/etc/sources.list"
        rm -f "$APTDIR/lists/.updated"
    else
        rm -f "$APTDIR/etc/sources.list.new"
    fi
    : >"$APTDIR/status"
    # Keep a system proxy setting, if any (the private config does not read /etc/apt).
    local proxy
    proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -1)
    cat >"$APTDIR/apt.conf" <<EOF
Dir "/";
Dir::Etc "$APTDIR/etc";
Dir::Etc::main "/dev/null";
Dir::Etc::sourcelist "sources.list";
Dir::Etc::sourceparts "sources.list.d";
Dir::Etc::parts "apt.conf.d";
Dir::Etc::preferences "preferences";
Dir::Etc::preferencesparts "preferences.d";
Dir::Etc::trusted "trusted.gpg";
Dir::Etc::trustedparts "trusted.gpg.d";
Dir::State "$APTDIR";
Dir::State::Lists "$APTDIR/lists";
Dir::State::status "$APTDIR/status";
Dir::Cache "$APTDIR/cache";
Dir::Cache::archives "$APTDIR/cache/archives";
Dir::Log "$APTDIR/log";
APT::Architecture "amd64";
APT::Architectures { $(printf '"%s"; ' $APT_ARCHS)};
Acquire::Languages "none";
Acquire::Retries "3";
Acquire::http::Timeout "60";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
${proxy:+Acquire::http::Proxy "$proxy";}
EOF
}

papt() { APT_CONFIG="$APTDIR/apt.conf" "$@"; }

# shellcheck disable=SC2120  # fetch-kernels.sh --update passes "force"
# apt_update [force]: refresh the private lists if missing, forced, or older than a day.
apt_update() {
    apt_private_setup
    local stamp=$APTDIR/lists/.updated
    if [[ ${1:-} != force && -e $stamp && -z $(find "$stamp" -mmin +1440) ]]; then
        return 0
    fi
    log "apt-get update (private config, suites: $APT_SUITES)"
    papt timeout 600 apt-get -q update >"$APTDIR/log/update.log" 2>&1 || {
        tail -20 "$APTDIR/log/update.log" >&2
        die "private 'apt-get update' failed (log: $APTDIR/log/update.log); check network access to $APT_MIRROR"
    }
    touch "$stamp"
}

# deb_fetch PKG VERSION [ARCH] -> prints path of the cached .deb (downloads if needed).
# Without ARCH: the package's only architecture (amd64, or all); with it (arm64): that one,
# for packages that exist for both (busybox-static, blktrace).
deb_fetch() {
    local pkg=$1 ver=$2 arch=${3:-} f
    # apt names files PKG_VERSION_ARCH.deb (':' in an epoch becomes %3a)
    for f in "$DEBDIR/${pkg}_${ver//:/%3a}_"${arch:-*}.deb; do
        [[ -s $f ]] && { printf '%s\n' "$f"; return 0; }
    done
    apt_update
    log "downloading $pkg${arch:+:$arch}=$ver"
    (cd "$DEBDIR" && papt timeout 1200 apt-get -q download "$pkg${arch:+:$arch}=$ver" >"$APTDIR/log/download.log" 2>&1) || {
        tail -5 "$APTDIR/log/download.log" >&2
        local avail
        avail=$(papt apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); printf "%s ", $2}')
        die "apt-get download $pkg=$ver failed; available now: ${avail:-none}. Update the pin in tests/vm/kernels.conf (see fetch-kernels.sh --list)"
    }
    for f in "$DEBDIR/${pkg}_${ver//:/%3a}_"${arch:-*}.deb; do
        [[ -s $f ]] && { printf '%s\n' "$f"; return 0; }
    done
    die "apt-get download $pkg=$ver reported success but no .deb appeared in $DEBDIR"
}

# deb_unpack DEB DIR: dpkg-deb -x with a timeout
deb_unpack() {
    mkdir -p "$2"
    timeout 600 dpkg-deb -x "$1" "$2" || die "dpkg-deb -x $1 failed (corrupt download? delete it and re-run)"
}

# ---------------------------------------------------------------------------
# Kernels: /var/cache/iotrace-test/kernels/<uname -r>_<debian version>/
#   vmlinuz  config  System.map  deb -> the cached linux-image .deb
#   lib/modules/<krel>/modules.{dep,builtin,order,...}  + the extracted .ko
#   (decompressed: busybox insmod cannot load .ko.xz)
#   .stamp   written last; its presence means "complete"
# ---------------------------------------------------------------------------

# kernel_fetch ID: download + unpack vmlinuz, config, System.map, module index, $KMODS
kernel_fetch() {
    local id=$1 dir deb krel t0
    need_kernel_id "$id"
    dir=$(kernel_dir "$id") krel=$(kconf "$id" KREL)
    if [[ -e $dir/.stamp ]]; then
        kernel_modules "$id" $KMODS
        return 0
    fi
    t0=$(now_s)
    deb=$(deb_fetch "$(kconf "$id" IMAGE)" "$(kconf "$id" VERSION)")
    log "$id: downloaded/cached $(basename "$deb") in $(elapsed "$t0")s"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    ln -s "$deb" "$dir.tmp/deb"
    # Pass 1: boot files and the module index only.
    timeout 600 sh -c 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards \
        "./boot/*" "*/modules/*/modules.*"' sh "$deb" "$dir.tmp" ||
        die "unpacking boot files of $(basename "$deb") failed (delete it and re-run)"
    local mroot
    mroot=$(cd "$dir.tmp" && ls -d ./lib/modules/"$krel" ./usr/lib/modules/"$krel" 2>/dev/null | head -1 || true)
    [[ -n $mroot ]] || die "$(basename "$deb") has no modules dir for $krel: is K_${id//[.-]/_}_KREL right in kernels.conf?"
    if [[ $mroot == ./usr/* ]]; then mkdir -p "$dir.tmp/lib/modules" && mv "$dir.tmp/$mroot" "$dir.tmp/lib/modules/"; fi
    mv "$dir.tmp/boot/vmlinuz-$krel" "$dir.tmp/vmlinuz" || die "no /boot/vmlinuz-$krel in $(basename "$deb")"
    mv "$dir.tmp/boot/config-$krel" "$dir.tmp/config"
    mv "$dir.tmp/boot/System.map-$krel" "$dir.tmp/System.map"
    rm -rf "$dir.tmp/boot" "$dir.tmp/usr"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    kernel_modules "$id" $KMODS
    echo "$(kconf "$id" IMAGE)=$(kconf "$id" VERSION)" >"$dir/.stamp"
    log "$id: kernel ready in $dir ($(elapsed "$t0")s)"
}

# The linux-image .debs carry no modules.dep (depmod runs at install time), so module
# paths come from modules.order and dependencies from each module's modinfo "depends=".

# _mod_path ID NAME -> path of module NAME relative to lib/modules/<krel> (as in
# modules.order, uncompressed name); "builtin" if built in; fails if unknown.
_mod_path() {
    local m n=${2//-/_} p
    m="$(kernel_dir "$1")/lib/modules/$(kconf "$1" KREL)"
    p=$(awk -v n="$n" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b);
        if (b == n) { print $1; exit } }' "$m/modules.order")
    if [[ -n $p ]]; then printf '%s\n' "$p"; return 0; fi
    if awk -v n="$n" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b);
        if (b == n) f = 1 } END { exit !f }' "$m/modules.builtin"; then
        echo builtin; return 0
    fi
    return 1
}

# _mod_deps FILE.ko -> names of the modules it depends on (one per line)
_mod_deps() {
    local d
    d=$(modinfo -F depends "$1" 2>/dev/null) || d=$(tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -1)
    tr ',' '\n' <<<"$d" | sed '/^$/d'
}

# kernel_modules ID NAME...: make sure these modules and all their dependencies are
# extracted (decompressed) under the kernel's cache dir.
kernel_modules() {
    local id=$1; shift
    (($#)) || return 0
    local dir krel mdir deb tmp
    dir=$(kernel_dir "$id") krel=$(kconf "$id" KREL)
    mdir=$dir/lib/modules/$krel tmp=$dir/.xtmp
    local -A seen=()
    local queue=("$@") want n p r src
    while ((${#queue[@]})); do
        want=()
        for n in "${queue[@]}"; do
            n=${n//-/_}
            [[ -n ${seen[$n]:-} ]] && continue
            seen[$n]=1
            p=$(_mod_path "$id" "$n") || die "kernel $id has no module '$n' (not in modules.order nor modules.builtin)"
            [[ $p == builtin || -e $mdir/$p ]] || want+=("$p")
        done
        if ((${#want[@]})); then
            deb=$dir/deb
            [[ -e $deb ]] || deb=$(deb_fetch "$(kconf "$id" IMAGE)" "$(kconf "$id" VERSION)")
            local pats=()
            for r in "${want[@]}"; do pats+=("*/modules/$krel/$r" "*/modules/$krel/$r.xz" "*/modules/$krel/$r.zst"); done
            log "$id: extracting modules: ${want[*]##*/}"
            rm -rf "$tmp" && mkdir -p "$tmp"
            timeout 600 sh -c 'd=$1 t=$2; shift 2; dpkg-deb --fsys-tarfile "$d" | tar -x -C "$t" --wildcards "$@" 2>/dev/null; true' \
                sh "$deb" "$tmp" "${pats[@]}" || die "extracting modules from $(basename "$deb") timed out"
            for r in "${want[@]}"; do
                src=$(ls -d "$tmp"/lib/modules/"$krel"/"$r"* "$tmp"/usr/lib/modules/"$krel"/"$r"* 2>/dev/null | head -1 || true)
                [[ -n $src ]] || die "module $r not found in $(basename "$deb")"
                mkdir -p "$(dirname "$mdir/$r")"
                case $src in
                *.xz) timeout 120 xz -dc "$src" >"$mdir/$r.part" ;;
                *.zst) timeout 120 zstd -qdc "$src" >"$mdir/$r.part" ;;
                *) cp "$src" "$mdir/$r.part" ;;
                esac || die "decompressing $src failed (are xz-utils and zstd installed?)"
                mv "$mdir/$r.part" "$mdir/$r"
            done
            rm -rf "$tmp"
        fi
        # next round: dependencies of everything seen so far
        queue=()
        for n in "${!seen[@]}"; do
            p=$(_mod_path "$id" "$n")
            [[ $p == builtin ]] && continue
            # (modinfo names deps as their files are named, nvme-core; seen[] keys use '_')
            while read -r r; do [[ -n ${seen[${r//-/_}]:-} ]] || queue+=("$r"); done < <(_mod_deps "$mdir/$p")
        done
    done
}

# kernel_mod_order ID NAME... -> absolute .ko paths, dependencies first (after
# kernel_modules). Built-in modules print nothing.
kernel_mod_order() {
    local id=$1; shift
    local mdir
    mdir="$(kernel_dir "$id")/lib/modules/$(kconf "$id" KREL)"
    local -A seen=()
    _kmo_visit() {
        local n=${1//-/_} p d
        [[ -n ${seen[$n]:-} ]] && return 0
        seen[$n]=1
        p=$(_mod_path "$id" "$n") || die "kernel $id has no module '$n'"
        [[ $p == builtin ]] && return 0
        [[ -e $mdir/$p ]] || die "module $n of kernel $id not extracted (run kernel_modules first)"
        for d in $(_mod_deps "$mdir/$p"); do _kmo_visit "$d"; done
        printf '%s\n' "$mdir/$p"
    }
    local m
    for m in "$@"; do _kmo_visit "$m"; done
}

# ---------------------------------------------------------------------------
# Architectures: everything that differs between an amd64 and an arm64 guest, keyed by
# karch (K_<id>_ARCH in kernels.conf). x86 guests keep the pc machine and its two 16550
# UARTs; arm64 guests boot on qemu's "virt" machine, whose one PL011 UART is ttyAMA0, so
# their artefacts travel over a virtio-serial port instead of a second UART.
# ---------------------------------------------------------------------------

# arch_qemu ARCH -> the qemu command and machine options, one per line
arch_qemu() {
    case $1 in
    amd64) printf '%s\n' qemu-system-x86_64 -accel tcg -cpu max ;;
    # pauth-impdef: qemu's own pointer-authentication hash instead of the architected
    # QARMA, several times cheaper under TCG (the kernels sign every return address)
    arm64) printf '%s\n' qemu-system-aarch64 -M virt -accel tcg -cpu max,pauth-impdef=on ;;
    *) die "no qemu for architecture '$1' (amd64 or arm64; K_<id>_ARCH in kernels.conf)" ;;
    esac
}
# arch_host_pkgs ARCH -> host_pkgs arguments for booting that architecture
arch_host_pkgs() {
    case $1 in
    amd64) echo qemu-system-x86_64:qemu-system-x86 ;;
    arm64) echo qemu-system-aarch64:qemu-system-arm ;;
    esac
}
# arch_console ARCH -> the kernel's console device
arch_console() { case $1 in arm64) echo ttyAMA0 ;; *) echo ttyS0 ;; esac; }
# arch_artefact_qemu ARCH FILE -> qemu options for the artefact channel into FILE
arch_artefact_qemu() {
    case $1 in
    arm64) printf '%s\n' -device virtio-serial-pci,id=vser0 -chardev "file,id=art0,path=$2" \
        -device virtserialport,bus=vser0.0,chardev=art0,name=iotrace-artefacts ;;
    *) printf '%s\n' -serial "file:$2" ;;
    esac
}
# arch_kmods ARCH -> modules that architecture's guests need besides $KMODS
arch_kmods() { case $1 in arm64) echo "$KMODS_ARM64" ;; esac; }
# arch_triplet ARCH -> the multiarch library directory name
arch_triplet() { case $1 in arm64) echo aarch64-linux-gnu ;; *) echo x86_64-linux-gnu ;; esac; }
# arch_elf ARCH -> what `file` says about an executable of that architecture
arch_elf() { case $1 in arm64) echo 'ARM aarch64' ;; *) echo 'x86-64' ;; esac; }

# arch_deb_tool ARCH PKG VERSION PATH -> a file from the (never installed) arm64 .deb of
# a tool the guests need (busybox-static, blktrace), unpacked into the cache
arch_deb_tool() {
    local arch=$1 pkg=$2 ver=$3 path=$4 deb dir
    dir=$CACHE/tools/${pkg}_${ver//:/%3a}_$arch
    if [[ ! -e $dir/.stamp ]]; then
        deb=$(deb_fetch "$pkg" "$ver" "$arch")
        rm -rf "$dir" && deb_unpack "$deb" "$dir/root" && touch "$dir/.stamp"
    fi
    [[ -e $dir/root$path ]] || die "$path not in $pkg:$arch $ver (fix its pin in kernels.conf)"
    printf '%s\n' "$dir/root$path"
}
