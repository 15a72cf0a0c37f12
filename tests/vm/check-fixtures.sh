#!/bin/bash
# tests/vm/check-fixtures.sh VMOUT [FIXTURES]
# The unit tests' fixture kernels (tests/fixtures/kernels/linux-<id>) are hand-kept copies of
# what the pinned kernels offer; this holds them against what the VM guests just observed
# (VMOUT/<id>[-zfs]/artefacts/compat/kernel.txt, written by guest/iotrace.sh), so that they
# cannot drift apart while CI stays green. Per kernel and per fact the guest recorded:
#   fn_NAME=traceable|notrace|absent   the fixture's available_filter_functions and kallsyms
#                                      (fn_zpl_*: the zfs module's functions, held against the
#                                      ZFS fixture of the OpenZFS version the guest ran, the
#                                      zfs_version fact: zfs-2.1-iter, zfs-2.3-iter)
#   tp_NAME=yes|no                     the fixture's tracefs events/block/NAME
# Prints one line per difference and "fixtures: N facts held, N differ" (not the "N passed, N
# failed" form: scripts/test.sh counts the tier from run-matrix.sh's line); exit 1 on a
# difference or when no guest facts were found.
set -uo pipefail
vmout=${1:?usage: check-fixtures.sh VMOUT [FIXTURES]}
fixtures=${2:-$(cd "$(dirname "$0")/../fixtures/kernels" && pwd)}
passed=0 failed=0

fixture_fn_state() { # DIR NAME [MODULE] -> traceable | notrace | absent, as the guest decides it
    if [ -n "${3:-}" ]; then
        grep -qx "$2 \[$3\]" "$1/sys/kernel/tracing/available_filter_functions" 2>/dev/null &&
            echo traceable || echo absent
    elif grep -qx "$2" "$1/sys/kernel/tracing/available_filter_functions" 2>/dev/null; then
        echo traceable
    elif awk -v f="$2" '$3 == f { found = 1 } END { exit !found }' "$1/proc/kallsyms"; then
        echo notrace
    else
        echo absent
    fi
}

found=0
for facts in "$vmout"/*/artefacts/compat/kernel.txt; do
    [ -r "$facts" ] || continue
    id=$(sed -n 's/^kernel_id=//p' "$facts")
    dir=$fixtures/linux-$id
    case $id in arm64-*)
        # the unit tests have no arm64 fixture kernels yet: said, not counted as checked
        echo "not checked $id: no unit-test fixture kernel for arm64 (docs/ARM64.md)"
        continue ;;
    esac
    if [ ! -d "$dir" ]; then
        echo "FAIL $id: no fixture kernel $dir for a kernel the VM tier boots"
        failed=$((failed + 1))
        continue
    fi
    found=1
    zv=$(sed -n 's/^zfs_version=\([0-9]*\.[0-9]*\).*/\1/p' "$facts")
    while IFS='=' read -r key value; do
        case $key in
        fn_zpl_*)
            name=${key#fn_}
            if [ -z "$zv" ]; then continue; fi # (no ZFS in that guest: not recorded as traceable)
            zdir=$fixtures/zfs-$zv-iter
            if [ ! -d "$zdir" ]; then
                echo "FAIL $id: no ZFS fixture $zdir for the OpenZFS $zv the guest ran"
                failed=$((failed + 1))
                continue
            fi
            have=$(fixture_fn_state "$zdir" "$name" zfs)
            ;;
        fn_*)
            name=${key#fn_}
            have=$(fixture_fn_state "$dir" "$name")
            ;;
        tp_*)
            name=${key#tp_}
            have=no
            [ -d "$dir/sys/kernel/tracing/events/block/$name" ] && have=yes
            ;;
        *) continue ;;
        esac
        if [ "$have" = "$value" ]; then
            passed=$((passed + 1))
        else
            echo "FAIL $id: $name is $value on the pinned kernel, $have in $dir"
            failed=$((failed + 1))
        fi
    done <"$facts"
done
if [ $found = 0 ]; then
    echo "FAIL no guest facts under $vmout/*/artefacts/compat/kernel.txt"
    failed=$((failed + 1))
fi
echo "fixtures: $passed facts held, $failed differ"
[ $failed = 0 ]
