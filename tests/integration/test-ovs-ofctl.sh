#!/usr/bin/env bash
# test-ovs-ofctl.sh — stock `ovs-ofctl -O OpenFlow13` drives sluice through RUNDIR/br0.mgmt,
# and a private Open vSwitch (the oracle) gets the same commands: flows, groups and meters
# must read back identically. Then what OVS cannot judge: asynchronous messages (PACKET_IN,
# FLOW_REMOVED, PORT_STATUS) through `ovs-ofctl monitor`, controller connections (tcp: with
# reconnect and keepalive, ptcp:, roles), and malformed OpenFlow byte streams, after which the
# daemon must still answer.
#
# The oracle is ovsdb-server + ovs-vswitchd started in this test's run dir (OVS_RUNDIR,
# OVS_DBDIR, OVS_LOGDIR, OVS_SYSCONFDIR point there) with the userspace datapath and dummy
# ports only (--enable-dummy=override --disable-system): no kernel module, no system OVS
# touched; both are stopped by PID at the end.
#
# Known, intended differences from OVS (checked as such, not compared):
#   - 64 tables, not 254; the LOCAL port's address (sluice: a tap's, OVS here: a dummy's);
#   - a group chained to a group that does not exist is refused (OVS accepts it), deleting a
#     group another group forwards to is refused (OFPGMFC_CHAINED_GROUP, OVS deletes it);
#   - set-frags other than "normal" is refused (sluice cannot drop or reassemble fragments);
#   - descriptions, port speeds and features, datapath id, group and meter features.
. "$(dirname "$0")/lib.sh"

it_init ovs-ofctl
for b in ovs-ofctl ovs-vswitchd ovsdb-server ovsdb-tool ovs-vsctl; do
    command -v "$b" >/dev/null || it_skip "$b not installed (openvswitch-switch)"
done
[ -f /usr/share/openvswitch/vswitch.ovsschema ] || it_skip "no OVS schema"

start_sluiced

# --- the switch under test: br0 with an af_packet port on a veth and a silent null port ----
VA=$(veth_name a)
VB=$(veth_name b)
ip link add "$VA" type veth peer name "$VB" || fail "cannot create veth $VA/$VB"
IT_LINKS+=("$VA")
for i in "$VA" "$VB"; do
    sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" 2>/dev/null
    ip link set "$i" up
done
check "add-br br0" ctl add-br br0
check "br0.mgmt socket created with the bridge" test -S "$RUN_DIR/br0.mgmt"
check "add-port p1 (af_packet)" ctl add-port br0 p1 type=dpdk \
    "devargs=net_af_packet$IT_ID,iface=$VA" ofport=1
check "add-port p2 (null, no rx)" ctl add-port br0 p2 type=dpdk "devargs=net_null$IT_ID,no-rx=1" \
    ofport=2

SL="unix:$RUN_DIR/br0.mgmt"
OF=(timeout 20 ovs-ofctl -O OpenFlow13)

# --- the oracle ----------------------------------------------------------------------------
OVS_DIR="$RUN_DIR/ovs"
mkdir -p "$OVS_DIR"
export OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_SYSCONFDIR="$OVS_DIR"
VSCTL=(ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=20)
start_ovs() {
    ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
    ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
        --pidfile="$OVS_DIR/ovsdb-server.pid" --unixctl="$OVS_DIR/ovsdb-server.ctl" \
        --log-file="$OVS_DIR/ovsdb-server.log" --detach --no-chdir || return 1
    IT_PIDS+=("$(cat "$OVS_DIR/ovsdb-server.pid")")
    "${VSCTL[@]}" --no-wait init || return 1
    ovs-vswitchd "unix:$OVS_DIR/db.sock" --enable-dummy=override --disable-system \
        --pidfile="$OVS_DIR/ovs-vswitchd.pid" --unixctl="$OVS_DIR/ovs-vswitchd.ctl" \
        --log-file="$OVS_DIR/ovs-vswitchd.log" --detach --no-chdir || return 1
    IT_PIDS+=("$(cat "$OVS_DIR/ovs-vswitchd.pid")")
    "${VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev protocols=OpenFlow13 \
        -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
        -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 || return 1
    wait_until 20 test -S "$OVS_DIR/br0.mgmt" || return 1
    # OVS starts with a NORMAL flow; sluice starts empty.
    "${OF[@]}" del-flows "unix:$OVS_DIR/br0.mgmt"
}
if ! start_ovs; then
    fail "could not start the Open vSwitch oracle (see $OVS_DIR/*.log)"
    it_finish
fi
OV="unix:$OVS_DIR/br0.mgmt"

# norm: the parts that legitimately differ between two runs (xids, durations).
norm() {
    sed -E 's/\(xid=0x[0-9a-f]+\)/(xid=X)/; s/duration[=:]?[0-9.]+s/duration=D/g'
}
# sorted_body: first line kept, the rest sorted (switches list flows and groups in their own
# order; OpenFlow does not define one).
sorted_body() {
    awk 'NR == 1 { print; next } { print | "sort" }'
}
# same DESC OFCTL-ARGS...: the command's output (normalised, sorted) and exit status are
# equal against sluice and against OVS. "SW" in the arguments stands for the switch.
same() {
    local desc="$1"
    shift
    local a_args=() o_args=() x
    for x in "$@"; do
        a_args+=("${x//SW/$SL}")
        o_args+=("${x//SW/$OV}")
    done
    local a o ra ro
    a=$("${OF[@]}" "${a_args[@]}" 2>&1 | norm | sorted_body)
    ra=${PIPESTATUS[0]}
    o=$("${OF[@]}" "${o_args[@]}" 2>&1 | norm | sorted_body)
    ro=${PIPESTATUS[0]}
    a=${a//$SL/SW}
    o=${o//$OV/SW}
    if [ "$a" == "$o" ] && [ "$ra" == "$ro" ]; then
        pass "$desc (same as OVS)"
    else
        fail "$desc: differs from OVS (exit $ra vs $ro)"
        diff <(printf '%s\n' "$o") <(printf '%s\n' "$a") | head -20 | sed 's/^/    /'
    fi
}
# sl_out DESC REGEX OFCTL-ARGS...: against sluice only, output matches REGEX.
sl_out() {
    local desc="$1" re="$2"
    shift 2
    local args=() x out
    for x in "$@"; do args+=("${x//SW/$SL}"); done
    out=$("${OF[@]}" "${args[@]}" 2>&1)
    if grep -Eq -- "$re" <<<"$out"; then
        pass "$desc"
    else
        fail "$desc: output does not match /$re/: $(head -c 400 <<<"$out")"
    fi
}

# --- show, features, config ------------------------------------------------------------------
sl_out "show: features reply with 64 tables and the stats capabilities" \
    "n_tables:64, n_buffers:0" show SW
sl_out "show: capabilities" "capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS" show SW
sl_out "show: ports by number and name" "1\(p1\): addr:" show SW
sl_out "show: service connection miss_send_len 0, like OVS" \
    "frags=normal miss_send_len=0" show SW
same "get-frags" get-frags SW
sl_out "dump-desc names sluice and the bridge" "DP Description: bridge br0" dump-desc SW
out=$(timeout 10 ovs-ofctl -O OpenFlow10 show "$SL" 2>&1)
if grep -q "version negotiation failed" <<<"$out"; then
    pass "OpenFlow 1.0 only client: version negotiation fails cleanly"
else
    fail "OpenFlow 1.0 only client: $(head -c 200 <<<"$out")"
fi

# --- flows -------------------------------------------------------------------------------------
cat >"$RUN_DIR/flows.txt" <<'EOF'
priority=10,in_port=1,ip,nw_dst=10.0.0.0/24,actions=output:2
table=0,priority=100,tcp,tp_dst=80,actions=drop
cookie=0x5,arp,actions=output:1,output:2
priority=5,dl_vlan=10,actions=pop_vlan,goto_table:3
table=3,priority=5,actions=push_vlan:0x8100,set_field:4116->vlan_vid,output:1
priority=7,udp,nw_src=1.2.3.4,tp_src=53,actions=write_actions(output:2),write_metadata:0x5/0xff,goto_table:2
table=2,priority=8,ipv6,ipv6_dst=2001:db8::/32,actions=dec_ttl,output:2
priority=9,ip,actions=mod_nw_src:9.9.9.9,mod_dl_dst:00:11:22:33:44:55,output:2
priority=11,idle_timeout=60,hard_timeout=120,send_flow_rem,ip,actions=controller:64
cookie=0x6,priority=100,tcp,tp_dst=443,actions=output:1
priority=12,icmp,icmp_type=8,actions=output:in_port
priority=13,tcp,tcp_flags=+syn-ack,actions=drop
priority=14,dl_src=00:00:00:00:00:01/01:00:00:00:00:00,actions=output:1
EOF
same "add-flows FILE" add-flows SW "$RUN_DIR/flows.txt"
same "dump-flows --no-stats after add-flows" dump-flows --no-stats SW
same "dump-flows with stats (durations normalised)" dump-flows SW
same "add-flow" add-flow SW "priority=20,in_port=2,actions=output:1"
same "add-flow replacing an identical match" add-flow SW "priority=20,in_port=2,actions=drop"
same "add-flow with check_overlap on an overlapping flow" \
    add-flow SW "priority=20,check_overlap,in_port=2,ip,actions=drop"
same "mod-flows (loose)" mod-flows SW "tcp,actions=output:2"
same "mod-flows --strict" mod-flows --strict SW "priority=10,in_port=1,ip,nw_dst=10.0.0.0/24,actions=drop"
same "dump-flows after mod-flows" dump-flows --no-stats SW
same "dump-flows with a filter" dump-flows --no-stats SW tcp
same "dump-flows of one table" dump-flows --no-stats SW table=2
same "dump-flows by cookie" dump-flows --no-stats SW "cookie=0x6/-1"
same "dump-aggregate" dump-aggregate SW
same "dump-aggregate of one table" dump-aggregate SW table=2
same "del-flows --strict" del-flows --strict SW "priority=100,tcp,tp_dst=80"
same "del-flows --strict that matches nothing" del-flows --strict SW "priority=99,tcp,tp_dst=80"
same "del-flows by cookie" del-flows SW "cookie=0x5/-1"
same "del-flows by out_port" del-flows SW "out_port=1"
same "dump-flows after deletes" dump-flows --no-stats SW
same "error: goto_table backwards" add-flow SW "table=3,priority=5,actions=goto_table:1"
same "error: group that does not exist" add-flow SW "priority=5,actions=group:77"
same "error: set_field vlan_vid without OFPVID_PRESENT" \
    add-flow SW "priority=5,actions=set_field:20->vlan_vid,output:1"
same "error: set_field without its prerequisite" add-flow SW "priority=5,actions=set_field:1->tcp_dst"
same "add-flow output:NORMAL (learning switch)" add-flow SW "priority=5,actions=NORMAL"
same "dump-flows with NORMAL" dump-flows --no-stats SW
sl_out "error: table 70 (sluice has 64 tables)" "OFPFMFC_BAD_TABLE_ID" \
    add-flow SW "table=70,actions=drop"
same "del-flows (all)" del-flows SW
same "dump-flows empty" dump-flows SW

# --- tables and ports ---------------------------------------------------------------------------
"${OF[@]}" add-flow "$SL" "priority=1,actions=drop"
sl_out "dump-tables: table 0 counts its flow" "table 0:.*$|active=1, lookup=" dump-tables SW
sl_out "dump-tables: 64 tables" "tables 2\.\.\.63: ditto" dump-tables SW
sl_out "dump-table-features: table 0 instructions" \
    "instructions: meter apply_actions clear_actions write_actions write_metadata goto_table" \
    dump-table-features SW
sl_out "dump-table-features: 64 tables" "table 63:" dump-table-features SW
sl_out "dump-table-features: maskable fields" "arbitrary mask: .*ip_\{src,dst\}" \
    dump-table-features SW
"${OF[@]}" del-flows "$SL"
sl_out "dump-ports: both ports and LOCAL" "OFPST_PORT reply \(OF1\.3\) \(xid=0x[0-9a-f]+\): 3 ports" \
    dump-ports SW
# LOCAL as OVS prints it (counters and addresses differ: compare the form).
local_form() {
    "${OF[@]}" dump-ports-desc "$1" | grep -Eo '^ LOCAL\(br0\): addr:'
    "${OF[@]}" dump-ports "$1" | grep -Eo '^  port LOCAL: rx pkts=[0-9]+, bytes=[0-9]+, drop=' | sed -E 's/[0-9]+/N/g'
}
sl_local=$(local_form "$SL")
assert_eq "dump-ports-desc and dump-ports print LOCAL as OVS does" "$sl_local" "$(local_form "$OV")"
[ -n "$sl_local" ] || fail "no LOCAL port in sluice's dump-ports-desc / dump-ports"
sl_out "dump-ports: counters DPDK has not are unavailable (?)" "frame=\?, over=\?, crc=\?" \
    dump-ports SW 1
same "dump-ports of a port that does not exist: empty reply" dump-ports SW 7
sl_out "dump-ports-desc" "2\(p2\): addr:" dump-ports-desc SW
same "mod-port no-packet-in" mod-port SW p2 no-packet-in
sl_out "mod-port config reported in dump-ports-desc" "config: +NO_PACKET_IN" dump-ports-desc SW
same "mod-port packet-in" mod-port SW p2 packet-in
same "mod-port down" mod-port SW p1 down
sl_out "mod-port down reported" "config: +PORT_DOWN" dump-ports-desc SW 1
same "mod-port up" mod-port SW p1 up
same "mod-port of a port that does not exist" mod-port SW 9 down

# --- groups --------------------------------------------------------------------------------------
same "add-group all" add-group SW "group_id=1,type=all,bucket=output:1,bucket=output:2"
same "add-group select with weights" add-group SW \
    "group_id=2,type=select,bucket=weight:10,output:1,bucket=weight:20,actions=set_field:00:00:00:00:00:01->eth_src,output:2"
same "add-group indirect chained to group 1" add-group SW \
    "group_id=3,type=indirect,bucket=actions=group:1"
same "add-group fast failover" add-group SW \
    "group_id=4,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2"
same "add-group of an existing id: GROUP_EXISTS" add-group SW "group_id=1,type=all,bucket=output:1"
same "mod-group of a missing id: UNKNOWN_GROUP" mod-group SW "group_id=9,type=all,bucket=output:1"
same "mod-group" mod-group SW "group_id=1,type=all,bucket=output:2"
same "dump-groups" dump-groups SW
same "dump-groups of one group" dump-groups SW 2
same "dump-group-stats (durations normalised)" dump-group-stats SW
same "add-flow to a group" add-flow SW "priority=5,actions=group:2"
same "dump-group-stats counts the flow's reference" dump-group-stats SW 2
same "del-groups deletes the group's flows" del-groups SW group_id=2
same "dump-flows after the group delete" dump-flows --no-stats SW
same "del-groups of a missing group" del-groups SW group_id=77
sl_out "error: chain to a missing group" "OFPBAC_BAD_OUT_GROUP" \
    add-group SW "group_id=5,type=indirect,bucket=actions=group:99"
sl_out "error: a group that would loop" "OFPGMFC_LOOP" \
    mod-group SW "group_id=1,type=all,bucket=actions=group:3"
sl_out "error: deleting a group another forwards to" "OFPGMFC_CHAINED_GROUP" \
    del-groups SW group_id=1
sl_out "dump-group-features" "Group table:" dump-group-features SW
sl_out "dump-group-features: all four types" "select group:" dump-group-features SW
same "del-groups (all)" del-groups SW
same "dump-groups empty" dump-groups SW

# --- meters ---------------------------------------------------------------------------------------
same "add-meter kbps" add-meter SW "meter=1,kbps,band=type=drop,rate=1000"
same "add-meter pktps burst stats" add-meter SW \
    "meter=2,pktps,burst,stats,band=type=drop,rate=100,burst_size=20"
same "add-meter of an existing id: METER_EXISTS" add-meter SW "meter=1,kbps,band=type=drop,rate=1000"
same "mod-meter of a missing id: UNKNOWN_METER" mod-meter SW "meter=9,kbps,band=type=drop,rate=1000"
same "mod-meter" mod-meter SW "meter=1,pktps,band=type=drop,rate=10"
same "add-meter dscp_remark: BAD_BAND" add-meter SW \
    "meter=4,kbps,band=type=dscp_remark,rate=1000,prec_level=1"
same "dump-meters" dump-meters SW
same "dump-meters of one meter" dump-meters SW meter=2
same "add-flow with a meter" add-flow SW "priority=5,actions=meter:1,output:1"
same "add-flow with another meter" add-flow SW "priority=6,ip,actions=meter:2,output:2"
same "meter-stats (durations normalised)" meter-stats SW
sl_out "meter-features" "max_meter:65536 max_bands:8" meter-features SW
sl_out "meter-features: drop bands, all flags" "band_types: drop" meter-features SW
same "del-meters deletes the meter's flows" del-meters SW meter=1
same "dump-flows after the meter delete" dump-flows --no-stats SW
same "del-meters (all)" del-meters SW
same "dump-meters empty" dump-meters SW
same "dump-flows empty after del-meters" dump-flows --no-stats SW

# --- refused switch settings ------------------------------------------------------------------------
sl_out "set-frags drop refused (fragments are always forwarded)" "OFPSCFC_BAD_FLAGS" \
    set-frags SW drop

# --- asynchronous messages through ovs-ofctl monitor -----------------------------------------------
inject() { # inject COUNT: ARP frames into p1 through the veth peer
    python3 - "$VB" "${1:-1}" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
arp = bytes.fromhex("0001080006040001020000000001c0a80001000000000000c0a80002")
frame = bytes.fromhex("ffffffffffff020000000001" "0806") + arp + bytes(60)
for _ in range(int(sys.argv[2])):
    s.send(frame)
EOF
}
check "add-port p4 (vhost-user, no VM yet)" ctl add-port br0 p4 type=vhostuser ofport=4
timeout 40 ovs-ofctl -O OpenFlow13 monitor "$SL" 128 >"$RUN_DIR/monitor.txt" 2>&1 &
mon_pid=$!
IT_PIDS+=("$mon_pid")
sleep 1
"${OF[@]}" add-flow "$SL" "priority=10,in_port=1,actions=controller:60"
"${OF[@]}" add-flow "$SL" "priority=20,hard_timeout=1,send_flow_rem,ip,actions=drop"
"${OF[@]}" add-flow "$SL" "priority=21,send_flow_rem,udp,actions=drop"
"${OF[@]}" del-flows "$SL" udp
inject 1
ctl add-port br0 p3 type=dpdk "devargs=net_null${IT_ID}x,no-rx=1" ofport=3 >/dev/null
ctl del-port br0 p3 >/dev/null
# A "VM" attaches to p4 and leaves: its link comes up and goes down.
start_gen vm4 "$(vm_vdev 0 "$RUN_DIR/p4.sock")" --mode rx --duration 2 --wait-link 15 \
    --idle-sleep-us 100 --quiet
wait_gen "$GEN_PID" 40 >/dev/null
sleep 2
kill "$mon_pid" 2>/dev/null
wait "$mon_pid" 2>/dev/null
ctl del-port br0 p4 >/dev/null
MON=$(cat "$RUN_DIR/monitor.txt")
grep_mon() { grep -Eq -- "$1" <<<"$MON"; }
check "monitor: PACKET_IN truncated to the action's max_len, unbuffered" \
    grep_mon "OFPT_PACKET_IN .*total_len=102 in_port=1 \(via action\) data_len=60 \(unbuffered\)"
check "monitor: FLOW_REMOVED reason delete" grep_mon "OFPT_FLOW_REMOVED .*priority=21,udp reason=delete"
check "monitor: FLOW_REMOVED reason hard timeout" grep_mon "OFPT_FLOW_REMOVED .*priority=20,ip reason=hard"
check "monitor: PORT_STATUS ADD" grep_mon "OFPT_PORT_STATUS .*ADD: 3\(p3\)"
check "monitor: PORT_STATUS DEL" grep_mon "OFPT_PORT_STATUS .*DEL: 3\(p3\)"
mod_states=$(grep -A2 "OFPT_PORT_STATUS .*MOD: 4(p4)" <<<"$MON" | grep -Eo "state: +[A-Z_]+" | awk '{print $2}' | tr '\n' ' ')
check "monitor: PORT_STATUS MOD for p4's link up then down ($mod_states)" \
    grep -Eq "LIVE .*LINK_DOWN" <<<"$mod_states"
if ! grep_mon "OFPT_PACKET_IN"; then
    printf '    monitor output: %s\n' "$(head -c 600 <<<"$MON")"
fi
# The service connection of a plain command got none of that (miss_send_len 0).
sl_out "flow counters count the injected packet" "n_packets=1, n_bytes=102, priority=10,in_port=1" \
    dump-flows SW
"${OF[@]}" del-flows "$SL"

# --- packet-out ------------------------------------------------------------------------------------
tx_before=$(port_stat br0 p2 .tx_packets)
ARP_HEX=ffffffffffff02000000000108060001080006040001020000000001c0a80001000000000000c0a80002
check "packet-out from CONTROLLER to p2" "${OF[@]}" packet-out "$SL" \
    "in_port=controller packet=$ARP_HEX actions=output:2"
"${OF[@]}" add-flow "$SL" "priority=1,in_port=1,actions=output:2"
check "packet-out to TABLE runs the pipeline" "${OF[@]}" packet-out "$SL" \
    "in_port=1 packet=$ARP_HEX actions=output:TABLE"
tx_after=$(port_stat br0 p2 .tx_packets)
assert_eq "p2 sent both packet-outs" "$((tx_after - tx_before))" 2
sl_out "packet-out to a missing group is refused" "OFPBAC_BAD_OUT_GROUP" \
    packet-out SW "in_port=controller packet=$ARP_HEX actions=group:5"
"${OF[@]}" del-flows "$SL"

# --- raw OpenFlow: malformed input, pipelining, backpressure, controllers --------------------------
cat >"$RUN_DIR/ofc.py" <<'EOF'
"""A minimal OpenFlow 1.3 peer for the checks ovs-ofctl cannot make. Prints "ok DESC" or
"not ok DESC" per check."""
import os, random, select, socket, struct, sys, time

V = 4
HELLO, ERROR, ECHO_REQ, ECHO_REP = 0, 1, 2, 3
FEATURES_REQ, FEATURES_REP, SET_CONFIG = 5, 6, 9
PACKET_IN, FLOW_REMOVED, PORT_STATUS = 10, 11, 12
FLOW_MOD, MP_REQ, MP_REP, BARRIER_REQ, BARRIER_REP = 14, 18, 19, 20, 21
ROLE_REQ, ROLE_REP = 24, 25
results = []

def report(ok, desc):
    print(("ok " if ok else "not ok ") + desc, flush=True)

def msg(t, xid, body=b"", version=V, length=None):
    n = 8 + len(body) if length is None else length
    return struct.pack("!BBHI", version, t, n, xid) + body

def hello_msg(xid=1, version=V, bitmap=1 << V):
    body = struct.pack("!HHI", 1, 8, bitmap) if bitmap is not None else b""
    return msg(HELLO, xid, body, version)

class Peer:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""
    def send(self, data):
        self.s.sendall(data)
    def recv(self, timeout=5.0):
        """One message (version, type, xid, body), or None on timeout/EOF ('eof')."""
        deadline = time.time() + timeout
        while True:
            if len(self.buf) >= 8:
                n = struct.unpack("!H", self.buf[2:4])[0]
                if n >= 8 and len(self.buf) >= n:
                    m, self.buf = self.buf[:n], self.buf[n:]
                    v, t, _, x = struct.unpack("!BBHI", m[:8])
                    return (v, t, x, m[8:])
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return "eof"
            self.buf += d
    def recv_type(self, want, timeout=5.0):
        """Skips asynchronous messages and echo requests (answering them)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.recv(deadline - time.time())
            if m is None or m == "eof":
                return m
            if m[1] == ECHO_REQ and want != ECHO_REQ:
                self.send(msg(ECHO_REP, m[2], m[3]))
                continue
            if m[1] in want if isinstance(want, tuple) else m[1] == want:
                return m
            if m[1] in (PACKET_IN, FLOW_REMOVED, PORT_STATUS) and want not in (PACKET_IN, FLOW_REMOVED, PORT_STATUS):
                continue
            return m
        return None
    def handshake(self):
        self.send(hello_msg())
        m = self.recv()
        return m not in (None, "eof") and m[1] == HELLO and m[0] == V
    def echo_ok(self, xid=0xabc):
        self.send(msg(ECHO_REQ, xid, b"ping"))
        m = self.recv_type(ECHO_REP)
        return m not in (None, "eof") and m[2] == xid and m[3] == b"ping"
    def closed(self, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.recv(deadline - time.time())
            if m == "eof":
                return True
            if m is None:
                return False
        return False

def unix_peer(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return Peer(s)

def is_error(m, etype, code, xid=None):
    if m in (None, "eof") or m[1] != ERROR:
        return False
    t, c = struct.unpack("!HH", m[3][:4])
    return t == etype and c == code and (xid is None or m[2] == xid)

def flow_mod(xid, priority, port, cookie=0, table=0, cmd=0, buffer_id=0xffffffff):
    body = struct.pack("!QQBBHHHIIIHH", cookie, 0, table, cmd, 0, 0, priority, buffer_id,
                       0xffffffff, 0xffffffff, 0, 0)
    body += struct.pack("!HH", 1, 4) + b"\0" * 4                       # empty OXM match
    act = struct.pack("!HHIH6x", 0, 16, port, 0xffe5)                  # output:port
    body += struct.pack("!HH4x", 4, 8 + len(act)) + act                # apply_actions
    return msg(FLOW_MOD, xid, body)

def mp_request(xid, mptype, body=b""):
    return msg(MP_REQ, xid, struct.pack("!HH4x", mptype, 0) + body)

def role_req(xid, role, gen):
    return msg(ROLE_REQ, xid, struct.pack("!I4xQ", role, gen))

def err_code(m):
    if m in (None, "eof"):
        return str(m)
    if m[1] != ERROR:
        return "type %d" % m[1]
    return "error %d/%d" % struct.unpack("!HH", m[3][:4])

# --- scenarios --------------------------------------------------------------------------------
def malformed(path):
    p = unix_peer(path)
    report(p.handshake(), "hello exchange with version bitmap")
    p.send(msg(200, 0x77))
    m = p.recv()
    report(is_error(m, 1, 1, 0x77), "unknown message type: OFPBRC_BAD_TYPE with the request's xid (%s)" % err_code(m))
    report(p.echo_ok(), "connection still serves after an unknown type")
    p.send(msg(FEATURES_REQ, 0x78, version=1))
    m = p.recv()
    report(is_error(m, 1, 0, 0x78), "wrong version after hello: OFPBRC_BAD_VERSION (%s)" % err_code(m))
    fm = flow_mod(0x79, 100, 1)
    p.send(fm[:2] + struct.pack("!H", 40) + fm[4:40])
    m = p.recv()
    report(is_error(m, 1, 6, 0x79), "flow_mod cut to 40 bytes: OFPBRC_BAD_LEN (%s)" % err_code(m))
    bad = bytearray(flow_mod(0x7a, 100, 1))
    bad[48:56] = struct.pack("!HH", 1, 8) + bytes.fromhex("7fff0004")  # OXM of an unknown field... class 0x7fff
    p.send(bytes(bad))
    m = p.recv()
    report(m not in (None, "eof") and m[1] == ERROR and m[2] == 0x7a,
           "flow_mod with a bad OXM: an ERROR (%s)" % err_code(m))
    p.send(flow_mod(0x7b, 100, 1, buffer_id=5))
    m = p.recv()
    report(is_error(m, 1, 8, 0x7b), "flow_mod with a buffer_id: OFPBRC_BUFFER_UNKNOWN (%s)" % err_code(m))
    p.send(flow_mod(0x7c, 100, 1, table=0xff))
    m = p.recv()
    report(is_error(m, 5, 2, 0x7c), "flow_mod ADD to table ALL: OFPFMFC_BAD_TABLE_ID (%s)" % err_code(m))
    p.send(mp_request(0x7d, 5))
    m = p.recv()
    report(m not in (None, "eof") and m[1] == ERROR and m[2] == 0x7d, "multipart QUEUE: an ERROR (%s)" % err_code(m))
    report(p.echo_ok(), "connection still serves after bad requests")
    p.send(struct.pack("!BBHI", V, ECHO_REQ, 4, 0x7e))
    m = p.recv()
    report(is_error(m, 1, 6), "header length below 8: OFPBRC_BAD_LEN (%s)" % err_code(m))
    report(p.closed(), "connection closed after an unframeable stream")

    p = unix_peer(path)
    p.send(msg(FEATURES_REQ, 5))
    m = p.recv()
    report(m not in (None, "eof") and m[1] == HELLO, "the switch speaks first: HELLO")
    m = p.recv()
    report(is_error(m, 0, 0), "request before HELLO: OFPET_HELLO_FAILED (%s)" % err_code(m))
    report(p.closed(), "connection closed after a request before HELLO")

    p = unix_peer(path)
    p.send(hello_msg(version=1, bitmap=None))
    m = p.recv()
    report(m != "eof" and m is not None and m[1] == HELLO, "OpenFlow 1.0 peer gets our HELLO")
    m = p.recv()
    report(is_error(m, 0, 0) and m[0] == 1,
           "OpenFlow 1.0 peer: HELLO_FAILED/INCOMPATIBLE in version 1 (%s)" % err_code(m))
    report(p.closed(), "OpenFlow 1.0 peer disconnected")

    p = unix_peer(path)
    p.send(hello_msg(bitmap=(1 << 1) | (1 << 5)))
    p.recv()
    m = p.recv()
    report(is_error(m, 0, 0), "bitmap without 1.3: HELLO_FAILED (%s)" % err_code(m))

    # Random garbage, framed and not: the daemon answers or hangs up, never dies.
    rnd = random.Random(1234)
    for i in range(20):
        p = unix_peer(path)
        p.handshake()
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 4000)))
        try:
            p.send(data)
        except OSError:
            pass
        p.s.close()
    p = unix_peer(path)
    p.handshake()
    n_err = 0
    for i in range(600):
        t = rnd.choice([0, 1, 2, 3, 5, 7, 9, 13, 14, 15, 16, 17, 18, 20, 22, 24, 26, 28, 29, 35, 99])
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300)))
        if t == 24:
            continue  # a random role request could make this connection a slave
        p.send(msg(t, 0x10000 + i, body))
    p.send(msg(BARRIER_REQ, 0xbeef))
    got_barrier = False
    deadline = time.time() + 20
    while time.time() < deadline:
        m = p.recv(deadline - time.time())
        if m in (None, "eof"):
            break
        if m[1] == ERROR:
            n_err += 1
        if m[1] == BARRIER_REP and m[2] == 0xbeef:
            got_barrier = True
            break
    report(got_barrier and n_err > 100,
           "600 random framed messages: %d errors, then the barrier reply" % n_err)
    # Half a message, then hang up.
    p = unix_peer(path)
    p.handshake()
    p.send(flow_mod(9, 100, 1)[:30])
    p.s.close()
    p = unix_peer(path)
    report(p.handshake() and p.echo_ok(), "daemon serves new connections after all the garbage")

def pipeline(path, n):
    """n flow-mods and a barrier in one write: only the barrier reply comes back."""
    p = unix_peer(path)
    p.handshake()
    data = b"".join(flow_mod(1000 + i, 1000 + i, 2, cookie=0x77) for i in range(n))
    p.send(data + msg(BARRIER_REQ, 0xb00))
    m = p.recv_type(BARRIER_REP, 30)
    report(m not in (None, "eof") and m[1] == BARRIER_REP and m[2] == 0xb00,
           "%d pipelined flow-mods then BARRIER: the barrier reply, no error (%s)" % (n, err_code(m) if m and m != "eof" and m[1] != BARRIER_REP else "ok"))

def backpressure(path, n):
    """n echo requests written without reading: every reply arrives, in order."""
    p = unix_peer(path)
    p.handshake()
    payload = b"x" * 1000
    data = b"".join(msg(ECHO_REQ, i, payload) for i in range(n))
    p.s.setblocking(True)
    import threading
    t = threading.Thread(target=p.s.sendall, args=(data,))
    t.start()
    time.sleep(2)  # let the switch's queue fill and pause
    seen = 0
    ok = True
    while seen < n:
        m = p.recv(10)
        if m in (None, "eof"):
            ok = False
            break
        if m[1] != ECHO_REP or m[2] != seen or m[3] != payload:
            ok = False
            break
        seen += 1
    t.join()
    report(ok and seen == n, "%d echo requests sent without reading: %d replies, in order" % (n, seen))

def many(path, n):
    peers = [unix_peer(path) for _ in range(n)]
    for p in peers:
        p.send(hello_msg())
    ok = sum(1 for p in peers if p.recv() not in (None, "eof"))
    for i, p in enumerate(peers):
        p.send(msg(ECHO_REQ, i, b"m"))
    ok2 = 0
    for i, p in enumerate(peers):
        m = p.recv_type(ECHO_REP)
        if m not in (None, "eof") and m[2] == i:
            ok2 += 1
    report(ok == n and ok2 == n, "%d connections at once: %d hellos, %d echo replies" % (n, ok, ok2))

def controller_active(port_file, dpid, iface):
    """The switch connects to us (set-controller tcp:): handshake, features, roles, flows,
    packet-in, keepalive, reconnect."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    ls.settimeout(20)
    try:
        s, _ = ls.accept()
    except socket.timeout:
        report(False, "switch connected to the tcp: controller")
        return
    report(True, "switch connected to the tcp: controller")
    p = Peer(s)
    report(p.handshake(), "controller: hello exchange")
    p.send(msg(FEATURES_REQ, 2))
    m = p.recv_type(FEATURES_REP)
    got = struct.unpack("!Q", m[3][:8])[0] if m not in (None, "eof") else None
    report(got == int(dpid, 16), "controller: FEATURES_REPLY datapath_id %s (got %s)" % (dpid, hex(got or 0)))
    p.send(role_req(3, 2, 10))
    m = p.recv_type(ROLE_REP)
    report(m not in (None, "eof") and struct.unpack("!I4xQ", m[3][:16]) == (2, 10),
           "controller: ROLE_REQUEST master, generation 10")
    p.send(role_req(4, 3, 5))
    m = p.recv_type(ERROR)
    report(is_error(m, 11, 0, 4), "controller: stale generation_id: OFPRRFC_STALE (%s)" % err_code(m))
    p.send(role_req(5, 3, 11))
    m = p.recv_type(ROLE_REP)
    report(m not in (None, "eof") and struct.unpack("!I", m[3][:4])[0] == 3, "controller: now slave")
    p.send(flow_mod(6, 10, 2))
    m = p.recv_type(ERROR)
    report(is_error(m, 1, 10, 6), "controller: a slave's FLOW_MOD: OFPBRC_IS_SLAVE (%s)" % err_code(m))
    p.send(role_req(7, 1, 0))
    p.recv_type(ROLE_REP)
    # Equal: install a flow to the controller and receive the packet-in.
    fm = bytearray(flow_mod(8, 10, 0xfffffffd))
    p.send(bytes(fm) + msg(BARRIER_REQ, 9))
    m = p.recv_type(BARRIER_REP)
    report(m not in (None, "eof") and m[1] == BARRIER_REP, "controller: flow to CONTROLLER installed (%s)" % err_code(m))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    frame = bytes.fromhex("ffffffffffff02000000000208060001080006040001020000000002c0a80001000000000000c0a80002") + bytes(60)
    raw.send(frame)
    m = p.recv_type(PACKET_IN, 5)
    ok = m not in (None, "eof") and m[1] == PACKET_IN
    if ok:
        buffer_id, total_len, reason, table = struct.unpack("!IHBB", m[3][:8])
        ok = buffer_id == 0xffffffff and total_len == len(frame) and reason == 1 and table == 0 \
            and m[3].endswith(frame[:len(frame)]) and struct.pack("!HBBI", 0x8000, 0, 4, 1) in m[3][16:40]
    report(ok, "controller: PACKET_IN with in_port=1, reason action, the whole frame (max_len 0xffe5)")
    # Keepalive: stay silent; the switch asks within ~5 s.
    t0 = time.time()
    m = p.recv(9)
    report(m not in (None, "eof") and m[1] == ECHO_REQ, "controller: ECHO_REQUEST after %.1f s of silence" % (time.time() - t0))
    if m not in (None, "eof"):
        p.send(msg(ECHO_REP, m[2], m[3]))
    # Drop the connection: the switch reconnects (1 s after a connection that was up).
    s.close()
    t0 = time.time()
    try:
        s2, _ = ls.accept()
        report(time.time() - t0 < 4, "controller: switch reconnected after %.1f s" % (time.time() - t0))
    except socket.timeout:
        report(False, "controller: switch reconnected")
        return
    p = Peer(s2)
    report(p.handshake(), "controller: hello on the new connection")
    # Silent controller: no answer to echo requests: dropped after 3 misses (~20 s).
    t0 = time.time()
    n_echo = 0
    while time.time() - t0 < 40:
        m = p.recv(40 - (time.time() - t0))
        if m == "eof" or m is None:
            break
        if m[1] == ECHO_REQ:
            n_echo += 1
    took = time.time() - t0
    report(m == "eof" and n_echo == 3 and 15 <= took <= 26,
           "controller: silent peer dropped after %d unanswered echo requests, %.1f s" % (n_echo, took))
    p.s.close()
    ls.close()

def controller_passive(port, iface):
    """Two controllers on ptcp:: a master gets packet-ins, a slave does not."""
    a = Peer(socket.create_connection(("127.0.0.1", int(port)), timeout=5))
    b = Peer(socket.create_connection(("127.0.0.1", int(port)), timeout=5))
    report(a.handshake() and b.handshake(), "ptcp: two controllers connected")
    a.send(role_req(1, 2, 100))
    m = a.recv_type(ROLE_REP)
    report(m not in (None, "eof") and m[1] == ROLE_REP, "ptcp: first controller is master")
    b.send(role_req(1, 2, 101))
    b.recv_type(ROLE_REP)
    a.send(role_req(2, 0, 0))
    m = a.recv_type(ROLE_REP)
    report(m not in (None, "eof") and struct.unpack("!I", m[3][:4])[0] == 3,
           "ptcp: a new master demotes the old one to slave")
    b.send(flow_mod(3, 10, 0xfffffffd) + msg(BARRIER_REQ, 4))
    b.recv_type(BARRIER_REP)
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((iface, 0))
    raw.send(bytes.fromhex("ffffffffffff02000000000308060001080006040001020000000003c0a80001000000000000c0a80002") + bytes(60))
    m = b.recv_type(PACKET_IN, 5)
    report(m not in (None, "eof") and m[1] == PACKET_IN, "ptcp: the master receives the PACKET_IN")
    m = a.recv(1.5)
    report(m is None, "ptcp: the slave does not (%s)" % (m if m in (None, "eof") else "type %d" % m[1]))

if __name__ == "__main__":
    fn = globals()[sys.argv[1].replace("-", "_")]
    args = [int(a) if a.isdigit() else a for a in sys.argv[2:]]
    fn(*args)
EOF

# run_py DESC-PREFIX ARGS...: runs a scenario, one pass/fail per line it prints.
run_py() {
    local prefix="$1" line n=0
    shift
    while IFS= read -r line; do
        case "$line" in
        "ok "*) pass "$prefix: ${line#ok }"; n=$((n + 1)) ;;
        "not ok "*) fail "$prefix: ${line#not ok }"; n=$((n + 1)) ;;
        *) it_log "$prefix: $line" ;;
        esac
    done < <(timeout 120 python3 "$RUN_DIR/ofc.py" "$@" 2>&1)
    [ "$n" -gt 0 ] || fail "$prefix: the scenario reported nothing"
}

run_py malformed malformed "$RUN_DIR/br0.mgmt"
check "sluiced alive after malformed OpenFlow" sluiced_alive
run_py pipeline pipeline "$RUN_DIR/br0.mgmt" 2000
sl_out "the 2000 pipelined flows are all in the table" "flow_count=2000" dump-aggregate SW "cookie=0x77/-1"
"${OF[@]}" del-flows "$SL"
run_py backpressure backpressure "$RUN_DIR/br0.mgmt" 20000
run_py many many "$RUN_DIR/br0.mgmt" 100
check "sluiced alive after the stress" sluiced_alive

# --- controllers ---------------------------------------------------------------------------------------
rpc() { # rpc METHOD JSON-PARAMS: prints the reply line
    jsonrpc_raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}"
}
rpc_ok() { [ "$(rpc "$1" "$2" | jq -r 'has("result")')" = true ]; }
rpc_err() { # rpc_err DESC REGEX METHOD PARAMS
    local r msg
    r=$(rpc "$3" "$4")
    msg=$(jq -r '.error.message // ""' <<<"$r")
    if [ -n "$msg" ] && grep -Eiq -- "$2" <<<"$msg"; then
        pass "$1 ($msg)"
    else
        fail "$1: reply $r"
    fi
}
rpc_err "set-controller: bad target" "tcp:1\.2\.3:6653.*IPv4" set-controller \
    '{"bridge":"br0","target":"tcp:1.2.3:6653"}'
rpc_err "set-controller: bad port" "99999" set-controller '{"bridge":"br0","target":"ptcp:99999"}'
rpc_err "set-controller: unsupported scheme" "ssl:" set-controller '{"bridge":"br0","target":"ssl:1.2.3.4:6653"}'
rpc_err "set-controller: bad fail_mode" "fail_mode" set-controller '{"bridge":"br0","fail_mode":"open"}'
rpc_err "set-controller: unknown bridge" "nosuchbr" set-controller '{"bridge":"nosuchbr","target":""}'
check "set-controller fail_mode secure" rpc_ok set-controller '{"bridge":"br0","fail_mode":"secure"}'
assert_eq "get-controller: fail_mode secure" \
    "$(rpc get-controller '{"bridge":"br0"}' | jq -r .result.fail_mode)" secure
check "set-controller fail_mode standalone" rpc_ok set-controller '{"bridge":"br0","fail_mode":"standalone"}'
check "set-controller datapath_id" rpc_ok set-controller '{"bridge":"br0","datapath_id":"00000000cafe0001"}'
sl_out "FEATURES_REPLY carries the configured datapath id" "dpid:00000000cafe0001" show SW

rm -f "$RUN_DIR/ctl.port"
timeout 120 python3 "$RUN_DIR/ofc.py" controller-active "$RUN_DIR/ctl.port" 00000000cafe0001 "$VB" \
    >"$RUN_DIR/active.txt" 2>&1 &
act_pid=$!
IT_PIDS+=("$act_pid")
if wait_until 10 test -s "$RUN_DIR/ctl.port"; then
    CPORT=$(cat "$RUN_DIR/ctl.port")
    check "set-controller tcp:127.0.0.1:$CPORT" rpc_ok set-controller \
        "{\"bridge\":\"br0\",\"target\":\"tcp:127.0.0.1:$CPORT\"}"
    wait "$act_pid"
    while IFS= read -r line; do
        case "$line" in
        "ok "*) pass "tcp controller: ${line#ok }" ;;
        "not ok "*) fail "tcp controller: ${line#not ok }" ;;
        *) it_log "tcp controller: $line" ;;
        esac
    done <"$RUN_DIR/active.txt"
else
    fail "the python controller did not start"
fi
"${OF[@]}" del-flows "$SL"

# A controller that is not there: backoff, and the bridge goes fail-open (standalone).
check "set-controller to a closed port" rpc_ok set-controller '{"bridge":"br0","target":"tcp:127.0.0.1:1"}'
sleep 4
st=$(rpc get-controller '{"bridge":"br0"}')
assert_eq "get-controller: target in backoff" "$(jq -r '.result.targets[0].state' <<<"$st")" backoff
check "get-controller: the connect error is reported" \
    grep -q "refused" <<<"$(jq -r '.result.targets[0].last_error' <<<"$st")"
assert_ge "get-controller: backoff grew to 4 s or more" "$(jq -r '.result.targets[0].backoff_s' <<<"$st")" 4

# ptcp: listener on an ephemeral port, two controllers with roles.
check "set-controller ptcp:0" rpc_ok set-controller '{"bridge":"br0","target":"ptcp:0"}'
PPORT=$(rpc get-controller '{"bridge":"br0"}' | jq -r '.result.targets[0].bound_port')
assert_gt "get-controller: ptcp bound port" "${PPORT:-0}" 0
run_py "ptcp controllers" controller-passive "$PPORT" "$VB"
check "set-controller: clear" rpc_ok set-controller '{"bridge":"br0","target":""}'
assert_eq "get-controller: no targets" "$(rpc get-controller '{"bridge":"br0"}' | jq -r '.result.targets | length')" 0
"${OF[@]}" del-flows "$SL"

# --- bridge lifecycle --------------------------------------------------------------------------------
check "add-br br1" ctl add-br br1
check "br1.mgmt created" test -S "$RUN_DIR/br1.mgmt"
sl_out "br1 answers OpenFlow" "n_tables:64" show "unix:$RUN_DIR/br1.mgmt"
check "del-br br1" ctl del-br br1
check "br1.mgmt removed with the bridge" test ! -e "$RUN_DIR/br1.mgmt"
check "sluiced alive at the end" sluiced_alive
kill -TERM "$SLUICED_PID"
wait_until 20 bash -c "! kill -0 $SLUICED_PID"
check "br0.mgmt removed at exit" test ! -e "$RUN_DIR/br0.mgmt"

it_finish
