#!/usr/bin/env bash
# Installs the Debian (bookworm) packages Switchboard needs to build, test and run — only the
# ones that are missing — and the npm packages of the browser tests (tests/browser, `npm ci`)
# when node_modules is missing or was installed from another package-lock.json. Safe to run again
# and again: when everything is present it only asks dpkg (well under a second) and never touches
# the network.
#
# Usage: scripts/install-deps.sh
#   SB_SKIP_DEPS=1   skip the check entirely (e.g. on a machine managed some other way)
set -euo pipefail

if [[ "${SB_SKIP_DEPS:-0}" == 1 ]]; then
    exit 0
fi

# The whole product: compiler and build tools, Qt 6.4 modules (server, console, translations),
# both SQL driver plugins (a missing plugin only shows up at run time), SVG icons (without
# libqt6svg6 they silently draw nothing), QtKeychain, hiredis, libsodium (Argon2id), SQLite headers
# (the storage uses the driver's native handle), RapidJSON (reads the common request frames), a virtual display and fonts for GUI tests,
# PostgreSQL (tests start their own throwaway cluster) and Redis,
# Chromium for the web client's browser tests (driven headless by playwright-core; never a
# downloaded browser).
PACKAGES=(
    cmake ninja-build g++ pkg-config ccache clang-format git
    qt6-base-dev qt6-websockets-dev qt6-httpserver-dev qt6-tools-dev qt6-l10n-tools
    libqt6sql6-sqlite libqt6sql6-psql libqt6svg6 qtkeychain-qt6-dev
    libhiredis-dev libsodium-dev libsqlite3-dev rapidjson-dev
    xvfb xauth fonts-dejavu-core
    postgresql redis-server
    chromium
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

# tests/browser/node_modules, from package-lock.json exactly (`npm ci`), unless the copy of the
# lock file left there by the last install still matches. --ignore-scripts and
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: nothing may fetch a browser; the tests use /usr/bin/chromium.
browser_test_modules() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
    [[ -f "$dir/package-lock.json" ]] || return 0
    if cmp -s "$dir/package-lock.json" "$dir/node_modules/.sb-package-lock.json" 2>/dev/null; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        log "npm not found: cannot install the browser tests' packages (apt-get install npm)"
        return 1
    fi
    log "installing the browser tests' npm packages in tests/browser (npm ci)"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts \
        --loglevel=error </dev/null >&2)
    cp "$dir/package-lock.json" "$dir/node_modules/.sb-package-lock.json"
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    log "dpkg-query not found: this script expects Debian bookworm; install the equivalent of: ${PACKAGES[*]} nodejs"
    exit 1
fi

# One dpkg-query call for all packages. Packages dpkg has never heard of produce no line (and a
# non-zero exit, which we ignore); a package counts as present only when its status is
# "installed" — "config-files" (removed, not purged) or half-installed states do not count.
declare -A installed=()
while IFS=$'\t' read -r name status; do
    if [[ "$status" == installed ]]; then
        installed["$name"]=1
    fi
done < <(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if [[ -z "${installed[$pkg]:-}" ]]; then
        missing+=("$pkg")
    fi
done
# Node.js (for the conformance suite and web tooling) is often installed from elsewhere
# (NodeSource, nvm, a tarball): any `node` on PATH will do, the Debian package is only a fallback.
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
fi
# npm comes with NodeSource's nodejs; Debian packages it separately.
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    browser_test_modules
    exit 0
fi

log "missing packages: ${missing[*]}"

# Installing needs root. As a normal user we can still go on when sudo works without a password
# prompt; otherwise say exactly what to run instead of failing somewhere in the build.
SUDO=()
if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        log "not running as root; install them with:"
        log "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
        exit 1
    fi
fi

# Remember which PostgreSQL clusters were already running, so that after installing we stop only
# the ones the install itself started (on a systemd machine the postgresql package creates and
# starts a "main" cluster on port 5432; we never use it — tests start their own).
clusters_online_before() {
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h 2>/dev/null | awk '$4 == "online" { print $1 "/" $2 }'
    fi
}
before="$(clusters_online_before)"

# Non-interactive, no recommended extras (keeps the install small and fast), wait for the dpkg
# lock instead of failing when another apt run is in progress, never read stdin (the caller's
# stdin may be a password piped to --create-user, or absent in CI).
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
"${SUDO[@]}" apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null >&2
"${SUDO[@]}" apt-get install "${APT_OPTS[@]}" "${missing[@]}" </dev/null >&2

after="$(clusters_online_before)"
while read -r cluster; do
    [[ -n "$cluster" ]] || continue
    if ! grep -qxF "$cluster" <<<"$before"; then
        log "stopping PostgreSQL cluster $cluster started by the package install (not used by Switchboard)"
        "${SUDO[@]}" pg_ctlcluster "${cluster%%/*}" "${cluster#*/}" stop </dev/null >&2 || true
    fi
done <<<"$after"

browser_test_modules
log "done"
