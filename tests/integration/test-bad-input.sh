#!/usr/bin/env bash
# test-bad-input.sh — bad input of every kind gets a clear error and a non-zero exit, and the
# daemon keeps forwarding throughout: sluicectl usage errors, unknown bridges and ports,
# malformed flows and port options, an unreachable socket, sluiced's own bad options, and
# raw JSON-RPC garbage on the management socket. Traffic between two VMs runs all along and
# its counters must still rise at the end.
. "$(dirname "$0")/lib.sh"

it_init bad-input
start_sluiced

check "add-br br0" ctl add-br br0
check "add-port vm1" ctl add-port br0 vm1 type=vhostuser
check "add-port vm2" ctl add-port br0 vm2 type=vhostuser
check "add-flow vm1->vm2" ctl add-flow br0 "priority=10,in_port=vm1,actions=output:vm2"
check "add-flow vm2->vm1" ctl add-flow br0 "priority=10,in_port=vm2,actions=output:vm1"
start_gen pair "$(vm_vdev 0 "$RUN_DIR/vm1.sock");$(vm_vdev 1 "$RUN_DIR/vm2.sock")" \
    --mode txrx --rate 10000 --duration 300 --wait-link 20 --stats-interval 1 --idle-sleep-us 20 \
    --drain 5
pair_pid=$GEN_PID
wait_until 25 grep -q '^\[' "$RUN_DIR/gen-pair.log" || fail "traffic vm1<->vm2 did not start"
flows_before=$(ctl_json dump-flows br0 | jq '.flows | length')

# --- sluicectl usage errors (exit 2, nothing sent) ---------------------------------------
expect_exit "no command" 2 "usage" ctl
expect_exit "unknown command" 2 "frobnicate" ctl frobnicate
expect_exit "add-br without a bridge name" 2 "usage|argument" ctl add-br
expect_exit "add-flow with too many arguments" 2 "usage|argument" ctl add-flow br0 "actions=drop" extra
expect_exit "unknown global option" 2 "--bogus" ctl --bogus show
expect_exit "bad --timeout" 2 "timeout" ctl --timeout abc show
expect_exit "key=value without '='" 2 "type|key|=" ctl add-port br0 p9 typevhostuser

# --- requests the daemon refuses (exit 1, message names object and cause) ----------------
expect_exit "add-port on an unknown bridge" 1 "nosuchbr" ctl add-port nosuchbr p1 type=vhostuser
expect_exit "dump-flows on an unknown bridge" 1 "nosuchbr" ctl dump-flows nosuchbr
expect_exit "dump-ports on an unknown bridge" 1 "nosuchbr" ctl dump-ports nosuchbr
expect_exit "add-br of an existing bridge" 1 "br0.*(exist|already)|(exist|already).*br0" ctl add-br br0
expect_exit "del-port of an unknown port" 1 "nosuchport" ctl del-port br0 nosuchport
expect_exit "add-port of an existing port name" 1 "vm1" ctl add-port br0 vm1 type=vhostuser
expect_exit "add-port with an unknown type" 1 "bogus" ctl add-port br0 p9 type=bogus
expect_exit "add-port dpdk without devargs" 1 "devargs" ctl add-port br0 p9 type=dpdk
expect_exit "add-port dpdk with a driver that does not exist" 1 "p9|net_nosuchdriver" \
    ctl add-port br0 p9 type=dpdk devargs=net_nosuchdriver0
expect_exit "add-port vhostuser on a path in a missing directory" 1 "p9|/nonexistent" \
    ctl add-port br0 p9 type=vhostuser path=/nonexistent/dir/p9.sock
expect_exit "add-flow to an unknown port" 1 "nosuchport" \
    ctl add-flow br0 "in_port=vm1,actions=output:nosuchport"
expect_exit "add-flow with an unknown field" 1 "frobfield" ctl add-flow br0 "frobfield=1,actions=drop"
expect_exit "add-flow with a bad IPv4 address" 1 "300\.1\.1\.1|nw_src" \
    ctl add-flow br0 "ip,nw_src=300.1.1.1,actions=drop"
expect_exit "add-flow with a priority out of range" 1 "priority" \
    ctl add-flow br0 "priority=70000,actions=drop"
expect_exit "add-flow with an unknown action" 1 "frobnicate" ctl add-flow br0 "actions=frobnicate"
expect_exit "add-flow with a bad MAC" 1 "dl_src|zz" ctl add-flow br0 "dl_src=zz:00:00:00:00:01,actions=drop"
expect_fail "add-flow with an empty flow" "empty" ctl add-flow br0 ""
expect_exit "add-flow with a port number beyond range" 1 "in_port|99999999999" \
    ctl add-flow br0 "in_port=99999999999,actions=drop"
flows_after=$(ctl_json dump-flows br0 | jq '.flows | length')
assert_eq "refused flows left the table unchanged" "$flows_after" "$flows_before"
ports_now=$(ctl_json dump-ports br0 | jq -r '[.ports[].name] | sort | join(",")')
assert_eq "refused ports left the bridge unchanged (its LOCAL port br0 too)" "$ports_now" "br0,vm1,vm2"

# --- the daemon cannot be reached (exit 3) --------------------------------------------------
expect_exit "run dir without a daemon" 3 "/nonexistent-sluice|connect" \
    "$SLUICECTL" --run-dir /nonexistent-sluice show

# --- sluiced's own bad options (exit non-zero before touching DPDK) ------------------------
expect_fail "sluiced --pmd-cores abc" "pmd-cores" "$SLUICED" --pmd-cores abc
expect_fail "sluiced --bogus" "bogus|unrecognized|unknown" "$SLUICED" --bogus
expect_fail "sluiced --log-level loud" "log-level" "$SLUICED" --log-level loud
expect_fail "sluiced --ctl-busy-poll-us -5" "ctl-busy-poll-us" "$SLUICED" --ctl-busy-poll-us -5
expect_fail "sluiced --ctl-busy-poll-us 1e9" "ctl-busy-poll-us" "$SLUICED" --ctl-busy-poll-us 1000000000
it_prefix d2
expect_fail "a second sluiced on the same run dir" "sluiced.ctl.*(in use|running|already)" \
    timeout 60 "$SLUICED" --run-dir "$RUN_DIR" --pmd-cores "$(($(nproc) - 1))" \
    -- --file-prefix "$IT_PREFIX" --in-memory --no-pci -m 128
check "the first daemon still answers" ctl show
check "the first daemon's pid file survived the second's exit" \
    grep -qx "$SLUICED_PID" "$RUN_DIR/sluiced.pid"

# --- raw JSON-RPC on the socket ------------------------------------------------------------
# rpc_expect DESC CODE REGEX LINE: the reply to LINE is an error with CODE and a message
# matching REGEX.
rpc_expect() {
    local desc="$1" code="$2" re="$3" line="$4" reply
    reply=$(jsonrpc_raw "$line")
    local got msg
    got=$(jq -r '.error.code // "none"' <<<"$reply" 2>/dev/null)
    msg=$(jq -r '.error.message // ""' <<<"$reply" 2>/dev/null)
    if [ "$got" != "$code" ]; then
        fail "$desc: reply error code '$got', expected $code (reply: $(head -c 200 <<<"$reply"))"
    elif ! grep -Eiq -- "$re" <<<"$msg"; then
        fail "$desc: message '$msg' does not match /$re/"
    else
        pass "$desc ($code: $msg)"
    fi
}
rpc_expect "raw: not JSON" -32700 "." '{"jsonrpc":"2.0","id":1,"method":'
rpc_expect "raw: JSON but not an object" -32600 "." '[1,2,3]'
rpc_expect "raw: a number" -32600 "." '42'
rpc_expect "raw: no method" -32600 "method" '{"jsonrpc":"2.0","id":2}'
rpc_expect "raw: method not a string" -32600 "method" '{"jsonrpc":"2.0","id":3,"method":7}'
rpc_expect "raw: unknown method" -32601 "nosuchmethod" '{"jsonrpc":"2.0","id":4,"method":"nosuchmethod","params":{}}'
rpc_expect "raw: add-br without bridge" -32602 "bridge" '{"jsonrpc":"2.0","id":5,"method":"add-br","params":{}}'
rpc_expect "raw: add-br with a number as bridge" -32602 "bridge" '{"jsonrpc":"2.0","id":6,"method":"add-br","params":{"bridge":42}}'
rpc_expect "raw: params not an object" -32602 "params" '{"jsonrpc":"2.0","id":7,"method":"add-br","params":"br9"}'
rpc_expect "raw: add-flow with a malformed flow" -32602 "nonsense" '{"jsonrpc":"2.0","id":8,"method":"add-flow","params":{"bridge":"br0","flow":"nonsense=1,actions=drop"}}'
rpc_expect "raw: add-port with options not an object" -32602 "options" '{"jsonrpc":"2.0","id":9,"method":"add-port","params":{"bridge":"br0","port":"p9","options":"type=dpdk"}}'
rpc_expect "raw: dump-ports on an unknown bridge" -32602 "nosuchbr" '{"jsonrpc":"2.0","id":10,"method":"dump-ports","params":{"bridge":"nosuchbr"}}'

# A client that sends half a request and hangs up must cost nothing but its own request.
python3 - "$RUN_DIR/sluiced.ctl" <<'EOF'
import socket, sys
for payload in (b'{"jsonrpc":"2.0","id":1,"meth', b'\xff\xfe\x00garbage', b'\n\n\n'):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(payload)
    s.close()
EOF
check "daemon answers after clients hung up mid-request" ctl show
reply=$(jsonrpc_raw '{"jsonrpc":"2.0","id":77,"method":"version","params":{}}')
assert_eq "a good raw request still works (id echoed)" "$(jq -r '.id' <<<"$reply")" 77

# --- and the traffic never stopped --------------------------------------------------------
rising() {
    local a b
    a=$(port_stat br0 "$1" ".$2")
    sleep 1.5
    b=$(port_stat br0 "$1" ".$2")
    [ "${b:-0}" -gt "${a:-0}" ]
}
check "vm1 rx still rising after all the bad input" rising vm1 rx_packets
check "vm2 tx still rising after all the bad input" rising vm2 tx_packets
check "sluiced still running" sluiced_alive
kill -INT "$pair_pid"
wait_gen "$pair_pid" 20
assert_eq "traffic generator ended cleanly on SIGINT" "$?" 0
for p in 0 1; do
    ratio=$(gen_json pair ".ports[$p].loss_ratio")
    check "vm$((p + 1)) loss $ratio <= 1% during the bad input" \
        awk -v r="${ratio:-1}" 'BEGIN { exit !(r <= 0.01) }'
done
it_finish
