#!/usr/bin/env bash
# hugepages.sh — make 2 MiB hugepages available for DPDK: reserve enough pages that at least
# HUGEPAGES_FREE (default 1024, i.e. 2 GiB) are free, and mount hugetlbfs on /dev/hugepages if
# nothing is mounted there. Idempotent; prints what it did. Needs root.
#
# Usage: scripts/hugepages.sh [FREE_PAGES]
set -euo pipefail

want="${1:-${HUGEPAGES_FREE:-1024}}"
case "$want" in
    ''|*[!0-9]*) echo "hugepages.sh: '$want' is not a page count" >&2; exit 2 ;;
esac

sysdir=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ ! -d "$sysdir" ]; then
    echo "hugepages.sh: this kernel has no 2 MiB hugepages ($sysdir missing)" >&2
    exit 1
fi

free=$(cat "$sysdir/free_hugepages")
total=$(cat "$sysdir/nr_hugepages")
if [ "$free" -ge "$want" ]; then
    echo "hugepages.sh: $free of $total 2 MiB pages free (>= $want): nothing to reserve"
else
    target=$((total + want - free))
    if ! echo "$target" >"$sysdir/nr_hugepages" 2>/dev/null; then
        echo "hugepages.sh: cannot write $sysdir/nr_hugepages (not root, or read-only /sys?)" >&2
        exit 1
    fi
    total=$(cat "$sysdir/nr_hugepages")
    free=$(cat "$sysdir/free_hugepages")
    echo "hugepages.sh: reserved pages: now $total total, $free free"
    if [ "$free" -lt "$want" ]; then
        # Memory is fragmented or short: say so, but let DPDK users with -m below that go on.
        echo "hugepages.sh: warning: only $free pages free, wanted $want" >&2
    fi
fi

if mountpoint -q /dev/hugepages 2>/dev/null && grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    echo "hugepages.sh: hugetlbfs already mounted on /dev/hugepages"
else
    mkdir -p /dev/hugepages
    mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages
    echo "hugepages.sh: mounted hugetlbfs on /dev/hugepages"
fi
