#!/usr/bin/env bash
# test-ping-netns.sh — two network namespaces joined through sluiced by veth pairs and
# net_af_packet ports: forwarding follows the flow table (no rule: dropped and counted;
# in_port rules: ping works; a higher-priority drop rule: ping fails, counted on that rule;
# PORT_MOD no-forward / no-receive drop in the datapath).
. "$(dirname "$0")/lib.sh"

it_init ping-netns
start_sluiced

make_ns a && ns1=$NS || { fail "netns a"; it_finish; }
make_ns b && ns2=$NS || { fail "netns b"; it_finish; }
h1=$(veth_name a)
h2=$(veth_name b)
make_veth "$h1" "$ns1" eth0 198.18.0.1/24 02:00:00:00:01:01 || { fail "veth $h1"; it_finish; }
make_veth "$h2" "$ns2" eth0 198.18.0.2/24 02:00:00:00:01:02 || { fail "veth $h2"; it_finish; }

check "add-br br0" ctl add-br br0
check "add-port p1 (af_packet on $h1)" ctl add-port br0 p1 type=dpdk "devargs=net_af_packet0,iface=$h1"
check "add-port p2 (af_packet on $h2)" ctl add-port br0 p2 type=dpdk "devargs=net_af_packet1,iface=$h2"
ports_listed() { [ "$(ctl_json dump-ports br0 | jq -r '[.ports[].name] | join(",")')" = p1,p2,br0 ]; }
check "dump-ports br0 lists both ports and LOCAL (br0)" ports_listed

ping_ok() { ip netns exec "$ns1" ping -c 3 -i 0.2 -W 1 -q 198.18.0.2; }
ping_once() { ip netns exec "$ns1" ping -c 2 -i 0.2 -W 1 -q 198.18.0.2; }

# 1. Empty flow table: nothing passes, every frame is a no_rule drop.
check_not "ping fails with no flows" ping_once
no_rule=$(port_stat br0 p1 .drops.no_rule)
assert_gt "no_rule drops counted on p1 with an empty table" "${no_rule:-0}" 0

# 2. in_port rules both ways: ping works, rules and ports count.
check "add-flow p1->p2" ctl add-flow br0 "priority=100,in_port=p1,actions=output:p2"
check "add-flow p2->p1" ctl add-flow br0 "priority=100,in_port=p2,actions=output:p1"
check "ping ns1 -> ns2 through sluiced" wait_until 10 ping_ok
n12=$(flow_packets br0 '^output:(p2|2)$')
n21=$(flow_packets br0 '^output:(p1|1)$')
assert_gt "flow in_port=p1 counted packets" "${n12:-0}" 0
assert_gt "flow in_port=p2 counted packets" "${n21:-0}" 0
assert_gt "p1 rx_packets" "$(port_stat br0 p1 .rx_packets)" 0
assert_gt "p1 tx_packets" "$(port_stat br0 p1 .tx_packets)" 0
assert_gt "p2 rx_packets" "$(port_stat br0 p2 .rx_packets)" 0
assert_gt "p2 tx_packets" "$(port_stat br0 p2 .tx_packets)" 0
readable_flows() { ctl dump-flows br0 | grep -q 'in_port=p1'; }
readable_ports() { local out; out=$(ctl dump-ports br0) && grep -q p1 <<<"$out" && grep -q p2 <<<"$out"; }
check "dump-flows readable output names the rules" readable_flows
check "dump-ports readable output lists p1 and p2" readable_ports

# 3. A higher-priority drop rule wins: ping fails, the drop rule counts the packets.
check "add-flow drop (priority 200)" ctl add-flow br0 "priority=200,in_port=p1,actions=drop"
check_not "ping fails behind the drop rule" ping_once
drop_n=$(ctl_json dump-flows br0 | jq -r '[.flows[] | select(.priority == 200) | .n_packets] | first // 0')
assert_gt "drop rule counted packets" "${drop_n:-0}" 0

# 4. Removing it restores forwarding (strict delete touches only that rule).
check "del-flows --strict the drop rule" ctl del-flows --strict br0 "priority=200,in_port=p1"
check "ping works again after the drop rule is gone" wait_until 10 ping_ok
nflows=$(ctl_json dump-flows br0 | jq '.flows | length')
assert_eq "two rules remain" "$nflows" 2

# 4b. OpenFlow PORT_MOD reaches the datapath: no-forward on p2 drops what is output to it,
# no-receive on p1 drops what p1 receives; each counted as drop port_config on p1.
pc() { port_stat br0 "$1" .drops.port_config; }
before=$(pc p1)
check "mod-port p2 no-forward" ctl mod-port br0 p2 no-forward
check_not "ping fails while p2 is no-forward" ping_once
assert_gt "p1 port_config drops rose (no-forward)" "$(pc p1)" "${before:-0}"
check "mod-port p2 forward" ctl mod-port br0 p2 forward
check "ping works again after forward" wait_until 10 ping_ok
before=$(pc p1)
check "mod-port p1 no-receive" ctl mod-port br0 p1 no-receive
check_not "ping fails while p1 is no-receive" ping_once
assert_gt "p1 port_config drops rose (no-receive)" "$(pc p1)" "${before:-0}"
check "mod-port p1 receive" ctl mod-port br0 p1 receive
check "ping works again after receive" wait_until 10 ping_ok

# 5. Deleting every flow: back to no_rule drops.
before=$(port_stat br0 p1 .drops.no_rule)
check "del-flows br0 (all)" ctl del-flows br0
check_not "ping fails with the table emptied" ping_once
after=$(port_stat br0 p1 .drops.no_rule)
assert_gt "no_rule drops rose after del-flows" "${after:-0}" "${before:-0}"

check "sluiced still running" sluiced_alive
it_finish
