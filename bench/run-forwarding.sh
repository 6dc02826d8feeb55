#!/usr/bin/env bash
# run-forwarding.sh — forwarding benchmark: sluice against the io-forwarding ceiling
# (dpdk-testpmd between two net_vhost ports) and against OVS-DPDK, on the same traffic and
# the same kind of ports, in one run.
#
# Every system gets the same topology, one system at a time:
#
#   sluice-gen port0 (virtio-user) -> vm1 -> [switch PMD on PMD_CPU] -> vm2 -> sluice-gen port1
#
# The generator is one process on GEN_CPU with two virtio-user ports: it sends at its maximum
# rate on port 0 and counts what arrives on port 1. The switch forwards vm1 -> vm2 (flows
# in_port=vm1,actions=output:vm2 and back; testpmd: io forwarding port 0 <-> 1). Systems run
# interleaved (A B C A B C ...) so that slow drifts of the machine (other tenants, thermal,
# the host) spread over all of them instead of biasing one; medians are taken per system.
#
# Each run starts the switch from nothing and stops it afterwards (only one busy-polling
# switch can own PMD_CPU at a time), so a run also proves that the switch comes up and tears
# down cleanly. Everything started here is recorded and removed by the EXIT trap: processes
# (by PID), vhost-user sockets, the OVS database/run/log directory, EAL runtime directories
# and hugepage files of the EAL prefixes used here. A system OVS is never touched: OVS runs
# from a private directory, with its own database, in its own network namespace (a netdev
# bridge creates a tap device for its LOCAL port).
#
# Measured per run: received Mpps at the generator (port 1 rx / sending time), sent Mpps and
# packets the switch refused (tx-failed: the vm1 ring was full), the switch's busy cycles per
# forwarded packet (sluice: pmd-stats delta; OVS: pmd-stats-show processing cycles; testpmd:
# --record-core-cycles), the generator's own cycles per packet, and during the sending
# window the share of its CPU that the switch PMD thread and the generator really got, the
# busy and steal time of both CPUs and the load average, so that a run disturbed by other
# work on the machine can be recognised as such.
#
# Usage: bench/run-forwarding.sh [options]     (as root; builds nothing)
#   --rounds N           rounds of A B C (default 5)
#   --duration SECS      seconds of traffic per run (default 10)
#   --scenarios LIST     SIZE:FLOWS items, SIZE = generator frame length without FCS
#                        (default "64:1 64:1000 1514:1"; 1514 is a 1518-byte frame on the wire)
#   --systems LIST       any of testpmd sluice ovs (default all three, in that order)
#   --pipeline KIND      the switches' flow table (testpmd has none):
#                        inport  in_port=vm1,actions=output:vm2 and back (default): a table
#                                that looks only at the ingress port (OVS's "simple match"
#                                case; sluice decides a burst once, see docs/DESIGN.md)
#                        l4      per direction: priority=20,in_port=vm1,udp,nw_dst=198.18.0.0/16,
#                                tp_dst=5001,actions=output:vm2 plus priority=10,in_port=vm1,
#                                actions=drop: every packet must be parsed to L4 and looked up
#                                under two masks (the generator's frames all match priority 20)
#   --results FILE       append the dated section to FILE (default bench/RESULTS.md)
#   --no-results         do not write a results file
#   --keep               keep the work directory (logs, per-run JSON) and print its path
#   --wait-quiet PCT     before each run, wait (up to QUIET_MAX_WAIT s, default 60) until other
#                        work keeps both CPUs below PCT % busy (default 25; 0 = do not wait).
#                        The benchmark shares the machine: this keeps other jobs' bursts out
#                        of the runs without starving those jobs
#   --retry-contended N  redo a run up to N times (default 2) when the switch PMD or the
#                        generator got less than CLEAN_PCT % of its CPU (default 85: other
#                        work took it; alone, a polling thread gets ~100%); every
#                        attempt is reported, the last one counts. Retries stop once they
#                        have used RETRY_BUDGET seconds in all (default 1200)
#   --perf DIR           also record a cpu-clock profile of the PMD's CPU during each run into
#                        DIR/<run>.perf.data (perturbs the numbers a little: not for the
#                        published medians); read with perf report --comm / --sort sym
#   --quick              smoke test for CI: 1 round, 3 s, 64:1, no results file; fails only if
#                        a system that is installed forwarded (almost) nothing. No speed check.
# Environment: SLUICE_BUILD (default <repo>/build: sluiced, sluicectl, sluice-gen),
#   GEN_CPU (0), PMD_CPU (1), CTRL_CPU (0, control threads of the switches: they sleep),
#   TESTPMD (dpdk-testpmd), OVS_VSWITCHD_DPDK (default: the DPDK build of ovs-vswitchd from
#   Debian's openvswitch-switch-dpdk, called by path so that the system's alternative is left
#   as it is), HUGEPAGES_FREE (pages scripts/hugepages.sh makes free, default 512).
# Exit: 0 every run produced numbers (--quick: every installed system forwarded), 1 a run
#   failed, 2 usage or missing prerequisite.

set -uo pipefail
# shellcheck disable=SC2317 # run_<system> and the helpers they use are called by name

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SLUICE_SRC="$(cd "$BENCH_DIR/.." && pwd)"
SLUICE_BUILD="${SLUICE_BUILD:-$SLUICE_SRC/build}"
SLUICED="$SLUICE_BUILD/sluiced"
SLUICECTL="$SLUICE_BUILD/sluicectl"
SLUICE_GEN="$SLUICE_BUILD/sluice-gen"
GEN_CPU="${GEN_CPU:-0}"
PMD_CPU="${PMD_CPU:-1}"
CTRL_CPU="${CTRL_CPU:-0}"
TESTPMD="${TESTPMD:-dpdk-testpmd}"
OVS_SCHEMA="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"

ROUNDS=5
DURATION=10
SCENARIOS="64:1 64:1000 1514:1"
PIPELINE=inport
SYSTEMS="testpmd sluice ovs"
RESULTS="$BENCH_DIR/RESULTS.md"
KEEP=0
QUICK=0
PERF_DIR=""
QUIET_PCT=25
QUIET_MAX_WAIT="${QUIET_MAX_WAIT:-60}"
RETRIES=2
RETRY_BUDGET="${RETRY_BUDGET:-1200}"
CLEAN_PCT="${CLEAN_PCT:-85}"

die() {
    echo "run-forwarding: $*" >&2
    exit 2
}

usage() {
    sed -n '/^# Usage:/,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) [ $# -ge 2 ] || die "--rounds needs a value"; ROUNDS="$2"; shift 2 ;;
    --duration) [ $# -ge 2 ] || die "--duration needs a value"; DURATION="$2"; shift 2 ;;
    --scenarios) [ $# -ge 2 ] || die "--scenarios needs a value"; SCENARIOS="$2"; shift 2 ;;
    --systems) [ $# -ge 2 ] || die "--systems needs a value"; SYSTEMS="$2"; shift 2 ;;
    --pipeline) [ $# -ge 2 ] || die "--pipeline needs a value"; PIPELINE="$2"; shift 2 ;;
    --results) [ $# -ge 2 ] || die "--results needs a file"; RESULTS="$2"; shift 2 ;;
    --no-results) RESULTS=""; shift ;;
    --keep) KEEP=1; shift ;;
    --wait-quiet) [ $# -ge 2 ] || die "--wait-quiet needs a percentage"; QUIET_PCT="$2"; shift 2 ;;
    --retry-contended) [ $# -ge 2 ] || die "--retry-contended needs a count"; RETRIES="$2"; shift 2 ;;
    --perf) [ $# -ge 2 ] || die "--perf needs a directory"; PERF_DIR="$2"; shift 2 ;;
    --quick) QUICK=1; ROUNDS=1; DURATION=3; SCENARIOS="64:1"; RESULTS=""; QUIET_PCT=0; RETRIES=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done

case "$ROUNDS" in '' | *[!0-9]* | 0) die "--rounds '$ROUNDS': expected a positive integer" ;; esac
case "$PIPELINE" in inport | l4) ;; *) die "--pipeline '$PIPELINE': expected inport or l4" ;; esac
# pipeline_flows: the flows both switches get, one per line.
pipeline_flows() {
    if [ "$PIPELINE" = l4 ]; then
        printf '%s\n' \
            "priority=20,in_port=vm1,udp,nw_dst=198.18.0.0/16,tp_dst=5001,actions=output:vm2" \
            "priority=20,in_port=vm2,udp,nw_dst=198.18.0.0/16,tp_dst=5001,actions=output:vm1" \
            "priority=10,in_port=vm1,actions=drop" "priority=10,in_port=vm2,actions=drop"
    else
        printf '%s\n' "priority=10,in_port=vm1,actions=output:vm2" \
            "priority=10,in_port=vm2,actions=output:vm1"
    fi
}
case "$QUIET_PCT" in '' | *[!0-9]*) die "--wait-quiet '$QUIET_PCT': expected a percentage 0..100" ;; esac
case "$RETRIES" in '' | *[!0-9]*) die "--retry-contended '$RETRIES': expected a count" ;; esac
case "$CLEAN_PCT" in '' | *[!0-9]*) die "CLEAN_PCT '$CLEAN_PCT': expected a percentage" ;; esac
case "$RETRY_BUDGET" in '' | *[!0-9]*) die "RETRY_BUDGET '$RETRY_BUDGET': expected seconds" ;; esac
case "$QUIET_MAX_WAIT" in '' | *[!0-9]*) die "QUIET_MAX_WAIT '$QUIET_MAX_WAIT': expected seconds" ;; esac
case "$DURATION" in '' | *[!0-9]* | 0) die "--duration '$DURATION': expected whole seconds >= 1" ;; esac
for s in $SCENARIOS; do
    case "$s" in
    *[!0-9:]* | :* | *: | *:*:*) die "--scenarios item '$s': expected SIZE:FLOWS, e.g. 64:1000" ;;
    *:*) ;;
    *) die "--scenarios item '$s': expected SIZE:FLOWS, e.g. 64:1000" ;;
    esac
    if [ "${s%%:*}" -lt 64 ] || [ "${s%%:*}" -gt 9000 ]; then
        die "--scenarios item '$s': size must be 64..9000"
    fi
    [ "${s##*:}" -ge 1 ] || die "--scenarios item '$s': flows must be >= 1"
done
for s in $SYSTEMS; do
    case "$s" in testpmd | sluice | ovs) ;; *) die "--systems: unknown system '$s' (testpmd sluice ovs)" ;; esac
done
for c in "$GEN_CPU" "$PMD_CPU" "$CTRL_CPU"; do
    case "$c" in '' | *[!0-9]*) die "CPU number '$c' (GEN_CPU/PMD_CPU/CTRL_CPU) is not a number" ;; esac
    [ -d "/sys/devices/system/cpu/cpu$c" ] || die "CPU $c does not exist"
done
[ "$GEN_CPU" != "$PMD_CPU" ] || echo "run-forwarding: warning: generator and switch PMD share CPU $PMD_CPU" >&2

[ "$(id -u)" -eq 0 ] || die "needs root (hugepages, vhost-user, network namespace for OVS)"
if [ -n "$PERF_DIR" ]; then
    command -v perf >/dev/null || die "--perf: perf is not installed (linux-perf)"
    mkdir -p "$PERF_DIR" || die "--perf: cannot create $PERF_DIR"
    PERF_DIR="$(cd "$PERF_DIR" && pwd)"
fi
for b in jq python3 unshare taskset; do
    command -v "$b" >/dev/null || die "$b is not installed"
done
[ -x "$SLUICE_GEN" ] || die "$SLUICE_GEN not built (set SLUICE_BUILD; this script builds nothing)"

# --- which systems can run ------------------------------------------------------------------

declare -A SKIP_WHY=()
find_ovs_vswitchd() {
    if [ -n "${OVS_VSWITCHD_DPDK:-}" ]; then
        echo "$OVS_VSWITCHD_DPDK"
    elif [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then
        echo /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
    elif command -v ovs-vswitchd >/dev/null && ovs-vswitchd --version 2>/dev/null | grep -qi dpdk; then
        command -v ovs-vswitchd
    fi
}
OVS_VSWITCHD="$(find_ovs_vswitchd)"
for s in $SYSTEMS; do
    case "$s" in
    testpmd)
        command -v "$TESTPMD" >/dev/null ||
            SKIP_WHY[testpmd]="$TESTPMD not found (apt-get install -y dpdk-dev)" ;;
    sluice)
        { [ -x "$SLUICED" ] && [ -x "$SLUICECTL" ]; } ||
            SKIP_WHY[sluice]="$SLUICED or $SLUICECTL not built (set SLUICE_BUILD)" ;;
    ovs)
        if [ -z "$OVS_VSWITCHD" ] || ! [ -x "$OVS_VSWITCHD" ]; then
            SKIP_WHY[ovs]="no DPDK-enabled ovs-vswitchd (apt-get install -y openvswitch-switch-dpdk)"
        else
            for b in ovsdb-tool ovsdb-server ovs-vsctl ovs-ofctl ovs-appctl; do
                command -v "$b" >/dev/null || SKIP_WHY[ovs]="$b not found (openvswitch-switch)"
            done
            [ -f "$OVS_SCHEMA" ] || SKIP_WHY[ovs]="OVS schema $OVS_SCHEMA missing"
        fi ;;
    esac
done
ACTIVE=""
for s in $SYSTEMS; do
    if [ -n "${SKIP_WHY[$s]:-}" ]; then
        echo "run-forwarding: skipping $s: ${SKIP_WHY[$s]}" >&2
    else
        ACTIVE="$ACTIVE $s"
    fi
done
ACTIVE="${ACTIVE# }"
if [ "$QUICK" = 1 ] && [ -n "${SKIP_WHY[sluice]:-}" ] && [[ " $SYSTEMS " == *" sluice "* ]]; then
    die "--quick: sluice itself cannot run: ${SKIP_WHY[sluice]}"
fi
[ -n "$ACTIVE" ] || die "no system to benchmark"

# --- bookkeeping and cleanup ----------------------------------------------------------------

WORK=$(mktemp -d /tmp/sluice-bench-fwd.XXXXXX)
ID=$(printf '%05x' $(( (RANDOM * 32768 + RANDOM + $$) % 1048576 )))
PIDS=()
PREFIXES=()
HZ_TICKS=$(getconf CLK_TCK)

# log MSG: to stderr, and into the current run's directory so that a failed run's row in the
# results says why.
RUN_DIR=""
log() {
    printf '%s\n' "$*" >&2
    if [ -n "$RUN_DIR" ] && [ -d "$RUN_DIR" ]; then printf '%s\n' "$*" >>"$RUN_DIR/script.log"; fi
}

# prefix TAG: sets PREFIX to a unique EAL --file-prefix and records it for cleanup.
prefix() {
    PREFIX="sbf$ID$1"
    PREFIXES+=("$PREFIX")
}

# logcmd TAG CMD...: records the exact command line for the results (only during the first
# run of each system: later runs differ in paths and prefixes only) and runs nothing.
LOG_CMDS=0
logcmd() {
    [ "$LOG_CMDS" = 1 ] || return 0
    local tag="$1"
    shift
    { printf '%s\t' "$tag"; printf '%q ' "$@"; printf '\n'; } >>"$WORK/commands.tsv"
}

kill_pid() {
    local pid="$1" i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.1
    done
    log "pid $pid ignored SIGTERM for 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

drop_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

stop_pid() {
    kill_pid "$1"
    drop_pid "$1"
}

clean_prefixes() {
    local p
    for p in "${PREFIXES[@]}"; do
        rm -f /dev/hugepages/"$p"map_* /dev/hugepages/"$p"-* 2>/dev/null
        rm -rf /var/run/dpdk/"$p" 2>/dev/null
    done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill_pid "${PIDS[$i]}"
    done
    clean_prefixes
    if [ "$KEEP" = 1 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf -- "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# wait_for SECS DESC CMD...: polls CMD every 0.1 s; returns 1 (after a message) on timeout,
# or at once when the process WAIT_PID (if set) has exited: it will not answer any more.
WAIT_PID=""
wait_for() {
    local secs="$1" desc="$2"
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if [ -n "$WAIT_PID" ] && ! kill -0 "$WAIT_PID" 2>/dev/null; then
            log "process $WAIT_PID exited while waiting for $desc"
            WAIT_PID=""
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "timeout after $secs s waiting for $desc"
            WAIT_PID=""
            return 1
        fi
        sleep 0.1
    done
    WAIT_PID=""
}

alive() { kill -0 "$1" 2>/dev/null; }

# --- CPU accounting over the sending window -------------------------------------------------

# cpu_snap: "cpuN total busy steal" for GEN_CPU and PMD_CPU from /proc/stat (jiffies;
# guest time is already inside user time, so it is not added again).
cpu_snap() {
    awk -v a="cpu$GEN_CPU" -v b="cpu$PMD_CPU" '$1 == a || $1 == b {
        tot = 0; for (i = 2; i <= 9; i++) tot += $i
        print $1, tot, tot - $5 - $6 - $9, $9 }' /proc/stat
}

# bg_sample: busy % of GEN_CPU and PMD_CPU over one second while nothing of ours runs (the
# load that other work on the machine puts on the CPUs the benchmark is about to use).
bg_sample() {
    local a b
    a=$(cpu_snap)
    sleep 1
    b=$(cpu_snap)
    printf '%s\n%s\n' "$a" "$b" | awk -v g="cpu$GEN_CPU" -v p="cpu$PMD_CPU" '
        { if (!($1 in t0)) { t0[$1] = $2; b0[$1] = $3 } else { t1[$1] = $2; b1[$1] = $3 } }
        END {
            gp = (t1[g] > t0[g]) ? 100 * (b1[g] - b0[g]) / (t1[g] - t0[g]) : -1
            pp = (t1[p] > t0[p]) ? 100 * (b1[p] - b0[p]) / (t1[p] - t0[p]) : -1
            printf "{\"gen_cpu_busy_pct\": %.0f, \"pmd_cpu_busy_pct\": %.0f}\n", gp, pp
        }'
}

# wait_quiet: samples bg_sample until both CPUs are below QUIET_PCT busy or QUIET_MAX_WAIT
# seconds have passed; leaves the last sample in $RUN_DIR/bg.json and the wait in
# $RUN_DIR/bg-wait.
wait_quiet() {
    local start=$SECONDS
    while :; do
        bg_sample >"$RUN_DIR/bg.json"
        [ "$QUIET_PCT" -gt 0 ] || break
        if jq -e --argjson q "$QUIET_PCT" '.gen_cpu_busy_pct < $q and .pmd_cpu_busy_pct < $q' \
            "$RUN_DIR/bg.json" >/dev/null 2>&1; then
            break
        fi
        [ $((SECONDS - start)) -lt "$QUIET_MAX_WAIT" ] || break
    done
    echo $((SECONDS - start)) >"$RUN_DIR/bg-wait"
}

# thread_snap PID: "tid ticks" for every thread of PID (utime + stime).
thread_snap() {
    local t
    for t in /proc/"$1"/task/*; do
        [ -r "$t/stat" ] || continue
        printf '%s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')"
    done
}

# proc_ticks PID: utime + stime of the whole process.
proc_ticks() {
    sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | awk '{print $12 + $13}'
}

# window_begin SWITCH_PID GEN_PID / window_end ...: CPU shares over the window, written to
# $RUN_DIR/window.json.
window_begin() {
    W_T0=$(date +%s.%N)
    cpu_snap >"$RUN_DIR/cpu0.txt"
    thread_snap "$1" >"$RUN_DIR/thr0.txt"
    W_GEN0=$(proc_ticks "$2")
    W_LOAD0=$(cut -d' ' -f1 /proc/loadavg)
}

window_end() {
    local t1 gen1
    t1=$(date +%s.%N)
    cpu_snap >"$RUN_DIR/cpu1.txt"
    thread_snap "$1" >"$RUN_DIR/thr1.txt"
    gen1=$(proc_ticks "$2")
    python3 - "$RUN_DIR" "$W_T0" "$t1" "${W_GEN0:-}" "${gen1:-}" "$HZ_TICKS" "$W_LOAD0" \
        "cpu$GEN_CPU" "cpu$PMD_CPU" <<'EOF'
import json, sys
d, t0, t1, g0, g1, hz, load, cg, cp = sys.argv[1:10]
wall = float(t1) - float(t0)
hz = float(hz)
def rows(p):
    out = {}
    for line in open(p):
        f = line.split()
        if len(f) >= 2:
            out[f[0]] = [float(x) for x in f[1:]]
    return out
c0, c1 = rows(d + "/cpu0.txt"), rows(d + "/cpu1.txt")
t0s, t1s = rows(d + "/thr0.txt"), rows(d + "/thr1.txt")
res = {"window_s": round(wall, 3), "loadavg1": float(load)}
def cpu(name, key):
    if name in c0 and name in c1:
        tot = c1[name][0] - c0[name][0]
        if tot > 0:
            res[key + "_busy_pct"] = round(100 * (c1[name][1] - c0[name][1]) / tot, 1)
            res[key + "_steal_pct"] = round(100 * (c1[name][2] - c0[name][2]) / tot, 1)
cpu(cg, "gen_cpu")
cpu(cp, "pmd_cpu")
deltas = [t1s[t][0] - t0s[t][0] for t in t1s if t in t0s]
if deltas and wall > 0:
    res["pmd_thread_pct"] = round(100 * max(deltas) / hz / wall, 1)
if g0 and g1 and wall > 0:
    res["gen_proc_pct"] = round(100 * (float(g1) - float(g0)) / hz / wall, 1)
json.dump(res, open(d + "/window.json", "w"))
EOF
}

# --- the generator --------------------------------------------------------------------------

# start_gen SOCK1 SOCK2 SIZE FLOWS: one process, port 0 sends to SOCK1 (vm1), port 1 receives
# from SOCK2 (vm2). Sets GEN_PID; log and JSON in $RUN_DIR.
start_gen() {
    prefix g
    local cmd=(taskset -c "$GEN_CPU" "$SLUICE_GEN" -l "$GEN_CPU" --no-pci --in-memory
        --single-file-segments -m 256 --file-prefix "$PREFIX" --log-level=error
        "--vdev=net_virtio_user0,path=$1,queues=1,queue_size=1024,mac=02:00:00:00:00:01"
        "--vdev=net_virtio_user1,path=$2,queues=1,queue_size=1024,mac=02:00:00:00:00:02"
        -- --mode tx --tx-ports 0 --size "$3" --flows "$4" --duration "$DURATION"
        --wait-link 30 --drain 0.1 --json "$RUN_DIR/gen.json")
    logcmd gen "${cmd[@]}"
    "${cmd[@]}" >"$RUN_DIR/gen.log" 2>&1 &
    GEN_PID=$!
    PIDS+=("$GEN_PID")
}

# run_gen SWITCH_PID SOCK1 SOCK2 SIZE FLOWS: runs the generator to its end, measuring the CPU
# window while it sends. Returns the generator's exit status (124 if it hung).
run_gen() {
    local spid="$1"
    start_gen "$2" "$3" "$4" "$5"
    WAIT_PID="$GEN_PID"
    if ! wait_for 60 "the generator to start sending (links up)" grep -q 'mode tx' "$RUN_DIR/gen.log"; then
        stop_pid "$GEN_PID"
        return 124
    fi
    window_begin "$spid" "$GEN_PID"
    local perf_pid=""
    if [ -n "$PERF_DIR" ]; then
        # A profile of everything on the PMD's CPU (the switch PMD and whatever else the
        # scheduler put there); cpu-clock works without a hardware PMU (virtual machines).
        perf record -q -e cpu-clock -F 999 -g -C "$PMD_CPU" \
            -o "$PERF_DIR/${RUN_DIR##*/}.perf.data" -- sleep "$(awk -v d="$DURATION" \
            'BEGIN { print (d > 4 ? d - 2 : d * 0.5) }')" >"$RUN_DIR/perf.log" 2>&1 &
        perf_pid=$!
        PIDS+=("$perf_pid")
    fi
    # End the window inside the sending phase, while the generator surely still runs.
    sleep "$(awk -v d="$DURATION" 'BEGIN { print (d >= 4 ? d - 1 : d * 0.6) }')"
    if alive "$GEN_PID"; then
        window_end "$spid" "$GEN_PID"
    fi
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid"
        drop_pid "$perf_pid"
    fi
    local i
    for ((i = 0; i < (DURATION + 30) * 10; i++)); do
        alive "$GEN_PID" || break
        sleep 0.1
    done
    if alive "$GEN_PID"; then
        log "generator pid $GEN_PID still running $((DURATION + 30)) s after it should have ended"
        stop_pid "$GEN_PID"
        return 124
    fi
    wait "$GEN_PID"
    local rc=$?
    drop_pid "$GEN_PID"
    return "$rc"
}

# --- system 1: dpdk-testpmd io forwarding (the ceiling) -------------------------------------

run_testpmd() {
    local size="$1" flows="$2" d="$RUN_DIR"
    prefix t
    # The mbuf data room must hold the largest frame; the default (2048 + headroom) does up
    # to 2048-byte frames.
    local mbuf_args=()
    [ "$size" -le 2048 ] || mbuf_args=(--mbuf-size=$((size + 256)) --max-pkt-len="$size")
    local cmd=("$TESTPMD" -l "$CTRL_CPU,$PMD_CPU" --main-lcore "$CTRL_CPU" --no-pci --in-memory
        -m 256 --file-prefix "$PREFIX" --log-level=error
        --vdev "net_vhost0,iface=$d/vm1.sock,queues=1"
        --vdev "net_vhost1,iface=$d/vm2.sock,queues=1"
        -- --forward-mode=io --auto-start --nb-cores=1 --rxq=1 --txq=1 --record-core-cycles
        --stats-period 3600 --total-num-mbufs=32768 "${mbuf_args[@]}")
    logcmd testpmd "${cmd[@]}"
    "${cmd[@]}" </dev/null >"$d/switch.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    WAIT_PID="$pid"
    if ! wait_for 30 "testpmd's vhost sockets" test -S "$d/vm2.sock"; then
        stop_pid "$pid"
        return 1
    fi
    run_gen "$pid" "$d/vm1.sock" "$d/vm2.sock" "$size" "$flows"
    local grc=$?
    # SIGTERM makes testpmd stop forwarding and print its statistics (cycles/packet).
    stop_pid "$pid"
    local line
    line=$(grep -m1 'CPU cycles/packet=' "$d/switch.log")
    if [ -n "$line" ]; then
        printf '%s\n' "$line" | sed -E 's/.*total cycles=([0-9]+) \/ total [a-zA-Z ]*packets=([0-9]+).*/{"busy_cycles": \1, "packets": \2}/' \
            >"$d/switch.json"
        jq -e . "$d/switch.json" >/dev/null 2>&1 || rm -f "$d/switch.json"
    fi
    return "$grc"
}

# --- system 2: sluiced ----------------------------------------------------------------------

sluice_ctl() {
    "$SLUICECTL" --run-dir "$RUN_DIR" "$@"
}

# sluice_pmd_stats: the pmd-stats result object. sluicectl has no pmd-stats command in every
# version: then the JSON-RPC method is called on the management socket directly.
sluice_pmd_stats() {
    local out
    out=$(sluice_ctl --json pmd-stats 2>/dev/null)
    if printf '%s' "$out" | jq -e '.pmds | arrays' >/dev/null 2>&1; then
        printf '%s\n' "$out"
        return 0
    fi
    python3 - "$RUN_DIR/sluiced.ctl" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"pmd-stats","params":{}}\n')
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
reply = json.loads(buf)
if "result" not in reply:
    sys.exit("pmd-stats: " + json.dumps(reply.get("error")))
print(json.dumps(reply["result"]))
EOF
}

run_sluice() {
    local size="$1" flows="$2" d="$RUN_DIR"
    prefix s
    local cmd=("$SLUICED" --run-dir "$d" --pmd-cores "$PMD_CPU" --main-core "$CTRL_CPU"
        --pmd-idle-sleep-us 0 --log-level warning
        -- --no-pci --in-memory --file-prefix "$PREFIX" -m 256)
    logcmd sluice "${cmd[@]}"
    "${cmd[@]}" >"$d/switch.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    WAIT_PID="$pid"
    if ! wait_for 30 "sluiced's management socket" sluice_ctl show; then
        stop_pid "$pid"
        return 1
    fi
    local mtu=()
    [ "$size" -le 1514 ] || mtu=("mtu=$((size - 14))")
    local c
    for c in "add-br br0" "add-port br0 vm1 type=vhostuser ${mtu[*]}" \
        "add-port br0 vm2 type=vhostuser ${mtu[*]}"; do
        # shellcheck disable=SC2086 # word splitting wanted: one command per string
        logcmd sluicectl sluicectl --run-dir "$d" $c
        # shellcheck disable=SC2086
        if ! sluice_ctl $c >>"$d/switch.log" 2>&1; then
            log "sluicectl $c failed"
            stop_pid "$pid"
            return 1
        fi
    done
    local f
    while IFS= read -r f; do
        logcmd sluicectl sluicectl --run-dir "$d" add-flow br0 "$f"
        if ! sluice_ctl add-flow br0 "$f" >>"$d/switch.log" 2>&1; then
            log "sluicectl add-flow br0 $f failed"
            stop_pid "$pid"
            return 1
        fi
    done < <(pipeline_flows)
    sluice_pmd_stats >"$d/pmd0.json" 2>>"$d/switch.log"
    run_gen "$pid" "$d/vm1.sock" "$d/vm2.sock" "$size" "$flows"
    local grc=$?
    sluice_pmd_stats >"$d/pmd1.json" 2>>"$d/switch.log"
    sluice_ctl --json dump-ports br0 >"$d/ports.json" 2>>"$d/switch.log"
    stop_pid "$pid"
    if jq -e '.pmds' "$d/pmd0.json" >/dev/null 2>&1 && jq -e '.pmds' "$d/pmd1.json" >/dev/null 2>&1; then
        jq -n --slurpfile a "$d/pmd0.json" --slurpfile b "$d/pmd1.json" '
            def sum(f): [.[] | f] | add;
            ($a[0].pmds) as $x | ($b[0].pmds) as $y |
            {busy_cycles: (($y | sum(.busy_cycles)) - ($x | sum(.busy_cycles))),
             idle_cycles: (($y | sum(.idle_cycles)) - ($x | sum(.idle_cycles))),
             packets: (($y | sum(.packets)) - ($x | sum(.packets))),
             emc_hits: (($y | sum(.emc_hits // 0)) - ($x | sum(.emc_hits // 0))),
             emc_misses: (($y | sum(.emc_misses // 0)) - ($x | sum(.emc_misses // 0)))}' >"$d/switch.json"
    fi
    return "$grc"
}

# --- system 3: OVS-DPDK ---------------------------------------------------------------------

# OVS runs from $RUN_DIR/ovs (database, sockets, logs, vhost-user sockets), in a network
# namespace of its own, with its non-PMD threads on CTRL_CPU and its PMD on PMD_CPU.
run_ovs() {
    local size="$1" flows="$2" d="$RUN_DIR/ovs"
    mkdir -p "$d"
    prefix o
    local eprefix="$PREFIX"
    local br="sbf$ID"
    local db="unix:$d/db.sock"
    local vsctl=(ovs-vsctl "--db=$db" --timeout=60)
    export OVS_RUNDIR="$d" OVS_DBDIR="$d" OVS_LOGDIR="$d" OVS_SYSCONFDIR="$d"
    ovsdb-tool create "$d/conf.db" "$OVS_SCHEMA" >>"$d/setup.log" 2>&1 || {
        log "ovsdb-tool create failed (see $d/setup.log)"
        return 1
    }
    local cmd=(taskset -c "$CTRL_CPU" ovsdb-server "$d/conf.db" "--remote=punix:$d/db.sock"
        "--unixctl=$d/ovsdb-server.ctl" "--log-file=$d/ovsdb-server.log" --no-chdir)
    logcmd ovsdb "${cmd[@]}"
    "${cmd[@]}" >>"$d/setup.log" 2>&1 &
    local dbpid=$!
    PIDS+=("$dbpid")
    WAIT_PID="$dbpid"
    if ! wait_for 20 "ovsdb-server's socket" test -S "$d/db.sock"; then
        stop_pid "$dbpid"
        return 1
    fi
    local mask
    mask=$(printf '0x%x' $((1 << PMD_CPU)))
    local cfg=("${vsctl[@]}" --no-wait init -- set Open_vSwitch . other_config:dpdk-init=true
        "other_config:dpdk-extra=--no-pci --file-prefix=$eprefix --in-memory"
        other_config:dpdk-socket-mem=256 other_config:dpdk-socket-limit=256
        "other_config:pmd-cpu-mask=$mask")
    logcmd ovs-vsctl "${cfg[@]}"
    "${cfg[@]}" >>"$d/setup.log" 2>&1 || { log "ovs-vsctl init failed"; stop_pid "$dbpid"; return 1; }
    cmd=(unshare --net taskset -c "$CTRL_CPU" "$OVS_VSWITCHD" "$db" --disable-system --no-chdir
        "--unixctl=$d/ovs-vswitchd.ctl" "--log-file=$d/ovs-vswitchd.log")
    logcmd ovs-vswitchd "${cmd[@]}"
    "${cmd[@]}" >>"$d/setup.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    local appctl=(ovs-appctl -t "$d/ovs-vswitchd.ctl")
    WAIT_PID="$pid"
    if ! wait_for 60 "ovs-vswitchd's control socket" "${appctl[@]}" version; then
        stop_pid "$pid"
        stop_pid "$dbpid"
        return 1
    fi
    local mtu=()
    [ "$size" -le 1514 ] || mtu=(-- set Interface vm1 "mtu_request=$((size - 14))"
        -- set Interface vm2 "mtu_request=$((size - 14))")
    cfg=("${vsctl[@]}" add-br "$br" -- set bridge "$br" datapath_type=netdev
        -- add-port "$br" vm1 -- set Interface vm1 type=dpdkvhostuser ofport_request=1
        -- add-port "$br" vm2 -- set Interface vm2 type=dpdkvhostuser ofport_request=2
        "${mtu[@]}")
    logcmd ovs-vsctl "${cfg[@]}"
    if ! "${cfg[@]}" >>"$d/setup.log" 2>&1 ||
        ! wait_for 30 "OVS vhost-user sockets" test -S "$d/vm2"; then
        log "OVS bridge setup failed (see $d/setup.log, $d/ovs-vswitchd.log)"
        stop_pid "$pid"
        stop_pid "$dbpid"
        return 1
    fi
    local of=(ovs-ofctl -O OpenFlow13)
    local mgmt="unix:$d/$br.mgmt"
    "${of[@]}" del-flows "$mgmt" >>"$d/setup.log" 2>&1
    local f ok=1
    while IFS= read -r f; do
        logcmd ovs-ofctl "${of[@]}" add-flow "$mgmt" "$f"
        "${of[@]}" add-flow "$mgmt" "$f" >>"$d/setup.log" 2>&1 || ok=0
    done < <(pipeline_flows)
    if [ "$ok" = 0 ]; then
        log "ovs-ofctl add-flow failed (see $d/setup.log)"
        stop_pid "$pid"
        stop_pid "$dbpid"
        return 1
    fi
    "${appctl[@]}" dpif-netdev/pmd-stats-clear >>"$d/setup.log" 2>&1
    run_gen "$pid" "$d/vm1" "$d/vm2" "$size" "$flows"
    local grc=$?
    "${appctl[@]}" dpif-netdev/pmd-stats-show >"$RUN_DIR/pmd-stats-show.txt" 2>&1
    "${appctl[@]}" dpif-netdev/pmd-rxq-show >>"$RUN_DIR/pmd-stats-show.txt" 2>&1
    "${of[@]}" dump-ports "$mgmt" >"$RUN_DIR/ovs-ports.txt" 2>&1
    stop_pid "$pid"
    stop_pid "$dbpid"
    unset OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR
    # The PMD on PMD_CPU: its section of pmd-stats-show (OVS counts busy = iterations that
    # received packets, as sluice and testpmd do).
    awk -v core="core_id $PMD_CPU:" '
        /^pmd thread/ { inpmd = index($0, core) > 0; next }
        /^main thread/ { inpmd = 0 }
        inpmd && /packets received:/ { pk = $3 }
        inpmd && /processing cycles:/ && !/avg/ { busy = $3 }
        inpmd && /idle cycles:/ { idle = $3 }
        inpmd && /simple match hits:/ { simple = $4 }
        inpmd && /^ *emc hits:/ { emc = $3 }
        inpmd && /^ *smc hits:/ { smc = $3 }
        inpmd && /megaflow hits:/ { mega = $3 }
        END { if (pk != "") printf "{\"busy_cycles\": %s, \"idle_cycles\": %s, \"packets\": %s, " \
                "\"simple_match_hits\": %d, \"emc_hits\": %d, \"smc_hits\": %d, \"megaflow_hits\": %d}\n",
                busy + 0, idle + 0, pk, simple, emc, smc, mega }
    ' "$RUN_DIR/pmd-stats-show.txt" >"$RUN_DIR/switch.json"
    [ -s "$RUN_DIR/switch.json" ] || rm -f "$RUN_DIR/switch.json"
    # The OVS directory holds the vhost sockets and the database: keep its logs only.
    if [ "$KEEP" = 1 ]; then
        rm -f "$d"/*.sock "$d"/*.ctl "$d/vm1" "$d/vm2" "$d"/*.mgmt "$d"/*.snoop
    else
        rm -rf -- "$d"
    fi
    return "$grc"
}

# --- one run --------------------------------------------------------------------------------

declare -A LOGGED=()

# run_one ROUND SYSTEM SIZE FLOWS ATTEMPT: runs it and appends one JSON line to
# $WORK/runs.jsonl.
run_one() {
    local round="$1" sys="$2" size="$3" flows="$4" attempt="$5"
    RUN_DIR="$WORK/r$round-$sys-$size-$flows"
    [ "$attempt" -eq 1 ] || RUN_DIR="$RUN_DIR-a$attempt"
    mkdir -p "$RUN_DIR"
    local t0=$SECONDS
    unset OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR
    LOG_CMDS=0
    [ -n "${LOGGED[$sys]:-}" ] || { LOG_CMDS=1; LOGGED[$sys]=1; }
    wait_quiet
    "run_$sys" "$size" "$flows"
    local rc=$?
    clean_prefixes
    local err=""
    if [ ! -s "$RUN_DIR/gen.json" ]; then
        local f logs=""
        for f in "$RUN_DIR/script.log" "$RUN_DIR/switch.log" "$RUN_DIR/ovs/setup.log" "$RUN_DIR/ovs/ovs-vswitchd.log" \
            "$RUN_DIR/gen.log"; do
            [ -s "$f" ] && logs="$logs ${f##*/}: $(tail -n 2 "$f" | tr '\n' ' ')"
        done
        err="no generator summary (exit $rc);${logs:- no log output}"
        err=$(printf '%s' "$err" | tr -s ' ' | cut -c1-300)
    elif [ "$rc" -ne 0 ]; then
        err="generator exit $rc"
    fi
    local sw='null' win='null' gen='null' bg='null'
    [ -s "$RUN_DIR/bg.json" ] && bg=$(jq -c --argjson w "$(cat "$RUN_DIR/bg-wait" 2>/dev/null || echo 0)" \
        '. + {waited_s: $w}' "$RUN_DIR/bg.json" 2>/dev/null || echo null)
    [ -s "$RUN_DIR/switch.json" ] && sw=$(jq -c . "$RUN_DIR/switch.json" 2>/dev/null || echo null)
    [ -s "$RUN_DIR/window.json" ] && win=$(jq -c . "$RUN_DIR/window.json" 2>/dev/null || echo null)
    [ -s "$RUN_DIR/gen.json" ] && gen=$(jq -c '{duration_s, cycles_per_packet,
        tx: .ports[0].tx_packets, tx_failed: .ports[0].tx_failed, rx: .ports[1].rx_packets,
        rx0: .ports[0].rx_packets, p50_ns: (.ports[1].latency_ns.p50 // null),
        p99_ns: (.ports[1].latency_ns.p99 // null)}' "$RUN_DIR/gen.json" 2>/dev/null || echo null)
    jq -nc --argjson round "$round" --argjson attempt "$attempt" --arg sys "$sys" --argjson size "$size" \
        --argjson flows "$flows" --arg err "$err" --argjson sw "$sw" --argjson win "$win" \
        --argjson gen "$gen" --argjson bg "$bg" --argjson secs $((SECONDS - t0)) '
        {round: $round, attempt: $attempt, system: $sys, size: $size, flows: $flows, secs: $secs,
         error: (if $err == "" then null else $err end), gen: $gen, switch: $sw, window: $win,
         background: $bg}
        | . + (if $gen != null and $gen.duration_s > 0 then
                 {rx_mpps: ($gen.rx / $gen.duration_s / 1e6), tx_mpps: ($gen.tx / $gen.duration_s / 1e6)}
               else {} end)
        | . + (if $sw != null and ($sw.packets // 0) > 0 then
                 {switch_cpp: ($sw.busy_cycles / $sw.packets)} else {} end)
        | . + (if $sw != null and ($sw.idle_cycles // null) != null and
                  ($sw.busy_cycles + $sw.idle_cycles) > 0 then
                 {switch_busy_pct: (100 * $sw.busy_cycles / ($sw.busy_cycles + $sw.idle_cycles))}
               else {} end)' >>"$WORK/runs.jsonl"
    local line
    line=$(tail -n 1 "$WORK/runs.jsonl" | jq -r '
        "\(.system) \(.size)B \(.flows)fl r\(.round)" +
        (if .attempt > 1 then " (attempt \(.attempt))" else "" end) + ": " +
        (if .rx_mpps then "rx \(.rx_mpps * 1000 | round / 1000) Mpps" else "no rate" end) +
        (if .switch_cpp then ", switch \(.switch_cpp | round) cyc/pkt" else "" end) +
        (if .window and .window.pmd_thread_pct then ", PMD got \(.window.pmd_thread_pct)% of its CPU" else "" end) +
        (if .error then ", ERROR: \(.error)" else "" end)')
    log "  $line"
    [ -z "$err" ]
}

# --- main -----------------------------------------------------------------------------------

if [ -x "$SLUICE_SRC/scripts/hugepages.sh" ] || [ -f "$SLUICE_SRC/scripts/hugepages.sh" ]; then
    bash "$SLUICE_SRC/scripts/hugepages.sh" "${HUGEPAGES_FREE:-512}" >&2 ||
        die "scripts/hugepages.sh failed"
fi

STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "run-forwarding: systems [$ACTIVE], scenarios [$SCENARIOS], pipeline $PIPELINE, $ROUNDS round(s) x $DURATION s; work dir $WORK"
: >"$WORK/runs.jsonl"
# last_run_contended: the latest run got less than CLEAN_PCT % of a CPU for the PMD or the
# generator (a run that failed is not retried here: a failure is reported, not hidden).
last_run_contended() {
    tail -n 1 "$WORK/runs.jsonl" | jq -e --argjson c "$CLEAN_PCT" '.error == null and
        .window != null and ((.window.pmd_thread_pct // 0) < $c or (.window.gen_proc_pct // 0) < $c)' \
        >/dev/null 2>&1
}

FAILED=0
RETRY_USED=0
for ((r = 1; r <= ROUNDS; r++)); do
    for sc in $SCENARIOS; do
        for sys in $ACTIVE; do
            a=1
            while :; do
                t_run=$SECONDS
                ok=1
                run_one "$r" "$sys" "${sc%%:*}" "${sc##*:}" "$a" || ok=0
                [ "$a" -gt 1 ] && RETRY_USED=$((RETRY_USED + SECONDS - t_run))
                if [ "$ok" = 1 ] && [ "$a" -le "$RETRIES" ] && [ "$RETRY_USED" -lt "$RETRY_BUDGET" ] &&
                    last_run_contended; then
                    a=$((a + 1))
                    continue
                fi
                [ "$ok" = 1 ] || FAILED=$((FAILED + 1))
                break
            done
        done
    done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary --------------------------------------------------------------------------------

machine_info() {
    local model cores
    model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
    cores=$(nproc)
    printf -- '- CPU: %s, %s CPUs online' "$model" "$cores"
    local hv
    hv=$(lscpu | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n1)
    [ -n "$hv" ] && printf ' (virtual machine, hypervisor %s)' "$hv"
    printf '; TSC %s\n' "$(jq -r '.tsc_hz // empty' "$(ls "$WORK"/r*/gen.json 2>/dev/null | head -n1)" 2>/dev/null | awk '{ if ($1) printf "%.0f MHz", $1 / 1e6 }')"
    printf -- '- kernel: %s\n' "$(uname -r)"
    printf -- '- DPDK: %s; OVS: %s; sluice: %s\n' "$(pkg-config --modversion libdpdk 2>/dev/null || echo '?')" \
        "$("$OVS_VSWITCHD" --version 2>/dev/null | head -n1 | awk '{print $NF}' || echo '?')" \
        "$(git -C "$SLUICE_SRC" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$SLUICE_SRC" status --porcelain 2>/dev/null | head -n1)" ] && echo ' + uncommitted changes')"
    printf -- '- binaries: %s\n' "$(for b in "$SLUICED" "$SLUICE_GEN"; do
        [ -e "$b" ] && printf '%s (built %s) ' "$b" "$(date -u -r "$b" '+%Y-%m-%d %H:%M UTC')"; done)"
    printf -- '- load average (1/5/15 min) at start %s, at end %s\n' "$LOAD_START" "$LOAD_END"
}

SUMMARY="$WORK/summary.md"
{
    if [ "$QUICK" = 1 ]; then
        echo "## $STARTED_AT — forwarding smoke test (--quick: $DURATION s, 1 round; not a measurement)"
    else
        echo "## $STARTED_AT — forwarding, $ROUNDS rounds x $DURATION s, interleaved, pipeline $PIPELINE"
    fi
    echo
    machine_info
    echo "- placement: generator on CPU $GEN_CPU; switch PMD on CPU $PMD_CPU; switch control threads on CPU $CTRL_CPU"
    echo "- flows (pipeline $PIPELINE, both switches): $(pipeline_flows | paste -sd ';' | sed 's/;/; /g')"
    echo
    CLEAN_PCT="$CLEAN_PCT" python3 "$BENCH_DIR/run-forwarding-report.py" "$WORK/runs.jsonl" "$WORK/commands.tsv" \
        "$ACTIVE" "$SCENARIOS" "$GEN_CPU" "$PMD_CPU"
} >"$SUMMARY"

cat "$SUMMARY"

if [ -n "$RESULTS" ]; then
    if [ ! -s "$RESULTS" ]; then
        {
            echo "# Benchmark results"
            echo
            echo "Appended by the scripts in bench/ (newest last). Each section names the machine,"
            echo "the exact commands and every run, so that a number can be traced and reproduced."
            echo
        } >"$RESULTS"
    fi
    { cat "$SUMMARY"; echo; } >>"$RESULTS"
    log "run-forwarding: appended to $RESULTS"
fi

if [ "$QUICK" = 1 ]; then
    # Smoke test: each installed system must have forwarded at least a few thousand packets.
    passed=0
    failed=0
    for sys in $ACTIVE; do
        rx=$(jq -s --arg s "$sys" '[.[] | select(.system == $s) | (.gen.rx // 0)] | max // 0' "$WORK/runs.jsonl")
        if [ "${rx:-0}" -ge 1000 ]; then
            echo "PASS: $sys forwarded $rx packets vm1 -> vm2"
            passed=$((passed + 1))
        else
            echo "FAIL: $sys forwarded ${rx:-0} packets vm1 -> vm2 (expected >= 1000)"
            failed=$((failed + 1))
        fi
    done
    skipped=0
    for sys in $SYSTEMS; do [ -n "${SKIP_WHY[$sys]:-}" ] && skipped=$((skipped + 1)); done
    echo "forwarding-smoke: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ] || exit 1
    exit 0
fi
[ "$FAILED" -eq 0 ] || { log "run-forwarding: $FAILED run(s) failed"; exit 1; }
exit 0
