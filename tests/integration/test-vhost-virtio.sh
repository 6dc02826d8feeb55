#!/usr/bin/env bash
# test-vhost-virtio.sh — two "VMs" (sluice-gen on virtio-user, each its own DPDK process)
# attached to vhostuser ports of sluiced exchange traffic through in_port flows: vm1 sends
# stamped UDP, vm2 echoes it back, vm1 counts what returned. Then vm1 "reboots" (its process
# exits and a new one attaches to the same socket) and traffic resumes with large frames.
. "$(dirname "$0")/lib.sh"

it_init vhost-virtio
start_sluiced

check "add-br br0" ctl add-br br0
check "add-port vm1 (vhostuser)" ctl add-port br0 vm1 type=vhostuser
check "add-port vm2 (vhostuser)" ctl add-port br0 vm2 type=vhostuser
check "socket $RUN_DIR/vm1.sock exists" test -S "$RUN_DIR/vm1.sock"
check "socket $RUN_DIR/vm2.sock exists" test -S "$RUN_DIR/vm2.sock"
check "add-flow vm1->vm2" ctl add-flow br0 "priority=10,in_port=vm1,actions=output:vm2"
check "add-flow vm2->vm1" ctl add-flow br0 "priority=10,in_port=vm2,actions=output:vm1"

# vm2: echo everything back, for longer than the senders below need.
start_gen vm2 "$(vm_vdev 1 "$RUN_DIR/vm2.sock")" --mode echo --duration 60 --wait-link 20 \
    --idle-sleep-us 20
echo_pid=$GEN_PID
sleep 1

# vm1: 2 s at 50 kpps of 64-byte frames; at least 95% must come back.
start_gen vm1 "$(vm_vdev 0 "$RUN_DIR/vm1.sock")" --mode txrx --rate 50000 --duration 2 \
    --wait-link 20 --min-rx-ratio 0.95 --idle-sleep-us 10
wait_gen "$GEN_PID" 40
rc=$?
assert_eq "vm1 generator exit status (--min-rx-ratio 0.95)" "$rc" 0
tx=$(gen_json vm1 '.ports[0].tx_packets')
back=$(gen_json vm1 '.ports[0].returned')
assert_ge "vm1 sent at least 50000 packets" "${tx:-0}" 50000
assert_gt "vm1 got packets back" "${back:-0}" 0
p99=$(gen_json vm1 '.ports[0].latency_ns.p99 // 0')
assert_gt "round-trip latency measured (p99 ${p99} ns)" "${p99:-0}" 0
echo "vm1: sent $tx, returned $back, p50 $(gen_json vm1 '.ports[0].latency_ns.p50') ns, p99 $p99 ns"

for p in vm1 vm2; do
    assert_gt "dump-ports $p rx_packets" "$(port_stat br0 $p .rx_packets)" 0
    assert_gt "dump-ports $p tx_packets" "$(port_stat br0 $p .tx_packets)" 0
done
vm1_rx=$(port_stat br0 vm1 .rx_packets)
assert_ge "sluiced received on vm1 what vm1 sent ($vm1_rx of $tx)" "$vm1_rx" "$tx"
n12=$(ctl_json dump-flows br0 | jq -r '[.flows[] | select(.match | test("vm1|in_port=1")) | .n_packets] | first // 0')
assert_ge "flow in_port=vm1 counted every packet" "${n12:-0}" "$tx"

# vm1 restarts: a new process on the same socket, 1500-byte frames, fixed count.
# Counters must be exact even though bursts of an in_port-only table replay the first
# packet's path (datapath/pmd.c, struct pmd_replay): every packet counted once.
flow_n() { ctl_json dump-flows br0 | jq -r '[.flows[] | select(.match | test("vm1|in_port=1")) | .n_packets] | first // 0'; }
n_before=$(flow_n)
rx_before=$(port_stat br0 vm1 .rx_packets)
start_gen vm1b "$(vm_vdev 0 "$RUN_DIR/vm1.sock")" --mode txrx --rate 20000 --count 10000 \
    --size 1500 --wait-link 20 --min-rx-ratio 0.95 --idle-sleep-us 10
wait_gen "$GEN_PID" 40
assert_eq "vm1 after reconnect: 10000 x 1500 B, >= 95% back" "$?" 0
assert_eq "vm1b sent exactly --count packets" "$(gen_json vm1b '.ports[0].tx_packets')" 10000
assert_eq "flow in_port=vm1 counted exactly the 10000 packets" "$(($(flow_n) - n_before))" 10000
assert_eq "vm1 rx_packets rose by exactly 10000" \
    "$(($(port_stat br0 vm1 .rx_packets) - rx_before))" 10000
replayed=$(ctl_json pmd-stats | jq '[.pmds[].replayed] | add // 0')
assert_gt "bursts replayed their first packet's path ($replayed packets)" "${replayed:-0}" 0

check "echo peer vm2 still running" kill -0 "$echo_pid"
check "sluiced still running" sluiced_alive
it_finish
