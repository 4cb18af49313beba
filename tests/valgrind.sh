#!/bin/sh
# valgrind.sh - the unit suites (tests/check-*) under valgrind memcheck, one process each
# (CK_FORK=no, so that leaks of a test are the process's), and optionally the integration suite
# with every server it starts under memcheck. Fails on any error or definite/indirect leak.
# Usage: tests/valgrind.sh BUILD_DIR [--integration]
# SPDX-License-Identifier: Apache-2.0
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-origins=no"
status=0
for t in "$build"/tests/check-*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if CK_FORK=no CK_DEFAULT_TIMEOUT=600 $vg "$t" >"$build/$name.valgrind.log" 2>&1; then
    echo "valgrind: $name: $(grep -o 'Checks: [0-9]*' "$build/$name.valgrind.log" | head -1), no error, no leak"
  else
    echo "valgrind: $name FAILED (log $build/$name.valgrind.log)"
    grep -E "==[0-9]+== (Invalid|Conditional|.*definitely|.*indirectly|Mismatched|Syscall)" \
      "$build/$name.valgrind.log" | head -5
    status=1
  fi
done
if [ "${2:-}" = "--integration" ]; then
  # Every uprintd the integration suite starts runs under memcheck; a report goes to its
  # stderr, which the suite fails on ("sanitizer report" covers valgrind's lines too).
  wrapper="$build/uprintd-valgrind"
  printf '#!/bin/sh\nexec %s --log-fd=2 %s "$@"\n' "$vg" "$build/uprintd" >"$wrapper"
  chmod +x "$wrapper"
  if UP_VALGRIND=1 python3 "$here/integration/run.py" --binary "$wrapper" \
      --conformance "$here/../../shared/conformance"; then
    echo "valgrind: integration suite: no error, no leak"
  else
    status=1
  fi
fi
exit $status
