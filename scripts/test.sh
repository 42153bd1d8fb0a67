#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test with ctest — including the
# PostgreSQL runs of the storage and integration tests, against a throwaway cluster started here
# and stopped again afterwards (also on failure or Ctrl-C).
#
# Usage: scripts/test.sh [CTEST OPTIONS...]     e.g. scripts/test.sh -R tst_messaging
#   SB_TEST_JOBS=N    parallel tests (default: number of CPUs)
#   SB_TEST_POSTGRES_URL already set: use that server instead of starting one.
#
# The last line of the output is ctest's summary ("100% tests passed, 0 tests failed out of N")
# and the exit status is ctest's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${SB_BUILD_DIR:-build}"

# Nothing here reads stdin; CI runs us without one.
./scripts/install-deps.sh </dev/null
# A build tree configured by hand with -DSB_BUILD_TESTS=OFF would build no tests, and build.sh
# does not reconfigure an existing tree: switch the tests back on first.
if grep -qs '^SB_BUILD_TESTS:BOOL=OFF$' "$BUILD_DIR/CMakeCache.txt"; then
    echo "test.sh: $BUILD_DIR was configured with SB_BUILD_TESTS=OFF; turning tests on"
    cmake -S . -B "$BUILD_DIR" -DSB_BUILD_TESTS=ON </dev/null
fi
./scripts/build.sh </dev/null

if [[ -z "${SB_TEST_POSTGRES_URL:-}" ]]; then
    # Throwaway cluster in a private temp dir. The trap covers every way out of this script
    # (normal end, set -e failure, SIGINT/SIGTERM), so no postgres process or directory survives.
    # /tmp rather than a dir below the repository: the postgres user must be able to reach it.
    pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-pg.XXXXXX")"
    cleanup() { ./scripts/pg-throwaway.sh stop "$pg_dir" || true; }
    trap cleanup EXIT
fi
# On SIGINT/SIGTERM also stop the tests (their own process group, see below) before exiting.
ctest_pgid=
# shellcheck disable=SC2317  # called from the traps below
on_signal() {
    if [[ -n "$ctest_pgid" ]]; then
        kill -TERM -- "-$ctest_pgid" 2>/dev/null || true
        wait "$ctest_pgid" 2>/dev/null || true
    fi
    exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

if [[ -n "${pg_dir:-}" ]]; then
    ./scripts/pg-throwaway.sh start "$pg_dir" >/dev/null
    # shellcheck source=/dev/null  # written by pg-throwaway.sh start
    source "$pg_dir/env"   # exports SB_TEST_POSTGRES_URL and SB_TEST_POSTGRES_ADMIN_URL
    echo "test.sh: throwaway PostgreSQL at ${SB_TEST_POSTGRES_URL%%:*}://…@${SB_TEST_POSTGRES_URL##*@}"
else
    export SB_TEST_POSTGRES_URL
    echo "test.sh: using PostgreSQL from SB_TEST_POSTGRES_URL"
fi

# Headless: widget tests render offscreen unless the caller asked for something else.
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

# --no-tests=error: an empty or broken test registration must fail, not pass as "0 tests".
# --timeout: a default for tests without their own TIMEOUT property, so a hang cannot stall CI.
# tee keeps the output live and lets us repeat the summary line as the very last line below.
log="$BUILD_DIR/Testing/test-sh.log"
mkdir -p "$BUILD_DIR/Testing"
# ctest runs in the background, in its own process group (set -m), and we `wait` for it: bash
# runs a signal trap only after a foreground command finished, but interrupts `wait` at once, so
# a SIGTERM stops tests and PostgreSQL right away instead of after the slowest test.
jobs="${SB_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}"
set -m
(
    set +e
    ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error --timeout 600 \
        -j "$jobs" "$@" </dev/null 2>&1 | tee "$log"
    exit "${PIPESTATUS[0]}"
) &
ctest_pgid=$!
set +m
status=0
wait "$ctest_pgid" || status=$?
ctest_pgid=

# Stop PostgreSQL now rather than in the EXIT trap, so that nothing is printed after the summary
# (the trap then finds nothing left to do).
if [[ -n "${pg_dir:-}" ]]; then
    cleanup
fi

# ctest prints its summary before "Total Test time" and, on failure, the list of failed tests;
# repeat the summary so the output ends with it (what people and CI logs look at first).
summary="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)"
if [[ -n "$summary" ]]; then
    echo
    echo "$summary"
fi
exit "$status"
