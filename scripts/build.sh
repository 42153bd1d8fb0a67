#!/usr/bin/env bash
# Configures (first time only) and builds Switchboard with CMake + Ninja into ./build.
# Used by run-server.sh and test.sh; handy on its own too.
#
# Usage: scripts/build.sh [TARGET...]     no target = everything (server, tests, bench)
#   SB_BUILD_DIR=path     build directory (default: build, relative to the repository root)
#   SB_CMAKE_ARGS="..."   extra arguments for the first configure, e.g. -DCMAKE_BUILD_TYPE=Debug
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${SB_BUILD_DIR:-build}"

# Configure only when the build tree is not configured yet: re-running cmake by hand would throw
# away nothing, but it costs seconds on every call, and `cmake --build` already re-runs the
# configure step by itself whenever a CMakeLists.txt changed. A cache without build.ninja means
# an earlier configure failed half-way, so try again. No build type is passed: the top-level
# CMakeLists.txt defaults to RelWithDebInfo.
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" || ! -f "$BUILD_DIR/build.ninja" ]]; then
    # shellcheck disable=SC2086  # SB_CMAKE_ARGS is a list of words on purpose
    cmake -S . -B "$BUILD_DIR" -G Ninja ${SB_CMAKE_ARGS:-}
fi

targets=()
for t in "$@"; do
    targets+=(--target "$t")
done
cmake --build "$BUILD_DIR" "${targets[@]}"
