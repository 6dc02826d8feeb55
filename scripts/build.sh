#!/usr/bin/env bash
# build.sh — configure and build sluice (daemon, CLI, traffic generator, tests).
#
# Usage: scripts/build.sh [BUILD_DIR]      (default: build)
#   CC=clang scripts/build.sh build-clang   builds with clang instead of gcc
#   JOBS=N                                  parallel jobs (default: number of CPUs)
#   CMAKE_ARGS="-DSLUICE_SANITIZE=ON"       extra configure arguments
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
jobs="${JOBS:-$(nproc)}"
export CC="${CC:-gcc}"
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"
echo "build.sh: built with $CC in $build/ (sluiced, sluicectl, sluice-gen)"
