#!/bin/bash
# run-vm.sh: boot one sluice test guest under QEMU, in the background, and print its PID.
#
# Usage: run-vm.sh --name NAME --dir DIR NETWORK [OPTIONS]
#
# NETWORK (exactly one):
#   --vhost-user SOCK       vhost-user NIC; QEMU connects to SOCK (sluice port type=vhostuser)
#                           and reconnects every --reconnect seconds when the switch goes away
#   --vhost-user-server SOCK  vhost-user NIC; QEMU listens on SOCK and the switch connects
#                           (sluice port type=vhostuserclient path=SOCK). QEMU does not boot
#                           the guest until the switch has connected; run-vm.sh returns as
#                           soon as SOCK exists, so that the caller can attach the switch
#   --stream-listen PATH    plain QEMU NIC on a unix stream socket (no switch): two guests, one
#   --stream-connect PATH   listening and one connecting, form a back-to-back link
# OPTIONS:
#   --mac MAC  --ip CIDR  --peer IP  --mtu N  --test boot|ping|serve  --count N  --size N
#                           guest settings, see guest-init.sh (defaults: MAC from NAME, serve)
#   --queues N              queue pairs: netdev queues=N, device mq=on, guest ethtool -L N
#   --host-mtu N            advertise N to the guest with VIRTIO_NET_F_MTU (its max MTU)
#   --smp N                 guest CPUs (default 1)
#   --mem MB                guest memory (default 256)
#   --mem-backend memfd|hugepages   shared guest memory (default memfd); hugepages needs MB/2
#                           free 2 MiB pages and leaves no file behind (QEMU unlinks it)
#   --accel tcg|kvm         default tcg. Use kvm only where it demonstrably boots: on nested
#                           hosts without VMX it fails with "KVM internal error"
#   --reconnect SECONDS     client-mode reconnect interval (default 1)
#   --append ARGS           extra kernel command line
#   --cache DIR             guest cache (default $SLUICE_VM_CACHE or /var/cache/sluice-vm)
#   --start-timeout SECONDS how long QEMU may take to initialise (default 30)
#
# Files in DIR (DIR must exist):
#   NAME.log       the guest's serial console (SLUICE-* result lines, see guest-init.sh)
#   NAME.qemu.log  QEMU's own stderr
#   NAME.ctl.in    write guest commands here, one per line (serve mode; the guest's ttyS1)
#   NAME.mon.in/.out  the QEMU human monitor (FIFOs)
#   NAME.pid       QEMU's PID
#   NAME.exit      QEMU's exit status once it has ended (128+N: killed by signal N)
# The PID is printed on stdout once QEMU has initialised its machine (for --vhost-user: once
# it has connected to the switch; for --vhost-user-server: once it listens). On failure QEMU is killed, its stderr is shown and the exit
# status is 1. Stop the guest with `kill PID` (or vm-lib.sh's vm_stop); the caller removes DIR.
#
# Why these settings: vhost-user needs the guest memory shared with the switch (memfd or
# hugetlbfs with share=on), or the switch reads nothing and every packet is lost silently.
# vectors=0 (legacy INTx interrupts) avoids a QEMU 7.2 segfault with vhost-user under TCG. The
# kernel is the uncompressed vmlinux, booted through its PVH entry: ~2 s to init under TCG.
set -eu -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
    echo "run-vm: ${name:+$name: }$*" >&2
    exit 1
}

name="" dir="" net="" net_path=""
mac="" ip="" peer="" mtu="" test=serve count="" size=""
queues=1 host_mtu="" smp=1 mem=256 mem_backend=memfd accel=tcg reconnect=1
append="" cache="" start_timeout=30

need() {
    [ $# -ge 2 ] && [ -n "$2" ] || die "option $1 needs a value"
}
while [ $# -gt 0 ]; do
    case "$1" in
    --name) need "$@"; name=$2 ;;
    --dir) need "$@"; dir=$2 ;;
    --vhost-user | --vhost-user-server | --stream-listen | --stream-connect)
        need "$@"
        [ -z "$net" ] || die "only one of --vhost-user, --vhost-user-server, --stream-listen, --stream-connect"
        net=${1#--}
        net_path=$2
        ;;
    --mac) need "$@"; mac=$2 ;;
    --ip) need "$@"; ip=$2 ;;
    --peer) need "$@"; peer=$2 ;;
    --mtu) need "$@"; mtu=$2 ;;
    --test) need "$@"; test=$2 ;;
    --count) need "$@"; count=$2 ;;
    --size) need "$@"; size=$2 ;;
    --queues) need "$@"; queues=$2 ;;
    --host-mtu) need "$@"; host_mtu=$2 ;;
    --smp) need "$@"; smp=$2 ;;
    --mem) need "$@"; mem=$2 ;;
    --mem-backend) need "$@"; mem_backend=$2 ;;
    --accel) need "$@"; accel=$2 ;;
    --reconnect) need "$@"; reconnect=$2 ;;
    --append) need "$@"; append=$2 ;;
    --cache) need "$@"; cache=$2 ;;
    --start-timeout) need "$@"; start_timeout=$2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
    esac
    shift 2
done

[ -n "$name" ] || die "--name is required"
case "$name" in *[!A-Za-z0-9_-]*) die "name must be letters, digits, '-' or '_'" ;; esac
[ -n "$dir" ] && [ -d "$dir" ] || die "--dir '$dir' is not a directory"
[ -n "$net" ] || die "one of --vhost-user, --vhost-user-server, --stream-listen, --stream-connect is required"
for v in queues smp mem reconnect start_timeout; do
    case "${!v}" in "" | *[!0-9]*) die "--${v//_/-} '${!v}' is not a number" ;; esac
done
[ "$queues" -ge 1 ] || die "--queues must be at least 1"
case "$test" in boot | ping | serve) ;; *) die "--test '$test': want boot, ping or serve" ;; esac
case "$accel" in tcg | kvm) ;; *) die "--accel '$accel': want tcg or kvm" ;; esac
if [ -z "$mac" ]; then
    # Stable per name, locally administered, unicast.
    h=$(printf '%s' "$name" | md5sum)
    mac="52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
fi
case "$mac" in
[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]) ;;
*) die "--mac '$mac' is not a MAC address" ;;
esac
if [ "$net" = vhost-user ] && [ ! -S "$net_path" ]; then
    die "vhost-user socket $net_path does not exist (is the switch port added?)"
fi
if [ "$net" = stream-connect ] && [ ! -S "$net_path" ]; then
    die "stream socket $net_path does not exist (start the --stream-listen guest first)"
fi

env_file=$("$here/build-guest.sh" --quiet ${cache:+--cache "$cache"}) || die "guest build failed"
KERNEL="" INITRD=""
# shellcheck disable=SC1090
. "$env_file"
[ -r "$KERNEL" ] && [ -r "$INITRD" ] || die "guest build gave no kernel/initramfs ($env_file)"

case "$mem_backend" in
memfd) memobj="memory-backend-memfd,id=mem,size=${mem}M,share=on" ;;
hugepages)
    free_pages=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
    [ "${free_pages:-0}" -ge $((mem / 2)) ] ||
        die "hugepages: guest needs $((mem / 2)) free 2 MiB pages, /proc/meminfo has ${free_pages:-0}"
    # A directory as mem-path: QEMU creates its file there and unlinks it at once.
    memobj="memory-backend-file,id=mem,size=${mem}M,mem-path=/dev/hugepages,share=on,prealloc=on"
    ;;
*) die "--mem-backend '$mem_backend': want memfd or hugepages" ;;
esac

base="$dir/$name"
rm -f "$base.log" "$base.qemu.log" "$base.pid" "$base.exit" "$base.ctl.in" "$base.ctl.out" "$base.mon.in" "$base.mon.out"
mkfifo "$base.ctl.in" "$base.ctl.out" "$base.mon.in" "$base.mon.out"

netargs=()
case "$net" in
vhost-user)
    netargs=(-chardev "socket,id=c0,path=$net_path,reconnect=$reconnect"
        -netdev "vhost-user,id=n0,chardev=c0,queues=$queues")
    ;;
vhost-user-server)
    rm -f "$net_path"
    netargs=(-chardev "socket,id=c0,path=$net_path,server=on,wait=off"
        -netdev "vhost-user,id=n0,chardev=c0,queues=$queues")
    ;;
stream-listen)
    rm -f "$net_path"
    [ "$queues" = 1 ] || die "--queues needs a vhost-user NIC"
    netargs=(-netdev "stream,id=n0,server=on,addr.type=unix,addr.path=$net_path")
    ;;
stream-connect)
    [ "$queues" = 1 ] || die "--queues needs a vhost-user NIC"
    netargs=(-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$net_path")
    ;;
esac
# romfile= : no iPXE option ROM, the guest boots from -kernel and the ROM only costs time.
dev="virtio-net-pci,netdev=n0,mac=$mac,vectors=0,romfile="
[ "$queues" = 1 ] || dev="$dev,mq=on"
[ -z "$host_mtu" ] || dev="$dev,host_mtu=$host_mtu"

cmdline="console=ttyS0 panic=-1 loglevel=4 rdinit=/init mitigations=off"
cmdline="$cmdline i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd"
cmdline="$cmdline sluice.test=$test"
[ -z "$ip" ] || cmdline="$cmdline sluice.ip=$ip"
[ -z "$peer" ] || cmdline="$cmdline sluice.peer=$peer"
[ -z "$mtu" ] || cmdline="$cmdline sluice.mtu=$mtu"
[ "$queues" = 1 ] || cmdline="$cmdline sluice.queues=$queues"
[ -z "$count" ] || cmdline="$cmdline sluice.count=$count"
[ -z "$size" ] || cmdline="$cmdline sluice.size=$size"
[ -z "$append" ] || cmdline="$cmdline $append"

cpu=max
[ "$accel" = tcg ] || cpu=host

# No -daemonize: it would send QEMU's later errors (a vhost-user disconnect, say) to
# /dev/null. A small supervisor runs QEMU instead and records how it ended in NAME.exit
# (128+N for signal N: 139 is a segfault), so that a guest that vanished can be explained.
# The PID handed out is QEMU's own, so that killing it needs no knowledge of the supervisor.
# shellcheck disable=SC2054 # the commas belong to QEMU option values
qemu=(qemu-system-x86_64 -name "$name" -accel "$accel" -cpu "$cpu" -M pc -smp "$smp" -m "${mem}M"
    -object "$memobj" -numa node,memdev=mem
    -nodefaults -no-user-config -display none -no-reboot
    -kernel "$KERNEL" -initrd "$INITRD" -append "$cmdline"
    -chardev "file,id=con,path=$base.log" -serial chardev:con
    -chardev "pipe,id=ctl,path=$base.ctl" -serial chardev:ctl
    -chardev "pipe,id=mon,path=$base.mon" -mon chardev=mon,mode=readline
    "${netargs[@]}" -device "$dev")
rm -f "$base.exit"
# shellcheck disable=SC2016 # expanded by the supervisor's shell
bash -c '"${@:3}" & echo $! >"$1"; wait $!; echo $? >"$2"' supervisor "$base.pid" "$base.exit" "${qemu[@]}" \
    </dev/null >"$base.qemu.log" 2>&1 &
for _ in $(seq 50); do
    [ -s "$base.pid" ] && break
    sleep 0.02
done
pid=$(cat "$base.pid" 2>/dev/null)
[ -n "$pid" ] || die "QEMU did not start (no PID from its supervisor)"

# QEMU initialises the vhost-user netdev only once the switch has connected and negotiated,
# in both socket modes. As a client it connects by itself, so we wait for the monitor banner
# ("QEMU 7.2.x monitor - type 'help' ..."), which comes once the main loop runs. As a server
# it waits for the switch, which the caller will attach next: its listening socket is the
# signal, and the caller then bounds the boot with its own wait.
started=0
deadline=$((SECONDS + start_timeout))
if [ "$net" = vhost-user-server ]; then
    while [ $SECONDS -lt $deadline ]; do
        if [ -S "$net_path" ]; then
            started=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
else
    exec 8<>"$base.mon.out"
    while [ $SECONDS -lt $deadline ]; do
        if read -r -t 1 line <&8; then
            case "$line" in *monitor*) started=1; break ;; esac
        fi
        kill -0 "$pid" 2>/dev/null || break
    done
    exec 8<&-
fi
if [ "$started" != 1 ]; then
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
        why="QEMU did not initialise within ${start_timeout}s"
        [ "$net" != vhost-user ] || why="$why (is the switch serving $net_path?)"
    else
        for _ in $(seq 50); do
            [ -s "$base.exit" ] && break
            sleep 0.02
        done
        why="QEMU exited with status $(cat "$base.exit" 2>/dev/null || echo '?') during start-up"
    fi
    echo "run-vm: $name: $why; QEMU said:" >&2
    sed 's/^/  /' "$base.qemu.log" >&2
    rm -f "$base.pid" "$base.ctl.in" "$base.ctl.out" "$base.mon.in" "$base.mon.out"
    exit 1
fi
echo "$pid"
