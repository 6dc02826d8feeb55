#!/usr/bin/env bash
# test-sluicectl-of.sh — sluicectl's OpenFlow verbs print what `ovs-ofctl -O OpenFlow13 --names`
# prints against the same sluiced, changes made by either tool are seen identically by both,
# refusals exit 1 with the switch's reason, and `sluicectl trace` explains hits, misses,
# goto_table chains, select groups and drops. Outputs are compared after normalising only what
# legitimately differs between two runs: reply xids (ovs-ofctl opens extra connections to
# resolve names, which shifts them) and durations.
. "$(dirname "$0")/lib.sh"

it_init sluicectl-of
command -v ovs-ofctl >/dev/null || it_skip "ovs-ofctl not installed (openvswitch-common)"
start_sluiced

SW="unix:$RUN_DIR/br0.mgmt"
ofctl() { timeout 20 ovs-ofctl -O OpenFlow13 "$@"; }
norm() { sed -E 's/\(xid=0x[0-9a-f]+\)/(xid=X)/; s/duration([=:])[0-9.]+s/duration\1D/g'; }

# same DESC VERB [ARGS...]: `sluicectl VERB br0 ARGS` and `ovs-ofctl --names VERB SW ARGS` both
# succeed and print the same text (normalised).
same() {
    local desc="$1" verb="$2"
    shift 2
    local a b ra rb
    a=$(ctl "$verb" br0 "$@" 2>&1)
    ra=$?
    b=$(ofctl --names "$verb" "$SW" "$@" 2>&1)
    rb=$?
    a=$(printf '%s\n' "$a" | norm)
    b=$(printf '%s\n' "$b" | norm)
    if [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ]; then
        fail "$desc: exit sluicectl $ra, ovs-ofctl $rb ($(printf '%s' "$a" | head -c 200))"
    elif [ "$a" != "$b" ]; then
        fail "$desc: outputs differ: $(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 8 | tr '\n' ' ')"
    elif [ -z "$a" ]; then
        fail "$desc: both printed nothing"
    else
        pass "$desc ($(printf '%s\n' "$a" | wc -l) lines)"
    fi
}

# same_flows DESC: dump-flows --no-stats of both tools agree.
same_flows() {
    local a b
    a=$(ctl dump-flows br0 --no-stats 2>&1)
    b=$(ofctl --names --no-stats dump-flows "$SW" 2>&1)
    if [ "$a" = "$b" ]; then
        pass "$1 ($(printf '%s\n' "$a" | wc -l) flows)"
    else
        fail "$1: $(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 8 | tr '\n' ' ')"
    fi
}

# trace_has DESC FLOW REGEX...: `sluicectl trace br0 FLOW` succeeds and prints every REGEX.
trace_has() {
    local desc="$1" flow="$2"
    shift 2
    local out re
    if ! out=$(ctl trace br0 "$flow" 2>&1); then
        fail "$desc: trace failed: $(printf '%s' "$out" | head -c 300)"
        return
    fi
    for re in "$@"; do
        if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
            fail "$desc: no /$re/ in: $(printf '%s' "$out" | tr '\n' '|' | head -c 600)"
            return
        fi
    done
    pass "$desc"
}

check "add-br br0" ctl add-br br0
for p in vm1 vm2 vm3; do
    check "add-port $p" ctl add-port br0 "$p" type=vhostuser
done
wait_until 20 test -S "$RUN_DIR/br0.mgmt" || fail "br0.mgmt did not appear"

# --- ports, tables ---------------------------------------------------------------------
same "dump-ports-desc" dump-ports-desc
same "dump-tables" dump-tables
check "mod-port vm2 down" ctl mod-port br0 vm2 down
check "port vm2 is PORT_DOWN" bash -c \
    "'$SLUICECTL' --run-dir '$RUN_DIR' dump-ports-desc br0 vm2 | grep -q 'config: *PORT_DOWN'"
same "dump-ports-desc after mod-port down" dump-ports-desc
check "mod-port vm2 no-forward" ctl mod-port br0 vm2 no-forward
same "dump-ports-desc after no-forward" dump-ports-desc
check "mod-port vm2 up" ctl mod-port br0 vm2 up
check "mod-port vm2 forward" ctl mod-port br0 vm2 forward
same "dump-ports-desc after up/forward" dump-ports-desc
expect_exit "mod-port of an unknown port" 1 "vm9.*no such port" ctl mod-port br0 vm9 down
expect_exit "mod-port with an OpenFlow 1.0 only bit" 1 "OpenFlow 1.0" ctl mod-port br0 vm1 no-flood
expect_exit "dump-ports-desc of an unknown port" 1 "vm9" ctl dump-ports-desc br0 vm9

# --- groups ------------------------------------------------------------------------------
check "add-group select (sluicectl)" ctl add-group br0 \
    "group_id=1,type=select,bucket=weight:10,output:vm1,bucket=weight:20,output:vm2"
check "add-group all (sluicectl)" ctl add-group br0 \
    "group_id=2,type=all,bucket=output:vm1,bucket=set_field:10.0.0.9->ip_dst,output:vm3"
check "add-group ff (ovs-ofctl)" ofctl add-group "$SW" \
    "group_id=3,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,watch_group:1,output:2"
check "add-group indirect (sluicectl)" ctl add-group br0 \
    "group_id=4,type=indirect,bucket=actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:vm3"
same "dump-groups" dump-groups
same "dump-group-stats" dump-group-stats
same "dump-group-stats group_id=2" dump-group-stats group_id=2
check "mod-group 2 (sluicectl)" ctl mod-group br0 "group_id=2,type=all,bucket=output:vm2"
same "dump-groups after mod-group" dump-groups
out=$(ctl dump-groups br0 2)
assert_eq "dump-groups br0 2 shows only group 2" \
    "$(printf '%s\n' "$out" | grep -c group_id=)" "1"
expect_exit "add-group of an existing group" 1 "OFPGMFC_GROUP_EXISTS" \
    ctl add-group br0 "group_id=1,type=all,bucket=output:vm1"
expect_exit "add-group with a bad type" 1 "invalid group type" \
    ctl add-group br0 "group_id=9,type=sideways,bucket=output:vm1"
expect_exit "add-group to an unknown port" 1 "vm9" ctl add-group br0 "group_id=9,type=all,bucket=output:vm9"
expect_exit "add-group on an unknown bridge" 1 "br7.*no such bridge" \
    ctl add-group br7 "group_id=9,type=all,bucket=output:1"
check "del-groups group_id=4 (sluicectl)" ctl del-groups br0 group_id=4
same "dump-groups after del-groups group_id=4" dump-groups

# --- meters ------------------------------------------------------------------------------
check "add-meter kbps (sluicectl)" ctl add-meter br0 "meter=1,kbps,band=type=drop,rate=1000"
check "add-meter pktps burst stats (sluicectl)" ctl add-meter br0 \
    "meter=2,pktps,burst,stats,band=type=drop,rate=100,burst_size=20"
check "add-meter two bands (ovs-ofctl)" ofctl add-meter "$SW" \
    "meter=3,kbps,band=type=drop,rate=500,type=drop,rate=2000"
same "dump-meters" dump-meters
same "dump-meters meter=2" dump-meters meter=2
same "meter-stats" meter-stats
check "mod-meter 1 (sluicectl)" ctl mod-meter br0 "meter=1,pktps,band=type=drop,rate=7"
same "dump-meters after mod-meter" dump-meters
expect_exit "add-meter of an existing meter" 1 "OFPMMFC_METER_EXISTS" \
    ctl add-meter br0 "meter=1,kbps,band=type=drop,rate=1000"
expect_exit "add-meter without kbps/pktps" 1 "kbps" ctl add-meter br0 "meter=5,band=type=drop,rate=1"
check "del-meters meter=3 (sluicectl)" ctl del-meters br0 meter=3
same "dump-meters after del-meters" dump-meters

# --- flows ------------------------------------------------------------------------------
check "add-flow table 0" ctl add-flow br0 "priority=10,in_port=vm1,ip,actions=goto_table:1"
check "add-flow table 1 tcp:80 -> group 1" ctl add-flow br0 \
    "table=1,priority=5,tcp,tp_dst=80,actions=group:1"
check "add-flow table 1 udp -> meter, table 2" ctl add-flow br0 \
    "table=1,priority=5,udp,actions=meter:2,goto_table:2"
check "add-flow table 2 -> vm3" ctl add-flow br0 "table=2,priority=1,actions=output:vm3"
check "add-flow vm2 arp drop" ctl add-flow br0 "priority=20,in_port=vm2,arp,actions=drop"
check "add-flow vm3 -> vm1" ctl add-flow br0 "priority=10,in_port=vm3,actions=output:vm1"
same_flows "dump-flows --no-stats agrees with ovs-ofctl"
same "dump-aggregate" dump-aggregate
same "dump-aggregate table=1" dump-aggregate table=1
same "dump-aggregate in_port=vm1,ip" dump-aggregate in_port=vm1,ip
check "mod-flows table=1,udp (sluicectl)" ctl mod-flows br0 "table=1,udp,actions=output:vm2"
same_flows "dump-flows after mod-flows"
check "mod-flows --strict (sluicectl)" ctl mod-flows br0 --strict \
    "table=1,priority=5,tcp,tp_dst=80,actions=group:2"
same_flows "dump-flows after mod-flows --strict"
check "mod-flows --strict that selects nothing changes nothing" ctl mod-flows br0 --strict \
    "table=1,priority=6,tcp,tp_dst=80,actions=drop"
same_flows "dump-flows after an empty mod-flows --strict"
expect_exit "mod-flows without actions" 1 "actions" ctl mod-flows br0 "table=1,udp"
expect_exit "dump-aggregate with a bad filter" 1 "nw_src" ctl dump-aggregate br0 "ip,nw_src=1.2.3.400"

# --- packet-out ---------------------------------------------------------------------------
PKT=ffffffffffff000000000001080045000014000000004001f96b0a0000010a000002
vm2_drops() { port_stat br0 vm2 '(.tx_packets + .drops.port_down + .drops.tx_full)'; }
vm2_at_least() { [ "$(vm2_drops)" -ge "$1" ]; }
flow_at_least() { [ "$(flow_packets br0 '^output:vm1$')" -ge "$1" ]; }
before=$(vm2_drops)
check "packet-out to vm2 (sluicectl)" ctl packet-out br0 "in_port=vm1 packet=$PKT actions=output:vm2"
check "packet-out to vm2 (ovs-ofctl)" ofctl packet-out "$SW" "in_port=1 packet=$PKT actions=output:2"
wait_until 5 vm2_at_least $((before + 2))
assert_eq "both packet-outs reached vm2 (sent or counted as dropped there)" "$(vm2_drops)" \
    "$((before + 2))"
before=$(flow_packets br0 '^output:vm1$')
check "packet-out through the pipeline (TABLE, old syntax)" ctl packet-out br0 vm3 TABLE "$PKT"
wait_until 5 flow_at_least $((before + 1))
assert_eq "the table-0 flow for in_port=vm3 counted the packet" \
    "$(flow_packets br0 '^output:vm1$')" "$((before + 1))"
expect_exit "packet-out without a packet" 1 "packet=" ctl packet-out br0 "in_port=vm1 actions=output:vm2"
expect_exit "packet-out with bad hex" 1 "hexadecimal" ctl packet-out br0 "in_port=vm1 packet=xyz actions=drop"

# --- trace --------------------------------------------------------------------------------
trace_has "trace: hit" "in_port=vm3,tcp,nw_dst=10.0.0.5,tp_dst=80" \
    "^table 0: priority=10,in_port=vm3 actions=output:vm1" "-> output to vm1" \
    "^Datapath actions: output vm1$"
trace_has "trace: miss" "in_port=vm2,ip" "^table 0: no matching flow" \
    "-> dropped: no matching flow \(table-miss\)" "^Datapath actions: drop$"
trace_has "trace: goto_table chain to table 2" "in_port=vm1,udp,nw_dst=10.0.0.5,tp_dst=53" \
    "^table 0: priority=10,ip,in_port=vm1 actions=goto_table:1" "-> continuing in table 1" \
    "^table 1: priority=5,udp actions=output:vm2" "-> output to vm2" "^Datapath actions: output vm2$"
check "mod-flows back to meter + goto" ctl mod-flows br0 "table=1,udp,actions=meter:2,goto_table:2"
trace_has "trace: meter and table 2" "in_port=vm1,udp,tp_dst=53" "-> meter 2: passed" \
    "-> continuing in table 2" "^table 2: priority=1 actions=output:vm3" "^Datapath actions: output vm3$"
check "mod-flows --strict tcp:80 back to group 1 (select)" ctl mod-flows br0 --strict \
    "table=1,priority=5,tcp,tp_dst=80,actions=group:1"
trace_has "trace: select group picks one live bucket" "in_port=vm1,tcp,nw_src=10.0.0.7,tp_dst=80" \
    "-> group 1 \(select\): bucket [01]" "Datapath actions: (drop|output vm2)"
check "mod-flows tcp:80 to group 2 (all)" ctl mod-flows br0 "table=1,tcp,actions=group:2"
trace_has "trace: group 2 bucket output" "in_port=vm1,tcp,tp_dst=80" \
    "-> group 2 \(all\): every bucket" "-> output to vm2" "^Datapath actions: output vm2$"
trace_has "trace: drop action" "in_port=vm2,arp,arp_tpa=10.0.0.1" \
    "^table 0: priority=20,arp,in_port=vm2 actions=drop" "^Datapath actions: drop$"
out=$(ctl_json trace br0 "in_port=vm3,ip")
assert_eq "trace --json: steps and verdict" \
    "$(printf '%s' "$out" | jq -r '[.steps[0].kind, .steps[0].rule.actions, .datapath_actions] | join("|")')" \
    "lookup|output:vm1|output vm1"
pkt=$(printf '%s' "$out" | jq -r .packet)
check "trace's packet hex is accepted by packet-out" ctl packet-out br0 "in_port=vm3 packet=$pkt actions=TABLE"
expect_exit "trace on an unknown bridge" 1 "br7.*no such bridge" ctl trace br7 "in_port=vm1"
expect_exit "trace from an unknown port" 1 "vm9" ctl trace br0 "in_port=vm9,ip"
expect_exit "trace without in_port" 1 "in_port" ctl trace br0 "ip,nw_dst=10.0.0.1"
expect_exit "trace with bad flow text" 1 "tp_dst" ctl trace br0 "in_port=vm1,tp_dst=80"

# --- pmd-stats and --no-stats ---------------------------------------------------------------
out=$(ctl pmd-stats)
check "pmd-stats prints each PMD" grep -q "pmd thread 0" <<<"$out"
check "pmd-stats prints busy cycles per packet" grep -q "busy cycles per packet" <<<"$out"
n=$(ctl_json dump-flows br0 --no-stats | jq '[.flows[] | select(has("n_packets"))] | length')
assert_eq "dump-flows --no-stats --json carries no counters" "$n" "0"
expect_exit "--no-stats on another command" 2 "no-stats" ctl dump-groups br0 --no-stats

sluiced_alive && pass "sluiced still running" || fail "sluiced died"
it_finish
