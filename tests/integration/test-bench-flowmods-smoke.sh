#!/usr/bin/env bash
# test-bench-flowmods-smoke.sh — the flow-mod benchmark's machinery works: every mode
# (ovs-ofctl add-flows, barrier per rule, batched, echo, and the spinning-client variants)
# against sluice and Open vSwitch, both placements, on a small rule file. run-flowmods.sh
# fails a run unless the switch then holds exactly the file's rules (dump-aggregate), so this
# asserts that both switches installed everything, never a speed (bench/RESULTS.md has those).
set -euo pipefail
src=${SLUICE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export SLUICE_BUILD=${SLUICE_BUILD:-$src/build}
exec bash "$src/bench/run-flowmods.sh" --rules 2000 --rounds 1 --wait-quiet 0 --no-results \
    --modes "ofctl barrier batched echo spin echo-spin"
