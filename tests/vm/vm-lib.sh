# shellcheck shell=bash
# vm-lib.sh: helpers for tests that boot sluice test guests (source it; bash only).
#
# A test calls vm_init once; every guest it then starts with vm_start lives in $VM_DIR, and
# vm_cleanup (installed as an EXIT trap by vm_init) kills every QEMU it started, by PID, and
# removes $VM_DIR, whether the test passed or not. On failure the guests' logs are printed
# first, so a red CI run shows what the guests saw.
#
# Guest commands (vm_cmd, vm_ping) go to the guest's second serial port and are answered by
# one "SLUICE-RESULT <tag> ..." line on its console log; each call uses a fresh tag, so an
# answer can never be mistaken for an older one. Every wait here is bounded.
#
# With tests/integration/lib.sh, call vm_attach_it after it_init instead of vm_init: lib.sh's
# run dir and EXIT trap then own the guests too.
#
# Functions return non-zero with a message on stderr; they never exit the test themselves,
# except vm_init's trap at exit.

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_DIR=""
VM_KEEP=${SLUICE_VM_KEEP:-0} # 1: keep $VM_DIR after the test, for debugging
declare -A VM_PID=()
VM_CLEANUP_HOOKS=()

vm_log() {
    echo "[$(date +%T)] $*" >&2
}

# vm_init: make $VM_DIR, build the guest once (so that its cost is not charged to the first
# VM's boot time) and install the cleanup trap. Extra cleanup goes in with vm_on_cleanup.
vm_init() {
    VM_DIR=$(mktemp -d /tmp/sluice-vm.XXXXXX) || return 1
    chmod 755 "$VM_DIR"
    trap 'vm_cleanup $?' EXIT
    trap 'exit 130' INT TERM
    "$VM_LIB_DIR/build-guest.sh" >/dev/null || return 1
}

# vm_attach_it: use tests/integration/lib.sh's run dir and cleanup instead (call after
# it_init): guests live in $RUN_DIR, whose *.log files lib.sh prints on failure, and every
# QEMU PID also goes into IT_PIDS, which it_cleanup kills in reverse start order.
VM_IT=0
vm_attach_it() {
    VM_DIR=$RUN_DIR
    VM_IT=1
    "$VM_LIB_DIR/build-guest.sh" >/dev/null || return 1
}

# vm_on_cleanup CMD: run CMD (eval'd) at cleanup, before the guests are stopped.
vm_on_cleanup() {
    VM_CLEANUP_HOOKS+=("$1")
}

vm_cleanup() {
    local status=${1:-0} name hook
    trap - EXIT
    if [ "$status" != 0 ] && [ -n "$VM_DIR" ]; then
        vm_dump_logs
    fi
    for hook in "${VM_CLEANUP_HOOKS[@]}"; do
        eval "$hook" || true
    done
    for name in "${!VM_PID[@]}"; do
        vm_stop "$name" || true
    done
    if [ -n "$VM_DIR" ] && [ "$VM_KEEP" != 1 ]; then
        rm -rf "$VM_DIR"
    fi
    exit "$status"
}

vm_dump_logs() {
    local f
    for f in "$VM_DIR"/*.log; do
        [ -s "$f" ] || continue
        echo "----- $(basename "$f") (last 40 lines) -----" >&2
        tail -n 40 "$f" | tr -d '\r' >&2
    done
}

# vm_alive NAME: is the guest's QEMU still running (a zombie counts as dead)?
vm_alive() {
    local pid=${VM_PID[$1]:-}
    [ -n "$pid" ] || return 1
    [ -r "/proc/$pid/stat" ] || return 1
    [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# vm_start NAME RUN-VM-ARGS...: boot a guest (see run-vm.sh for the arguments).
vm_start() {
    local name=$1 pid
    shift
    if vm_alive "$name"; then
        echo "vm_start: $name: already running as PID ${VM_PID[$name]}" >&2
        return 1
    fi
    vm_rotate_logs "$name"
    pid=$("$VM_LIB_DIR/run-vm.sh" --name "$name" --dir "$VM_DIR" "$@") || return 1
    VM_PID[$name]=$pid
    [ "$VM_IT" != 1 ] || IT_PIDS+=("$pid")
    vm_log "$name: QEMU PID $pid"
}

# vm_rotate_logs NAME: keep an earlier run's console and QEMU logs as NAME.runK.*, so that
# a restarted guest does not erase the evidence of what happened to the one before.
vm_rotate_logs() {
    local name=$1 k=1 ext
    [ -e "$VM_DIR/$name.log" ] || [ -e "$VM_DIR/$name.qemu.log" ] || return 0
    while [ -e "$VM_DIR/$name.run$k.log" ] || [ -e "$VM_DIR/$name.run$k.qemu.log" ]; do
        k=$((k + 1))
    done
    for ext in log qemu.log exit; do
        [ ! -e "$VM_DIR/$name.$ext" ] || mv "$VM_DIR/$name.$ext" "$VM_DIR/$name.run$k.$ext"
    done
}

# vm_exit_status NAME: how the guest's QEMU ended ("status 0", "killed by signal 11"...).
vm_exit_status() {
    local rc
    rc=$(cat "$VM_DIR/$1.exit" 2>/dev/null) || { echo "status unknown"; return; }
    if [ "$rc" -gt 128 ] 2>/dev/null; then
        echo "killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))"
    else
        echo "status $rc"
    fi
}

# vm_stop NAME [TIMEOUT_S]: stop the guest's QEMU (TERM, then KILL) and forget it.
vm_stop() {
    local name=$1 timeout=${2:-5} pid i
    pid=${VM_PID[$name]:-}
    [ -n "$pid" ] || return 0
    if vm_alive "$name"; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < timeout * 10; i++)); do
            vm_alive "$name" || break
            sleep 0.1
        done
        if vm_alive "$name"; then
            kill -9 "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                vm_alive "$name" || break
                sleep 0.1
            done
        fi
    fi
    unset "VM_PID[$name]"
    rm -f "$VM_DIR/$name".{ctl.in,ctl.out,mon.in,mon.out}
    if vm_alive_pid "$pid"; then
        echo "vm_stop: $name: QEMU PID $pid survived kill -9" >&2
        return 1
    fi
}

vm_alive_pid() {
    [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# vm_kill NAME: kill -9 the guest's QEMU, as a crash would.
vm_kill() {
    local name=$1 pid=${VM_PID[$1]:-} i
    [ -n "$pid" ] || return 0
    kill -9 "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        vm_alive "$name" || break
        sleep 0.1
    done
    vm_stop "$name"
}

# vm_wait NAME REGEX [TIMEOUT_S]: wait for a console line matching REGEX (grep -E); prints it.
vm_wait() {
    local name=$1 re=$2 timeout=${3:-30} log="$VM_DIR/$1.log" line deadline
    deadline=$((SECONDS + timeout))
    while :; do
        line=$(tr -d '\r' 2>/dev/null <"$log" | grep -E -m1 -- "$re" || true)
        if [ -n "$line" ]; then
            echo "$line"
            return 0
        fi
        if ! vm_alive "$name"; then
            # The line may have been written just before QEMU exited.
            line=$(tr -d '\r' 2>/dev/null <"$log" | grep -E -m1 -- "$re" || true)
            [ -n "$line" ] && { echo "$line"; return 0; }
            sleep 0.2 # let the supervisor record the exit status
            echo "vm_wait: $name: QEMU exited ($(vm_exit_status "$name")) before the console showed /$re/;" \
                "its stderr: $(tail -n 3 "$VM_DIR/$name.qemu.log" 2>/dev/null | tr '\n' '|')" >&2
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "vm_wait: $name: no console line /$re/ within ${timeout}s" >&2
            return 1
        fi
        sleep 0.2
    done
}

# vm_wait_ready NAME [TIMEOUT_S]: wait for serve mode's READY (or fail fast on an ERROR).
vm_wait_ready() {
    local name=$1 line
    line=$(vm_wait "$name" '^SLUICE-(READY|ERROR)' "${2:-60}") || return 1
    case "$line" in
    SLUICE-ERROR*)
        echo "vm_wait_ready: $name: guest reported: ${line#SLUICE-ERROR }" >&2
        return 1
        ;;
    esac
}

# vm_wait_exit NAME [TIMEOUT_S]: wait for a one-shot guest to power off.
vm_wait_exit() {
    local name=$1 timeout=${2:-60} deadline
    deadline=$((SECONDS + timeout))
    while vm_alive "$name"; do
        if [ $SECONDS -ge $deadline ]; then
            echo "vm_wait_exit: $name: still running after ${timeout}s" >&2
            return 1
        fi
        sleep 0.2
    done
}

# vm_cmd NAME TIMEOUT_S COMMAND [ARGS...]: run a serve-mode guest command; prints the result
# line without its "SLUICE-RESULT <tag> " prefix; succeeds when the guest said "ok".
vm_cmd() {
    local name=$1 timeout=$2 cmd=$3 tag line
    shift 3
    # Unique without shared state: callers often run this in a subshell ($(...), check).
    tag="t$(date +%s%N)-$name"
    vm_alive "$name" || { echo "vm_cmd: $name: QEMU is not running" >&2; return 1; }
    # QEMU holds the FIFO open, so this open cannot block while QEMU lives; the timeout
    # covers QEMU dying in between.
    if ! timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$cmd $tag $*" "$VM_DIR/$name.ctl.in"; then
        echo "vm_cmd: $name: cannot write to the guest's command port" >&2
        return 1
    fi
    line=$(vm_wait "$name" "SLUICE-RESULT $tag " "$timeout") || return 1
    line=${line#*"SLUICE-RESULT $tag "}
    echo "$line"
    case "$line" in
    "$cmd ok"*) return 0 ;;
    *) return 1 ;;
    esac
}

# vm_ping NAME DST [COUNT] [SIZE] [CPU]: ping from inside the guest (on vCPU CPU, hence on
# that CPU's tx queue, if given); prints "ping ok 5/5" or "ping fail R/N"; succeeds only if
# every reply came back.
vm_ping() {
    local name=$1 dst=$2 count=${3:-5} size=${4:-56} cpu=${5:-}
    vm_cmd "$name" $((count + 20)) ping "$dst" "$count" "$size" $cpu
}

# vm_ping_received NAME DST [COUNT] [SIZE]: like vm_ping but prints only the number of
# replies, for tests that only need "some traffic crossed".
vm_ping_received() {
    local out
    out=$(vm_ping "$@") || true
    out=${out##* }
    out=${out%%/*}
    case "$out" in "" | *[!0-9]*) out=0 ;; esac
    echo "$out"
}

# vm_monitor NAME COMMAND [TIMEOUT_S]: run a QEMU human-monitor command; prints its output.
vm_monitor() {
    local name=$1 cmd=$2 timeout=${3:-10} out="" line deadline
    vm_alive "$name" || { echo "vm_monitor: $name: QEMU is not running" >&2; return 1; }
    exec 7<>"$VM_DIR/$name.mon.out"
    # Drop whatever an earlier command left unread.
    while read -r -t 0.1 line <&7; do :; done
    timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$cmd" "$VM_DIR/$name.mon.in" || {
        exec 7<&-
        echo "vm_monitor: $name: cannot write to the monitor" >&2
        return 1
    }
    deadline=$((SECONDS + timeout))
    # The readline monitor echoes the command, then prints the output, then "(qemu) ".
    while [ $SECONDS -lt $deadline ]; do
        if read -r -t 1 line <&7; then
            out+="${line//$'\r'/}"$'\n'
        elif [ -n "$out" ]; then
            break
        fi
    done
    exec 7<&-
    # Drop the echo line (the command typed back, key by key) and the prompts.
    printf '%s' "$out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | awk -v cmd="$cmd" '
        done_echo { if ($0 !~ /^\(qemu\)/) print; next }
        index($0, cmd) && substr($0, length($0) - length(cmd) + 1) == cmd { done_echo = 1 }'
}

# vm_boot_seconds NAME: the guest's uptime when /init started (from SLUICE-BOOT).
vm_boot_seconds() {
    local line
    line=$(vm_wait "$1" '^SLUICE-BOOT ' 1) || return 1
    echo "${line#*uptime=}"
}

# vm_ping_expect NAME DST COUNT SIZE EXPECTED: the guest's ping result is exactly EXPECTED
# (e.g. "ping fail 0/3" to assert that nothing crosses).
vm_ping_expect() {
    local out
    out=$(vm_ping "$1" "$2" "$3" "$4")
    if [ "$out" != "$5" ]; then
        echo "vm_ping_expect: $1: ping $2 got '$out', want '$5'" >&2
        return 1
    fi
}

# vm_ping_until NAME DST TIMEOUT_S [SIZE]: ping (2 at a time) until one reply comes back, for
# waiting out a reconnect. Succeeds as soon as one does, fails after TIMEOUT_S.
vm_ping_until() {
    local name=$1 dst=$2 timeout=$3 size=${4:-56} deadline start=$SECONDS
    deadline=$((SECONDS + timeout))
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(vm_ping_received "$name" "$dst" 2 "$size")" -gt 0 ]; then
            vm_log "$name: replies from $dst after $((SECONDS - start)) s"
            return 0
        fi
        vm_alive "$name" || { echo "vm_ping_until: $name: QEMU is not running" >&2; return 1; }
    done
    echo "vm_ping_until: $name: no reply from $dst within ${timeout}s" >&2
    return 1
}

# --- sluice side (needs tests/integration/lib.sh's ctl_json) ---------------------------------

# vm_port_link BR PORT: "up" or "down" as sluice's `show` reports the port's link.
vm_port_link() {
    ctl_json show | jq -r --arg b "$1" --arg p "$2" \
        '[.bridges[] | select(.name == $b) | .ports[] | select(.name == $p) | .link] | first
         | if . == true then "up" elif . == false then "down" else tostring end'
}

# vm_port_link_is BR PORT up|down
vm_port_link_is() {
    [ "$(vm_port_link "$1" "$2")" = "$3" ]
}

# vm_require DESC CMD...: lib.sh's check, but a failure ends the test at once (it_finish):
# for set-up steps that every later check depends on, so that one cause is reported once
# instead of as a cascade of failures.
vm_require() {
    local before=$IT_FAILED
    check "$@"
    if [ "$IT_FAILED" != "$before" ]; then
        echo "set-up step failed: the checks after it cannot run"
        it_finish
    fi
}
