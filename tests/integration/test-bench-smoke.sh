#!/usr/bin/env bash
# test-bench-smoke.sh — the forwarding benchmark's machinery works: testpmd (the ceiling),
# sluice and OVS-DPDK each forward the generator's traffic in bench/run-forwarding.sh --quick
# (1 round of 3 s). It asserts only that each forwarded (>= 1000 packets), never a speed:
# speed is measured by the benchmark itself (bench/RESULTS.md).
set -euo pipefail
src=${SLUICE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export SLUICE_BUILD=${SLUICE_BUILD:-$src/build}
exec bash "$src/bench/run-forwarding.sh" --quick
