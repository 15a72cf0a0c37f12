# tests/vm/guest/fs.sh -- sourced by tests/vm/guest/iotrace.sh inside the test VM (busybox sh).
# The fsslower family on real ext4, XFS and Btrfs file systems (dm linear targets over loop
# devices over tmpfs files), every backend at once over the same known operations:
#   auto     iotrace ext4slower --json 0            (the tool's own name)
#   fentry   iotrace fsslower -t ext4 --json        (libbpf-tools' spelling; refused where the
#                                                    module has no BTF, e.g. Debian's 5.10)
#   kprobe   ext4slower -j 0 (the symlink, BCC's CSV flag)
#   slow     iotrace ext4slower --csv 500           (the threshold)
# Judges: iotest's own list of operations (every field of every record from its pid), its own
# count of completed reads under 64 threads (events + counted losses = operations done, and
# nothing lost), and one read made slow for real: an O_DIRECT read of 256 KiB by a process in
# a cgroup whose io.max allows the dm device 128 KiB/s (about 2 s), which the 500 ms tracer
# must show and nothing else from the workload. Errors: a cold read through a dm table
# switched to `error` fails with EIO (iotest's own errno), which every backend must show.
# Uses iotrace.sh's helpers (ok bad info section check show launch await started stopped
# iotest project chosen). Records what each backend chose in $OUT/compat/fs.txt for
# tests/vm/gen-compat.sh:  FS BACKEND works|fails KIND TARGET... | REASON

FS_LIST="ext4 xfs btrfs"
# arm64 guests have no mkfs, dmsetup or mdadm of their architecture: ext4 only, on an image
# the host's mkfs.ext4 made (mkinitramfs.sh), loop-mounted; no error path (it needs dm)
[ -n "$ARM64" ] && FS_LIST=ext4
FS_SLOW_MS=500
FS_SECTORS=655360 # 320 MiB
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
echo "+io" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
mkdir -p /sys/fs/cgroup/fsslow
ln -sf iotrace /bin/ext4slower; ln -sf iotrace /bin/xfsslower; ln -sf iotrace /bin/btrfsslower
: >"$OUT/compat/fs.txt"

# fs_mount FS: a fresh FS at /mnt/FS on a device-mapper linear target iot-fs-FS over a loop
# device (so the error path can switch its table to `error`); sets FSDEV (the dm device's
# MAJ:MIN) and FSLOOP. noatime: a read must not dirty the inode, whose write-back in the error
# window would abort ext4's journal or shut XFS down instead of failing just the read.
fs_mount() {
    if [ -n "$ARM64" ]; then
        FSLOOP=$(losetup -f) && losetup "$FSLOOP" "/fsimg/$1.img" || return 1
        mkdir -p "/mnt/$1" && mount -t "$1" -o noatime "$FSLOOP" "/mnt/$1" || return 1
        FSDEV=$(cat "/sys/block/${FSLOOP#/dev/}/dev")
        return 0
    fi
    truncate -s 320M "/tmp/fs-$1.img" || return 1
    FSLOOP=$(losetup -f) && losetup "$FSLOOP" "/tmp/fs-$1.img" || return 1
    timeout 20 dmsetup create "iot-fs-$1" --noudevsync --table "0 $FS_SECTORS linear $FSLOOP 0" \
        >"$RUNS/dm-$1.log" 2>&1 && dmsetup mknodes "iot-fs-$1" >>"$RUNS/dm-$1.log" 2>&1 &&
        [ -b "/dev/mapper/iot-fs-$1" ] || { show "$RUNS/dm-$1.log"; return 1; }
    case $1 in
    ext4) mkfs.ext4 -q -F "/dev/mapper/iot-fs-$1" ;;
    xfs) mkfs.xfs -q -f "/dev/mapper/iot-fs-$1" ;;
    btrfs) mkfs.btrfs -q -f "/dev/mapper/iot-fs-$1" >/dev/null ;;
    esac >"$RUNS/mkfs-$1.log" 2>&1 || { show "$RUNS/mkfs-$1.log"; return 1; }
    mkdir -p "/mnt/$1" && mount -t "$1" -o noatime "/dev/mapper/iot-fs-$1" "/mnt/$1" || return 1
    FSDEV=$(cat "/sys/block/$(ls "/sys/block/${FSLOOP#/dev/}/holders" | head -1)/dev")
}
# fs_table FS error|linear: switch iot-fs-FS to that table (load, then resume without
# freezing the file system: a freeze or thaw would write to it); bounded, never hangs
fs_table() {
    _t="0 $FS_SECTORS linear $(var loop $1) 0"
    [ "$2" = error ] && _t="0 $FS_SECTORS error"
    timeout 20 dmsetup load "iot-fs-$1" --table "$_t" >>"$RUNS/dm-$1.log" 2>&1 &&
        timeout 20 dmsetup resume --nolockfs --noudevsync "iot-fs-$1" >>"$RUNS/dm-$1.log" 2>&1 &&
        [ "$(dmsetup table "iot-fs-$1" | awk '{ print $3 }')" = "$2" ]
}

# fs_facts FILE FORMAT: records as "comm|pid|type|bytes|offset|file|latency_us|error" in FILE.facts
fs_facts() {
    if [ "$2" = json ]; then
        REC=op project "$1" json comm pid type bytes offset file latency_ns error |
            awk -F'|' -v OFS='|' '{ $7 = int($7 / 1000); if ($8 == "null") $8 = ""; print }' >"$1.facts"
    else
        project "$1" csv TASK PID TYPE BYTES OFFSET_b FILE LATENCY_us ERROR >"$1.facts"
    fi
}
# fs_expect FACTS WHAT PID TYPE BYTES OFFSET FILE COUNT: that many records, every field as given
fs_expect() {
    _n=$(awk -F'|' -v p="$3" -v t="$4" -v b="$5" -v o="$6" -v f="$7" \
        '$2 == p && $3 == t && $4 == b && $5 == o && $6 == f && $8 == "" { n++ } END { print n + 0 }' "$1")
    if [ "$_n" -eq "$8" ]; then ok "$2: $8 x $4 $7 bytes=$5 offset=$6"; else
        bad "$2: $_n x $4 $7 bytes=$5 offset=$6 (expected $8)"; fsfail=1; fi
}
# fs_lost OUT ERR FORMAT: the run's count of lost operations (its summary), "missing" if none
fs_lost() {
    if [ "$3" = json ]; then
        REC=summary project "$1" json lost | tail -1
    else
        sed -n 's/^[a-z0-9]*: [0-9]* events\{0,1\}, \([0-9]*\) lost.*/\1/p' "$2" | tail -1
    fi
}

# The known operations: iotest opens the file for each (O), then
#   W 8192 @0, W 4096 @8192, R 8192 @0, an O_APPEND W 4096 (lands @12288), R 0 @1048576 (end
#   of file: 0 bytes, no error), a plain open, an fsync, an O_DSYNC W 4096 @16384 (the file
#   system's own fsync runs inside that write: both are shown): 8 O, 4 W, 2 R, 2 S = 16;
# then O_DIRECT W and R of 256 KiB @0 on another file (2 O, 1 W, 1 R).
fs_check_known() { # fs_check_known FACTS WHAT
    fsfail=0
    f=$1
    fs_expect "$f" "$2" "$fpid" W 8192 0 fk 1
    fs_expect "$f" "$2" "$fpid" W 4096 8192 fk 1
    fs_expect "$f" "$2" "$fpid" R 8192 0 fk 1
    fs_expect "$f" "$2" "$fpid" W 4096 12288 fk 1
    fs_expect "$f" "$2" "$fpid" R 0 1048576 fk 1
    fs_expect "$f" "$2" "$fpid" W 4096 16384 fk 1
    fs_expect "$f" "$2" "$fpid" O 0 0 fk 8
    fs_expect "$f" "$2" "$fpid" S 0 0 fk 2
    _n=$(awk -F'|' -v p="$fpid" '$2 == p' "$f" | wc -l)
    check "$2: 16 operations from iotest's pid, no more ($_n)" [ "$_n" -eq 16 ]
    fs_expect "$f" "$2 O_DIRECT" "$dpid" W 262144 0 fd 1
    fs_expect "$f" "$2 O_DIRECT" "$dpid" R 262144 0 fd 1
    fs_expect "$f" "$2 O_DIRECT" "$dpid" O 0 0 fd 2
    [ $fsfail -eq 0 ] || show "$f" 30
}

# var NAME FS: the value of NAME_FS (per file system state kept across the phases)
var() { eval "echo \"\${$1_$2}\""; }

# fs_start FS: mount it, launch its four tracers (all file systems' tracers load at once:
# under TCG loading BPF is most of the time, and the guest has two CPUs)
fs_start() {
    FS=$1
    if ! fs_mount "$FS"; then bad "$FS: mkfs/mount on a loop device failed"; eval "up_$FS=no"; return; fi
    ok "$FS mounted on $FSLOOP ($FSDEV)"
    eval "up_$FS=yes dev_$FS=$FSDEV loop_$FS=$FSLOOP"
    mbtf=no
    [ -e "/sys/kernel/btf/$FS" ] && mbtf=yes
    echo "fs_${FS}_module_btf=$mbtf" >>"$OUT/compat/kernel.txt"
    ffok=yes
    [ "$(expected "${FS}slower" fentry)" = "- fails" ] && ffok=no
    eval "mbtf_$FS=$mbtf ffok_$FS=$ffok"
    "$IOTRACE" probes "${FS}slower" >"$OUT/probes/${FS}slower.txt" 2>&1
    check "iotrace probes ${FS}slower exits 0" [ $? -eq 0 ] || show "$OUT/probes/${FS}slower.txt" 60
    launch fa_$FS "$IOTRACE" "${FS}slower" -v --json 0
    launch ff_$FS "$IOTRACE" fsslower -t "$FS" -v --json --min-ms 0 --backend fentry
    launch fk_$FS "${FS}slower" -v -j 0 --backend kprobe
    launch fs_$FS "$IOTRACE" "${FS}slower" -v --csv $FS_SLOW_MS
}

# fs_await FS: each tracer started (or, for fentry without module BTF, refused)
fs_await() {
    FS=$1
    await fa_$FS; started fa_$FS "${FS}slower (auto)"
    await ff_$FS; ffst=$?
    mbtf=$(var mbtf $FS)
    if [ "$(var ffok $FS)" = yes ]; then
        check "$FS: module BTF where fentry is expected (/sys/kernel/btf/$FS: $mbtf)" [ $mbtf = yes ]
        [ $ffst -eq 0 ]; started ff_$FS "fsslower -t $FS --backend fentry"
    else
        # (no module BTF; or arm64 before 6.4, whose fentry attach fails for want of ftrace
        # direct calls, BTF or not: docs/ARM64.md)
        check "$FS: fentry expected to fail: no module BTF, or an arm64 kernel (/sys/kernel/btf/$FS: $mbtf)" \
            [ $mbtf = no -o -n "$ARM64" ]
        # (arm64 5.10 lacks both: its feature probe fails first, and that is the reason given)
        ffwhy='BTF'; { [ $mbtf = yes ] || [ -n "$ARM64" ]; } && ffwhy='fentry'
        stop ff_$FS
        if [ $ffst -ne 0 ] && [ "$rc" -eq 1 ] && grep -q "$ffwhy" "$RUNS/ff_$FS.err"; then
            ok "fsslower -t $FS --backend fentry refuses: exit 1, '$(grep -m1 "$ffwhy" "$RUNS/ff_$FS.err" | cut -c1-120)'"
        else
            bad "fsslower -t $FS --backend fentry where it cannot work: exit $rc, not a refusal naming $ffwhy"
            show "$RUNS/ff_$FS.err"
        fi
        echo "$FS fentry fails - $(grep -m1 "$ffwhy" "$RUNS/ff_$FS.err" | sed 's/^[^:]*: //' | cut -c1-160)" >>"$OUT/compat/fs.txt"
    fi
    await fk_$FS; started fk_$FS "${FS}slower via the symlink (kprobe)"
    await fs_$FS; started fs_$FS "${FS}slower $FS_SLOW_MS (auto)"
}

# fs_work FS: the workload on FS while every tracer of every file system runs (each tracer
# must see its own file system's operations only: the others' are the in-kernel filter's)
fs_work() {
    FS=$1 M=/mnt/$1
    iotest fk_$FS -n iot-fs bwrite $M/fk 0 8192 bwrite $M/fk 8192 4096 bread $M/fk 0 8192 \
        append $M/fk 0 4096 eofread $M/fk 1048576 4096 open $M/fk 0 0 fsync $M/fk 0 0 \
        swrite $M/fk 16384 4096
    eval "fpid_$FS=$iopid"
    iotest fd_$FS -n iot-fsd write $M/fd 0 262144 read $M/fd 0 262144
    eval "dpid_$FS=$iopid"
    # 64 threads reading a cold file: many of them inside the read function at once
    iotest fc_prep_$FS -n iot-prep bwrite $M/fc 0 8388608
    sync; echo 3 >/proc/sys/vm/drop_caches
    iotest fc_$FS -n iot-conc -t 64 -c 32 bread $M/fc 8388608 4096
    eval "cpid_$FS=$iopid cdone_$FS=$(awk '$1 == "done" { print $2 }' "$RUNS/fc_$FS.iotest")"
    # the slow read: O_DIRECT (no page cache) from a cgroup limited to 128 KiB/s on this disk
    echo "$(var dev $FS) rbps=131072" >/sys/fs/cgroup/fsslow/io.max
    sh -c 'echo $$ >/sys/fs/cgroup/fsslow/cgroup.procs; exec "$0" "$@"' "$IOTEST" -n iot-slow \
        read $M/fd 0 262144 >"$RUNS/fslow_$FS.iotest" 2>&1
    eval "spid_$FS=$(awk '$1 == "pid" { print $2; exit }' "$RUNS/fslow_$FS.iotest")"
    echo "$(var dev $FS) rbps=max" >/sys/fs/cgroup/fsslow/io.max
    # the file whose read the error phase fails (on disk before the caches are dropped)
    iotest fe_prep_$FS -n iot-prep bwrite $M/fe 0 131072
}

# The error path: every member's dm table is switched to `error` (each file system's pages
# dropped first, its inodes kept), then a cold buffered read of fe must fail. The judge is
# iotest's own line ("failread ... EIO"); every traced backend must show that read as R with
# 0 bytes and error EIO. The tables are restored before anything is judged or unmounted.
fs_errors() {
    if [ -n "$ARM64" ]; then info "no error path in arm64 guests (no dmsetup there)"; return; fi
    _d0=$(dmesg | wc -l)
    # a descriptor per file keeps its dentry and inode in memory (another member's drop of
    # every cache evicted XFS's, and the open then failed reading the inode: EIO at open)
    _fd=6
    for FS in $FS_LIST; do
        [ "$(var up $FS)" = yes ] || continue
        _fd=$((_fd + 1))
        eval "fd_$FS=$_fd; exec $_fd<\"/mnt/$FS/fe\""
    done
    sync; echo 1 >/proc/sys/vm/drop_caches
    for FS in $FS_LIST; do
        [ "$(var up $FS)" = yes ] || continue
        if fs_table $FS error; then eval "err_$FS=yes"; else
            bad "$FS: dmsetup load+resume iot-fs-$FS with an error table failed"; show "$RUNS/dm-$FS.log"; fi
    done
    for FS in $FS_LIST; do
        [ "$(var err $FS)" = yes ] || continue
        timeout 30 "$IOTEST" -n iot-err failread /mnt/$FS/fe 0 131072 >"$RUNS/fe_$FS.iotest" 2>&1
        eval "epid_$FS=$(awk '$1 == "pid" { print $2; exit }' "$RUNS/fe_$FS.iotest")"
        check "$FS: iotest's cold read of fe through the error target failed with EIO ($(awk '$1 == "failread" { print $NF }' "$RUNS/fe_$FS.iotest"))" \
            grep -q '^failread .* EIO$' "$RUNS/fe_$FS.iotest"
        grep -q '^failread .* EIO$' "$RUNS/fe_$FS.iotest" || show "$RUNS/fe_$FS.iotest"
    done
    for FS in $FS_LIST; do
        [ "$(var err $FS)" = yes ] || continue
        fs_table $FS linear || { bad "$FS: restoring iot-fs-$FS's linear table failed"; show "$RUNS/dm-$FS.log"; continue; }
        # a file system that reacted to the failed read (journal abort, shutdown, read-only)
        # would refuse this write
        if timeout 30 "$IOTEST" -n iot-after bwrite /mnt/$FS/fe2 0 4096 >"$RUNS/fe_after_$FS.iotest" 2>&1; then
            ok "$FS: writable again once the linear table is back (no shutdown, no read-only remount)"
        else
            bad "$FS: not writable once the linear table is back: $(tail -1 "$RUNS/fe_after_$FS.iotest")"
            dmesg | tail -20
        fi
    done
    for FS in $FS_LIST; do [ "$(var up $FS)" = yes ] && eval "exec $(var fd $FS)<&-"; done
    # how each file system reported the failed read (docs/fsslower.md)
    dmesg | tail -n +$((_d0 + 1)) >"$RUNS/fs-errors.dmesg"
}

# fs_judge FS: stop its tracers, judge their records
fs_judge() {
    FS=$1
    ffok=$(var ffok $FS) fpid=$(var fpid $FS) dpid=$(var dpid $FS) cpid=$(var cpid $FS)
    cdone=$(var cdone $FS) spid=$(var spid $FS) epid=$(var epid $FS)
    for t in fa ff fk fs; do
        if [ $t = ff ] && [ $ffok = no ]; then continue; fi
        stopped ${t}_$FS "${FS}slower ($t)"
    done
    for t in fa ff fk fs; do
        if [ $t = ff ] && [ $ffok = no ]; then continue; fi
        case $t in fa) b=auto ;; ff) b=fentry ;; fk) b=kprobe ;; fs) continue ;; esac
        fmt=json; [ $t = fk ] && fmt=csv
        out=$RUNS/${t}_$FS.out err=$RUNS/${t}_$FS.err
        fs_facts "$out" $fmt
        what="${FS}slower --backend=$b ($fmt)"
        tool=${FS}slower; [ $t = ff ] && tool=fsslower
        f0=$fails
        # the choice against tests/vm/expected/choices.txt (fsslower -t speaks as fsslower
        # but must choose as FSslower does)
        got=$(chosen $tool "$err" | tr '\n' ';') exp=$(expected "${FS}slower" $b | tr '\n' ';')
        if [ -z "$got" ]; then bad "$what: no chosen probe in its -v output"; show "$err"
        elif [ -z "$exp" ]; then bad "$what: no expectation for kernel $KERNEL_ID in choices.txt (got $got)"
        elif [ "$got" = "$exp" ]; then ok "$what chose the expected: $got"
        else bad "$what chose $got, expected $exp"; fi
        fs_check_known "$out.facts" "$what"
        ev=$(awk -F'|' -v p="$cpid" '$2 == p && $3 == "R"' "$out.facts" | wc -l)
        lost=$(fs_lost "$out" "$err" $fmt)
        [ -n "$lost" ] || lost=missing
        info "$what: 64 threads, $cdone reads done, $ev events, $lost lost"
        echo "fs_concurrency $KERNEL_ID $FS $b threads=64 done=$cdone events=$ev lost=$lost" >>"$OUT/compat/concurrency.txt"
        sum=no
        [ "$lost" != missing ] && [ -n "$cdone" ] && [ "$((ev + lost))" = "$cdone" ] && sum=yes
        check "$what: 64 threads: events + counted losses = reads done ($ev + $lost = $cdone)" [ $sum = yes ]
        check "$what: 64 threads: nothing lost ($lost)" [ "$lost" = 0 ]
        sl=$(awk -F'|' -v p="$spid" '$2 == p && $3 == "R" && $4 == 262144 { print $7 }' "$out.facts")
        check "$what: the throttled read is there (${sl:-no record} us)" [ -n "$sl" ]
        # nothing of the other file systems' workloads (same file names, other pids)
        n=0
        for o in $FS_LIST; do
            [ $o = $FS ] && continue
            n=$((n + $(awk -F'|' -v a="$(var fpid $o)" -v b="$(var dpid $o)" -v c="$(var cpid $o)" \
                '$2 == a || $2 == b || $2 == c' "$out.facts" | wc -l)))
        done
        check "$what: no operation of the other file systems ($n)" [ "$n" -eq 0 ]
        if [ "$(var err $FS)" = yes ]; then
            e=$(awk -F'|' -v p="$epid" '$2 == p && $3 == "R" && $4 == 0 && $5 == 0 && $6 == "fe" && $8 == "EIO"' "$out.facts" | wc -l)
            o=$(awk -F'|' -v p="$epid" '$2 == p && $3 == "O" && $6 == "fe" && $8 == ""' "$out.facts" | wc -l)
            n=$(awk -F'|' -v p="$epid" '$2 == p' "$out.facts" | wc -l)
            d="$what: the read failed by the dm error target: R fe bytes=0 offset=0 error=EIO ($e), its open ($o), nothing else ($n records)"
            if [ "$e.$o.$n" = 1.1.2 ]; then ok "$d"; else bad "$d"; grep "iot-err" "$out" | head -5; fi
        fi
        # works: every check of this run passed; WRONG: it ran but some check failed
        res=works; [ $fails -eq $f0 ] || res=WRONG
        chosen $tool "$err" | while read -r _l; do echo "$FS $b $res $_l" >>"$OUT/compat/fs.txt"; done
    done

    # the threshold: the slow read, and nothing else of the workload
    out=$RUNS/fs_$FS.out
    fs_facts "$out" csv
    sl=$(awk -F'|' -v p="$spid" '$2 == p && $3 == "R" && $4 == 262144 && $5 == 0 && $6 == "fd" { print $7 }' "$out.facts")
    check "${FS}slower $FS_SLOW_MS: the read throttled to 128 KiB/s is shown, >= $FS_SLOW_MS ms (${sl:-missing} us)" \
        [ "${sl:-0}" -ge $((FS_SLOW_MS * 1000)) ]
    n=$(awk -F'|' -v a="$fpid" -v b="$dpid" -v c="$cpid" '$2 == a || $2 == b || $2 == c' "$out.facts" | wc -l)
    check "${FS}slower $FS_SLOW_MS: none of the fast operations ($n shown)" [ "$n" -eq 0 ] || show "$out" 20
    timeout 60 umount "/mnt/$FS"
    u=$?
    check "$FS: unmounted after the error window (exit $u)" [ $u -eq 0 ]
    [ -n "$ARM64" ] || timeout 20 dmsetup remove --noudevsync "iot-fs-$FS" >>"$RUNS/dm-$FS.log" 2>&1 ||
        bad "$FS: dmsetup remove iot-fs-$FS: $(tail -1 "$RUNS/dm-$FS.log")"
    losetup -d "$(var loop $FS)"; rm -f "/tmp/fs-$FS.img"
}

section "fsslower: usage errors"
"$IOTRACE" fsslower >"$RUNS/fs_noty.out" 2>"$RUNS/fs_noty.err"
rc=$?
check "fsslower without -t: exit 2 ($rc)" [ $rc -eq 2 ]
check "fsslower without -t: one line naming -t ($(head -1 "$RUNS/fs_noty.err" | cut -c1-100))" \
    [ "$(grep -c -- '-t FS' "$RUNS/fs_noty.err")" -eq 1 ]
section "fsslower family: $FS_LIST mounted, every member's tracers started at once"
for FSX in $FS_LIST; do fs_start "$FSX"; done
for FSX in $FS_LIST; do [ "$(var up $FSX)" = yes ] && fs_await "$FSX"; done
section "fsslower family: the workloads"
for FSX in $FS_LIST; do [ "$(var up $FSX)" = yes ] && fs_work "$FSX"; done
section "fsslower family: errors (each member's dm table switched to error)"
fs_errors
sleep 0.5
section "fsslower family: judging"
for FSX in $FS_LIST; do [ "$(var up $FSX)" = yes ] && fs_judge "$FSX"; done
