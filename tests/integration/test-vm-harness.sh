#!/bin/bash
# test-vm-harness.sh: the VM test harness itself (tests/vm/), without sluice.
#
# The VM tests (test-vm-ping, -restart, -jumbo) blame sluice when traffic between two guests
# fails; this test proves the rest of the chain works so that the blame is right:
#   1. build-guest.sh builds the guest from Debian packages (and reuses its cache);
#   2. a one-shot guest boots, reports, powers off, and QEMU exits by itself (boot time is
#      measured: the guest's uptime when /init starts, and the wall clock);
#   3. two guests linked back to back by QEMU's stream netdev ping each other, with standard
#      and 9000-byte MTU frames, and a ping to an absent address fails (the check can fail);
#   4. two guests on vhost-user ports of DPDK's testpmd (io forwarding, the reference
#      vhost-user backend) ping each other with two queue pairs; when testpmd is killed the
#      pings fail, and when it comes back QEMU reconnects and they pass again, with no reboot.
# Everything is bounded in time; every QEMU and testpmd it starts is killed and its files
# removed by the EXIT trap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../vm/vm-lib.sh"

[ "$(id -u)" -eq 0 ] || it_skip "test-vm-harness needs root (the guest cache, apt-get download)"
command -v qemu-system-x86_64 >/dev/null || it_skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"

t0=$SECONDS
if vm_init; then
    pass "guest built or reused in $((SECONDS - t0)) s"
else
    fail "build-guest.sh failed"
    it_finish
fi
t0=$SECONDS
check "build-guest.sh is idempotent (second run reuses the cache)" "$VM_LIB_DIR/build-guest.sh" --quiet
if [ $((SECONDS - t0)) -lt 5 ]; then
    pass "second build-guest.sh run takes under 5 s"
else
    fail "second build-guest.sh run took $((SECONDS - t0)) s: the cache is not reused"
fi

# --- 2. one-shot boot ---------------------------------------------------------------------
start_ns=$(date +%s%N)
if vm_start boot --stream-listen "$VM_DIR/boot.sock" --test boot; then
    if vm_wait_exit boot 60; then
        wall_ms=$((($(date +%s%N) - start_ns) / 1000000))
        pass "one-shot guest powered off and QEMU exited (wall clock ${wall_ms} ms)"
    else
        fail "one-shot guest did not power off within 60 s"
    fi
    check "one-shot guest reported its boot" vm_wait boot '^SLUICE-RESULT boot boot ok' 1
    init_s=$(vm_boot_seconds boot)
    if [ -n "$init_s" ] && [ "${init_s%.*}" -lt 15 ]; then
        pass "guest reaches /init ${init_s} s after the kernel starts (limit 15 s)"
    else
        fail "guest reached /init ${init_s:-never} s after the kernel started (limit 15 s)"
    fi
    vm_stop boot
else
    fail "one-shot guest did not start"
fi

# --- 3. back to back over a stream socket -------------------------------------------------
vm_start a --stream-listen "$VM_DIR/link.sock" --ip 10.0.0.1/24 --mtu 9000 &&
    vm_start b --stream-connect "$VM_DIR/link.sock" --ip 10.0.0.2/24 --mtu 9000 ||
    fail "stream guests did not start"
check "guest a ready" vm_wait_ready a 60
check "guest b ready" vm_wait_ready b 60
check "guest a has eth0 at MTU 9000 with carrier" vm_wait a '^SLUICE-LINK eth0 .*mtu=9000 .*carrier=1' 1
check "a pings b (5 x 56 B)" vm_ping a 10.0.0.2 5
check "b pings a (3 x 8972 B, one 9000-byte IP packet each)" vm_ping b 10.0.0.1 3 8972
check "a ping to an absent address fails (0/2)" vm_ping_expect a 10.0.0.99 2 56 "ping fail 0/2"
rx=$(vm_cmd a 5 stats | sed -n 's/.*rx_packets=\([0-9]*\).*/\1/p')
assert_ge "guest a counted the packets it received" "${rx:-0}" 8
check_not "an unknown guest command is answered with fail" vm_cmd a 5 no-such-command
monitor_says_running() {
    vm_monitor "$1" 'info status' | grep -q 'VM status: running'
}
check "QEMU monitor answers 'info status'" monitor_says_running a
vm_stop a
vm_stop b

# --- 4. vhost-user against testpmd --------------------------------------------------------
TESTPMD=${SLUICE_TESTPMD:-$(command -v dpdk-testpmd || true)}
tp_pid=""
tp_prefix="svmh$$"
# testpmd_start: testpmd as the vhost-user server for two sockets, io forwarding between
# them, without hugepages (-m 256), two queue pairs, mbufs big enough for 9000-byte frames.
testpmd_start() {
    # A killed testpmd leaves its sockets behind, and DPDK's vhost server will not bind over them.
    rm -f "$VM_DIR/tp0.sock" "$VM_DIR/tp1.sock"
    "$TESTPMD" --file-prefix="$tp_prefix" --no-huge -m 256 --no-pci -l 0-1 --log-level=lib.eal,error \
        --vdev "net_vhost0,iface=$VM_DIR/tp0.sock,queues=2" \
        --vdev "net_vhost1,iface=$VM_DIR/tp1.sock,queues=2" \
        -- --forward-mode=io --auto-start --stats-period 10 --nb-cores=1 --rxq=2 --txq=2 \
        --total-num-mbufs=4096 </dev/null >>"$VM_DIR/testpmd.log" 2>&1 &
    tp_pid=$!
    wait_until 20 test -S "$VM_DIR/tp1.sock"
}
testpmd_stop() {
    local sig=${1:-TERM}
    [ -n "$tp_pid" ] || return 0
    kill -"$sig" "$tp_pid" 2>/dev/null
    wait "$tp_pid" 2>/dev/null
    tp_pid=""
    rm -rf "/var/run/dpdk/$tp_prefix"
}
vm_on_cleanup 'testpmd_stop KILL'

if [ -z "$TESTPMD" ]; then
    if [ "${IT_STRICT:-0}" = 1 ]; then
        fail "dpdk-testpmd not installed (package dpdk-dev): no vhost-user reference check"
    else
        echo "SKIP: vhost-user reference check: dpdk-testpmd not installed (package dpdk-dev)"
    fi
else
    # (Not under check: that runs its command in a subshell, which would lose tp_pid.)
    if testpmd_start; then pass "testpmd serves two vhost-user sockets"; else fail "testpmd did not start"; fi
    vm_start va --vhost-user "$VM_DIR/tp0.sock" --ip 10.0.1.1/24 --queues 2 &&
        vm_start vb --vhost-user "$VM_DIR/tp1.sock" --ip 10.0.1.2/24 --queues 2 ||
        fail "vhost-user guests did not start"
    check "vhost-user guest va ready" vm_wait_ready va 60
    check "vhost-user guest vb ready" vm_wait_ready vb 60
    check "va has 2 queue pairs and carrier" vm_wait va '^SLUICE-LINK eth0 .*queues=2 carrier=1' 1
    check "va pings vb through testpmd" vm_ping va 10.0.1.2 5
    check "vb pings va through testpmd (1400 B)" vm_ping vb 10.0.1.1 3 1400

    testpmd_stop KILL
    check "with testpmd killed, va cannot reach vb (0/2)" vm_ping_expect va 10.0.1.2 2 56 "ping fail 0/2"
    if testpmd_start; then pass "testpmd restarted"; else fail "testpmd did not restart"; fi
    # QEMU retries its connection every second (--reconnect 1), then renegotiates.
    got=0
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        got=$(vm_ping_received va 10.0.1.2 2)
        [ "$got" -gt 0 ] && break
    done
    assert_gt "after testpmd restarts, traffic resumes without a reboot" "$got" 0
    check "va pings vb 5/5 after the reconnect" vm_ping va 10.0.1.2 5
    assert_eq "va did not reboot (one SLUICE-BOOT line)" "$(grep -c '^SLUICE-BOOT' "$VM_DIR/va.log")" 1
    vm_stop va
    vm_stop vb
    testpmd_stop
fi

it_finish
