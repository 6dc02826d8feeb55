# lib.sh — shared helpers for sluice's integration tests (source it; do not run it).
#
# A test script does:
#     . "$(dirname "$0")/lib.sh"
#     it_init ping-netns                 # unique run dir, cleanup trap, root check
#     start_sluiced                      # daemon with its own run dir and EAL prefix
#     ctl add-br br0 ...                 # sluicectl against that daemon
#     check "what is asserted" cmd...    # pass/fail bookkeeping
#     it_finish                          # prints "N passed, N failed", exit status
#
# Everything a test creates through these helpers (processes, namespaces, veths, sockets,
# hugepage files, the run dir) is recorded and removed by the EXIT trap, also when the test
# fails or is interrupted; nothing else is touched, so tests can run next to other DPDK users.
#
# Environment: SLUICE_BUILD (build dir holding sluiced, sluicectl, sluice-gen; ctest sets it),
# SLUICE_SRC (source dir), IT_KEEP=1 keeps the run dir for inspection, IT_VERBOSE=1 echoes
# every ctl command. Core placement: IT_PMD_CORES (sluiced's PMD, default the last CPU) and
# IT_GEN_CORE (generators, default CPU 0). Generators and the daemon sleep when idle, so they
# share small machines without starving each other.

set -uo pipefail

IT_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SLUICE_SRC="${SLUICE_SRC:-$(cd "$IT_LIB_DIR/../.." && pwd)}"
SLUICE_BUILD="${SLUICE_BUILD:-$SLUICE_SRC/build}"
SLUICED="$SLUICE_BUILD/sluiced"
SLUICECTL="$SLUICE_BUILD/sluicectl"
SLUICE_GEN="$SLUICE_BUILD/sluice-gen"

IT_PASSED=0
IT_FAILED=0
IT_NAME=""
IT_ID=""
RUN_DIR=""
SLUICED_PID=""
IT_PIDS=()       # every background process we started
IT_NETNS=()      # namespaces we created
IT_LINKS=()      # host-side links we created (deleting one end deletes a veth pair)
IT_FILES=()      # sockets and other files outside RUN_DIR
IT_PREFIXES=()   # EAL file prefixes we handed out

it_log() { printf '%s\n' "$*" >&2; }

# --- bookkeeping -------------------------------------------------------------------------

pass() {
    IT_PASSED=$((IT_PASSED + 1))
    printf 'PASS: %s\n' "$*"
}

fail() {
    IT_FAILED=$((IT_FAILED + 1))
    printf 'FAIL: %s\n' "$*"
}

# check DESC CMD...: passes if CMD exits 0.
check() {
    local desc="$1"
    shift
    local out
    if out=$("$@" 2>&1); then
        pass "$desc"
    else
        fail "$desc (exit $?: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' '))"
    fi
}

# check_not DESC CMD...: passes if CMD exits non-zero (no message check).
check_not() {
    local desc="$1"
    shift
    if "$@" >/dev/null 2>&1; then
        fail "$desc (succeeded, expected failure)"
    else
        pass "$desc"
    fi
}

# expect_fail DESC REGEX CMD...: CMD must exit non-zero and print (stdout or stderr)
# something matching the extended regex REGEX (case-insensitive). The output is kept in
# IT_LAST_OUT and the exit code in IT_LAST_RC for further checks.
IT_LAST_OUT=""
IT_LAST_RC=0
expect_fail() {
    local desc="$1" re="$2"
    shift 2
    IT_LAST_OUT=$("$@" 2>&1)
    IT_LAST_RC=$?
    if [ "$IT_LAST_RC" -eq 0 ]; then
        fail "$desc: exit 0, expected failure (output: $(printf '%s' "$IT_LAST_OUT" | head -c 300))"
    elif [ "$IT_LAST_RC" -ge 124 ]; then
        fail "$desc: exit $IT_LAST_RC (timeout or crash?) output: $(printf '%s' "$IT_LAST_OUT" | head -c 300)"
    elif ! printf '%s' "$IT_LAST_OUT" | grep -Eiq -- "$re"; then
        fail "$desc: exit $IT_LAST_RC but message does not match /$re/: $(printf '%s' "$IT_LAST_OUT" | head -c 300)"
    else
        pass "$desc (exit $IT_LAST_RC: $(printf '%s' "$IT_LAST_OUT" | grep -Eim1 -- "$re" | head -c 160))"
    fi
}

# expect_exit DESC CODE REGEX CMD...: like expect_fail, but the exit code must be CODE.
expect_exit() {
    local desc="$1" code="$2" re="$3"
    shift 3
    IT_LAST_OUT=$("$@" 2>&1)
    IT_LAST_RC=$?
    if [ "$IT_LAST_RC" -ne "$code" ]; then
        fail "$desc: exit $IT_LAST_RC, expected $code (output: $(printf '%s' "$IT_LAST_OUT" | head -c 300))"
    elif ! printf '%s' "$IT_LAST_OUT" | grep -Eiq -- "$re"; then
        fail "$desc: message does not match /$re/: $(printf '%s' "$IT_LAST_OUT" | head -c 300)"
    else
        pass "$desc (exit $code: $(printf '%s' "$IT_LAST_OUT" | grep -Eim1 -- "$re" | head -c 160))"
    fi
}

# assert_gt DESC A B: numeric A > B.
assert_gt() {
    if [ "${2:-x}" -gt "${3:-x}" ] 2>/dev/null; then
        pass "$1 ($2 > $3)"
    else
        fail "$1 (expected ${2:-?} > ${3:-?})"
    fi
}

# assert_ge DESC A B: numeric A >= B.
assert_ge() {
    if [ "${2:-x}" -ge "${3:-x}" ] 2>/dev/null; then
        pass "$1 ($2 >= $3)"
    else
        fail "$1 (expected ${2:-?} >= ${3:-?})"
    fi
}

# assert_eq DESC A B: string equality.
assert_eq() {
    if [ "$2" = "$3" ]; then
        pass "$1 ($2)"
    else
        fail "$1 (got '$2', expected '$3')"
    fi
}

# wait_until SECS CMD...: polls CMD every 0.2 s until it succeeds; returns 1 on timeout.
wait_until() {
    local secs="$1"
    shift
    local deadline=$((SECONDS + secs))
    while ! "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
    return 0
}

# it_finish: prints the totals and exits with the test's status. A test with no assertion
# fails: a test that checks nothing must not look green.
it_finish() {
    echo "$IT_PASSED passed, $IT_FAILED failed"
    if [ "$IT_FAILED" -gt 0 ] || [ "$IT_PASSED" -eq 0 ]; then
        exit 1
    fi
    exit 0
}

# it_skip REASON: the environment cannot run this test (not root, no binary). Exits 0 with
# a SKIP line unless IT_STRICT=1 (CI sets it), where a missing prerequisite is a failure.
it_skip() {
    if [ "${IT_STRICT:-0}" = 1 ]; then
        fail "prerequisite missing: $*"
        it_finish
    fi
    echo "SKIP: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}

# --- setup and cleanup -------------------------------------------------------------------

# it_init NAME: run dir /tmp/sluice-it-NAME.XXXXXX, a short unique id for kernel object
# names (interface names are limited to 15 characters), and the cleanup trap.
it_init() {
    IT_NAME="$1"
    [ "$(id -u)" -eq 0 ] || it_skip "$IT_NAME needs root (namespaces, veth, hugepages)"
    local b
    for b in "$SLUICED" "$SLUICECTL" "$SLUICE_GEN"; do
        [ -x "$b" ] || it_skip "$b not built (set SLUICE_BUILD)"
    done
    for b in ip jq python3; do
        command -v "$b" >/dev/null || it_skip "$b not installed (scripts/install-deps.sh)"
    done
    RUN_DIR=$(mktemp -d "/tmp/sluice-it-$IT_NAME.XXXXXX")
    # 5 hex digits from the pid and time: unique among concurrent runs, short enough for
    # "sl<id>x0" style interface names.
    IT_ID=$(printf '%05x' $(( (RANDOM * 32768 + RANDOM + $$) % 1048576 )))
    trap it_cleanup EXIT
    trap 'it_log "interrupted"; exit 130' INT TERM
    it_log "== $IT_NAME: run dir $RUN_DIR, id $IT_ID"
}

# it_prefix NAME: sets IT_PREFIX to a unique EAL --file-prefix, recorded for cleanup.
# (It sets a variable rather than printing: $(...) would record it in a subshell.)
it_prefix() {
    IT_PREFIX="sit$IT_ID$1"
    IT_PREFIXES+=("$IT_PREFIX")
}

it_kill_pid() {
    local pid="$1"
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    local i
    for i in $(seq 1 50); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            return 0
        fi
        sleep 0.1
    done
    it_log "pid $pid ignored SIGTERM for 5 s; killing"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

it_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local i
    # Stop generators before the daemon (reverse start order), so the daemon sees clients
    # leave the way a VM shutdown looks.
    for ((i = ${#IT_PIDS[@]} - 1; i >= 0; i--)); do
        it_kill_pid "${IT_PIDS[$i]}"
    done
    for i in "${IT_LINKS[@]}"; do
        ip link del "$i" 2>/dev/null
    done
    for i in "${IT_NETNS[@]}"; do
        ip netns del "$i" 2>/dev/null
    done
    for i in "${IT_FILES[@]}"; do
        rm -f -- "$i"
    done
    for i in "${IT_PREFIXES[@]}"; do
        rm -f /dev/hugepages/"$i"map_* /dev/hugepages/"$i"-* 2>/dev/null
        rm -rf /var/run/dpdk/"$i" 2>/dev/null
    done
    if [ -n "$RUN_DIR" ] && [ -d "$RUN_DIR" ]; then
        if [ "$IT_FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
            local f
            for f in "$RUN_DIR"/*.log; do
                [ -f "$f" ] || continue
                echo "---- last lines of $f"
                tail -n 25 "$f"
            done
        fi
        if [ "${IT_KEEP:-0}" = 1 ]; then
            it_log "run dir kept: $RUN_DIR"
        else
            rm -rf -- "$RUN_DIR"
        fi
    fi
    exit "$rc"
}

# --- the daemon --------------------------------------------------------------------------

# start_sluiced [SLUICED-OPTIONS...] [-- EAL-ARGS...]: starts the daemon in the background
# with --run-dir $RUN_DIR and its own EAL file prefix, waits until it answers `show`.
start_sluiced() {
    local opts=() eal=()
    while [ $# -gt 0 ]; do
        if [ "$1" = "--" ]; then
            shift
            eal=("$@")
            break
        fi
        opts+=("$1")
        shift
    done
    local pmd="${IT_PMD_CORES:-$(($(nproc) - 1))}"
    it_prefix d
    local prefix="$IT_PREFIX"
    "$SLUICED" --run-dir "$RUN_DIR" --pmd-cores "$pmd" --log-level info "${opts[@]}" \
        -- --file-prefix "$prefix" --in-memory --no-pci "${eal[@]}" \
        >"$RUN_DIR/sluiced.log" 2>&1 &
    SLUICED_PID=$!
    IT_PIDS+=("$SLUICED_PID")
    local deadline=$((SECONDS + 30))
    until [ -S "$RUN_DIR/sluiced.ctl" ] && ctl show >/dev/null 2>&1; do
        if ! kill -0 "$SLUICED_PID" 2>/dev/null; then
            wait "$SLUICED_PID"
            fail "sluiced exited during start (exit $?)"
            tail -n 20 "$RUN_DIR/sluiced.log"
            it_finish
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "sluiced did not answer on $RUN_DIR/sluiced.ctl within 30 s"
            it_finish
        fi
        sleep 0.2
    done
    it_log "sluiced pid $SLUICED_PID ready"
}

sluiced_alive() {
    [ -n "$SLUICED_PID" ] && kill -0 "$SLUICED_PID" 2>/dev/null
}

# ctl ARGS...: sluicectl against this test's daemon.
ctl() {
    [ "${IT_VERBOSE:-0}" = 1 ] && it_log "+ sluicectl $*"
    "$SLUICECTL" --run-dir "$RUN_DIR" "$@"
}

# ctl_json ARGS...: sluicectl --json.
ctl_json() {
    ctl --json "$@"
}

# port_stat BR PORT JQ-PATH: one counter from dump-ports, e.g. port_stat br0 p1 .rx_packets
# or port_stat br0 p1 .drops.no_rule. Prints 0 when absent so arithmetic stays simple.
port_stat() {
    ctl_json dump-ports "$1" | jq -r --arg p "$2" \
        "[.ports[] | select(.name == \$p) | $3] | first // 0"
}

# flow_packets BR ACTIONS-REGEX: n_packets of the first flow whose actions match the regex.
flow_packets() {
    ctl_json dump-flows "$1" | jq -r --arg re "$2" \
        '[.flows[] | select(.actions | test($re)) | .n_packets] | first // 0'
}

# jsonrpc_raw LINE: sends one raw line to the management socket and prints the reply line
# (or nothing if the daemon closed the connection). Exit 0 if a reply came back.
jsonrpc_raw() {
    python3 - "$RUN_DIR/sluiced.ctl" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
data = sys.argv[2].encode()
s.sendall(data if data.endswith(b"\n") else data + b"\n")
buf = b""
try:
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
except socket.timeout:
    pass
sys.stdout.write(buf.decode(errors="replace"))
sys.exit(0 if buf else 1)
EOF
}

# --- generators ("VMs") ------------------------------------------------------------------

# start_gen NAME VDEV[,VDEV...] GEN-OPTIONS...: starts sluice-gen in the background with its
# own in-memory EAL (single-file segments: the one layout a vhost-user backend in another
# process can map), log in $RUN_DIR/gen-NAME.log, JSON summary in $RUN_DIR/gen-NAME.json.
# Sets GEN_PID. VDEVs are separated by ';' e.g. "net_virtio_user0,path=/x.sock;net_..."
start_gen() {
    local name="$1" vdevs="$2"
    shift 2
    it_prefix "g$name"
    local eal=(-l "${IT_GEN_CORE:-0}" --no-pci --in-memory --single-file-segments -m 256
        --file-prefix "$IT_PREFIX" --log-level=error)
    local v
    IFS=';' read -r -a v <<<"$vdevs"
    local d
    for d in "${v[@]}"; do
        eal+=("--vdev=$d")
    done
    "$SLUICE_GEN" "${eal[@]}" -- --json "$RUN_DIR/gen-$name.json" "$@" \
        >"$RUN_DIR/gen-$name.log" 2>&1 &
    GEN_PID=$!
    IT_PIDS+=("$GEN_PID")
}

# vm_vdev IDX SOCK: virtio-user devargs for a "VM" attached to a vhostuser port's socket.
vm_vdev() {
    printf 'net_virtio_user%s,path=%s,queues=1,queue_size=1024,mac=02:00:00:00:00:%02x' \
        "$1" "$2" $(($1 + 1))
}

# wait_gen PID SECS: waits for a generator to exit by itself; prints its exit code.
# Kills it (and returns 124) if it outlives SECS.
wait_gen() {
    local pid="$1" secs="$2" i
    for ((i = 0; i < secs * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            return $?
        fi
        sleep 0.1
    done
    it_kill_pid "$pid"
    return 124
}

# gen_json NAME JQ: reads a field from a finished generator's JSON summary.
gen_json() {
    jq -r "$2" "$RUN_DIR/gen-$1.json" 2>/dev/null
}

# --- namespaces and veth -----------------------------------------------------------------

# make_ns TAG: creates namespace sl<id>-TAG with lo up and sets NS to its name.
make_ns() {
    NS="sl$IT_ID-$1"
    ip netns add "$NS" || return 1
    IT_NETNS+=("$NS")
    ip -n "$NS" link set lo up
}

# make_veth HOSTIF NS NSIF CIDR [MAC]: a veth pair, HOSTIF in the root namespace (for an
# af_packet port), NSIF in NS with address CIDR. Both ends up; the host end carries no IP
# and no IPv6 so the kernel does not inject its own traffic into the switch.
make_veth() {
    local hif="$1" ns="$2" nif="$3" cidr="$4" mac="${5:-}"
    # The peer is created directly inside NS: its name may exist in the root namespace.
    ip link add "$hif" type veth peer name "$nif" netns "$ns" || return 1
    IT_LINKS+=("$hif")
    sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" 2>/dev/null
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$nif.disable_ipv6=1" 2>/dev/null
    [ -n "$mac" ] && ip -n "$ns" link set "$nif" address "$mac"
    ip -n "$ns" addr add "$cidr" dev "$nif" || return 1
    ip -n "$ns" link set "$nif" up
    ip link set "$hif" up
}

# veth_name TAG: a host interface name unique to this run (<= 15 chars).
veth_name() {
    printf 'sl%s%s' "$IT_ID" "$1"
}
