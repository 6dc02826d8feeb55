#!/usr/bin/env bash
# run-flowmods.sh — flow-mod throughput: sluice against Open vSwitch, the same 100k-rule file,
# the same clients, in one run, interleaved.
#
# Modes (each flow-mod run installs every rule of the file into an empty table 0):
#   ofctl    `ovs-ofctl -O OpenFlow13 add-flows unix:SOCK FILE`, the stock tool. Note that it
#            is NOT batched: ovs-ofctl (vconn_transact_multiple_noreply) sends each FLOW_MOD
#            and then a BARRIER_REQUEST in a second write, and waits for the BARRIER_REPLY
#            before the next rule; only --bundle batches, and bundles need OpenFlow 1.4, which
#            sluice does not speak. Timed from start to exit (includes ovs-ofctl parsing the
#            file, the same for both switches).
#   barrier  bench/flowmod-client (target flowmod-client) --batch 1: FLOW_MOD and
#            BARRIER_REQUEST in one write, wait for the reply, next rule. The same round trip
#            as ovs-ofctl, without its parser and with one write instead of two.
#   batched  flowmod-client --batch 0: every FLOW_MOD pre-encoded, written as fast as the
#            switch reads, one BARRIER_REQUEST at the end (what "batched" means for an
#            OpenFlow 1.3 switch): the switch's own cost per flow-mod.
#   echo     flowmod-client --echo N: N ECHO_REQUEST round trips, no flow-mod. The transport
#            floor of the two per-rule modes: no switch confirms a flow-mod faster than it
#            answers an echo.
#   spin, echo-spin
#            barrier and echo with flowmod-client --spin: the client waits for each reply by
#            non-blocking reads instead of sleeping in poll() (a controller thread busy
#            pushing rules). In the split placement a round trip then holds no wake-up of
#            the client, only what the switch adds: its own wake-up (if it sleeps) and its
#            work. Meaningless in the same placement (the spinning client takes the CPU
#            the switch needs), so run it with --placements split.
# Placements:
#   same     the client on the CPU of the switch's control thread (CTRL_CPU): a round trip
#            is two context switches on one CPU, no cross-CPU wakeup.
#   split    the client on the other CPU: every round trip wakes a sleeping thread on another
#            CPU twice. On a virtual machine that is an inter-processor interrupt to a halted
#            vCPU each time, tens of microseconds, and it bounds the per-rule modes of both
#            switches alike.
# After each flow-mod run the switch must hold exactly N flows (ovs-ofctl dump-aggregate);
# before it, none (del-flows, not timed).
#
# Both switches run from this script's private work directory and are stopped by PID: sluiced
# with its own run dir and EAL prefix (net_null ports 1 and 2); Open vSwitch as a throwaway
# ovsdb-server + ovs-vswitchd (OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/OVS_SYSCONFDIR in the work
# dir, userspace "netdev" datapath, dummy ports 1 and 2, --enable-dummy=override
# --disable-system: no kernel module, no tap device, no DPDK). A system OVS is never touched.
#
# CPUs: the switches' control threads (sluiced's main lcore; all of ovs-vswitchd and
# ovsdb-server) on CTRL_CPU. sluiced's PMD (idle here, but it wakes up every 200 us) never
# shares the client's CPU, as a PMD on a core of its own would not: on OTHER_CPU in "same",
# on CTRL_CPU in "split" (sluiced is restarted for each placement). Order: in round r, for each placement and mode, sluice then OVS
# when r is odd, OVS then sluice when even, so that drifts of a shared machine do not favour
# one switch. Before each run the script waits (at most QUIET_MAX_WAIT s) for both CPUs to
# be below --wait-quiet % busy.
#
# Per run it records: the rate (operations / seconds: flowmod-client's own clock from first
# byte to last reply; ovs-ofctl's wall time), the client's CPU time, the CPU time the
# switch's control thread (sluiced's main thread; ovs-vswitchd's main thread, which runs
# ofproto) used per operation (/proc/PID/task/TID/schedstat), and the round-trip
# percentiles. Medians per placement, mode and switch and the ratio sluice/OVS are printed
# and appended, with every run and the exact commands, as a dated section to
# bench/RESULTS.md.
#
# Usage: bench/run-flowmods.sh [options]        (as root; builds nothing)
#   --rules N          rules in the generated file (default 100000)
#   --rounds N         rounds (default 3)
#   --modes LIST       any of ofctl barrier batched echo spin echo-spin (default: the first
#                      four)
#   --placements LIST  any of same split (default both)
#   --systems LIST     any of sluice ovs (default both)
#   --flows FILE       use this file instead of generating one (rules = its flow count; the
#                      syntax flowmod-client accepts: see bench/flowmod-client-main.c)
#   --results FILE     append the section to FILE (default bench/RESULTS.md)
#   --no-results       print only
#   --wait-quiet PCT   wait for both CPUs below PCT % busy before each run (default 30;
#                      0 = do not wait)
#   --perf DIR         record a call-graph (dwarf) profile of each switch's control thread
#                      during every run into DIR/<run>.perf.data (perturbs the numbers:
#                      diagnosis only, not for published medians)
#   --keep             keep the work directory (logs, flow file) and print its path
# Environment: SLUICE_BUILD (default <repo>/build: sluiced, sluicectl, flowmod-client),
#   CTRL_CPU (0), OTHER_CPU (1), QUIET_MAX_WAIT (60), SLUICED_ARGS (extra sluiced options,
#   e.g. "--ctl-busy-poll-us 0" to measure without the control thread's busy-polling).
# Exit: 0 every run completed and installed every rule, 1 a run failed, 2 usage or missing
#   prerequisite.

set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SLUICE_SRC="$(cd "$BENCH_DIR/.." && pwd)"
SLUICE_BUILD="${SLUICE_BUILD:-$SLUICE_SRC/build}"
SLUICED="$SLUICE_BUILD/sluiced"
SLUICECTL="$SLUICE_BUILD/sluicectl"
FMCLIENT="$SLUICE_BUILD/flowmod-client"
CTRL_CPU="${CTRL_CPU:-0}"
OTHER_CPU="${OTHER_CPU:-1}"
QUIET_MAX_WAIT="${QUIET_MAX_WAIT:-60}"
OVS_SCHEMA="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"
# The plain (non-DPDK) build of ovs-vswitchd, by path: the system's alternative may point to
# the DPDK build.
OVS_VSWITCHD="${OVS_VSWITCHD:-/usr/lib/openvswitch-switch/ovs-vswitchd}"

N_RULES=100000
ROUNDS=3
MODES="ofctl barrier batched echo"
PLACEMENTS="same split"
SYSTEMS="sluice ovs"
FLOWS_IN=""
RESULTS="$BENCH_DIR/RESULTS.md"
QUIET_PCT=30
PERF_DIR=""
KEEP=0

die_usage() {
    echo "run-flowmods.sh: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --rules) N_RULES="${2:-}"; shift 2 ;;
    --rounds) ROUNDS="${2:-}"; shift 2 ;;
    --modes) MODES="${2:-}"; shift 2 ;;
    --systems) SYSTEMS="${2:-}"; shift 2 ;;
    --placements) PLACEMENTS="${2:-}"; shift 2 ;;
    --flows) FLOWS_IN="${2:-}"; shift 2 ;;
    --results) RESULTS="${2:-}"; shift 2 ;;
    --no-results) RESULTS=""; shift ;;
    --wait-quiet) QUIET_PCT="${2:-}"; shift 2 ;;
    --perf) PERF_DIR="${2:-}"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die_usage "unknown option '$1' (see --help)" ;;
    esac
done
[[ "$N_RULES" =~ ^[1-9][0-9]*$ ]] || die_usage "--rules '$N_RULES': expected a positive number"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die_usage "--rounds '$ROUNDS': expected a positive number"
[ "$N_RULES" -le 16777216 ] || die_usage "--rules: at most 16777216 (unique addresses)"
[[ "$QUIET_PCT" =~ ^[0-9]+$ ]] || die_usage "--wait-quiet '$QUIET_PCT': expected a percentage"
for m in $MODES; do
    case "$m" in ofctl | barrier | batched | echo | spin | echo-spin) ;; *) die_usage "--modes: unknown mode '$m'" ;; esac
done
for p in $PLACEMENTS; do
    case "$p" in same | split) ;; *) die_usage "--placements: unknown placement '$p'" ;; esac
done
for s in $SYSTEMS; do
    case "$s" in sluice | ovs) ;; *) die_usage "--systems: unknown system '$s'" ;; esac
done
[ -n "$MODES" ] && [ -n "$SYSTEMS" ] && [ -n "$PLACEMENTS" ] ||
    die_usage "--modes, --placements and --systems must not be empty"
[ "$(id -u)" -eq 0 ] || die_usage "needs root (DPDK hugepages, Open vSwitch)"
for b in ovs-ofctl jq taskset awk; do
    command -v "$b" >/dev/null || die_usage "$b not installed"
done
for b in "$SLUICED" "$SLUICECTL" "$FMCLIENT"; do
    [ -x "$b" ] || die_usage "$b not built (set SLUICE_BUILD; target $(basename "$b"))"
done
if [[ " $SYSTEMS " == *" ovs "* ]]; then
    for b in ovsdb-server ovsdb-tool ovs-vsctl "$OVS_VSWITCHD"; do
        command -v "$b" >/dev/null || die_usage "$b not installed (openvswitch-switch)"
    done
    [ -f "$OVS_SCHEMA" ] || die_usage "no OVS schema at $OVS_SCHEMA"
fi
if [ -n "$FLOWS_IN" ]; then
    [ -r "$FLOWS_IN" ] || die_usage "--flows $FLOWS_IN: not readable"
    N_RULES=$(grep -cvE '^[[:space:]]*(#|$)' "$FLOWS_IN")
fi
if [ -n "$PERF_DIR" ]; then
    command -v perf >/dev/null || die_usage "--perf: perf not installed"
    mkdir -p "$PERF_DIR" || die_usage "--perf: cannot create $PERF_DIR"
    PERF_DIR="$(cd "$PERF_DIR" && pwd)"
fi
NCPU=$(nproc)
[ "$CTRL_CPU" -lt "$NCPU" ] && [ "$OTHER_CPU" -lt "$NCPU" ] && [ "$CTRL_CPU" != "$OTHER_CPU" ] ||
    die_usage "CTRL_CPU $CTRL_CPU / OTHER_CPU $OTHER_CPU: two different CPUs of $NCPU"

WORK=$(mktemp -d /tmp/sluice-bench-fm.XXXXXX)
ID=$(printf '%05x' $(((RANDOM * 32768 + RANDOM + $$) % 1048576)))
EAL_PREFIX="sbfm$ID"
PIDS=()
log() { printf '%s\n' "$*" >&2; }

kill_pid() {
    local pid="$1" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.1
    done
    log "pid $pid ignored SIGTERM for 10 s; killing"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill_pid "${PIDS[$i]}"
    done
    rm -f /dev/hugepages/"$EAL_PREFIX"map_* /dev/hugepages/"$EAL_PREFIX"-* 2>/dev/null
    rm -rf /var/run/dpdk/"$EAL_PREFIX" 2>/dev/null
    if [ "$KEEP" = 1 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf -- "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

OFCTL=(timeout 300 ovs-ofctl -O OpenFlow13)

# --- the rule file ----------------------------------------------------------------------
# Four shapes in turn, so that the switches hold several masks (tuple-space subtables), with
# scattered priorities; every (match, priority) is unique, so N lines are N flows.
FLOWS="$WORK/flows.txt"
if [ -n "$FLOWS_IN" ]; then
    cp -- "$FLOWS_IN" "$FLOWS"
else
    awk -v n="$N_RULES" 'BEGIN {
        for (i = 0; i < n; i++) {
            h = int(i / 65536) % 256; m = int(i / 256) % 256; l = i % 256
            p = 100 + (i * 7) % 30000
            k = i % 4
            if (k == 0)
                printf "priority=%d,ip,nw_dst=10.%d.%d.%d,actions=output:1\n", p, h, m, l
            else if (k == 1)
                printf "priority=%d,tcp,nw_src=172.%d.%d.%d,tp_dst=%d,actions=output:2\n", p, 16 + h, m, l, i % 1000 + 1
            else if (k == 2)
                printf "priority=%d,udp,nw_dst=%d.%d.%d.0/24,tp_src=53,actions=output:1\n", p, 20 + h, m, l
            else
                printf "priority=%d,in_port=1,ip,nw_src=192.%d.%d.%d,nw_dst=11.0.0.0/8,actions=drop\n", p, h, m, l
        }
    }' >"$FLOWS"
fi

# --- the switches -------------------------------------------------------------------------
SL_DIR="$WORK/sluice"
SL_PID=""
SL_SOCK=""
# start_sluice PMD_CPU: a fresh sluiced (run dir, EAL prefix) with its PMD on PMD_CPU.
start_sluice() {
    local pmd="$1"
    rm -rf "$SL_DIR"
    mkdir -p "$SL_DIR"
    # shellcheck disable=SC2206 # SLUICED_ARGS is a list of options, split on purpose
    SL_CMD=("$SLUICED" --run-dir "$SL_DIR" --main-core "$CTRL_CPU" --pmd-cores "$pmd"
        --log-level warning ${SLUICED_ARGS:-} -- --no-pci --in-memory --file-prefix "$EAL_PREFIX" -m 256)
    "${SL_CMD[@]}" >>"$WORK/sluiced.log" 2>&1 &
    SL_PID=$!
    PIDS+=("$SL_PID")
    local deadline=$((SECONDS + 30))
    until [ -S "$SL_DIR/sluiced.ctl" ] && "$SLUICECTL" --run-dir "$SL_DIR" show >/dev/null 2>&1; do
        if ! kill -0 "$SL_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            log "sluiced did not start:"
            tail -n 20 "$WORK/sluiced.log" >&2
            return 1
        fi
        sleep 0.2
    done
    local s=(--run-dir "$SL_DIR")
    "$SLUICECTL" "${s[@]}" add-br br0 &&
        "$SLUICECTL" "${s[@]}" add-port br0 p1 type=dpdk "devargs=net_null0$ID,no-rx=1" ofport=1 &&
        "$SLUICECTL" "${s[@]}" add-port br0 p2 type=dpdk "devargs=net_null1$ID,no-rx=1" ofport=2 ||
        return 1
    SL_SOCK="$SL_DIR/br0.mgmt"
    [ -S "$SL_SOCK" ] || { log "sluiced: no $SL_SOCK"; return 1; }
}

stop_sluice() {
    [ -n "$SL_PID" ] || return 0
    kill_pid "$SL_PID"
    SL_PID=""
    rm -f /dev/hugepages/"$EAL_PREFIX"map_* /dev/hugepages/"$EAL_PREFIX"-* 2>/dev/null
    rm -rf /var/run/dpdk/"$EAL_PREFIX" 2>/dev/null
}

OVS_DIR="$WORK/ovs"
OVS_PID=""
OVSDB_PID=""
OVS_SOCK=""
start_ovs() {
    mkdir -p "$OVS_DIR"
    export OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_SYSCONFDIR="$OVS_DIR"
    local vsctl=(ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30)
    ovsdb-tool create "$OVS_DIR/conf.db" "$OVS_SCHEMA" || return 1
    OVSDB_CMD=(taskset -c "$CTRL_CPU" ovsdb-server "$OVS_DIR/conf.db"
        --remote="punix:$OVS_DIR/db.sock" --pidfile="$OVS_DIR/ovsdb-server.pid"
        --unixctl="$OVS_DIR/ovsdb-server.ctl" --log-file="$OVS_DIR/ovsdb-server.log" --detach
        --no-chdir)
    "${OVSDB_CMD[@]}" 2>>"$OVS_DIR/start.log" || return 1
    OVSDB_PID=$(cat "$OVS_DIR/ovsdb-server.pid")
    PIDS+=("$OVSDB_PID")
    "${vsctl[@]}" --no-wait init || return 1
    OVS_CMD=(taskset -c "$CTRL_CPU" "$OVS_VSWITCHD" "unix:$OVS_DIR/db.sock"
        --enable-dummy=override --disable-system
        --pidfile="$OVS_DIR/ovs-vswitchd.pid" --unixctl="$OVS_DIR/ovs-vswitchd.ctl"
        --log-file="$OVS_DIR/ovs-vswitchd.log" --detach --no-chdir)
    "${OVS_CMD[@]}" 2>>"$OVS_DIR/start.log" || return 1
    OVS_PID=$(cat "$OVS_DIR/ovs-vswitchd.pid")
    PIDS+=("$OVS_PID")
    "${vsctl[@]}" add-br br0 -- set bridge br0 datapath_type=netdev protocols=OpenFlow13 \
        -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 \
        -- add-port br0 p2 -- set interface p2 type=dummy ofport_request=2 || return 1
    local i
    for i in $(seq 1 100); do
        [ -S "$OVS_DIR/br0.mgmt" ] && break
        sleep 0.2
    done
    OVS_SOCK="$OVS_DIR/br0.mgmt"
    [ -S "$OVS_SOCK" ] || { log "ovs-vswitchd: no $OVS_SOCK"; return 1; }
}

# --- measurement helpers ------------------------------------------------------------------
cpu_snap() { # "cpuN total busy" for CTRL_CPU and OTHER_CPU
    awk -v a="cpu$CTRL_CPU" -v b="cpu$OTHER_CPU" '$1 == a || $1 == b {
        tot = 0; for (i = 2; i <= 9; i++) tot += $i
        print $1, tot, tot - $5 - $6 }' /proc/stat
}
# bg_busy: the busier of the two CPUs over one second, in %.
bg_busy() {
    local a b
    a=$(cpu_snap)
    sleep 1
    b=$(cpu_snap)
    printf '%s\n%s\n' "$a" "$b" | awk '
        { if (!($1 in t0)) { t0[$1] = $2; b0[$1] = $3 } else { t1[$1] = $2; b1[$1] = $3 } }
        END { mx = 0
              for (c in t0) if (t1[c] > t0[c]) { p = 100 * (b1[c] - b0[c]) / (t1[c] - t0[c]); if (p > mx) mx = p }
              printf "%.0f\n", mx }'
}
BG=0
WAITED=0
wait_quiet() {
    local start=$SECONDS
    while :; do
        BG=$(bg_busy)
        [ "$QUIET_PCT" -gt 0 ] || break
        [ "$BG" -lt "$QUIET_PCT" ] && break
        [ $((SECONDS - start)) -lt "$QUIET_MAX_WAIT" ] || break
    done
    WAITED=$((SECONDS - start))
}
# thread_ns PID: nanoseconds the process's main thread (TID = PID) has run.
thread_ns() {
    awk '{print $1}' "/proc/$1/task/$1/schedstat" 2>/dev/null || echo 0
}
flow_count() { # flow_count SOCK
    "${OFCTL[@]}" dump-aggregate "unix:$1" 2>&1 | sed -nE 's/.*flow_count=([0-9]+).*/\1/p'
}

# run_one ROUND PLACEMENT SYSTEM MODE: one measured run; appends a JSON line to
# $WORK/runs.jsonl and prints a line.
FAILED=0
CMDS_SHOWN=""
run_one() {
    local round="$1" place="$2" sys="$3" mode="$4" sock pid cpu
    local name="r$1-$2-$3-$4"
    if [ "$sys" = sluice ]; then sock="$SL_SOCK" pid="$SL_PID"; else sock="$OVS_SOCK" pid="$OVS_PID"; fi
    if [ "$place" = same ]; then cpu="$CTRL_CPU"; else cpu="$OTHER_CPU"; fi
    local expect="$N_RULES" before
    [[ "$mode" = echo* ]] && expect=0
    "${OFCTL[@]}" del-flows "unix:$sock" || { log "$name: del-flows failed"; FAILED=1; return; }
    before=$(flow_count "$sock")
    if [ "$before" != 0 ]; then
        log "$name: the table holds '$before' flows before the run (expected 0)"
        FAILED=1
        return
    fi
    wait_quiet
    local cmd
    case "$mode" in
    ofctl) cmd=(taskset -c "$cpu" ovs-ofctl -O OpenFlow13 add-flows "unix:$sock" "$FLOWS") ;;
    barrier) cmd=(taskset -c "$cpu" "$FMCLIENT" --json --batch 1 "unix:$sock" "$FLOWS") ;;
    batched) cmd=(taskset -c "$cpu" "$FMCLIENT" --json --batch 0 "unix:$sock" "$FLOWS") ;;
    echo) cmd=(taskset -c "$cpu" "$FMCLIENT" --json --echo "$N_RULES" "unix:$sock") ;;
    spin) cmd=(taskset -c "$cpu" "$FMCLIENT" --json --spin --batch 1 "unix:$sock" "$FLOWS") ;;
    echo-spin) cmd=(taskset -c "$cpu" "$FMCLIENT" --json --spin --echo "$N_RULES" "unix:$sock") ;;
    esac
    if [[ "$CMDS_SHOWN" != *"|$place-$sys-$mode|"* ]]; then
        CMDS_SHOWN+="|$place-$sys-$mode|"
        printf '%q ' "${cmd[@]}" | sed 's/ $//' >>"$WORK/commands.txt"
        echo >>"$WORK/commands.txt"
    fi
    local perf_pid=""
    if [ -n "$PERF_DIR" ]; then
        perf record -q --call-graph dwarf,16384 -t "$pid" -o "$PERF_DIR/$name.perf.data" \
            >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5 # perf attaches asynchronously
    fi
    local t0 t1 c0 c1 rc out tf="$WORK/$name.time"
    c0=$(thread_ns "$pid")
    t0=$(date +%s%N)
    # bash's time keyword: the client's wall and CPU time (user + sys).
    out=$( { TIMEFORMAT='%3R %3U %3S'; time "${cmd[@]}" 2>"$WORK/$name.err"; } 2>"$tf")
    rc=$?
    t1=$(date +%s%N)
    c1=$(thread_ns "$pid")
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" 2>/dev/null
        wait "$perf_pid" 2>/dev/null
    fi
    local after
    after=$(flow_count "$sock")
    local secs rate client_cpu ctrl_us rtt="null"
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')
    client_cpu=$(awk '{ printf "%.3f", $2 + $3 }' "$tf")
    if [ "$mode" != ofctl ] && [ "$rc" -eq 0 ]; then
        # The client's own clock excludes its start and the file's encoding.
        secs=$(jq -r .seconds <<<"$out")
        rtt=$(jq -c .rtt_us <<<"$out")
    fi
    rate=$(awk -v n="$N_RULES" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    ctrl_us=$(awk -v a="$c0" -v b="$c1" -v n="$N_RULES" 'BEGIN { printf "%.2f", (b - a) / 1e3 / n }')
    local ok=true
    if [ "$rc" -ne 0 ] || [ "$after" != "$expect" ]; then
        ok=false
        FAILED=1
        log "$name: FAILED (exit $rc, $after flows, expected $expect): $(head -c 400 "$WORK/$name.err")"
    fi
    jq -cn --argjson round "$round" --arg place "$place" --arg sys "$sys" --arg mode "$mode" \
        --argjson secs "$secs" --argjson rate "$rate" --argjson ok "$ok" --arg flows "$after" \
        --argjson client_cpu "$client_cpu" --argjson ctrl_us "$ctrl_us" --argjson rtt "$rtt" \
        --argjson bg "$BG" --argjson waited "$WAITED" \
        '{round: $round, placement: $place, system: $sys, mode: $mode, seconds: $secs,
          rate: $rate, ok: $ok, flows_after: $flows, client_cpu_s: $client_cpu,
          ctrl_us_per_op: $ctrl_us, rtt_us: $rtt, bg_pct: $bg, waited_s: $waited}' \
        >>"$WORK/runs.jsonl"
    printf '%-2s %-5s %-6s %-7s %8.3f s %9s /s  switch ctrl %6s us/op  client cpu %6s s  flows %s%s\n' \
        "$round" "$place" "$sys" "$mode" "$secs" "$rate" "$ctrl_us" "$client_cpu" "$after" \
        "$([ "$rtt" != null ] && jq -r '"  rtt p50 \(.p50) p99 \(.p99) us"' <<<"$rtt")" >&2
}

# --- run ---------------------------------------------------------------------------------
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "== flow-mods: $N_RULES rules, $ROUNDS rounds, modes: $MODES, placements: $PLACEMENTS, systems: $SYSTEMS; work dir $WORK"
: >"$WORK/commands.txt"
if [[ " $SYSTEMS " == *" ovs "* ]]; then
    start_ovs || { log "could not start Open vSwitch (see $OVS_DIR/*.log)"; KEEP=1; exit 1; }
    {
        echo "ovsdb-tool create $OVS_DIR/conf.db $OVS_SCHEMA"
        printf '%q ' "${OVSDB_CMD[@]}" | sed 's/ $//'
        echo
        echo "ovs-vsctl --db=unix:$OVS_DIR/db.sock --no-wait init"
        printf '%q ' "${OVS_CMD[@]}" | sed 's/ $//'
        echo
    } >>"$WORK/commands.txt"
    echo "ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev protocols=OpenFlow13 -- add-port br0 p1 -- set interface p1 type=dummy ofport_request=1 (p2 the same, ofport_request=2)" >>"$WORK/commands.txt"
fi
for ((r = 1; r <= ROUNDS; r++)); do
    order="$SYSTEMS"
    if [ $((r % 2)) = 0 ]; then
        order=$(tr ' ' '\n' <<<"$SYSTEMS" | tac | tr '\n' ' ')
    fi
    for place in $PLACEMENTS; do
        # sluiced's PMD never shares the client's CPU (in production it has a core of its
        # own; an idle PMD still wakes up every --pmd-idle-sleep-us and would delay the
        # client): with the client on CTRL_CPU it goes to OTHER_CPU, else to CTRL_CPU.
        if [[ " $SYSTEMS " == *" sluice "* ]]; then
            stop_sluice
            if [ "$place" = same ]; then pmd_cpu="$OTHER_CPU"; else pmd_cpu="$CTRL_CPU"; fi
            start_sluice "$pmd_cpu" || exit 1
            if [[ "$CMDS_SHOWN" != *"|sluiced-$place|"* ]]; then
                CMDS_SHOWN+="|sluiced-$place|"
                printf '%q ' "${SL_CMD[@]}" | sed 's/ $//' >>"$WORK/commands.txt"
                echo "   # placement $place" >>"$WORK/commands.txt"
                echo "sluicectl add-br br0; add-port br0 p1 type=dpdk devargs=net_null0,no-rx=1 ofport=1; (p2 the same, ofport=2)" >>"$WORK/commands.txt"
            fi
        fi
        for mode in $MODES; do
            for sys in $order; do
                run_one "$r" "$place" "$sys" "$mode"
                if [ "$sys" = sluice ] && ! kill -0 "$SL_PID" 2>/dev/null; then
                    log "sluiced died"; tail -n 20 "$WORK/sluiced.log" >&2; exit 1
                fi
                if [ "$sys" = ovs ] && ! kill -0 "$OVS_PID" 2>/dev/null; then
                    log "ovs-vswitchd died"; KEEP=1; exit 1
                fi
            done
        done
    done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary ------------------------------------------------------------------------------
SUMMARY=$(jq -rs --arg modes "$MODES" --arg places "$PLACEMENTS" '
    def median: sort | if length == 0 then null
        elif length % 2 == 1 then .[length / 2 | floor]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def num: if type == "number" then (. * 100 | round / 100) else "-" end;
    . as $runs
    | ($modes | split(" ") | map(select(. != ""))) as $ms
    | ($places | split(" ") | map(select(. != ""))) as $ps
    | ["| placement | mode | sluice median ops/s | OVS median ops/s | sluice / OVS | sluice ctrl us/op | OVS ctrl us/op | sluice rtt p50 us | OVS rtt p50 us |",
       "|---|---|---|---|---|---|---|---|---|"]
      + [ $ps[] as $p | $ms[] as $m
          | [$runs[] | select(.placement == $p and .mode == $m and .ok and .system == "sluice")] as $s
          | [$runs[] | select(.placement == $p and .mode == $m and .ok and .system == "ovs")] as $o
          | ($s | map(.rate) | median) as $sr | ($o | map(.rate) | median) as $ovr
          | "| \($p) | \($m) | \($sr | if . then round else "-" end) | \($ovr | if . then round else "-" end) | \(if $sr and $ovr and $ovr > 0 then ($sr / $ovr | num | tostring) + "x" else "-" end) | \($s | map(.ctrl_us_per_op) | median | num) | \($o | map(.ctrl_us_per_op) | median | num) | \($s | map(.rtt_us.p50 // empty) | median | num) | \($o | map(.rtt_us.p50 // empty) | median | num) |" ]
    | .[]' "$WORK/runs.jsonl")
RUNS_TABLE=$(jq -rs '
    ["| round | placement | system | mode | seconds | ops/s | flows after | switch ctrl us/op | client CPU s | rtt p50/p99/max us | bg busy % | waited s |",
     "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    + [ .[] | "| \(.round) | \(.placement) | \(.system) | \(.mode) | \(.seconds) | \(.rate)\(if .ok then "" else " FAILED" end) | \(.flows_after) | \(.ctrl_us_per_op) | \(.client_cpu_s) | \(if .rtt_us and .mode != "batched" then "\(.rtt_us.p50)/\(.rtt_us.p99)/\(.rtt_us.max)" else "-" end) | \(.bg_pct) | \(.waited_s) |" ]
    | .[]' "$WORK/runs.jsonl")
echo
echo "$SUMMARY"

if [ -n "$RESULTS" ]; then
    sluice_rev=$(git -C "$SLUICE_SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
    git -C "$SLUICE_SRC" diff --quiet HEAD -- 2>/dev/null || sluice_rev+=" + uncommitted changes"
    cpu_model=$(lscpu | sed -nE 's/^Model name:[[:space:]]+//p' | head -1)
    hyper=$(lscpu | sed -nE 's/^Hypervisor vendor:[[:space:]]+//p' | head -1)
    {
        [ -f "$RESULTS" ] || printf '# Benchmark results\n'
        echo
        echo "## $START_DATE — flow-mods, $N_RULES rules, $ROUNDS rounds, interleaved"
        echo
        echo "- CPU: $cpu_model, $NCPU CPUs online${hyper:+ (virtual machine, hypervisor $hyper)}; cpuidle driver $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo unknown)"
        echo "- kernel: $(uname -r)"
        echo "- OVS: $(ovs-ofctl --version | head -1 | awk '{print $NF}') (userspace netdev datapath, dummy ports, no DPDK); sluice: $sluice_rev ($SLUICE_BUILD)"
        echo "- load average (1/5/15 min) at start $LOAD_START, at end $LOAD_END"
        echo "- CPUs: switch control threads (and all of ovs-vswitchd, ovsdb-server) on CPU $CTRL_CPU; client on CPU $CTRL_CPU (same) or $OTHER_CPU (split); sluiced's PMD on the CPU the client does not use (sluiced restarted per placement); each run waited (at most ${QUIET_MAX_WAIT} s) for both CPUs below ${QUIET_PCT}% busy"
        echo "- rule file: $N_RULES lines, 4 shapes in turn (ip,nw_dst=/32; tcp,nw_src,tp_dst; udp,nw_dst=/24,tp_src; in_port,ip,nw_src,nw_dst=/8), scattered priorities, e.g.:"
        echo
        echo '```'
        head -4 "$FLOWS"
        echo '```'
        echo
        echo "Modes: ofctl = \`ovs-ofctl add-flows\` (which waits for a BARRIER_REPLY after every FLOW_MOD: flow-mod and barrier in two writes; timed start to exit, its parsing included); barrier = bench/flowmod-client --batch 1 (FLOW_MOD + BARRIER_REQUEST in one write, wait for the reply, next); batched = flowmod-client --batch 0 (pre-encoded, all, then one barrier); echo = flowmod-client --echo $N_RULES (ECHO round trips: the floor of the per-rule modes); spin / echo-spin = barrier / echo with flowmod-client --spin (the client waits for replies by non-blocking reads, not in poll(): no client wake-up in a round trip). \"ctrl us/op\" = CPU time of the switch's control thread (sluiced main thread / ovs-vswitchd main thread) during the run per operation. Every flow-mod run was checked to leave exactly $N_RULES flows (dump-aggregate) in a table emptied before it."
        echo
        echo "Commands:"
        echo
        echo '```'
        cat "$WORK/commands.txt"
        echo '```'
        echo
        echo "Medians:"
        echo
        echo "$SUMMARY"
        echo
        echo "Every run:"
        echo
        echo "$RUNS_TABLE"
    } >>"$RESULTS"
    log "appended to $RESULTS"
fi
exit "$FAILED"
