#!/bin/bash
# test-vm-restart.sh: VM ports survive a VM restart and a switch crash, with real VMs.
#
# Four guests: vm1, vm2 on vhostuser ports (sluice owns the sockets, QEMU connects and
# reconnects every second), vm3, vm4 on vhostuserclient ports (QEMU owns the sockets, sluice
# connects). Rules pair vm1<->vm2 and vm3<->vm4.
#   1. all four boot and each pair pings;
#   2. VM restarts: vm2 is killed -9 (a crash) and vm1 stopped cleanly; sluiced stays up,
#      reports the ports down, and when both come back (new QEMU, same socket) pings pass.
#      vm4 (client-mode port) is killed -9 and restarted: sluice reconnects to its new socket;
#   3. switch crash: sluiced is killed -9 and started again from the same configuration;
#      without rebooting any guest (each console shows one boot), traffic resumes on both
#      kinds of port within 30 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../vm/vm-lib.sh"

it_init vm-restart
command -v qemu-system-x86_64 >/dev/null || it_skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"
vm_attach_it || { fail "guest build (tests/vm/build-guest.sh) failed"; it_finish; }

conf="$RUN_DIR/sluice.conf"
cat >"$conf" <<EOF
add-br br0
add-port br0 vm1 type=vhostuser
add-port br0 vm2 type=vhostuser
add-port br0 vm3 type=vhostuserclient path=$RUN_DIR/vm3-qemu.sock
add-port br0 vm4 type=vhostuserclient path=$RUN_DIR/vm4-qemu.sock
add-flow br0 priority=10,in_port=vm1,actions=output:vm2
add-flow br0 priority=10,in_port=vm2,actions=output:vm1
add-flow br0 priority=10,in_port=vm3,actions=output:vm4
add-flow br0 priority=10,in_port=vm4,actions=output:vm3
EOF

# start_vm NAME: (re)start one of the four guests with its fixed settings.
start_vm() {
    case "$1" in
    vm1) vm_start vm1 --vhost-user "$RUN_DIR/vm1.sock" --mac 52:54:00:00:02:01 --ip 10.0.0.1/24 ;;
    vm2) vm_start vm2 --vhost-user "$RUN_DIR/vm2.sock" --mac 52:54:00:00:02:02 --ip 10.0.0.2/24 ;;
    vm3) vm_start vm3 --vhost-user-server "$RUN_DIR/vm3-qemu.sock" --mac 52:54:00:00:02:03 --ip 10.0.1.3/24 ;;
    vm4) vm_start vm4 --vhost-user-server "$RUN_DIR/vm4-qemu.sock" --mac 52:54:00:00:02:04 --ip 10.0.1.4/24 ;;
    esac
}

# one_boot NAME: the guest's console shows exactly one boot since its QEMU started.
one_boot() {
    [ "$(grep -c '^SLUICE-BOOT' "$RUN_DIR/$1.log")" = 1 ]
}

# --- 1. everything up --------------------------------------------------------------------------
# QEMU listens first for the client-mode ports; sluice connects when its config adds them.
start_vm vm3 || fail "vm3 did not start"
start_vm vm4 || fail "vm4 did not start"
start_sluiced --config "$conf" -- -m 256
start_vm vm1 || fail "vm1 did not start"
start_vm vm2 || fail "vm2 did not start"
for v in vm1 vm2 vm3 vm4; do
    check "$v booted" vm_wait_ready $v 60
done
check "vm1 pings vm2 (vhostuser ports)" vm_ping vm1 10.0.0.2 5
check "vm3 pings vm4 (vhostuserclient ports)" vm_ping vm3 10.0.1.4 5

# --- 2. VM restarts ----------------------------------------------------------------------------
vm_kill vm2
check "sluiced survives vm2's QEMU being killed -9" sluiced_alive
check "sluice reports port vm2 down" wait_until 10 vm_port_link_is br0 vm2 down
check "vm1 cannot reach vm2 while it is down (0/2)" vm_ping_expect vm1 10.0.0.2 2 56 "ping fail 0/2"
vm_stop vm1
check "sluiced survives vm1 stopping" sluiced_alive
start_vm vm1 || fail "vm1 did not restart"
start_vm vm2 || fail "vm2 did not restart"
check "vm1 rebooted" vm_wait_ready vm1 60
check "vm2 rebooted" vm_wait_ready vm2 60
check "sluice reports port vm2 up again" wait_until 10 vm_port_link_is br0 vm2 up
check "after both restarts, vm1 pings vm2" vm_ping vm1 10.0.0.2 5
check "after both restarts, vm2 pings vm1 (1400 B)" vm_ping vm2 10.0.0.1 5 1400

vm_kill vm4
check "sluiced survives vm4's QEMU (the socket server) being killed -9" sluiced_alive
start_vm vm4 || fail "vm4 did not restart"
check "vm4 rebooted once sluice reconnected to its new socket" vm_wait_ready vm4 60
check "after vm4's restart, vm3 pings vm4" vm_ping vm3 10.0.1.4 5

# --- 3. switch crash ---------------------------------------------------------------------------
kill -9 "$SLUICED_PID"
wait "$SLUICED_PID" 2>/dev/null
check "with sluiced dead, vm1 cannot reach vm2 (0/2)" vm_ping_expect vm1 10.0.0.2 2 56 "ping fail 0/2"
check "with sluiced dead, vm3 cannot reach vm4 (0/2)" vm_ping_expect vm3 10.0.1.4 2 56 "ping fail 0/2"
start_sluiced --config "$conf" -- -m 256
check "vhostuser ports: vm1 reaches vm2 again within 30 s (QEMU reconnected)" vm_ping_until vm1 10.0.0.2 30
check "vhostuserclient ports: vm3 reaches vm4 again within 30 s (sluice reconnected)" vm_ping_until vm3 10.0.1.4 30
check "after the crash, vm1 pings vm2 5/5" vm_ping vm1 10.0.0.2 5
check "after the crash, vm4 pings vm3 5/5" vm_ping vm4 10.0.1.3 5
for v in vm1 vm2 vm3 vm4; do
    check "$v did not reboot across the switch crash" one_boot $v
done
check "sluiced still running" sluiced_alive

it_finish
