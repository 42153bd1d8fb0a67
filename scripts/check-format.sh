#!/usr/bin/env bash
# Fails (and names the files) when a C++ file of the repository is not formatted with the
# project's .clang-format. Registered with ctest as format_check; fix with
#   git ls-files '*.h' '*.cpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v clang-format >/dev/null 2>&1; then
    echo "check-format: clang-format not found (apt-get install clang-format)" >&2
    exit 1
fi
mapfile -t files < <(git ls-files '*.h' '*.cpp' 2>/dev/null || find server shared console bench tests -name '*.h' -o -name '*.cpp')
bad=()
for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if ((${#bad[@]})); then
    printf 'check-format: not formatted: %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted"
