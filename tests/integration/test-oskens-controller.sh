#!/usr/bin/env bash
# test-oskens-controller.sh — sluiced under a real SDN controller: an os-ken learning switch
# (oskens_l2switch.py, OpenFlow 1.3 over TCP on loopback) drives a bridge joining two network
# namespaces (veth pairs on net_af_packet ports).
#
#   1. set-controller tcp:127.0.0.1:PORT: the switch connects, the controller installs its
#      table-miss flow, ping between the namespaces works through PACKET_IN / PACKET_OUT /
#      FLOW_MOD, and the learned flows show in `sluicectl dump-flows` and `ovs-ofctl
#      dump-flows`, counting the traffic.
#   2. The controller dies (SIGKILL). fail_mode=standalone: ping keeps working on the flows it
#      installed (traffic keeps their idle timeout from expiring); a packet that needs the
#      controller is dropped and counted; after 15 s the bridge is fail-open: a learning switch
#      (NORMAL for every packet, tables bypassed), so even with every flow deleted ping works
#      and fdb-show lists both MACs.
#   3. The controller restarts on the same port: sluiced reconnects by itself (backoff at most
#      8 s), leaves fail-open; with the learned flows deleted, ping brings them back (new
#      PACKET_INs are served); with no traffic they idle-expire, the table-miss flow stays.
#   4. fail_mode=secure: the controller dies again and the bridge never goes fail-open: the
#      installed flows keep forwarding, and once they are deleted ping fails.
#
# sluice's fail modes (control/ofconn.h): in both modes the controller's flows stay and keep
# forwarding while no controller is connected, and packets for the controller are dropped
# (counted in get-controller "packet_in_dropped"). "standalone" turns the bridge into a
# learning switch (fail-open, as Open vSwitch does) after 15 s without a controller, until a
# controller connects again; "secure" never does.
#
# Controllers are configured and observed with `sluicectl set-controller` / `get-controller`
# (JSON-RPC methods of the same names).
. "$(dirname "$0")/lib.sh"

it_init oskens-controller

# os-ken is a Debian package (python3-os-ken) for the system Python; a python3 earlier in PATH
# (pyenv, venv) may not see it, so prefer its own entry point.
if command -v osken-manager >/dev/null; then
    OSKEN=(osken-manager)
elif /usr/bin/python3 -c 'import os_ken' 2>/dev/null; then
    OSKEN=(/usr/bin/python3 -m os_ken.cmd.manager)
else
    it_skip "os-ken not installed (python3-os-ken)"
fi
APP="$IT_LIB_DIR/oskens_l2switch.py"
[ -f "$APP" ] || it_skip "$APP missing"
HAVE_OFCTL=0
command -v ovs-ofctl >/dev/null && HAVE_OFCTL=1

start_sluiced

make_ns a && ns1=$NS || { fail "netns a"; it_finish; }
make_ns b && ns2=$NS || { fail "netns b"; it_finish; }
h1=$(veth_name a)
h2=$(veth_name b)
MAC1=02:00:00:00:02:01
MAC2=02:00:00:00:02:02
make_veth "$h1" "$ns1" eth0 198.18.1.1/24 "$MAC1" || { fail "veth $h1"; it_finish; }
make_veth "$h2" "$ns2" eth0 198.18.1.2/24 "$MAC2" || { fail "veth $h2"; it_finish; }

check "add-br br0" ctl add-br br0
check "add-port p1 (af_packet on $h1)" ctl add-port br0 p1 type=dpdk \
    "devargs=net_af_packet$IT_ID,iface=$h1" ofport=1
check "add-port p2 (af_packet on $h2)" ctl add-port br0 p2 type=dpdk \
    "devargs=net_af_packet1$IT_ID,iface=$h2" ofport=2

# --- helpers -----------------------------------------------------------------------------
ctrl_field() { ctl_json get-controller br0 | jq -r "$1"; }
ctrl_state() { ctrl_field '.targets[0].state'; }
ctrl_connected() { [ "$(ctrl_state)" = connected ]; }
ctrl_not_connected() { local s; s=$(ctrl_state) && [ -n "$s" ] && [ "$s" != connected ]; }
fail_open_is() { [ "$(ctrl_field .fail_open)" = "$1" ]; }

LEARNED=0x1ea4 # oskens_l2switch.py's LEARNED_COOKIE
# learned_flows: how many flows carry the controller's learned-flow cookie.
learned_flows() {
    ctl_json dump-flows br0 |
        jq --argjson c "$((LEARNED))" '[.flows[] | select(.cookie == $c or .cookie == "0x1ea4")] | length'
}
learned_flows_are() { [ "$(learned_flows)" = "$1" ]; }
learned_packets() {
    ctl_json dump-flows br0 |
        jq --argjson c "$((LEARNED))" '[.flows[] | select(.cookie == $c or .cookie == "0x1ea4") | .n_packets] | add // 0'
}
miss_flow_present() {
    ctl_json dump-flows br0 |
        jq -e '[.flows[] | select(.priority == 0 and (.actions | test("(?i)^controller(:65535)?$")))] | length == 1'
}

ping_ok() { ip netns exec "$ns1" ping -c 3 -i 0.2 -W 1 -q 198.18.1.2; }
ping_once() { ip netns exec "$ns1" ping -c 2 -i 0.2 -W 1 -q 198.18.1.2; }

CTRL_PID=""
CTRL_LOG="$RUN_DIR/controller.log"
# start_controller IDLE-TIMEOUT: os-ken on 127.0.0.1:$CPORT, its log appended to CTRL_LOG.
start_controller() {
    L2SWITCH_IDLE_TIMEOUT="$1" "${OSKEN[@]}" --ofp-listen-host 127.0.0.1 \
        --ofp-tcp-listen-port "$CPORT" "$APP" >>"$CTRL_LOG" 2>&1 &
    CTRL_PID=$!
    IT_PIDS+=("$CTRL_PID")
    wait_until 20 port_listening
}
port_listening() { ss -Hltn "sport = :$CPORT" | grep -q LISTEN; }
# kill_controller: a crash, not a goodbye: SIGKILL, the kernel closes the TCP connection.
kill_controller() {
    kill -KILL "$CTRL_PID" 2>/dev/null
    wait "$CTRL_PID" 2>/dev/null
    CTRL_PID=""
}
ctrl_log_count() { grep -c -- "$1" "$CTRL_LOG"; }

# A free port for the controller: bound and released (another process could take it in
# between; the controller's start then fails and says so).
CPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# --- 1. under the controller -------------------------------------------------------------
check_not "ping fails before any controller (empty table)" ping_once
if ! start_controller 30; then
    fail "os-ken did not listen on 127.0.0.1:$CPORT within 20 s"
    it_finish
fi
pass "os-ken l2switch listening on 127.0.0.1:$CPORT (pid $CTRL_PID)"
check "set-controller br0 tcp:127.0.0.1:$CPORT standalone" \
    ctl set-controller br0 "tcp:127.0.0.1:$CPORT" standalone
check "get-controller: connected within 15 s" wait_until 15 ctrl_connected
check "controller saw the switch connect" wait_until 10 grep -q "l2switch: switch .* connected" "$CTRL_LOG"
check "controller's table-miss flow (priority 0, CONTROLLER:65535) in dump-flows" \
    wait_until 10 miss_flow_present
assert_eq "get-controller: fail_mode" "$(ctrl_field .fail_mode)" standalone
assert_eq "get-controller: not fail-open" "$(ctrl_field .fail_open)" false

check "ping ns1 -> ns2 under the controller" wait_until 15 ping_ok
check "two learned flows (one per direction)" wait_until 5 learned_flows_are 2
check "controller learned both MACs" grep -q "learned $MAC2 on port 2" "$CTRL_LOG"
pins=$(ctrl_field '[.connections[] | select(.kind != "service") | .packet_in_sent] | add // 0')
assert_gt "packet-ins sent to the controller" "${pins:-0}" 0
fwd_flow() {
    ctl dump-flows br0 | grep -E "in_port=(p1|1)" | grep -Ei "dl_dst=$MAC2|eth_dst=$MAC2" |
        grep -Ei "idle_timeout=30" | grep -Eq "output:(p2|2)"
}
check "sluicectl dump-flows: in_port=p1,dl_dst=$MAC2 -> output:p2, idle_timeout=30" fwd_flow
check "ping again (now on the learned flows)" ping_ok
assert_gt "learned flows counted the pings" "$(learned_packets)" 0
if [ "$HAVE_OFCTL" = 1 ]; then
    OFDUMP=$(timeout 20 ovs-ofctl -O OpenFlow13 dump-flows "unix:$RUN_DIR/br0.mgmt" 2>&1)
    of_has() { grep -Eq -- "$1" <<<"$OFDUMP"; }
    check "ovs-ofctl dump-flows: the table-miss flow" of_has "priority=0 actions=CONTROLLER:65535"
    check "ovs-ofctl dump-flows: learned flow p2 -> p1" \
        of_has "cookie=0x1ea4, .*idle_timeout=30, .*priority=1,in_port=\"?(p2|2)\"?,dl_src=$MAC2,dl_dst=$MAC1 actions=output:\"?(p1|1)\"?"
fi
assert_eq "controller got no OFPT_ERROR" "$(ctrl_log_count OFPT_ERROR)" 0

# --- 2. the controller dies; standalone keeps forwarding ---------------------------------
kill_controller
check "get-controller: not connected once the controller is gone" wait_until 10 ctrl_not_connected
check "ping still works on the installed flows" ping_ok
drops0=$(ctrl_field .packet_in_dropped)
# An unknown destination needs the controller (ARP broadcast to the table-miss flow).
ip netns exec "$ns1" ping -c 2 -i 0.3 -W 1 -q 198.18.1.99 >/dev/null 2>&1
drops1=$(ctrl_field .packet_in_dropped)
assert_gt "packets for the missing controller dropped and counted" "${drops1:-0}" "${drops0:-0}"
assert_eq "not fail-open yet (drops counted before the 15 s)" "$(ctrl_field .fail_open)" false
# Continuous traffic across the fail-open transition: no loss expected (ARP refreshes of the
# kernels in the namespaces are unicast and match the learned flows too).
ip netns exec "$ns1" ping -c 100 -i 0.2 -W 1 -q 198.18.1.2 >"$RUN_DIR/ping-failopen.txt" 2>&1 &
ping_pid=$!
IT_PIDS+=("$ping_pid")
check "standalone: fail-open after 15 s without controller (bounded 25 s)" \
    wait_until 25 fail_open_is true
wait_gen "$ping_pid" 30
rx=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$RUN_DIR/ping-failopen.txt")
assert_ge "pings answered across the fail-open transition (of 100)" "${rx:-0}" 99
check "learned flows still installed" learned_flows_are 2
# Fail-open is a learning switch: with NO flow left, ping still works (NORMAL, tables bypassed).
fdb_field() { ctl_json fdb-show br0 | jq -r "$1"; }
fo0=$(fdb_field .stats.fail_open_packets)
check "fail-open: del-flows br0 (every flow)" ctl del-flows br0
assert_eq "fail-open: no flow left" "$(ctl_json dump-flows br0 | jq '.flows | length')" 0
check "fail-open: ping works with no flows (learning switch)" wait_until 10 ping_ok
assert_gt "fail-open: packets forwarded as NORMAL counted" "$(fdb_field .stats.fail_open_packets)" "${fo0:-0}"
assert_eq "fail-open: fdb-show says so" "$(fdb_field .fail_open)" true
fdb_port() { ctl_json fdb-show br0 | jq -r --arg m "$1" '[.entries[] | select(.mac == $m) | .port] | first // empty'; }
assert_eq "fail-open: $MAC1 learned on p1" "$(fdb_port $MAC1)" p1
assert_eq "fail-open: $MAC2 learned on p2" "$(fdb_port $MAC2)" p2
tr_failopen() {
    ctl_json trace br0 "in_port=p1,dl_src=$MAC1,dl_dst=$MAC2" |
        jq -e '[.steps[] | select(.kind == "normal" and .fail_open == true and .decision == "forward")] | length == 1' >/dev/null
}
check "fail-open: trace shows NORMAL (fail-open) forwarding to p2, no table lookup" tr_failopen

# --- 3. the controller comes back ----------------------------------------------------------
if ! start_controller 3; then
    fail "os-ken did not restart on 127.0.0.1:$CPORT"
    it_finish
fi
check "sluiced reconnected to the restarted controller (bounded 20 s)" wait_until 20 ctrl_connected
check "bridge left fail-open" wait_until 5 fail_open_is false
check "controller saw the switch connect twice" \
    wait_until 10 bash -c "[ \$(grep -c 'l2switch: switch .* connected' '$CTRL_LOG') -ge 2 ]"
check "del-flows the learned flows (by cookie)" ctl del-flows br0 "cookie=$LEARNED/-1"
check "learned flows gone" learned_flows_are 0
check "table-miss flow back (the controller installs it on connect)" wait_until 10 miss_flow_present
assert_eq "left fail-open: fdb-show says so" "$(ctl_json fdb-show br0 | jq -r .fail_open)" false
learned_before=$(ctrl_log_count "l2switch: flow ")
check "ping works through the restarted controller" wait_until 15 ping_ok
check "the learned flows are back" wait_until 5 learned_flows_are 2
assert_gt "restarted controller installed new flows" "$(ctrl_log_count "l2switch: flow ")" "$learned_before"
# The new flows have a 3 s idle timeout; sluice expires flows once a second.
check "learned flows idle-expire without traffic (3 s timeout, bounded 15 s)" \
    wait_until 15 learned_flows_are 0
check "table-miss flow (no timeout) stays" miss_flow_present
assert_eq "controller got no OFPT_ERROR" "$(ctrl_log_count OFPT_ERROR)" 0

# --- 4. secure: never fail-open -----------------------------------------------------------
conn_name() { ctrl_field '[.connections[] | select(.kind != "service") | .name] | first // ""'; }
conn_before=$(conn_name)
check "set-controller br0 (same target) secure" ctl set-controller br0 "tcp:127.0.0.1:$CPORT" secure
assert_eq "get-controller: fail_mode" "$(ctrl_field .fail_mode)" secure
check "still connected after the fail_mode change" ctrl_connected
assert_eq "the connection to the unchanged target was kept (not reconnected)" "$(conn_name)" \
    "$conn_before"
check "ping works in secure mode (flows relearned)" wait_until 15 ping_ok
# Traffic keeps the 3 s flows alive while the controller is gone.
ip netns exec "$ns1" ping -c 100 -i 0.2 -W 1 -q 198.18.1.2 >"$RUN_DIR/ping-secure.txt" 2>&1 &
ping_pid=$!
IT_PIDS+=("$ping_pid")
kill_controller
check "get-controller: not connected" wait_until 10 ctrl_not_connected
sleep 17 # past OFCONN_FAIL_OPEN_S (15 s)
assert_eq "secure: not fail-open 17 s after the controller died" "$(ctrl_field .fail_open)" false
wait_gen "$ping_pid" 30
rx=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$RUN_DIR/ping-secure.txt")
assert_ge "secure: pings answered on the installed flows without controller (of 100)" "${rx:-0}" 99
check "secure: del-flows br0 (every flow)" ctl del-flows br0
check_not "secure: no flows and no controller: ping fails (no learning switch)" ping_once
assert_eq "secure: fdb-show not fail-open" "$(ctl_json fdb-show br0 | jq -r .fail_open)" false

check "sluiced still running" sluiced_alive
it_finish
