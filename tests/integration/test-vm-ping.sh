#!/bin/bash
# test-vm-ping.sh: two real VMs (QEMU, Linux virtio-net driver) ping each other through
# sluice's vhostuser ports.
#
#   1. flood:    with one flow "actions=flood", vm1 and vm2 ping each other (56 and 1400 B);
#                sluice's port counters saw the packets;
#   2. in_port:  with in_port rules instead, pings pass again and each rule counts them;
#   3. no rule:  with the flows deleted, pings fail and sluice counts the drops (no_rule):
#                the traffic above really went through sluice's rules;
#   4. multiqueue: two more VMs with 4 vCPUs and 4 queue pairs each (n_rxq=4 ports, guest
#                ethtool -L 4) ping each other from every vCPU, and what a VM sends from
#                vCPU N arrives on sluice's rx queue N: traffic on every queue.
# Each guest is an initramfs-only Linux booted under TCG (tests/vm/); boot takes seconds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../vm/vm-lib.sh"

it_init vm-ping
command -v qemu-system-x86_64 >/dev/null || it_skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"
vm_attach_it || { fail "guest build (tests/vm/build-guest.sh) failed"; it_finish; }
start_sluiced -- -m 256

check "add-br br0" ctl add-br br0
check "add-port vm1 type=vhostuser" ctl add-port br0 vm1 type=vhostuser
check "add-port vm2 type=vhostuser" ctl add-port br0 vm2 type=vhostuser
check "add-flow actions=flood" ctl add-flow br0 "actions=flood"

vm_start vm1 --vhost-user "$RUN_DIR/vm1.sock" --mac 52:54:00:00:01:01 --ip 10.0.0.1/24 ||
    fail "vm1 did not start"
vm_start vm2 --vhost-user "$RUN_DIR/vm2.sock" --mac 52:54:00:00:01:02 --ip 10.0.0.2/24 ||
    fail "vm2 did not start"
check "vm1 booted and configured eth0" vm_wait_ready vm1 60
check "vm2 booted and configured eth0" vm_wait_ready vm2 60
check "vm1 sees carrier on eth0" vm_wait vm1 '^SLUICE-LINK eth0 .*carrier=1' 1
check "sluice reports port vm1 link up" wait_until 10 vm_port_link_is br0 vm1 up
check "sluice reports port vm2 link up" wait_until 10 vm_port_link_is br0 vm2 up

# --- 1. flood --------------------------------------------------------------------------------
check "flood: vm1 pings vm2 (5 x 56 B)" vm_ping vm1 10.0.0.2 5
check "flood: vm2 pings vm1 (5 x 1400 B)" vm_ping vm2 10.0.0.1 5 1400
assert_ge "port vm1 rx_packets counts vm1's requests and replies" "$(port_stat br0 vm1 .rx_packets)" 10
assert_ge "port vm2 tx_packets counts what reached vm2" "$(port_stat br0 vm2 .tx_packets)" 10

# --- 2. in_port rules ------------------------------------------------------------------------
check "del-flows" ctl del-flows br0
check "add-flow in_port=vm1 -> vm2" ctl add-flow br0 "priority=10,in_port=vm1,actions=output:vm2"
check "add-flow in_port=vm2 -> vm1" ctl add-flow br0 "priority=10,in_port=vm2,actions=output:vm1"
check "in_port: vm1 pings vm2 (5 x 56 B)" vm_ping vm1 10.0.0.2 5
check "in_port: vm2 pings vm1 (5 x 1400 B)" vm_ping vm2 10.0.0.1 5 1400
assert_ge "flow in_port=vm1 counted vm1's packets" "$(flow_packets br0 'output:(vm2|2)')" 10
assert_ge "flow in_port=vm2 counted vm2's packets" "$(flow_packets br0 'output:(vm1|1)')" 10

# --- 3. no rule: the pings above depended on sluice ------------------------------------------
drops0=$(port_stat br0 vm1 .drops.no_rule)
check "del-flows (table now empty)" ctl del-flows br0
check "no rule: vm1 cannot reach vm2 (0/3)" vm_ping_expect vm1 10.0.0.2 3 56 "ping fail 0/3"
assert_ge "port vm1 counted the drops as no_rule" "$(port_stat br0 vm1 .drops.no_rule)" $((drops0 + 3))
check "sluiced still running" sluiced_alive

vm_stop vm1
vm_stop vm2
check "sluice reports port vm1 link down after its VM stopped" wait_until 10 vm_port_link_is br0 vm1 down

# --- 4. multiqueue: 4 queue pairs, traffic on every queue ------------------------------------
check "add-port vm3 type=vhostuser n_rxq=4" ctl add-port br0 vm3 type=vhostuser n_rxq=4
check "add-port vm4 type=vhostuser n_rxq=4" ctl add-port br0 vm4 type=vhostuser n_rxq=4
check "add-flow in_port=vm3 -> vm4" ctl add-flow br0 "priority=10,in_port=vm3,actions=output:vm4"
check "add-flow in_port=vm4 -> vm3" ctl add-flow br0 "priority=10,in_port=vm4,actions=output:vm3"
n_rxq() {
    ctl_json show | jq -r --arg p "$1" '[.bridges[].ports[] | select(.name == $p) | .n_rxq] | first'
}
assert_eq "sluice runs port vm3 with 4 rx queues" "$(n_rxq vm3)" 4
# Four vCPUs: a guest transmits on the queue of the CPU that sends (XPS), so pinning ping to
# vCPU N puts its packets on queue N, which sluice must poll; the replies come back through
# vm4's queues, whichever the guest enabled.
vm_start vm3 --vhost-user "$RUN_DIR/vm3.sock" --mac 52:54:00:00:01:03 --ip 10.0.1.3/24 --queues 4 --smp 4 ||
    fail "vm3 did not start"
vm_start vm4 --vhost-user "$RUN_DIR/vm4.sock" --mac 52:54:00:00:01:04 --ip 10.0.1.4/24 --queues 4 --smp 4 ||
    fail "vm4 did not start"
check "vm3 booted" vm_wait_ready vm3 90
check "vm4 booted" vm_wait_ready vm4 90
check "vm3 runs 4 queue pairs" vm_wait vm3 '^SLUICE-LINK eth0 .*queues=4 carrier=1' 1
check "vm4 runs 4 queue pairs" vm_wait vm4 '^SLUICE-LINK eth0 .*queues=4 carrier=1' 1
rxq() {
    port_stat br0 "$1" ".xstats.rx_q${2}_packets"
}
for q in 0 1 2 3; do
    before=$(rxq vm3 $q)
    check "multiqueue: vm3 pings vm4 from vCPU $q" vm_ping vm3 10.0.1.4 5 56 $q
    assert_ge "sluice received them on vm3's rx queue $q" "$(rxq vm3 $q)" $((before + 5))
    before=$(rxq vm4 $q)
    check "multiqueue: vm4 pings vm3 from vCPU $q (1400 B)" vm_ping vm4 10.0.1.3 5 1400 $q
    assert_ge "sluice received them on vm4's rx queue $q" "$(rxq vm4 $q)" $((before + 5))
done
check "sluiced still running" sluiced_alive

it_finish
