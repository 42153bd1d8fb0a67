#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: its own data directory, a free loopback port,
# nothing shared with a system cluster, and gone without a trace after `stop`.
#
# Usage:
#   scripts/pg-throwaway.sh start DIR   initdb into DIR/data, start on 127.0.0.1:<free port>,
#                                       create role + database, print the URL on stdout:
#                                         postgresql://switchboard:PASS@127.0.0.1:PORT/switchboard
#                                       and write DIR/env (shell `export` lines, for `source`):
#                                         SB_TEST_POSTGRES_URL        the role above (LOGIN CREATEDB)
#                                         SB_TEST_POSTGRES_ADMIN_URL  superuser postgres, db postgres
#   scripts/pg-throwaway.sh stop DIR    stop that cluster and delete DIR (idempotent; only deletes
#                                       a DIR that `start` created)
#
#   SB_PG_BINDIR   PostgreSQL binaries (default /usr/lib/postgresql/15/bin, else the newest
#                  /usr/lib/postgresql/*/bin)
set -euo pipefail

MARKER=.sb-pg-throwaway   # proves DIR is ours before `stop` deletes it

log() { printf 'pg-throwaway: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() { die "usage: $0 start|stop DIR"; }
[[ $# -eq 2 ]] || usage
cmd="$1"
dir="$2"

find_bindir() {
    if [[ -n "${SB_PG_BINDIR:-}" ]]; then
        echo "$SB_PG_BINDIR"
    elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        echo /usr/lib/postgresql/15/bin
    else
        # Not bookworm's 15: take the newest installed major version rather than give up.
        local d
        d="$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1 || true)"
        [[ -n "$d" ]] || die "PostgreSQL server binaries not found (run scripts/install-deps.sh)"
        echo "$d"
    fi
}

# initdb and pg_ctl refuse to run as root, and the server must own its data directory. As root
# we therefore run them as the "postgres" system user (created by Debian's postgresql package);
# as a normal user we run them as ourselves.
RUN_AS=()
if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "system user 'postgres' missing (run scripts/install-deps.sh)"
    RUN_AS=(runuser -u postgres --)
fi

# Run a PostgreSQL tool as the cluster owner, from inside DIR (the owner may not be allowed to
# enter the caller's working directory, and tools complain about that).
as_owner() { (cd "$dir" && "${RUN_AS[@]}" "$@"); }

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Port is taken when something accepts a connection on it. Pure bash (/dev/tcp), so it needs
# neither python3 nor iproute2 on a minimal machine.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

postmaster_pid() {
    if [[ -f "$dir/data/postmaster.pid" ]]; then head -n 1 "$dir/data/postmaster.pid"; fi
}

stop_cluster() {
    local bindir pid i
    pid="$(postmaster_pid)"
    [[ -n "$pid" ]] || return 0
    bindir="$(find_bindir)"
    # "fast": roll back open transactions and disconnect clients (a crashed test may still hold
    # connections); "immediate" as a fallback if that does not finish in time.
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    # Belt and braces: make sure the postmaster we started (by its pid) is really gone, so no
    # postgres process outlives the test run.
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "postmaster $pid still running, killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
    [[ -d "$dir" ]] || return 0          # already stopped and removed: nothing to do
    [[ -f "$dir/$MARKER" ]] || die "$dir was not created by '$0 start'; not touching it"
    stop_cluster
    rm -rf -- "$dir"
}

start_failed() {
    log "start failed; logs: $dir/initdb.log, $dir/postgres.log"
    for f in "$dir/initdb.log" "$dir/postgres.log"; do
        if [[ -s "$f" ]]; then tail -n 15 "$f" >&2; fi
    done
    if [[ "${SB_PG_KEEP_ON_FAILURE:-0}" == 1 ]]; then
        stop_cluster
    else
        cmd_stop
    fi
}

cmd_start() {
    local bindir port pass admin_pass url admin_url attempt started=0
    [[ "$dir" != *[[:space:]]* ]] || die "DIR must not contain whitespace: $dir"
    bindir="$(find_bindir)"
    [[ -x "$bindir/initdb" ]] || die "no initdb in $bindir"

    # Private: DIR holds the socket (trust auth) and the passwords (in env).
    umask 077
    mkdir -p -- "$dir"
    chmod 700 "$dir"
    dir="$(cd "$dir" && pwd)"           # absolute: used as socket directory and in pg_ctl -o
    [[ ! -e "$dir/data" ]] || die "$dir/data already exists; stop the old cluster first"
    : >"$dir/$MARKER"

    # From here on, a failure (set -e or die) must not leave a half-started cluster behind.
    # SB_PG_KEEP_ON_FAILURE=1 keeps DIR (and its logs) for a post-mortem; the server is stopped.
    trap 'start_failed' EXIT

    if [[ $EUID -eq 0 ]]; then
        chown -R postgres: "$dir"
        # DIR's parents must let the postgres user through (not the case under /root, say).
        runuser -u postgres -- test -w "$dir" ||
            die "user postgres cannot write to $dir; use a directory under /tmp (e.g. TMPDIR=/tmp)"
    fi

    # Trust on the Unix socket (only reachable inside DIR, used below to set things up), password
    # (SCRAM) on TCP, which listens on loopback only. --no-sync / fsync=off: a throwaway
    # cluster never needs to survive a power cut, and the tests run much faster without fsync.
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1

    # Pick a free port below the kernel's ephemeral range (32768+), where tests' own port-0
    # servers and outgoing connections live. Between the check and the bind another process may
    # grab it, so a start that fails on "address in use" simply tries another port.
    for ((attempt = 1; attempt <= 20; attempt++)); do
        port=$((15000 + RANDOM % 17000))
        port_in_use "$port" && continue
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            started=1
            break
        fi
        grep -q 'already in use' "$dir/postgres.log" 2>/dev/null || break
    done
    [[ $started -eq 1 ]] || die "could not start the server"

    pass="$(random_hex 12)"
    admin_pass="$(random_hex 12)"
    # CREATEDB: the storage tests create a fresh database per test case. Not a superuser, so the
    # tests see the permissions a production role would have; the admin URL is there for anything
    # that needs more.
    "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >/dev/null <<SQL
ALTER ROLE postgres PASSWORD '$admin_pass';
CREATE ROLE switchboard LOGIN CREATEDB PASSWORD '$pass';
CREATE DATABASE switchboard OWNER switchboard;
SQL

    url="postgresql://switchboard:$pass@127.0.0.1:$port/switchboard"
    admin_url="postgresql://postgres:$admin_pass@127.0.0.1:$port/postgres"
    {
        printf 'export SB_TEST_POSTGRES_URL=%q\n' "$url"
        printf 'export SB_TEST_POSTGRES_ADMIN_URL=%q\n' "$admin_url"
    } >"$dir/env"
    trap - EXIT
    printf '%s\n' "$url"
}

case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *) usage ;;
esac
