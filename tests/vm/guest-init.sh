#!/bin/sh
# /init of the sluice test guest (busybox sh, PID 1). Built into the initramfs by
# build-guest.sh; booted by run-vm.sh.
#
# Configuration comes from the kernel command line, as sluice.KEY=VALUE:
#   sluice.ip=10.0.0.1/24   address of eth0 (required for every test but "boot")
#   sluice.peer=10.0.0.2    address that "ping" mode pings
#   sluice.mtu=9000         MTU of eth0 (default: the driver's)
#   sluice.queues=4         queue pairs to enable with ethtool -L (default: the driver's,
#                           which is min(queue pairs offered, CPUs))
#   sluice.test=MODE        boot  - report the link, power off
#                           ping  - ping the peer, report, power off
#                           serve - report ready, answer pings, run host commands forever
#   sluice.count=5 sluice.size=56   ping mode's count and ICMP payload size
#   sluice.carrier=10       seconds to wait for the link to come up before testing
#
# Everything the host needs to read goes to the console (ttyS0, the serial log) as lines that
# start with SLUICE-, one fact per line, so a test can grep them even when kernel messages are
# interleaved:
#   SLUICE-BOOT uptime=1.93                     init started (seconds since the kernel started)
#   SLUICE-ERROR <what failed and why>
#   SLUICE-LINK eth0 mac=.. mtu=.. queues=.. carrier=0|1
#   SLUICE-READY                                serve mode: accepting commands
#   SLUICE-RESULT <tag> <command> ok|fail <details>
#   SLUICE-PINGLOG <tag> <ping's reply lines>   before a failed ping's RESULT
#
# Serve mode reads commands, one per line, from the second serial port (ttyS1, which run-vm.sh
# connects to a FIFO pair), and answers each with one SLUICE-RESULT line carrying the tag:
#   ping TAG DST COUNT SIZE [CPU]  -> SLUICE-RESULT TAG ping ok|fail RECEIVED/COUNT
#                                 (CPU: run ping on that vCPU, i.e. its tx queue)
#   mtu TAG N                  -> SLUICE-RESULT TAG mtu ok|fail N
#   queues TAG N               -> SLUICE-RESULT TAG queues ok|fail N
#   stats TAG                  -> SLUICE-RESULT TAG stats ok rx_packets=.. tx_packets=.. ...
#   link TAG                   -> SLUICE-RESULT TAG link ok mac=.. mtu=.. queues=.. carrier=..
#   neigh-flush TAG            -> SLUICE-RESULT TAG neigh-flush ok
#   dmesg TAG [N]              -> N lines "SLUICE-DMESG <kernel log line>", then
#                                 SLUICE-RESULT TAG dmesg ok
#   poweroff
# A one-shot mode powers the guest off when done; run-vm.sh passes -no-reboot so QEMU exits.

/bin/busybox mkdir -p /proc /sys /dev /bin /sbin /tmp
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The console shows our result lines; kernel chatter between them only makes parsing harder.
echo 1 >/proc/sys/kernel/printk

say() {
    echo "$*"
}

halt_guest() {
    sync
    poweroff -f
    reboot -f
}

# Fatal for a one-shot test; in serve mode the host learns of it through the ERROR line and
# the missing READY, and the guest stays up so that its log and state can be examined.
fail() {
    say "SLUICE-ERROR $*"
    [ "$cfg_test" = serve ] || halt_guest
}

say "SLUICE-BOOT uptime=$(cut -d' ' -f1 /proc/uptime)"

cfg_ip=""
cfg_peer=""
cfg_mtu=""
cfg_queues=""
cfg_test=boot
cfg_count=5
cfg_size=56
cfg_carrier=10
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    sluice.*=*)
        key=${arg%%=*}
        key=${key#sluice.}
        # shellcheck disable=SC2034 # read by the eval below
        val=${arg#*=}
        case "$key" in
        *[!a-z0-9_]* | "") say "SLUICE-ERROR bad kernel argument '$arg'" ;;
        *) eval "cfg_$key=\$val" ;;
        esac
        ;;
    esac
done

is_uint() {
    case "$1" in
    "" | *[!0-9]*) return 1 ;;
    esac
    return 0
}

for m in $(cat /lib/modules/load.list); do
    insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done

dev=eth0
i=0
while [ ! -e /sys/class/net/$dev ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ -e /sys/class/net/$dev ] || fail "no $dev after loading virtio_net: is a virtio-net-pci device attached?"

ip link set lo up
if [ -n "$cfg_mtu" ]; then
    ip link set $dev mtu "$cfg_mtu" || fail "$dev: cannot set mtu $cfg_mtu"
fi
if [ -n "$cfg_queues" ] && [ "$cfg_queues" != 1 ]; then
    ethtool -L $dev combined "$cfg_queues" || fail "$dev: ethtool -L combined $cfg_queues failed (queue pairs offered: $(ethtool -l $dev 2>/dev/null | awk '/Combined/ {print $2; exit}'))"
fi
if [ -n "$cfg_ip" ]; then
    ip addr add "$cfg_ip" dev $dev || fail "$dev: cannot add address $cfg_ip"
fi
ip link set $dev up || fail "$dev: cannot bring it up"

i=0
while [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" != 1 ] && [ $i -lt $((cfg_carrier * 10)) ]; do
    sleep 0.1
    i=$((i + 1))
done

link_info() {
    echo "mac=$(cat /sys/class/net/$dev/address) mtu=$(cat /sys/class/net/$dev/mtu)" \
        "queues=$(ls -d /sys/class/net/$dev/queues/rx-* | wc -l)" \
        "carrier=$(cat /sys/class/net/$dev/carrier 2>/dev/null || echo 0)" \
        "uptime=$(cut -d' ' -f1 /proc/uptime)"
}
say "SLUICE-LINK $dev $(link_info)"

# do_ping TAG DST COUNT SIZE [CPU]: a bounded ping (0.2 s apart; up to 3 s for the last reply,
# since a TCG guest on a loaded host can be slow to answer; COUNT + 5 s in all).
# With CPU, ping runs pinned to that vCPU: virtio-net transmits on the queue mapped to the
# sending CPU (XPS), so this picks the tx queue of a multiqueue NIC.
do_ping() {
    tag=$1 dst=$2 count=$3 size=$4 cpu=$5
    if [ -z "$dst" ] || ! is_uint "$count" || ! is_uint "$size" || [ "$count" -eq 0 ] ||
        { [ -n "$cpu" ] && ! is_uint "$cpu"; }; then
        say "SLUICE-RESULT $tag ping fail bad arguments '$dst' '$count' '$size' '$cpu'"
        return
    fi
    pin=""
    [ -z "$cpu" ] || pin="taskset $(printf '0x%x' $((1 << cpu)))"
    out=$($pin ping -c "$count" -s "$size" -i 0.2 -W 3 -w $((count + 5)) "$dst" 2>&1)
    got=$(echo "$out" | sed -n 's/.* \([0-9][0-9]*\) packets received.*/\1/p')
    is_uint "$got" || got=0
    if [ "$got" -eq "$count" ]; then
        say "SLUICE-RESULT $tag ping ok $got/$count"
    else
        # Which replies came, and how late: a flaky loss and a dead path look different here.
        say "SLUICE-PINGLOG $tag $(echo "$out" | grep -E 'seq=|transmitted' | tr '\n' '|')"
        say "SLUICE-RESULT $tag ping fail $got/$count"
    fi
}

stat_of() {
    cat /sys/class/net/$dev/statistics/$1
}

run_command() {
    set -- $1
    cmd=$1 tag=${2:-none}
    case "$cmd" in
    "") ;;
    ping) do_ping "$tag" "$3" "$4" "$5" "$6" ;;
    mtu)
        if is_uint "$3" && ip link set $dev mtu "$3"; then
            say "SLUICE-RESULT $tag mtu ok $3"
        else
            say "SLUICE-RESULT $tag mtu fail $3"
        fi
        ;;
    queues)
        if is_uint "$3" && ethtool -L $dev combined "$3"; then
            say "SLUICE-RESULT $tag queues ok $3"
        else
            say "SLUICE-RESULT $tag queues fail $3"
        fi
        ;;
    stats)
        say "SLUICE-RESULT $tag stats ok rx_packets=$(stat_of rx_packets) tx_packets=$(stat_of tx_packets)" \
            "rx_dropped=$(stat_of rx_dropped) tx_dropped=$(stat_of tx_dropped)" \
            "rx_errors=$(stat_of rx_errors) tx_errors=$(stat_of tx_errors)" \
            "rx_length_errors=$(stat_of rx_length_errors) rx_frame_errors=$(stat_of rx_frame_errors)" \
            "carrier=$(cat /sys/class/net/$dev/carrier 2>/dev/null || echo 0)"
        ;;
    link) say "SLUICE-RESULT $tag link ok $(link_info)" ;;
    dmesg)
        # The kernel's last words, for a host-side test that wants to know why a packet died.
        dmesg | tail -n "${3:-20}" | while read -r l; do say "SLUICE-DMESG $l"; done
        say "SLUICE-RESULT $tag dmesg ok"
        ;;
    neigh-flush)
        ip neigh flush dev $dev
        say "SLUICE-RESULT $tag neigh-flush ok"
        ;;
    poweroff)
        say "SLUICE-RESULT $tag poweroff ok"
        halt_guest
        ;;
    *) say "SLUICE-RESULT $tag $cmd fail unknown command" ;;
    esac
}

case "$cfg_test" in
boot)
    say "SLUICE-RESULT boot boot ok"
    halt_guest
    ;;
ping)
    [ -n "$cfg_peer" ] || fail "ping test without sluice.peer"
    do_ping ping "$cfg_peer" "$cfg_count" "$cfg_size" ""
    halt_guest
    ;;
serve)
    if [ -c /dev/ttyS1 ]; then
        # READY only once the port is open and quiet: opening a 16550 clears its FIFO, and
        # echo would send the commands back. The host sends nothing before READY.
        exec 3</dev/ttyS1
        stty -F /dev/ttyS1 -echo -icrnl 2>/dev/null
        say "SLUICE-READY"
        while true; do
            if read -r line <&3; then
                run_command "$line"
            else
                sleep 1
            fi
        done
    fi
    say "SLUICE-READY"
    while true; do
        sleep 3600
    done
    ;;
*)
    fail "unknown sluice.test '$cfg_test'"
    halt_guest
    ;;
esac
