#!/bin/bash
# test-vm-jumbo.sh: jumbo frames between real VMs through vhostuser ports.
#
# Both guests run eth0 at MTU 9000 throughout.
#   1. ports at the default MTU (1500): 1472-byte payloads (1514-byte frames) cross; 8972-byte
#      payloads (9014-byte frames, one frame each: a guest does not fragment below its own MTU)
#      are over the port MTU, so sluice drops them and counts them (drops.mtu);
#   2. the ports are deleted and added again with mtu=9000 while the VMs run (QEMU
#      reconnects): 8972-byte payloads now cross both ways, and so do 4000-byte ones;
#   3. vm1 raises its MTU to 9200 and sends 9100-byte payloads (9142-byte frames): over the
#      port MTU again, dropped and counted; a 9014-byte frame right after still crosses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../vm/vm-lib.sh"

it_init vm-jumbo
command -v qemu-system-x86_64 >/dev/null || it_skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"
vm_attach_it || { fail "guest build (tests/vm/build-guest.sh) failed"; it_finish; }
start_sluiced -- -m 256

port_mtu() {
    ctl_json show | jq -r --arg p "$1" '[.bridges[].ports[] | select(.name == $p) | .mtu] | first'
}
mtu_drops() {
    echo $(($(port_stat br0 vm1 .drops.mtu) + $(port_stat br0 vm2 .drops.mtu)))
}
add_flows() {
    ctl add-flow br0 "priority=10,in_port=vm1,actions=output:vm2" &&
        ctl add-flow br0 "priority=10,in_port=vm2,actions=output:vm1"
}

vm_require "add-br br0" ctl add-br br0
vm_require "add-port vm1 type=vhostuser" ctl add-port br0 vm1 type=vhostuser
vm_require "add-port vm2 type=vhostuser" ctl add-port br0 vm2 type=vhostuser
vm_require "add-flows in_port vm1 <-> vm2" add_flows
assert_eq "sluice reports port vm1 at the default MTU" "$(port_mtu vm1)" 1500

vm_start vm1 --vhost-user "$RUN_DIR/vm1.sock" --mac 52:54:00:00:03:01 --ip 10.0.0.1/24 --mtu 9000 ||
    fail "vm1 did not start"
vm_start vm2 --vhost-user "$RUN_DIR/vm2.sock" --mac 52:54:00:00:03:02 --ip 10.0.0.2/24 --mtu 9000 ||
    fail "vm2 did not start"
vm_require "vm1 booted" vm_wait_ready vm1 60
vm_require "vm2 booted" vm_wait_ready vm2 60
check "vm1 runs eth0 at MTU 9000" vm_wait vm1 '^SLUICE-LINK eth0 .*mtu=9000 .*carrier=1' 1
check "vm2 runs eth0 at MTU 9000" vm_wait vm2 '^SLUICE-LINK eth0 .*mtu=9000 .*carrier=1' 1

# --- 1. port MTU 1500 ------------------------------------------------------------------------
check "MTU 1500 ports: 1472-byte payloads cross" vm_ping vm1 10.0.0.2 3 1472
drops0=$(mtu_drops)
check "MTU 1500 ports: 9014-byte frames do not cross (0/3)" vm_ping_expect vm1 10.0.0.2 3 8972 "ping fail 0/3"
assert_ge "sluice counted them as drops.mtu" "$(mtu_drops)" $((drops0 + 3))

# --- 2. port MTU 9000 ------------------------------------------------------------------------
vm_require "del-port vm1" ctl del-port br0 vm1
vm_require "del-port vm2" ctl del-port br0 vm2
vm_require "add-port vm1 type=vhostuser mtu=9000" ctl add-port br0 vm1 type=vhostuser mtu=9000
vm_require "add-port vm2 type=vhostuser mtu=9000" ctl add-port br0 vm2 type=vhostuser mtu=9000
vm_require "add-flows in_port vm1 <-> vm2" add_flows
assert_eq "sluice reports port vm1 at MTU 9000" "$(port_mtu vm1)" 9000
check "the running VMs reconnected to the re-added ports" vm_ping_until vm1 10.0.0.2 30
check "vm1 pings vm2 with 4000-byte payloads" vm_ping vm1 10.0.0.2 3 4000
tx0=$(port_stat br0 vm2 .tx_bytes)
check "vm1 pings vm2 with 8972-byte payloads (9014-byte frames)" vm_ping vm1 10.0.0.2 5 8972
check "vm2 pings vm1 with 8972-byte payloads" vm_ping vm2 10.0.0.1 5 8972
assert_ge "port vm2 sent at least 10 frames of 9014 B" "$(port_stat br0 vm2 .tx_bytes)" $((tx0 + 10 * 9014))

# --- 3. over the 9000 MTU --------------------------------------------------------------------
drops0=$(mtu_drops)
check "vm1 raises its MTU to 9200" vm_cmd vm1 5 mtu 9200
check "9142-byte frames from vm1 do not cross (0/3)" vm_ping_expect vm1 10.0.0.2 3 9100 "ping fail 0/3"
assert_ge "sluice counted them as drops.mtu" "$(mtu_drops)" $((drops0 + 3))
check "a 9014-byte frame right after still crosses" vm_ping vm1 10.0.0.2 3 8972
check "sluiced still running" sluiced_alive

it_finish
