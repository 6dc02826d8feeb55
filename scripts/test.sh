#!/usr/bin/env bash
# test.sh — the whole check, as CI runs it: install dependencies, reserve hugepages, build
# with gcc, build with clang (warnings are errors: a build-only pass), then run every unit and
# integration test with ctest. Needs root (packages, hugepages, namespaces).
#
# Usage: scripts/test.sh              everything
#   SKIP_DEPS=1                       do not run install-deps.sh
#   CTEST_ARGS="-R integration"       pass arguments to ctest (e.g. a subset)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_DEPS:-0}" != 1 ]; then
    scripts/install-deps.sh
fi
scripts/hugepages.sh

echo "== build (gcc)"
CC=gcc scripts/build.sh build
echo "== build (clang, warnings only)"
CC=clang scripts/build.sh build-clang

echo "== tests"
# Integration tests treat a missing prerequisite as a failure here, not as a skip.
export IT_STRICT=1
cd build
# ctest's summary is the last thing printed: CI reads it.
# shellcheck disable=SC2086
exec ctest --output-on-failure --timeout 900 ${CTEST_ARGS:-}
