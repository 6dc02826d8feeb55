#!/usr/bin/env bash
# test-normal-vlan.sh — NORMAL with access and trunk ports (802.1Q), as Open vSwitch's
# tag/trunks. Four namespaces on net_af_packet ports of one bridge with `actions=NORMAL`:
#   a1 (p1, tag=10), a2 (p2, tag=10), b (p3, tag=20): access ports, untagged hosts;
#   t (p4, trunks=10,20): a trunk whose host is in VLAN 10 (198.18.10.4) and VLAN 20
#   (198.18.20.4), and tries VLAN 30, which the trunk does not carry; its untagged eth0
#   (198.18.99.4) is VLAN 0, not carried either. The test kernel may lack 802.1Q
#   interfaces (8021q), so t's tagged side is vlan_host.py on a raw socket, which also logs
#   the tag of every frame t receives.
# Checks:
#   - pings within VLAN 10 (a1 <-> a2, a1/a2 <-> t.10) and VLAN 20 (b <-> t.20) work, so
#     tags are pushed towards the trunk and popped towards access ports;
#   - nothing crosses VLANs: b also has an address in VLAN 10's subnet, and a1 cannot reach
#     it; p3 sends b nothing while a1 tries; t receives only tags 10 and 20, never untagged;
#   - frames the ingress port does not carry are dropped and counted (vlan_dropped,
#     drop_action): a tagged frame on an access port, VLAN 30 and untagged on the trunk;
#   - fdb-show has per-VLAN entries (t's MAC in VLANs 10 and 20 on p4) and lists the VLAN
#     ports; show prints tag/trunks; trace gives the VLAN and the VLAN drop reason;
#   - set-port moves b into VLAN 10 (then it is reachable) and back; bad values refused.
. "$(dirname "$0")/lib.sh"

it_init normal-vlan
VLAN_HOST="$(dirname "$0")/vlan_host.py"
start_sluiced

for t in a1 a2 b t; do
    make_ns "$t" || { fail "netns $t"; it_finish; }
    printf -v "ns_$t" '%s' "$NS"
done
MAC_A1=02:00:00:00:0a:01
MAC_A2=02:00:00:00:0a:02
MAC_B=02:00:00:00:14:01
MAC_T=02:00:00:00:0f:04
make_veth "$(veth_name a1)" "$ns_a1" eth0 198.18.10.1/24 $MAC_A1 || { fail "veth a1"; it_finish; }
make_veth "$(veth_name a2)" "$ns_a2" eth0 198.18.10.2/24 $MAC_A2 || { fail "veth a2"; it_finish; }
make_veth "$(veth_name b)" "$ns_b" eth0 198.18.20.1/24 $MAC_B || { fail "veth b"; it_finish; }
# b also claims an address in VLAN 10's subnet: reachable from a1 only if VLANs leaked.
ip -n "$ns_b" addr add 198.18.10.3/24 dev eth0
make_veth "$(veth_name t)" "$ns_t" eth0 198.18.99.4/24 $MAC_T || { fail "veth t"; it_finish; }
# vlan_ping NS MAC VLAN SRC DST: COUNT=2 echo requests in VLAN (tagged) from a raw socket.
vlan_ping() { ip netns exec "$1" python3 "$VLAN_HOST" ping eth0 "$2" "$3" "$4" "$5" 2; }
t_ping() { vlan_ping "$ns_t" $MAC_T "$@"; }

BR="v$IT_ID"
check "add-br $BR" ctl add-br "$BR"
expect_fail "add-port tag=0 refused" "port q1: tag=0: expected a VLAN from 1 to 4095" \
    ctl add-port "$BR" q1 type=dpdk devargs=net_null0 tag=0
expect_fail "add-port tag=4096 refused" "tag=4096: expected a VLAN from 1 to 4095" \
    ctl add-port "$BR" q1 type=dpdk devargs=net_null0 tag=4096
expect_fail "add-port trunks=20-10 refused" "bad element \"20-10\"" \
    ctl add-port "$BR" q1 type=dpdk devargs=net_null0 trunks=20-10
expect_fail "add-port tag with trunks refused" "tag=10 with trunks" \
    ctl add-port "$BR" q1 type=dpdk devargs=net_null0 tag=10 trunks=10,20
assert_eq "no port left behind by refused add-ports" \
    "$(ctl_json show | jq --arg b "$BR" '[.bridges[] | select(.name == $b) | .ports[] | select(.name == "q1")] | length')" 0

i=0
for spec in "a1 tag=10" "a2 tag=10" "b tag=20" "t trunks=10,20"; do
    set -- $spec
    i=$((i + 1))
    check "add-port p$i $2 (af_packet on $(veth_name $1))" ctl add-port "$BR" "p$i" type=dpdk \
        "devargs=net_af_packet$i$IT_ID,iface=$(veth_name $1)" ofport=$i "$2"
done
check "add-flow actions=NORMAL" ctl add-flow "$BR" "priority=10,actions=NORMAL"

show_port() { ctl_json show | jq -c --arg b "$BR" --arg p "$1" \
    '.bridges[] | select(.name == $b) | .ports[] | select(.name == $p) | {tag, trunks}'; }
assert_eq "show: p1 tag 10" "$(show_port p1)" '{"tag":10,"trunks":null}'
assert_eq "show: p4 trunks 10,20" "$(show_port p4)" '{"tag":null,"trunks":"10,20"}'
show_text() { ctl show | grep -q "tag: 10" && ctl show | grep -q "trunks: \"\?10,20\"\?"; }
check "sluicectl show prints tag and trunks" show_text

ping_from() { ip netns exec "$1" ping -c 2 -i 0.2 -W 1 -q "$2"; }
fdb() { ctl_json fdb-show "$BR"; }
fdb_port() { fdb | jq -r --arg m "$1" --argjson v "$2" \
    '[.entries[] | select(.mac == $m and .vlan == $v) | .port] | first // empty'; }
normal_stat() { fdb | jq -r ".stats.$1"; }

# The trunk's host: answers in VLANs 10 and 20 (and 30, which p4 does not carry) and logs
# the tag of every frame it receives.
ip netns exec "$ns_t" python3 "$VLAN_HOST" serve eth0 $MAC_T "$RUN_DIR/trunk.log" \
    10=198.18.10.4 20=198.18.20.4 30=198.18.30.4 >"$RUN_DIR/vlan_host.log" 2>&1 &
VLAN_HOST_PID=$!
IT_PIDS+=("$VLAN_HOST_PID")
sleep 0.5

# --- within a VLAN ---------------------------------------------------------------------
check "VLAN 10: a1 -> a2 (access <-> access)" wait_until 10 ping_from "$ns_a1" 198.18.10.2
check "VLAN 10: a2 -> a1" ping_from "$ns_a2" 198.18.10.1
check "VLAN 10: a1 -> t.10 (access -> trunk, tag pushed)" wait_until 10 ping_from "$ns_a1" 198.18.10.4
check "VLAN 10: t.10 -> a2 (trunk -> access, tag popped)" t_ping 10 198.18.10.4 198.18.10.2
check "VLAN 20: b -> t.20" wait_until 10 ping_from "$ns_b" 198.18.20.4
check "VLAN 20: t.20 -> b" t_ping 20 198.18.20.4 198.18.20.1

# --- across VLANs ----------------------------------------------------------------------
b_tx0=$(port_stat "$BR" p3 .tx_packets)
check_not "VLAN 10 -> 20: a1 cannot reach b's 198.18.10.3" \
    ip netns exec "$ns_a1" ping -c 3 -i 0.3 -W 1 -q 198.18.10.3
check_not "VLAN 10 -> 20: t.10 cannot reach b's 198.18.10.3" t_ping 10 198.18.10.4 198.18.10.3
b_tx1=$(port_stat "$BR" p3 .tx_packets)
assert_eq "p3 (VLAN 20) sent b nothing of VLAN 10's ARP broadcasts" "$((b_tx1 - b_tx0))" 0
check_not "VLAN 20 -> 10: b cannot reach a1 (same subnet, other VLAN)" \
    ip netns exec "$ns_b" ping -c 2 -i 0.3 -W 1 -q -I 198.18.10.3 198.18.10.1

# --- what the ingress port does not carry ----------------------------------------------
vd0=$(normal_stat vlan_dropped)
p1_da0=$(port_stat "$BR" p1 .drops.action)
a2_tx0=$(port_stat "$BR" p2 .tx_packets)
check_not "tagged frames (VLAN 10) on access port p1 go nowhere" \
    vlan_ping "$ns_a1" $MAC_A1 10 198.18.10.1 198.18.10.2
assert_eq "p2 got none of p1's tagged frames" "$(($(port_stat "$BR" p2 .tx_packets) - a2_tx0))" 0
assert_ge "p1 counted them as drop_action" "$(($(port_stat "$BR" p1 .drops.action) - p1_da0))" 2
p4_da0=$(port_stat "$BR" p4 .drops.action)
check_not "VLAN 30 on the trunk (trunks=10,20) goes nowhere" t_ping 30 198.18.30.4 198.18.30.9
check_not "untagged (VLAN 0) on the trunk (trunks=10,20) goes nowhere" \
    ip netns exec "$ns_t" ping -c 2 -i 0.3 -W 1 -q 198.18.99.9
assert_ge "p4 counted them as drop_action" "$(($(port_stat "$BR" p4 .drops.action) - p4_da0))" 4
assert_ge "NORMAL counted vlan_dropped" "$(($(normal_stat vlan_dropped) - vd0))" 6

# --- the tags on the trunk's wire ------------------------------------------------------
tags=$(awk '{print $1, $2}' "$RUN_DIR/trunk.log" | sort | uniq -c | tr -s ' ')
it_log "frames the trunk's host received, by tag:$(echo $tags)"
check "the trunk's host received VLAN 10 frames" grep -q 'vlan 10$' <<<"$tags"
check "the trunk's host received VLAN 20 frames" grep -q 'vlan 20$' <<<"$tags"
check_not "nor any other tag, nor untagged frames" grep -vqE 'vlan (10|20)$' <<<"$tags"

# --- fdb-show --------------------------------------------------------------------------
assert_eq "fdb: a1 in VLAN 10 on p1" "$(fdb_port $MAC_A1 10)" p1
assert_eq "fdb: a2 in VLAN 10 on p2" "$(fdb_port $MAC_A2 10)" p2
assert_eq "fdb: b in VLAN 20 on p3" "$(fdb_port $MAC_B 20)" p3
assert_eq "fdb: t in VLAN 10 on p4" "$(fdb_port $MAC_T 10)" p4
assert_eq "fdb: t in VLAN 20 on p4 (same MAC, another VLAN)" "$(fdb_port $MAC_T 20)" p4
assert_eq "fdb: nothing learned in VLAN 0" "$(fdb | jq '[.entries[] | select(.vlan == 0)] | length')" 0
assert_eq "fdb: a1's tagged frames learned nothing on p1 but VLAN 10" \
    "$(fdb | jq -c '[.entries[] | select(.port == "p1") | .vlan] | unique')" '[10]'
assert_eq "fdb: nothing learned in VLAN 30" "$(fdb | jq '[.entries[] | select(.vlan == 30)] | length')" 0
assert_eq "fdb: b never learned in VLAN 10" "$(fdb_port $MAC_B 10)" ""
assert_eq "fdb-show lists the VLAN ports" \
    "$(fdb | jq -c '[.vlan_ports[] | .tag // .trunks]')" '[10,10,20,"10,20"]'
fdb_text() { ctl fdb-show "$BR" | grep -Eq "^ p4 +20  $MAC_T +[0-9]+$" &&
    ctl fdb-show "$BR" | grep -q "VLAN ports: p1 tag=10 p2 tag=10 p3 tag=20 p4 trunks=10,20"; }
check "sluicectl fdb-show prints per-VLAN rows and the VLAN ports" fdb_text

# --- trace ---------------------------------------------------------------------------------
trace_json() { ctl_json trace "$BR" "$1"; }
tj=$(trace_json "in_port=p1,dl_src=$MAC_A1,dl_dst=02:00:00:00:0a:99")
assert_eq "trace: untagged on p1 is VLAN 10, flooded" \
    "$(jq -r '[.steps[] | select(.kind == "normal")] | first | "\(.vlan) \(.decision)"' <<<"$tj")" "10 flood"
# The LOCAL port is a trunk of every VLAN, as in OVS: it gets the flood too.
assert_eq "trace: the VLAN 10 flood reaches p2, p4 and LOCAL, not p1 or p3" \
    "$(jq -c '.outputs | sort' <<<"$tj")" '["LOCAL","p2","p4"]'
tj=$(trace_json "in_port=p4,dl_vlan=20,dl_src=$MAC_T,dl_dst=$MAC_B")
assert_eq "trace: VLAN 20 from the trunk forwards to b" \
    "$(jq -r '[.steps[] | select(.kind == "normal")] | first | "\(.vlan) \(.decision) \(.port)"' <<<"$tj")" "20 forward p3"
tj=$(trace_json "in_port=p1,dl_vlan=20,dl_src=$MAC_A1,dl_dst=$MAC_B")
assert_eq "trace: a tagged frame on an access port is a VLAN drop" \
    "$(jq -r '[.steps[] | select(.kind == "drop")] | first | .reason' <<<"$tj")" \
    "NORMAL: VLAN drop: a tagged frame (VID not 0) on an access port"
tj=$(trace_json "in_port=p4,dl_vlan=30,dl_src=$MAC_T,dl_dst=$MAC_B")
assert_eq "trace: VLAN 30 on the trunk is a VLAN drop" \
    "$(jq -r '[.steps[] | select(.kind == "drop")] | first | .reason' <<<"$tj")" \
    "NORMAL: VLAN drop: the frame's VLAN is not in the ingress port's trunks"
trace_text() { ctl trace "$BR" "in_port=p4,dl_vlan=30,dl_src=$MAC_T,dl_dst=$MAC_B" | grep -q "dropped: NORMAL: VLAN drop"; }
check "sluicectl trace prints the VLAN drop reason" trace_text

# --- set-port ------------------------------------------------------------------------------
check "set-port p3 tag=10 (b into VLAN 10)" ctl set-port "$BR" p3 tag=10
assert_eq "set-port flushed b's VLAN 20 entry" "$(fdb_port $MAC_B 20)" ""
check "a1 now reaches b's 198.18.10.3" wait_until 10 ping_from "$ns_a1" 198.18.10.3
assert_eq "fdb: b now in VLAN 10 on p3" "$(fdb_port $MAC_B 10)" p3
check_not "b no longer reaches t.20" ip netns exec "$ns_b" ping -c 2 -i 0.3 -W 1 -q 198.18.20.4
check "set-port p3 tag=20 (back)" ctl set-port "$BR" p3 tag=20
check "VLAN 20 again: b -> t.20" wait_until 10 ping_from "$ns_b" 198.18.20.4
check "set-port p4 trunks=10 (VLAN 20 off the trunk)" ctl set-port "$BR" p4 trunks=10
check_not "b cannot reach t.20 any more" ip netns exec "$ns_b" ping -c 2 -i 0.3 -W 1 -q 198.18.20.4
check "set-port p4 trunks=all" ctl set-port "$BR" p4 trunks=all
assert_eq "show: p4 a trunk of every VLAN" "$(show_port p4)" '{"tag":null,"trunks":null}'
check "VLAN 20 through an all-VLAN trunk: b -> t.20" wait_until 10 ping_from "$ns_b" 198.18.20.4
check "untagged on the all-VLAN trunk is VLAN 0 (learned there)" bash -c \
    "ip netns exec '$ns_t' ping -c 1 -W 1 -q 198.18.99.9 >/dev/null; [ \"\$('$SLUICECTL' --run-dir '$RUN_DIR' --json fdb-show '$BR' | jq -r '[.entries[] | select(.vlan == 0) | .port] | first')\" = p4 ]"
expect_fail "set-port tag=10 on a trunk with a list refused" "tag=10 with trunks" \
    bash -c "'$SLUICECTL' --run-dir '$RUN_DIR' set-port '$BR' p4 trunks=10 && '$SLUICECTL' --run-dir '$RUN_DIR' set-port '$BR' p4 tag=10"
check "set-port tag=10 trunks=all together is fine" ctl set-port "$BR" p4 tag=10 trunks=all
check "set-port p4 tag=none makes it a trunk again" ctl set-port "$BR" p4 tag=none
assert_eq "show: p4 default again" "$(show_port p4)" '{"tag":null,"trunks":null}'
expect_fail "set-port of an unknown option" "unknown option \"mtu\" \\(known: tag, trunks" \
    ctl set-port "$BR" p4 mtu=1000
expect_fail "set-port of a missing port" "port p9: no such port on bridge $BR" \
    ctl set-port "$BR" p9 tag=10
expect_fail "set-port trunks=1,,2 refused" "trunks=1,,2: empty element" \
    ctl set-port "$BR" p4 trunks=1,,2
expect_fail "set-port tag=abc refused" "port p4: tag=abc: expected a VLAN from 1 to 4095" \
    ctl set-port "$BR" p4 tag=abc

check "sluiced still running" sluiced_alive
it_finish
