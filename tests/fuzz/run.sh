#!/bin/sh
# run.sh - runs every libFuzzer harness built by build.sh for a set time each, on a scratch copy
# of its seed corpus, and fails when one finds a crash (its input is left in OUTDIR/crash/).
# Usage: tests/fuzz/run.sh [OUTDIR] [SECONDS]     (defaults /tmp/fz and 60)
# Prints one line per harness: executions, seconds, corpus size.
# SPDX-License-Identifier: Apache-2.0
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/fz}
secs=${2:-60}
status=0
mkdir -p "$out/crash"
for h in fuzz-dispatch fuzz-json-models fuzz-token fuzz-parsers; do
  work="$out/corpus/$h"
  mkdir -p "$work"
  log="$out/$h.log"
  max_len=8192
  [ "$h" = fuzz-json-models ] && max_len=16384
  if "$out/$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=$max_len \
      -print_final_stats=1 -artifact_prefix="$out/crash/$h-" "$work" "$here/corpus/$h" \
      >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $h: ${runs:-?} executions in ${secs} s, no crash; corpus $(ls "$work" | wc -l) inputs"
  else
    echo "fuzz: $h FOUND A CRASH (log $log, input in $out/crash/):"
    grep -E "ERROR|SUMMARY|invariant|runtime error" "$log" | head -5
    status=1
  fi
done
exit $status
