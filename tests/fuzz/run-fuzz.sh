#!/usr/bin/env bash
# run-fuzz.sh — builds the libFuzzer targets with clang (ASan + UBSan, libraries instrumented)
# and runs one of them for a given time.
#   tests/fuzz/run-fuzz.sh fuzz-ofp-codec 600     # the OpenFlow decoder, 10 minutes
#   tests/fuzz/run-fuzz.sh fuzz-flow-key 120      # the packet parser
# The corpus is kept in tests/fuzz/corpus-NAME (not committed); crashes land in the cwd as
# crash-* files, and the script exits non-zero when libFuzzer finds anything.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:?usage: run-fuzz.sh TARGET SECONDS}
secs=${2:-600}
build=${SLUICE_FUZZ_BUILD:-$src/build-fuzz}
CC=clang cmake -S "$src" -B "$build" -DSLUICE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target "$target"
corpus="$src/tests/fuzz/corpus-$target"
mkdir -p "$corpus"
exec "$build/$target" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 "$corpus"
