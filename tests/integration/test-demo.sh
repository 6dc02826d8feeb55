#!/usr/bin/env bash
# test-demo.sh — the README's demo (scripts/demo.sh) runs end to end for a few seconds: the
# VMs' traffic and the namespaces' ping cross sluiced, live rates are printed for every port,
# and it cleans up after itself.
. "$(dirname "$0")/lib.sh"

it_init demo
before_ns=$(ip netns list | grep -c '^sldemo' || true)
out="$RUN_DIR/demo.out"
DEMO_SECONDS=4 DEMO_RATE=20000 SLUICE_BUILD="$SLUICE_BUILD" timeout 120 \
    "$SLUICE_SRC/scripts/demo.sh" >"$out" 2>&1
rc=$?
assert_eq "demo.sh exit status" "$rc" 0
for p in vm1 vm2 vm3 p1 p2; do
    check "live rates printed for $p" grep -Eq "^ +$p +[0-9]+ +[0-9]+" "$out"
done
vm1_back=$(sed -n 's/^vm1: sent [0-9]*, came back \([0-9]*\),.*/\1/p' "$out")
assert_gt "vm1's traffic came back through the bridge" "${vm1_back:-0}" 0
ping_rx=$(sed -n 's/^ping ns1 -> ns2: [0-9]* packets transmitted, \([0-9]*\) received.*/\1/p' "$out")
assert_gt "the namespaces' ping got replies" "${ping_rx:-0}" 0
assert_eq "no demo namespace left behind" "$(ip netns list | grep -c '^sldemo' || true)" "$before_ns"
demo_dir=$(sed -n 's/^demo: starting sluiced (run dir \([^,]*\),.*/\1/p' "$out")
check "the demo named its run dir ($demo_dir)" test -n "$demo_dir"
check "the demo's run dir is gone" test ! -e "${demo_dir:-/nonexistent}"
check_not "no process of the demo left running" pgrep -f "${demo_dir:-/nonexistent}/"
[ "$IT_FAILED" -gt 0 ] && tail -n 40 "$out"
it_finish
