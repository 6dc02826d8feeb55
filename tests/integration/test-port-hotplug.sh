#!/usr/bin/env bash
# test-port-hotplug.sh — ports come and go under traffic without disturbing the others.
# vm1 <-> vm2 carry steady paced traffic (one generator, both ports sending) while a third
# port is added, gets its own "VM" sending into the bridge, and is removed with that VM still
# attached; then once more with an af_packet port. vm1/vm2 must lose (almost) nothing and their
# counters must keep rising throughout.
. "$(dirname "$0")/lib.sh"

it_init port-hotplug
start_sluiced

RATE=20000         # pps per direction
DURATION=16        # seconds of vm1<->vm2 traffic, covering all the hotplug steps
MAX_LOSS=0.01      # overall loss tolerated on vm1/vm2 (1%)
# A one-second interval receiving less than this is a forwarding gap. Low, because a loaded
# 2-core host can starve the generator or the PMD for a good part of a second; a real stall
# (forwarding stopped while a port comes or goes) shows as ~0.
MIN_INTERVAL_RX=$((RATE / 40))

check "add-br br0" ctl add-br br0
check "add-port vm1" ctl add-port br0 vm1 type=vhostuser
check "add-port vm2" ctl add-port br0 vm2 type=vhostuser
check "add-flow vm1->vm2" ctl add-flow br0 "priority=10,in_port=vm1,actions=output:vm2"
check "add-flow vm2->vm1" ctl add-flow br0 "priority=10,in_port=vm2,actions=output:vm1"

start_gen pair "$(vm_vdev 0 "$RUN_DIR/vm1.sock");$(vm_vdev 1 "$RUN_DIR/vm2.sock")" \
    --mode txrx --rate "$RATE" --duration "$DURATION" --wait-link 20 --stats-interval 1 \
    --idle-sleep-us 10
pair_pid=$GEN_PID
wait_until 25 grep -q '^\[' "$RUN_DIR/gen-pair.log" || fail "traffic vm1<->vm2 did not start"
sleep 1

rising() { # rising PORT FIELD: the counter grows within 1.5 s
    local a b
    a=$(port_stat br0 "$1" ".$2")
    sleep 1.5
    b=$(port_stat br0 "$1" ".$2")
    [ "${b:-0}" -gt "${a:-0}" ]
}
check "vm2 tx rising before hotplug" rising vm2 tx_packets

# Third port: a vhostuser port with its own VM sending into vm1.
check "add-port vm3 under traffic" ctl add-port br0 vm3 type=vhostuser
check "add-flow vm3->vm1" ctl add-flow br0 "priority=20,in_port=vm3,actions=output:vm1"
start_gen vm3 "$(vm_vdev 2 "$RUN_DIR/vm3.sock")" --mode tx --rate 5000 --duration 30 \
    --wait-link 20 --idle-sleep-us 20
vm3_pid=$GEN_PID
vm3_rx() { [ "$(port_stat br0 vm3 .rx_packets)" -gt 0 ]; }
wait_until 15 vm3_rx
assert_gt "vm3 traffic reaches the bridge" "$(port_stat br0 vm3 .rx_packets)" 0
check "vm1 tx rising with vm3 attached" rising vm1 tx_packets
# Remove the port while its VM is still connected and sending.
check "del-port vm3 with its VM attached" ctl del-port br0 vm3
vm3_gone() { ! ctl_json dump-ports br0 | jq -e '.ports[] | select(.name == "vm3")' >/dev/null; }
check "vm3 gone from dump-ports" vm3_gone
check "vm2 rx rising after del-port vm3" rising vm2 rx_packets
check "the removed port's socket is gone" test ! -e "$RUN_DIR/vm3.sock"

# Re-add vm3 on the same socket path (the old VM's process is still running and may
# reconnect), then remove it again.
check "re-add vm3" ctl add-port br0 vm3 type=vhostuser
check "vm1 rx rising with vm3 re-added" rising vm1 rx_packets
check "del-port vm3 again" ctl del-port br0 vm3

# And an af_packet port on a veth whose peer sits in a namespace.
make_ns h && ns=$NS || fail "netns"
hv=$(veth_name h)
make_veth "$hv" "$ns" eth0 198.18.9.1/24 || fail "veth $hv"
check "add-port p4 (af_packet) under traffic" ctl add-port br0 p4 type=dpdk "devargs=net_af_packet7,iface=$hv"
check "vm2 tx rising with p4 added" rising vm2 tx_packets
check "del-port p4" ctl del-port br0 p4

wait_gen "$pair_pid" $((DURATION + 30))
rc=$?
assert_eq "vm1/vm2 generator exit status" "$rc" 0
for p in 0 1; do
    tx=$(gen_json pair ".ports[$p].tx_packets")
    refused=$(gen_json pair ".ports[$p].tx_failed")
    lost=$(gen_json pair ".ports[$p].lost")
    ratio=$(gen_json pair ".ports[$p].loss_ratio")
    echo "port $p: sent $tx, refused by a full ring $refused, lost $lost (ratio $ratio)"
    # The generator offered the rate all along; what the ring took depends on how fast
    # sluiced drained it, which a loaded host slows (the interval check below catches stalls).
    assert_ge "vm$((p + 1)) offered traffic for the whole run" $((${tx:-0} + ${refused:-0})) \
        $((RATE * DURATION * 3 / 4))
    assert_ge "vm$((p + 1)) sent at least half the nominal rate" "${tx:-0}" $((RATE * DURATION / 2))
    check "vm$((p + 1)) overall loss $ratio <= $MAX_LOSS" \
        awk -v r="${ratio:-1}" -v m="$MAX_LOSS" 'BEGIN { exit !(r <= m) }'
done
# Worst one-second interval of received traffic, on either port: a forwarding stall of a
# second or more while ports came and went would show here.
worst=$(awk '/^\[/ && / rx / { for (i = 1; i <= NF; i++) if ($i == "rx") print $(i + 1) * 1e6 }' \
    "$RUN_DIR/gen-pair.log" | sort -g | head -n 1)
echo "slowest one-second interval: ${worst:-?} pps received"
check "every one-second interval received >= $MIN_INTERVAL_RX pps (slowest ${worst:-?})" \
    awk -v w="${worst:-0}" -v m="$MIN_INTERVAL_RX" 'BEGIN { exit !(w >= m) }'

check "vm3's VM survived its port's removal" kill -0 "$vm3_pid"
check "sluiced still running" sluiced_alive
it_finish
