#!/usr/bin/env bash
# Quick start: install what is missing, build, and run switchboard-server in the foreground on
# 127.0.0.1:8080 with an SQLite database in ./data.
#
# Usage: scripts/run-server.sh [SERVER OPTIONS...]
#   Options are passed on to switchboard-server and win over the defaults below, e.g.
#     scripts/run-server.sh --listen 0.0.0.0:9000
#     scripts/run-server.sh --config resources/server.example.ini
#     printf '%s\n' 'pa55word' | scripts/run-server.sh --create-user alice --role admin
#
# Set-up output goes to stderr, so stdout carries only what the server prints
# (e.g. its `listening on HOST:PORT` line).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# stdin stays untouched for the server: --create-user reads the password from it.
./scripts/install-deps.sh </dev/null >&2
./scripts/build.sh switchboard-server </dev/null >&2

# Our defaults go in front of the user's options. A --listen/--database of the user replaces ours
# (rather than relying on which duplicate the parser keeps); with --config we add neither, because
# the command line wins over the file and our defaults would silently override its [server] keys.
want_listen=1
want_database=1
for arg in "$@"; do
    case "$arg" in
        --listen | --listen=*) want_listen=0 ;;
        --database | --database=*) want_database=0 ;;
        --config | --config=*) want_listen=0 want_database=0 ;;
    esac
done

defaults=()
if [[ $want_listen -eq 1 ]]; then
    defaults+=(--listen 127.0.0.1:8080)
fi
if [[ $want_database -eq 1 ]]; then
    mkdir -p data
    defaults+=(--database sqlite:data/switchboard.db)
fi

# exec: the server replaces this shell, so Ctrl-C / SIGTERM reach it directly and it can shut
# down cleanly (close connections with 1001, finish in-flight writes).
exec "${SB_BUILD_DIR:-build}/server/switchboard-server" "${defaults[@]}" "$@"
