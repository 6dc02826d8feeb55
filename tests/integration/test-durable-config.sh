#!/usr/bin/env bash
# test-durable-config.sh — sluiced --db: bridges, ports and controllers survive a restart.
#
# sluiced runs inside a namespace of its own (SW), so the LOCAL taps of its bridges appear
# there only. Two veth pairs join SW (af_packet ports p1, p2) to namespaces A (198.18.9.1)
# and B (198.18.9.2). The configuration covers every recorded method: bridges with and
# without a LOCAL port, af_packet, net_null and vhostuser ports, explicit and automatic
# ofports, tag= and trunks= (and set-port), set-bridge mac-aging, set-controller with a ptcp:
# target, fail mode and datapath id, and deletions (a deleted port and bridge must stay
# deleted). Then:
#   - SIGTERM, restart with the same --db: show (ports with their ofports and options),
#     get-controller and fdb-show's aging equal before and after; flows are not restored (by
#     design), and once re-added ping A <-> B works again;
#   - kill -9, restart with --db and a --config that repeats an add-br (skipped: the db has
#     it) and adds the flows: equal again, ping works at once;
#   - a change whose save fails (FILE.tmp is a directory): the reply says the change was
#     applied but not saved; the next change saves both;
#   - a db with bad items (a bad ofport, an interface that does not exist): the daemon starts,
#     names each item in its log and in show-config, restores the rest and keeps a copy of
#     the file;
#   - a corrupted db: the daemon starts empty, reports it, keeps a copy, and the first change
#     writes a good file;
#   - without --db: show-config says nothing is saved, and nothing is restored.
. "$(dirname "$0")/lib.sh"

it_init durable-config
[ -c /dev/net/tun ] || it_skip "no /dev/net/tun (tun module)"

make_ns sw && SW=$NS || { fail "netns sw"; it_finish; }
make_ns a && NSA=$NS || { fail "netns a"; it_finish; }
make_ns b && NSB=$NS || { fail "netns b"; it_finish; }
HA=$(veth_name a)
HB=$(veth_name b)
for pair in "$HA:$NSA:198.18.9.1" "$HB:$NSB:198.18.9.2"; do
    IFS=: read -r hif ns ip <<<"$pair"
    ip link add "$hif" netns "$SW" type veth peer name eth0 netns "$ns" || {
        fail "veth $hif"
        it_finish
    }
    ip netns exec "$SW" sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    ip -n "$SW" link set "$hif" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
done

DB="$RUN_DIR/sluice.db"
BRA="bd$IT_ID"   # LOCAL tap (the default)
BRN="bn$IT_ID"   # local=none
BRX="bx$IT_ID"   # created and deleted
N_START=0

# start_sw [SLUICED-OPTIONS...]: sluiced in SW; waits until it answers.
start_sw() {
    N_START=$((N_START + 1))
    it_prefix "d$N_START"
    ip netns exec "$SW" "$SLUICED" --run-dir "$RUN_DIR" \
        --pmd-cores "${IT_PMD_CORES:-$(($(nproc) - 1))}" --log-level info "$@" \
        -- --file-prefix "$IT_PREFIX" --in-memory --no-pci -m 256 \
        >"$RUN_DIR/sluiced-$N_START.log" 2>&1 &
    SLUICED_PID=$!
    IT_PIDS+=("$SLUICED_PID")
    local deadline=$((SECONDS + 60))
    until ctl show >/dev/null 2>&1; do
        if ! kill -0 "$SLUICED_PID" 2>/dev/null; then
            fail "sluiced start $N_START exited: $(tail -n 5 "$RUN_DIR/sluiced-$N_START.log")"
            it_finish
        fi
        [ "$SECONDS" -ge "$deadline" ] && { fail "sluiced start $N_START: no answer"; it_finish; }
        sleep 0.2
    done
}

# stop_sw SIGNAL: stops the daemon and waits until it is gone.
stop_sw() {
    kill "-$1" "$SLUICED_PID"
    local i
    for i in $(seq 1 100); do
        kill -0 "$SLUICED_PID" 2>/dev/null || break
        sleep 0.1
    done
    wait "$SLUICED_PID" 2>/dev/null
    ! kill -0 "$SLUICED_PID" 2>/dev/null
}

# What must survive: each bridge's ports with their numbers and options, the controller
# settings, the MAC aging time. Sorted, so only content counts.
snapshot() {
    ctl_json show | jq -S '[.bridges[] | {name, ports: ([.ports[] | {name, ofport, type,
        devargs, path, tag, trunks, n_rxq}] | sort_by(.ofport))}] | sort_by(.name)' || return 1
    ctl_json get-controller "$BRN" | jq -S '{datapath_id, fail_mode,
        targets: [.targets[].target]}' || return 1
    ctl_json fdb-show "$BRN" | jq '.aging_s' || return 1
}

# The same as sluicectl prints it, without what legitimately changes with a restart: MAC
# addresses (a new tap gets a new one), link state and its counter, flow counts.
show_text() {
    ctl show | grep -Ev '^[[:space:]]*(mac|link|link_changes|n_flows|virtio_features):'
}

ping_ok() { ip netns exec "$NSA" ping -c 3 -i 0.2 -W 1 -q 198.18.9.2; }
ping_once() { ip netns exec "$NSA" ping -c 2 -i 0.2 -W 1 -q 198.18.9.2; }
add_flows() {
    ctl add-flow "$BRA" "priority=100,in_port=p1,actions=output:p2" &&
        ctl add-flow "$BRA" "priority=100,in_port=p2,actions=output:p1"
}
n_flows() { ctl_json dump-flows "$BRA" | jq '.flows | length'; }

# --- 1. configure with --db ------------------------------------------------------------------
start_sw --db "$DB"
check "no db file before the first change" test ! -e "$DB"
check "add-br $BRA (LOCAL tap)" ctl add-br "$BRA"
check "the db file exists after add-br" test -s "$DB"
check "add-br $BRN local=none" ctl add-br "$BRN" local=none
check "add-br $BRX" ctl add-br "$BRX"
check "add-port p1 (af_packet, ofport 5)" ctl add-port "$BRA" p1 type=dpdk \
    "devargs=net_af_packet0,iface=$HA" ofport=5
check "add-port p2 (af_packet, automatic ofport)" ctl add-port "$BRA" p2 type=dpdk \
    "devargs=net_af_packet1,iface=$HB"
check "add-port n1 (net_null, tag=10)" ctl add-port "$BRA" n1 type=dpdk devargs=net_null0 tag=10
check "add-port gone (then deleted)" ctl add-port "$BRA" gone type=dpdk devargs=net_null1
check "add-port vh1 (vhostuser)" ctl add-port "$BRA" vh1 type=vhostuser
check "del-port gone" ctl del-port "$BRA" gone
check "set-port n1 tag=20" ctl set-port "$BRA" n1 tag=20
check "add-port n2 on $BRN (trunks=10,20-30, ofport 40)" ctl add-port "$BRN" n2 type=dpdk \
    devargs=net_null2 trunks=10,20-30 ofport=40
check "set-bridge $BRN mac-aging=77" ctl set-bridge "$BRN" mac-aging=77
check "set-controller $BRN ptcp:0 secure" ctl set-controller "$BRN" ptcp:0 secure
rpc_ok() { jsonrpc_raw "$1" | grep -q '"result"'; }
check "set-controller datapath_id (JSON-RPC)" rpc_ok \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"set-controller\",\"params\":{\"bridge\":\"$BRN\",\"datapath_id\":\"00000000000000ab\"}}"
check "del-br $BRX" ctl del-br "$BRX"
db_has() { jq -e "$1" "$DB"; }
check "db: p1 recorded with ofport 5" db_has ".bridges[] | select(.name == \"$BRA\") | .ports[] | select(.name == \"p1\" and .ofport == 5)"
check "db: n1 tag merged to 20" db_has ".bridges[].ports[] | select(.name == \"n1\" and .options.tag == \"20\")"
check "db: deleted port and bridge are gone" db_has "([.bridges[].ports[] | select(.name == \"gone\")] | length == 0) and ([.bridges[] | select(.name == \"$BRX\")] | length == 0)"
check "db: controller of $BRN" db_has ".bridges[] | select(.name == \"$BRN\") | .controller == {\"target\": \"ptcp:0\", \"fail_mode\": \"secure\", \"datapath_id\": \"00000000000000ab\"}"
check "show-config returns the db" bash -c "'$SLUICECTL' --run-dir '$RUN_DIR' --json show-config | jq -e '.config.bridges | length == 2'"
check "add flows" add_flows
check "ping works before the restart" wait_until 10 ping_ok
snapshot >"$RUN_DIR/snap-before.json"
check "snapshot taken" test -s "$RUN_DIR/snap-before.json"
show_text >"$RUN_DIR/show-before.txt"
check "readable show lists the ports" grep -q "vh1" "$RUN_DIR/show-before.txt"
cp "$DB" "$RUN_DIR/db-before"

# --- 2. SIGTERM and restart ----------------------------------------------------------------
check "SIGTERM stops sluiced" stop_sw TERM
start_sw --db "$DB"
snapshot >"$RUN_DIR/snap-after.json"
check "show (JSON), get-controller, mac-aging equal after SIGTERM + restart" \
    diff "$RUN_DIR/snap-before.json" "$RUN_DIR/snap-after.json"
show_text >"$RUN_DIR/show-after.txt"
check "sluicectl show equal after SIGTERM + restart" diff "$RUN_DIR/show-before.txt" "$RUN_DIR/show-after.txt"
check "the restore did not rewrite the db" cmp "$DB" "$RUN_DIR/db-before"
check "the tap $BRA is back in SW" ip netns exec "$SW" ip link show "$BRA"
check_not "no tap for $BRN (local=none)" ip netns exec "$SW" ip link show "$BRN"
check "log: restored 2 bridges and 5 ports, 0 problems" \
    grep -q "restored 2 bridge(s) and 5 port(s), 0 problem(s)" "$RUN_DIR/sluiced-$N_START.log"
assert_eq "flows are not restored (OpenFlow state)" "$(n_flows)" 0
check_not "no ping without flows" ping_once
check "re-add flows" add_flows
check "ping works again after re-adding the flows" wait_until 10 ping_ok
check "a new automatic ofport does not reuse a restored one" bash -c \
    "'$SLUICECTL' --run-dir '$RUN_DIR' --json add-port '$BRA' n3 type=dpdk devargs=net_null3 | jq -e '.ofport > 9'"
check "del-port n3" ctl del-port "$BRA" n3

# --- 3. kill -9, restart with --config -------------------------------------------------------
cat >"$RUN_DIR/extra.conf" <<EOF
# the db has this bridge already: skipped
add-br $BRA
add-flow $BRA priority=100,in_port=p1,actions=output:p2
add-flow $BRA priority=100,in_port=p2,actions=output:p1
EOF
check "kill -9 stops sluiced" stop_sw KILL
start_sw --db "$DB" --config "$RUN_DIR/extra.conf"
snapshot >"$RUN_DIR/snap-after.json"
check "show (JSON), get-controller, mac-aging equal after kill -9 + restart" \
    diff "$RUN_DIR/snap-before.json" "$RUN_DIR/snap-after.json"
show_text >"$RUN_DIR/show-after.txt"
check "sluicectl show equal after kill -9 + restart" diff "$RUN_DIR/show-before.txt" "$RUN_DIR/show-after.txt"
check "log: the config's add-br line was skipped (in the db)" \
    grep -q "extra.conf:2: add-br $BRA: in the db" "$RUN_DIR/sluiced-$N_START.log"
assert_eq "the config's flows were added" "$(n_flows)" 2
check "ping works at once (flows from --config)" wait_until 10 ping_ok

# --- 4. a save that fails ----------------------------------------------------------------------
mkdir "$DB.tmp"
expect_fail "add-br with an unwritable db: applied but not saved" \
    "applied but not saved.*$DB" ctl add-br "bs$IT_ID" local=none
check "...but applied: the bridge exists" bash -c "'$SLUICECTL' --run-dir '$RUN_DIR' --json show | jq -e '.bridges[] | select(.name == \"bs$IT_ID\")'"
check "...and the db file is unchanged" bash -c "! grep -q 'bs$IT_ID' '$DB'"
check "sluiced still running" sluiced_alive
rmdir "$DB.tmp"
check "set-bridge after the obstacle is gone" ctl set-bridge "bs$IT_ID" mac-aging=50
check "the db now has the bridge and its option" db_has ".bridges[] | select(.name == \"bs$IT_ID\") | .options[\"mac-aging\"] == \"50\""
check "del-br bs$IT_ID" ctl del-br "bs$IT_ID"

# --- 5. a db with bad items ------------------------------------------------------------------
check "SIGTERM" stop_sw TERM
jq --arg br "$BRA" --arg ghost "nx$IT_ID" '
    (.bridges[] | select(.name == $br) | .ports) += [
        {"name": "bad1", "ofport": "x", "options": {"type": "dpdk", "devargs": "net_null5"}},
        {"name": "ghost", "ofport": 30,
         "options": {"type": "dpdk", "devargs": ("net_af_packet9,iface=" + $ghost)}}]
    | .bridges += [{"name": "", "local": "none"}]' "$DB" >"$DB.new" && mv "$DB.new" "$DB"
cp "$DB" "$RUN_DIR/db-partial"
start_sw --db "$DB"
check "the daemon runs with a partly bad db" sluiced_alive
check "log names port bad1 and its cause" grep -q "port bad1: \"ofport\" must be a positive integer" "$RUN_DIR/sluiced-$N_START.log"
check "log names port ghost and its cause" grep -q "port ghost: not restored" "$RUN_DIR/sluiced-$N_START.log"
check "log names the nameless bridge" grep -q "bridge #3: no \"name\"" "$RUN_DIR/sluiced-$N_START.log"
check "stderr: items could not be restored" grep -q "3 item(s) could not be restored" "$RUN_DIR/sluiced-$N_START.log"
nr() { ctl_json show-config | jq -r '.not_restored | length'; }
assert_eq "show-config lists 3 problems" "$(nr)" 3
snapshot >"$RUN_DIR/snap-after.json"
check "everything else restored" diff "$RUN_DIR/snap-before.json" "$RUN_DIR/snap-after.json"
ASIDE=$(ctl_json show-config | jq -r '.set_aside // empty')
check "a copy of the file was kept ($ASIDE)" test -f "$ASIDE"
check "the copy is the file as it was" cmp "$ASIDE" "$RUN_DIR/db-partial"
check "the db is not rewritten until a change" cmp "$DB" "$RUN_DIR/db-partial"
check "a change rewrites it" ctl set-bridge "$BRN" mac-aging=77
check "...without the bad items" bash -c "! grep -q -e bad1 -e ghost '$DB' && jq -e . '$DB'"

# --- 6. a corrupted db -----------------------------------------------------------------------
check "SIGTERM" stop_sw TERM
printf '{"version": 1, "bridges": [{"name": "trunc' >"$DB"
start_sw --db "$DB"
check "the daemon runs with a corrupted db" sluiced_alive
check "log: the db could not be parsed, nothing restored" grep -q "db $DB: line 1.*nothing restored" "$RUN_DIR/sluiced-$N_START.log"
assert_eq "no bridges" "$(ctl_json show | jq '.bridges | length')" 0
ASIDE=$(ctl_json show-config | jq -r '.set_aside // empty')
check "the corrupted file was copied aside" grep -q trunc "$ASIDE"
check "add-br after the corruption" ctl add-br "$BRN" local=none
check "the db is valid JSON again with the new bridge" db_has ".bridges[0].name == \"$BRN\""

# --- 7. without --db ---------------------------------------------------------------------------
check "SIGTERM" stop_sw TERM
start_sw
expect_fail "show-config without --db" "without --db" ctl show-config
assert_eq "nothing restored without --db" "$(ctl_json show | jq '.bridges | length')" 0
check "SIGTERM" stop_sw TERM
expect_fail "a db directory that does not exist is refused at start" \
    "directory /nonexistent-$IT_ID: No such file" \
    ip netns exec "$SW" "$SLUICED" --run-dir "$RUN_DIR" --db "/nonexistent-$IT_ID/x.db"

it_finish
