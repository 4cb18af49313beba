#!/bin/sh
# valgrind.sh - the unit suites (tests/check-*) and the fuzz replays (tests/replay-*, over every
# seed and regression input) under valgrind memcheck, one process each (CK_FORK=no, so that
# leaks of a test are the process's), and optionally the integration suite with every server it
# starts under memcheck. Fails on any error or definite/indirect leak.
# Usage: tests/valgrind.sh BUILD_DIR [--integration]
#   VALGRIND_JOBS: processes (unit suites) or parts of the integration suite run at once
#   (default: one per core).
# SPDX-License-Identifier: Apache-2.0
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
jobs=${VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-origins=no"
status=0

# One unit suite or replay under memcheck; prints its line, returns non-zero on a finding.
# (Run through xargs, hence the sh -c with everything it needs passed in.)
one='
vg=$1 build=$2 fuzz=$3 t=$4
name=$(basename "$t")
log="$build/$name.valgrind.log"
case "$name" in
  replay-*)
    h=${name#replay-}
    set -- "$fuzz/corpus/$h"
    if [ -d "$fuzz/regress/$h" ]; then set -- "$@" "$fuzz/regress/$h"; fi ;;
  *) set -- ;;
esac
if CK_FORK=no CK_DEFAULT_TIMEOUT=600 $vg "$t" "$@" >"$log" 2>&1; then
  echo "valgrind: $name: $(grep -oE "Checks: [0-9]*|replayed [0-9]* inputs" "$log" | head -1), no error, no leak"
else
  echo "valgrind: $name FAILED (log $log)"
  grep -E "==[0-9]+== (Invalid|Conditional|.*definitely|.*indirectly|Mismatched|Syscall)" "$log" | head -5
  exit 1
fi'
ls "$build"/tests/check-* "$build"/tests/replay-* | while read -r t; do
  [ -x "$t" ] && [ -f "$t" ] && printf '%s\n' "$t"
done | xargs -P "$jobs" -I{} sh -c "$one" sh "$vg" "$build" "$here/fuzz" {} || status=1

if [ "${2:-}" = "--integration" ]; then
  # Every uprintd the integration suite starts runs under memcheck; a report goes to its
  # stderr, which the suite fails on ("sanitizer report" covers valgrind's lines too). The suite
  # runs in $jobs parts at once, each part whole test classes.
  wrapper="$build/uprintd-valgrind"
  printf '#!/bin/sh\nexec %s --log-fd=2 %s "$@"\n' "$vg" "$build/uprintd" >"$wrapper"
  chmod +x "$wrapper"
  pids=""
  for k in $(seq 1 "$jobs"); do
    UP_VALGRIND=1 python3 "$here/integration/run.py" --binary "$wrapper" --shard "$k/$jobs" \
      --conformance "$here/../../shared/conformance" >"$build/integration-valgrind-$k.log" 2>&1 &
    pids="$pids $!"
  done
  k=0
  for pid in $pids; do
    k=$((k + 1))
    log="$build/integration-valgrind-$k.log"
    if wait "$pid"; then
      echo "valgrind: integration suite, part $k of $jobs: $(grep -E '^Ran [0-9]+ tests' "$log"), $(tail -1 "$log"), no error, no leak"
    else
      echo "valgrind: integration suite, part $k of $jobs FAILED (log $log):"
      grep -E "^(FAIL|ERROR):|==[0-9]+== (Invalid|Conditional|.*definitely|.*indirectly)" "$log" | head -20
      status=1
    fi
  done
fi
exit $status
