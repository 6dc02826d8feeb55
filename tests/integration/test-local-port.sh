#!/usr/bin/env bash
# test-local-port.sh — a bridge's LOCAL port, as Open vSwitch's internal port: a tap interface
# named after the bridge through which the host's stack sends and receives.
#
# sluiced runs inside a namespace of its own (SW), so its taps appear there and nowhere else.
# A veth pair joins SW (af_packet port p1) to a peer namespace (PEER, 198.18.7.2). The LOCAL
# tap gets 198.18.7.1 in SW; with in_port=LOCAL -> p1 and p1 -> LOCAL flows (then FLOOD, then
# ALL, no NORMAL) SW's stack pings PEER through the bridge. ovs-ofctl sees LOCAL in
# dump-ports-desc and dump-ports the way OVS prints it; PACKET_OUT to LOCAL reaches the tap
# (its kernel rx counter), PACKET_OUT from in_port LOCAL reaches PEER; PORT_MOD down/up on
# LOCAL sets the tap's administrative state, and `ip link set` on the tap comes back as
# PORT_STATUS. add-br with a name an interface already has fails cleanly; local=none works.
. "$(dirname "$0")/lib.sh"

it_init local-port
command -v ovs-ofctl >/dev/null || it_skip "ovs-ofctl not installed (openvswitch-common)"
[ -c /dev/net/tun ] || it_skip "no /dev/net/tun (tun module)"

make_ns sw && SW=$NS || { fail "netns sw"; it_finish; }
make_ns peer && PEER=$NS || { fail "netns peer"; it_finish; }
BR="br$IT_ID"
HV=$(veth_name v)
ip link add "$HV" netns "$SW" type veth peer name eth0 netns "$PEER" || {
    fail "veth $HV"
    it_finish
}
ip netns exec "$SW" sysctl -qw "net.ipv6.conf.$HV.disable_ipv6=1"
ip netns exec "$PEER" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
ip -n "$SW" link set "$HV" up
ip -n "$PEER" addr add 198.18.7.2/24 dev eth0
ip -n "$PEER" link set eth0 up

# start_sluiced, but inside SW.
it_prefix d
ip netns exec "$SW" "$SLUICED" --run-dir "$RUN_DIR" --pmd-cores "${IT_PMD_CORES:-$(($(nproc) - 1))}" \
    --log-level info -- --file-prefix "$IT_PREFIX" --in-memory --no-pci \
    >"$RUN_DIR/sluiced.log" 2>&1 &
SLUICED_PID=$!
IT_PIDS+=("$SLUICED_PID")
wait_until 30 ctl show || { fail "sluiced did not start in $SW"; it_finish; }

# ovs-ofctl monitor opens a control socket in OVS_RUNDIR: keep it in ours.
export OVS_RUNDIR="$RUN_DIR"
OF=(timeout 20 ovs-ofctl -O OpenFlow13)
SL="unix:$RUN_DIR/$BR.mgmt"
in_sw() { ip netns exec "$SW" "$@"; }
tap_stat() { in_sw cat "/sys/class/net/$BR/statistics/$1"; }

# --- the bridge and its LOCAL port ------------------------------------------------------------
check "add-br $BR (LOCAL port by default)" ctl add-br "$BR"
check "tap interface $BR exists in sluiced's namespace" in_sw ip link show "$BR"
check_not "no tap $BR in the root namespace" ip link show "$BR"
tap_down() { ! in_sw ip -o link show "$BR" | grep -q '[<,]UP[,>]'; }
check "the tap starts administratively down (like OVS's internal port)" tap_down
local_json() { ctl_json show | jq -e --arg b "$BR" \
    '.bridges[] | select(.name == $b) | .ports[] | select(.ofport == 4294967294 and .name == $b and .type == "internal")'; }
check "JSON-RPC show lists LOCAL (ofport 4294967294, type internal)" local_json
check "sluicectl show lists it" bash -c "'$SLUICECTL' --run-dir '$RUN_DIR' show | grep -q 'type: internal'"
check "add-port p1 (af_packet on $HV)" ctl add-port "$BR" p1 type=dpdk \
    "devargs=net_af_packet$IT_ID,iface=$HV" ofport=1
desc=$("${OF[@]}" dump-ports-desc "$SL" 2>&1)
check "dump-ports-desc: LOCAL($BR): addr: (as OVS prints it)" grep -q "^ LOCAL($BR): addr:" <<<"$desc"
check "dump-ports-desc: down LOCAL is PORT_DOWN and LINK_DOWN (as OVS)" \
    bash -c "grep -A2 '^ LOCAL' <<<'$desc' | grep -q 'config: *PORT_DOWN' && grep -A2 '^ LOCAL' <<<'$desc' | grep -q 'state: *LINK_DOWN'"

# PORT_STATUS for the tap coming up (ip link set, as a user does) and PORT_MOD.
"${OF[@]}" monitor "$SL" 128 >"$RUN_DIR/monitor.txt" 2>&1 &
MON_PID=$!
IT_PIDS+=("$MON_PID")
sleep 1
in_sw ip addr add 198.18.7.1/24 dev "$BR"
in_sw ip link set "$BR" up
tap_live() { "${OF[@]}" dump-ports-desc "$SL" | grep -A2 "^ LOCAL" | grep -q "state: *LIVE"; }
check "after ip link set $BR up: LIVE" wait_until 5 tap_live
check "PORT_STATUS MOD for LOCAL" wait_until 5 grep -q "PORT_STATUS.*MOD: LOCAL($BR)" "$RUN_DIR/monitor.txt"
check "mod-port $BR down (PORT_MOD on LOCAL)" "${OF[@]}" mod-port "$SL" "$BR" down
check "PORT_MOD down set the tap down" wait_until 5 tap_down
check "mod-port $BR up" "${OF[@]}" mod-port "$SL" "$BR" up
check "PORT_MOD up set the tap up" wait_until 5 tap_live
it_kill_pid "$MON_PID"

# --- the host's stack through LOCAL ------------------------------------------------------------
ping_ok() { in_sw ping -c 3 -i 0.2 -W 1 -q 198.18.7.2; }
check "add-flow in_port=LOCAL,actions=output:1" ctl add-flow "$BR" "in_port=LOCAL,actions=output:1"
check "add-flow in_port=1,actions=LOCAL" ctl add-flow "$BR" "in_port=1,actions=LOCAL"
check "ping from LOCAL ($BR 198.18.7.1) to the peer namespace" wait_until 15 ping_ok
n_from_local=$(flow_packets "$BR" '^output:(p1|1)$')
assert_gt "flow in_port=LOCAL counted packets" "${n_from_local:-0}" 0
assert_gt "LOCAL rx_packets (sent by the host)" "$(port_stat "$BR" "$BR" .rx_packets)" 0
assert_gt "LOCAL tx_packets (delivered to the host)" "$(port_stat "$BR" "$BR" .tx_packets)" 0
stats=$("${OF[@]}" dump-ports "$SL" 2>&1)
check "dump-ports: 2 ports, LOCAL among them (port LOCAL:, as OVS prints it)" \
    bash -c "grep -q ': 2 ports' <<<'$stats' && grep -Eq '^  port LOCAL: rx pkts=[1-9]' <<<'$stats'"
check "flows print LOCAL by name" bash -c "'$SLUICECTL' --run-dir '$RUN_DIR' dump-flows '$BR' | grep -q 'in_port=LOCAL'"

check "del-flows" ctl del-flows "$BR"
check "add-flow actions=FLOOD (FLOOD includes LOCAL)" ctl add-flow "$BR" "actions=FLOOD"
in_sw ip neigh flush dev "$BR"
check "ping through FLOOD" wait_until 15 ping_ok
check "del-flows" ctl del-flows "$BR"
check "add-flow actions=ALL" ctl add-flow "$BR" "actions=ALL"
in_sw ip neigh flush dev "$BR"
check "ping through ALL" wait_until 15 ping_ok
# FLOOD never sends a packet back to LOCAL: the host saw none of its own ARP requests.

# --- PACKET_OUT ---------------------------------------------------------------------------------
# A broadcast frame from 02:00:00:00:07:99 (ethertype 0x88b5, local experimental).
PKT="ffffffffffff020000000799"88b5"$(printf '00%.0s' $(seq 1 46))"
rx0=$(tap_stat rx_packets)
check "packet-out actions=LOCAL" "${OF[@]}" packet-out "$SL" "in_port=controller packet=$PKT actions=LOCAL"
tap_got() { [ "$(tap_stat rx_packets)" -gt "$rx0" ]; }
check "the tap received the packet-out (kernel rx_packets $rx0 -> more)" wait_until 5 tap_got
peer_rx0=$(ip netns exec "$PEER" cat /sys/class/net/eth0/statistics/rx_packets)
check "packet-out in_port=LOCAL actions=output:1" "${OF[@]}" packet-out "$SL" "in_port=LOCAL packet=$PKT actions=output:1"
peer_got() { [ "$(ip netns exec "$PEER" cat /sys/class/net/eth0/statistics/rx_packets)" -gt "$peer_rx0" ]; }
check "the peer received it" wait_until 5 peer_got
rx1=$(tap_stat rx_packets)
check "packet-out in_port=LOCAL actions=FLOOD" "${OF[@]}" packet-out "$SL" "in_port=LOCAL packet=$PKT actions=FLOOD"
sleep 0.5
assert_eq "FLOOD from in_port LOCAL does not come back to LOCAL" "$(tap_stat rx_packets)" "$rx1"

# --- refusals and local=none --------------------------------------------------------------------
expect_fail "del-port of the LOCAL port is refused" "LOCAL port of bridge $BR.*del-br" ctl del-port "$BR" "$BR"
TAKEN="bt$IT_ID"
in_sw ip link add "$TAKEN" type veth peer name "bu$IT_ID"
expect_fail "add-br $TAKEN: an interface has that name" "interface named $TAKEN already exists.*local=none" ctl add-br "$TAKEN"
no_taken() { ! ctl_json show | jq -e --arg b "$TAKEN" '.bridges[] | select(.name == $b)'; }
check "nothing half-created: no bridge $TAKEN" no_taken
check "no OpenFlow socket left for $TAKEN" bash -c "sleep 1.2; [ ! -e '$RUN_DIR/$TAKEN.mgmt' ]"
check "add-br $TAKEN local=none" ctl add-br "$TAKEN" local=none
n_ports=$(ctl_json show | jq --arg b "$TAKEN" '.bridges[] | select(.name == $b) | .ports | length')
assert_eq "a local=none bridge has no port" "$n_ports" 0
check "output:LOCAL still accepted on a bridge without LOCAL" ctl add-flow "$TAKEN" "actions=LOCAL"
expect_fail "add-br with a 16-character name" "at most 15 characters.*local=none" ctl add-br "b23456789012345x"
expect_fail "add-br local=bogus" "local=bogus" ctl add-br "bx$IT_ID" local=bogus
check "del-br $BR" ctl del-br "$BR"
check "its tap went away with it" bash -c "! ip netns exec '$SW' ip link show '$BR' 2>/dev/null"
check "add-br $BR again" ctl add-br "$BR"
check "sluiced still running" sluiced_alive
it_finish
