#!/usr/bin/env bash
# test-flood-vanish.sh — a VM that floods, then vanishes mid-burst, must not stall the PMD or
# the other ports.
#
# vm1 <-> vm2 carry steady, stamped traffic (vm1 sends, vm2 echoes, vm1 counts what returns).
# vm3, a third "VM" (sluice-gen on virtio-user), sends as fast as it can with actions=FLOOD,
# so its packets compete for vm1's and vm2's tx queues; then it is killed with SIGKILL while
# its burst is in flight (its virtqueues vanish with it). The steady pair must keep nearly
# all its traffic, the PMD must keep iterating, and sluice must see vm3's link go down.
. "$(dirname "$0")/lib.sh"

it_init flood-vanish
start_sluiced

check "add-br br0" ctl add-br br0
for p in vm1 vm2 vm3; do
    check "add-port $p (vhostuser)" ctl add-port br0 $p type=vhostuser
done
check "flow vm1->vm2" ctl add-flow br0 "priority=10,in_port=vm1,actions=output:vm2"
check "flow vm2->vm1" ctl add-flow br0 "priority=10,in_port=vm2,actions=output:vm1"
check "flow vm3->FLOOD" ctl add-flow br0 "priority=10,in_port=vm3,actions=FLOOD"

start_gen vm2 "$(vm_vdev 1 "$RUN_DIR/vm2.sock")" --mode echo --duration 40 --wait-link 20 \
    --idle-sleep-us 20
sleep 1
start_gen vm1 "$(vm_vdev 0 "$RUN_DIR/vm1.sock")" --mode txrx --rate 20000 --duration 12 \
    --wait-link 20 --idle-sleep-us 10
steady_pid=$GEN_PID
sleep 2

iters() {
    jsonrpc_raw '{"jsonrpc":"2.0","id":1,"method":"pmd-stats","params":{}}' |
        jq -r '[.result.pmds[].iterations] | add'
}
link_is() { [ "$(ctl_json dump-ports br0 | jq -r --arg p "$1" '.ports[] | select(.name==$p) | .link')" = "$2" ]; }
start_gen vm3 "$(vm_vdev 2 "$RUN_DIR/vm3.sock")" --mode tx --rate 0 --size 1500 \
    --duration 30 --wait-link 20
flood_pid=$GEN_PID
check "vm3 comes up" wait_until 20 link_is vm3 up
sleep 3
flooded=$(port_stat br0 vm3 .rx_packets)
assert_gt "vm3 flooded sluice ($flooded packets received from it)" "${flooded:-0}" 10000

i0=$(iters)
kill -9 "$flood_pid" 2>/dev/null
it_log "killed the flooding VM (pid $flood_pid) mid-burst"
sleep 2
i1=$(iters)
assert_gt "PMD keeps iterating after vm3 vanished ($i0 -> $i1)" "${i1:-0}" "${i0:-0}"
check "sluice sees vm3's link go down" wait_until 10 link_is vm3 down

wait_gen "$steady_pid" 40
rc=$?
assert_eq "steady vm1 generator finished" "$rc" 0
tx=$(gen_json vm1 '.ports[0].tx_packets')
back=$(gen_json vm1 '.ports[0].returned')
it_log "steady pair: sent $tx, returned $back while vm3 flooded and vanished"
assert_ge "steady pair sent its traffic (>= 150000 of 240000)" "${tx:-0}" 150000
assert_ge "steady pair lost under 10% ($back of $tx returned)" "$((${back:-0} * 10))" "$((${tx:-1} * 9))"

# A new VM on vm3's socket works again.
start_gen vm3b "$(vm_vdev 2 "$RUN_DIR/vm3.sock")" --mode tx --rate 10000 --count 5000 \
    --wait-link 20 --idle-sleep-us 10
wait_gen "$GEN_PID" 40
assert_eq "a new VM on vm3's socket sends again" "$?" 0
check "sluiced still running" sluiced_alive
it_finish
