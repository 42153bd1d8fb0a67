#!/bin/sh
# Regenerates the operator console screenshots in docs/images/ (used by docs/console.md).
#
#   scripts/console-screenshots.sh [BUILD_DIR]      (default: build)
#
# Builds the console-screenshots driver (tests/gui/consolescreenshots.cpp) and the server, then
# runs the driver under xvfb-run: it starts a real server on a free port with a throwaway SQLite
# database, seeds agents, an admin, guests with support chats and a direct chat, drives the real
# console widgets (login, claim, answering, the admin dashboard under some traffic) and saves
# console-login.png, console-workspace.png and console-admin-dashboard.png.
# Needs: xvfb, xauth, fonts-dejavu-core (scripts/install-deps.sh). Takes about two minutes.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=$ROOT/docs/images
LOAD_SECONDS=${SB_SCREENSHOT_LOAD_SECONDS:-75}

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja
fi
cmake --build "$BUILD" --target console-screenshots switchboard-server
mkdir -p "$OUT"
DRIVER=$(find "$BUILD" -type f -name console-screenshots -perm -u+x | head -n 1)
[ -n "$DRIVER" ] || { echo "console-screenshots not built" >&2; exit 1; }

# A real X server (not the offscreen platform) so that fonts and styles render as on a desktop.
env -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb LANG=C.UTF-8 \
    xvfb-run --auto-servernum --server-args="-screen 0 1600x1000x24" \
    "$DRIVER" "$OUT" --load-seconds "$LOAD_SECONDS"
ls -l "$OUT"/console-*.png
