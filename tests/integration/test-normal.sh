#!/usr/bin/env bash
# test-normal.sh — the NORMAL action: one flow `actions=NORMAL` makes a bridge of three
# network namespaces (veth pairs on net_af_packet ports) a learning switch.
#   - pings between every pair work; fdb-show lists the three MACs on their ports, in VLAN 0;
#   - once learned, unicast is not flooded: a burst of pings between ns a and ns b adds
#     (almost) nothing to what sluice sends to ns c, while NORMAL counts unicast decisions;
#   - trace shows NORMAL's decision: "forward" to the learned port, "flood" for an unknown or
#     broadcast destination;
#   - fdb-flush forgets, set-bridge mac-aging=N ages entries out, bad input is refused;
#   - NORMAL in a group bucket and in the action set forwards too.
. "$(dirname "$0")/lib.sh"

it_init normal
start_sluiced

make_ns a && nsa=$NS || { fail "netns a"; it_finish; }
make_ns b && nsb=$NS || { fail "netns b"; it_finish; }
make_ns c && nsc=$NS || { fail "netns c"; it_finish; }
MACA=02:00:00:00:03:01
MACB=02:00:00:00:03:02
MACC=02:00:00:00:03:03
make_veth "$(veth_name a)" "$nsa" eth0 198.18.3.1/24 $MACA || { fail "veth a"; it_finish; }
make_veth "$(veth_name b)" "$nsb" eth0 198.18.3.2/24 $MACB || { fail "veth b"; it_finish; }
make_veth "$(veth_name c)" "$nsc" eth0 198.18.3.3/24 $MACC || { fail "veth c"; it_finish; }

# A bridge name unique to this run: it may also name a host interface (the LOCAL port).
BR="n$IT_ID"
check "add-br $BR" ctl add-br "$BR"
i=0
for t in a b c; do
    i=$((i + 1))
    check "add-port p$i (af_packet on $(veth_name $t))" ctl add-port "$BR" "p$i" type=dpdk \
        "devargs=net_af_packet$i$IT_ID,iface=$(veth_name $t)" ofport=$i
done

ping_from() { ip netns exec "$1" ping -c 2 -i 0.2 -W 1 -q "$2"; }
fdb() { ctl_json fdb-show "$BR"; }
# fdb_port MAC: the port NORMAL learned MAC on (VLAN 0), or nothing.
fdb_port() { fdb | jq -r --arg m "$1" '[.entries[] | select(.mac == $m and .vlan == 0) | .port] | first // empty'; }
fdb_has() { [ "$(fdb_port "$1")" = "$2" ]; }
normal_stat() { fdb | jq -r ".stats.$1"; }

check_not "no flow: ping a -> b fails" ping_from "$nsa" 198.18.3.2
check "add-flow actions=NORMAL" ctl add-flow "$BR" "priority=10,actions=NORMAL"
check "dump-flows shows NORMAL" bash -c "'$SLUICECTL' --run-dir '$RUN_DIR' dump-flows '$BR' | grep -q 'actions=NORMAL'"

for pair in "a 198.18.3.2" "a 198.18.3.3" "b 198.18.3.1" "b 198.18.3.3" "c 198.18.3.1" "c 198.18.3.2"; do
    set -- $pair
    ns_var="ns$1"
    check "ping $1 -> $2 through NORMAL" wait_until 10 ping_from "${!ns_var}" "$2"
done

check "fdb-show: $MACA on p1" fdb_has $MACA p1
check "fdb-show: $MACB on p2" fdb_has $MACB p2
check "fdb-show: $MACC on p3" fdb_has $MACC p3
assert_eq "fdb-show: default aging" "$(fdb | jq .aging_s)" 300
assert_eq "fdb-show: default capacity" "$(fdb | jq .capacity)" 8192
fdb_text() { ctl fdb-show "$BR" | grep -Eq "^ p2 +0  $MACB +[0-9]+$"; }
check "sluicectl fdb-show prints 'p2  0  $MACB  AGE'" fdb_text
assert_gt "NORMAL flooded the first (ARP broadcast) frames" "$(normal_stat flooded)" 0
assert_gt "NORMAL sent learned unicast to one port" "$(normal_stat unicast)" 0

# --- no flooding once learned -----------------------------------------------------------
uni0=$(normal_stat unicast)
c_tx0=$(port_stat "$BR" p3 .tx_packets)
b_tx0=$(port_stat "$BR" p2 .tx_packets)
check "50 pings a -> b" ip netns exec "$nsa" ping -c 50 -i 0.02 -W 1 -q 198.18.3.2
c_tx1=$(port_stat "$BR" p3 .tx_packets)
b_tx1=$(port_stat "$BR" p2 .tx_packets)
assert_ge "p2 (ns b) got the 50 requests" "$((b_tx1 - b_tx0))" 50
# A flood would send ns c at least 50 frames; ARP refreshes, if any, are unicast too.
if [ $((c_tx1 - c_tx0)) -le 2 ]; then
    pass "p3 (ns c) got $((c_tx1 - c_tx0)) frames of 100 a <-> b: unicast not flooded"
else
    fail "p3 (ns c) got $((c_tx1 - c_tx0)) frames while a and b exchanged 100: flooded"
fi
assert_ge "NORMAL counted 100 unicast decisions" "$(($(normal_stat unicast) - uni0))" 100

# --- PORT_MOD no-forward applies to NORMAL's learned unicast too ---------------------------
pc0=$(port_stat "$BR" p1 .drops.port_config)
check "mod-port p2 no-forward" ctl mod-port "$BR" p2 no-forward
check_not "ping a -> b fails while p2 is no-forward" ping_from "$nsa" 198.18.3.2
assert_gt "p1 counts NORMAL's unicast to p2 as port_config drops" \
    "$(port_stat "$BR" p1 .drops.port_config)" "${pc0:-0}"
check "mod-port p2 forward" ctl mod-port "$BR" p2 forward
check "ping a -> b works again" wait_until 10 ping_from "$nsa" 198.18.3.2

# --- trace ---------------------------------------------------------------------------------
trace_json() { ctl_json trace "$BR" "$1"; }
tj=$(trace_json "in_port=p1,dl_src=$MACA,dl_dst=$MACB")
assert_eq "trace: NORMAL forwards to the learned port" \
    "$(jq -r '[.steps[] | select(.kind == "normal")] | first | "\(.decision) \(.port)"' <<<"$tj")" "forward p2"
assert_eq "trace: datapath actions" "$(jq -r .datapath_actions <<<"$tj")" "output p2"
tj=$(trace_json "in_port=p1,dl_src=$MACA,dl_dst=02:00:00:00:03:99")
assert_eq "trace: unknown destination floods" \
    "$(jq -r '[.steps[] | select(.kind == "normal")] | first | .decision' <<<"$tj")" flood
check "trace: the flood reaches p2 and p3, not p1" bash -c \
    "jq -e '(.outputs | index(\"p2\")) and (.outputs | index(\"p3\")) and ((.outputs | index(\"p1\")) | not)' <<<'$tj' >/dev/null"
tj=$(trace_json "in_port=p2,dl_src=$MACA,dl_dst=$MACB")
assert_eq "trace: destination on the ingress port is dropped" \
    "$(jq -r '[.steps[] | select(.kind == "normal")] | first | .decision' <<<"$tj")" drop
trace_text() { ctl trace "$BR" "in_port=p1,dl_src=$MACA,dl_dst=$MACB" | grep -q -- '-> NORMAL, vlan 0: '; }
check "sluicectl trace prints the NORMAL step" trace_text
# A trace only looks: it learns nothing.
ctl trace "$BR" "in_port=p3,dl_src=02:00:00:00:03:77,dl_dst=$MACB" >/dev/null
assert_eq "trace did not learn its source" "$(fdb_port 02:00:00:00:03:77)" ""

# --- NORMAL in a group bucket and in the action set ----------------------------------------
check "del-flows" ctl del-flows "$BR"
check "add-group 1: all, bucket NORMAL" ctl add-group "$BR" "group_id=1,type=all,bucket=actions=NORMAL"
check "add-flow ip -> group 1" ctl add-flow "$BR" "priority=20,ip,actions=group:1"
check "add-flow arp -> write_actions(NORMAL)" ctl add-flow "$BR" "priority=20,arp,actions=write_actions(output:NORMAL)"
check "ping a -> c through group and action set" wait_until 10 ping_from "$nsa" 198.18.3.3

# --- flush, aging, bad input ---------------------------------------------------------------
flushed=$(ctl_json fdb-flush "$BR" | jq .flushed)
assert_ge "fdb-flush forgot the three MACs" "${flushed:-0}" 3
assert_eq "fdb-show: $MACB gone after the flush" "$(fdb_port $MACB)" ""
check "ping a -> b relearns" wait_until 10 ping_from "$nsa" 198.18.3.2
check "fdb-show: $MACB back on p2" fdb_has $MACB p2
check "fdb-flush $BR p2" ctl fdb-flush "$BR" p2
assert_eq "fdb-flush p2 forgot $MACB" "$(fdb_port $MACB)" ""
check "fdb-flush p2 kept $MACA on p1" fdb_has $MACA p1
check "set-bridge mac-aging=2" ctl set-bridge "$BR" mac-aging=2
assert_eq "fdb-show: aging 2" "$(fdb | jq .aging_s)" 2
aged_out() { [ -z "$(fdb_port $MACA)" ]; }
check "an idle MAC ages out (2 s aging, swept once a second; bounded 8 s)" wait_until 8 aged_out
assert_gt "fdb-show: aged counted" "$(normal_stat aged)" 0
check "set-bridge mac-aging=300" ctl set-bridge "$BR" mac-aging=300
expect_fail "set-bridge mac-aging=0 refused" "mac-aging \"0\": expected seconds from 1 to 1000000" \
    ctl set-bridge "$BR" mac-aging=0
expect_fail "set-bridge unknown option refused" "unknown option \"colour\"" \
    ctl set-bridge "$BR" colour=blue
expect_fail "fdb-show of a missing bridge" "bridge nosuch: no such bridge" ctl fdb-show nosuch
expect_fail "fdb-flush of a missing port" "port p9: no such port on bridge $BR" \
    ctl fdb-flush "$BR" p9

check "sluiced still running" sluiced_alive
it_finish
