#!/usr/bin/env bash
# demo.sh — sluice switching real traffic, live.
#
# Starts sluiced with one bridge and:
#   - three "VMs": sluice-gen processes on virtio-user, attached to vhostuser ports vm1..vm3.
#     vm1 and vm3 send stamped UDP to vm2's MAC; vm2 echoes every frame back (MACs swapped);
#     flows forward on the destination MAC, so each sender measures its round trip;
#   - two network namespaces joined through af_packet ports p1/p2 (veth pairs), pinging.
# Then prints per-port rates from `sluicectl --json dump-ports` every second for
# DEMO_SECONDS (default 30; Ctrl-C stops early), the VMs' loss and latency, and cleans up.
#
# Usage: sudo scripts/demo.sh
#   DEMO_SECONDS=N   how long (default 30)
#   DEMO_RATE=PPS    vm1's rate (default 50000; vm3 sends 1500-byte frames at a tenth of it)
#   SLUICE_BUILD=DIR the build directory (default build/)
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${SLUICE_BUILD:-$repo/build}"
SECS="${DEMO_SECONDS:-30}"
RATE="${DEMO_RATE:-50000}"
for b in sluiced sluicectl sluice-gen; do
    if [ ! -x "$BUILD/$b" ]; then
        echo "demo.sh: $BUILD/$b is missing: run scripts/build.sh first" >&2
        exit 2
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: needs root (hugepages, network namespaces): sudo $0" >&2
    exit 2
fi
case "$SECS$RATE" in *[!0-9]*)
    echo "demo.sh: DEMO_SECONDS and DEMO_RATE must be whole numbers" >&2; exit 2 ;;
esac
"$repo/scripts/hugepages.sh" >/dev/null || exit 1

RUN=$(mktemp -d /tmp/sluice-demo.XXXXXX)
ID=$$
PIDS=()
NS=("sldemo$ID-a" "sldemo$ID-b")
VETH=("sld${ID}a" "sld${ID}b")

cleanup() {
    trap - EXIT INT TERM
    echo
    echo "demo: cleaning up"
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill -TERM "${PIDS[$i]}" 2>/dev/null
    done
    for i in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$i" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$i" 2>/dev/null
        wait "$i" 2>/dev/null
    done
    for i in "${VETH[@]}"; do ip link del "$i" 2>/dev/null; done
    for i in "${NS[@]}"; do ip netns del "$i" 2>/dev/null; done
    rm -f /dev/hugepages/sldemo"$ID"* 2>/dev/null
    rm -rf /var/run/dpdk/sldemo"$ID"* "$RUN"
}
trap cleanup EXIT
stop=0
trap 'stop=1' INT TERM

ctl() { "$BUILD/sluicectl" --run-dir "$RUN" "$@"; }
die() { echo "demo.sh: $*" >&2; tail -n 20 "$RUN"/*.log 2>/dev/null >&2; exit 1; }

pmd=$(($(nproc) - 1))
echo "demo: starting sluiced (run dir $RUN, PMD on CPU $pmd)"
# setsid: Ctrl-C reaches only this script, which then stops everything in order.
setsid "$BUILD/sluiced" --run-dir "$RUN" --pmd-cores "$pmd" -- --in-memory --no-pci \
    --file-prefix "sldemo${ID}d" >"$RUN/sluiced.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do
    [ -S "$RUN/sluiced.ctl" ] && ctl show >/dev/null 2>&1 && break
    kill -0 "${PIDS[0]}" 2>/dev/null || die "sluiced exited"
    sleep 0.2
done
ctl show >/dev/null 2>&1 || die "sluiced did not come up"

run() { echo "  \$ sluicectl $*"; ctl "$@" || die "sluicectl $* failed"; }
mac() { printf '02:00:00:00:00:%02x' "$1"; }

echo "demo: bridge, three vhostuser ports for the VMs, two af_packet ports for the namespaces"
run add-br br0
for v in 1 2 3; do run add-port br0 "vm$v" type=vhostuser; done

for i in 0 1; do
    ip netns add "${NS[$i]}" || die "ip netns add"
    ip link add "${VETH[$i]}" type veth peer name eth0 netns "${NS[$i]}" || die "ip link add"
    sysctl -qw "net.ipv6.conf.${VETH[$i]}.disable_ipv6=1"
    ip netns exec "${NS[$i]}" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    ip -n "${NS[$i]}" addr add "198.18.0.$((i + 1))/24" dev eth0
    ip -n "${NS[$i]}" link set eth0 up
    ip -n "${NS[$i]}" link set lo up
    ip link set "${VETH[$i]}" up
    run add-port br0 "p$((i + 1))" type=dpdk "devargs=net_af_packet$i,iface=${VETH[$i]}"
done

echo "demo: flows: VMs switched on destination MAC, namespaces on in_port"
for v in 1 2 3; do run add-flow br0 "priority=20,dl_dst=$(mac "$v"),actions=output:vm$v"; done
run add-flow br0 "priority=10,in_port=p1,actions=output:p2"
run add-flow br0 "priority=10,in_port=p2,actions=output:p1"

gen() { # gen NAME IDX GEN-ARGS...
    local name="$1" idx="$2"
    shift 2
    setsid "$BUILD/sluice-gen" -l 0 --no-pci --in-memory --single-file-segments -m 256 \
        --file-prefix "sldemo${ID}$name" --log-level=error \
        "--vdev=net_virtio_user0,path=$RUN/$name.sock,queues=1,queue_size=1024,mac=$(mac "$idx")" -- \
        --src-mac "$(mac "$idx")" --dst-mac "$(mac 2)" --src-ip "198.18.1.$idx" \
        --dst-ip 198.18.1.2 --wait-link 20 --idle-sleep-us 20 --json "$RUN/$name.json" "$@" \
        >"$RUN/$name.log" 2>&1 &
    PIDS+=($!)
    GENS+=($!)
}
GENS=()
echo "demo: VMs: vm2 echoes; vm1 sends 64 B at $RATE pps over 64 flows; vm3 sends 1500 B at $((RATE / 10)) pps"
gen vm2 2 --mode echo
sleep 1
gen vm1 1 --mode txrx --rate "$RATE" --flows 64
gen vm3 3 --mode txrx --rate $((RATE / 10)) --size 1500
setsid ip netns exec "${NS[0]}" ping -i 0.2 198.18.0.2 >"$RUN/ping.log" 2>&1 &
PING=$!
PIDS+=("$PING")

echo "demo: live per-port rates for $SECS s (Ctrl-C stops early)"
declare -A prev
t0=$SECONDS
last=$(date +%s.%N)
while [ "$stop" = 0 ] && [ $((SECONDS - t0)) -lt "$SECS" ]; do
    sleep 1
    now=$(date +%s.%N)
    json=$(ctl --json dump-ports br0 2>/dev/null) || { echo "demo: dump-ports failed"; continue; }
    dt=$(awk -v a="$last" -v b="$now" 'BEGIN { print b - a }')
    last=$now
    printf '\n[%3ds] %-5s %12s %12s %10s %10s %10s\n' $((SECONDS - t0)) port "rx pps" "tx pps" \
        "rx Mbit/s" "tx Mbit/s" "drops/s"
    while IFS=$'\t' read -r name rxp txp rxb txb drops; do
        if [ -n "${prev[$name]:-}" ]; then
            read -r prxp ptxp prxb ptxb pdrops <<<"${prev[$name]}"
            awk -v n="$name" -v dt="$dt" -v a="$((rxp - prxp))" -v b="$((txp - ptxp))" \
                -v c="$((rxb - prxb))" -v d="$((txb - ptxb))" -v dr="$((drops - pdrops))" \
                'BEGIN { printf "       %-5s %12.0f %12.0f %10.1f %10.1f %10.0f\n",
                         n, a / dt, b / dt, c * 8 / dt / 1e6, d * 8 / dt / 1e6, dr / dt }'
        fi
        prev[$name]="$rxp $txp $rxb $txb $drops"
    done < <(jq -r '.ports[] | [.name, .rx_packets, .tx_packets, .rx_bytes, .tx_bytes,
                     ([.drops[]?] | add // 0)] | @tsv' <<<"$json")
done

echo
echo "demo: stopping the VMs"
kill -INT "$PING" "${GENS[@]}" 2>/dev/null
for i in "$PING" "${GENS[@]}"; do wait "$i" 2>/dev/null; done
for v in vm1 vm3; do
    [ -f "$RUN/$v.json" ] || continue
    jq -r --arg v "$v" '.ports[0] | "\($v): sent \(.tx_packets), came back \(.returned), loss \(.loss_ratio * 100 | tostring | .[0:6])%, round trip p50 \(.latency_ns.p50 // 0) ns, p99 \(.latency_ns.p99 // 0) ns"' "$RUN/$v.json"
done
echo "ping ns1 -> ns2: $(grep -Eo '[0-9]+ packets transmitted, [0-9]+ received' "$RUN/ping.log" || echo "$(grep -c 'bytes from' "$RUN/ping.log") replies")"
echo
ctl dump-flows br0
exit 0
