#!/bin/sh
# run-afl.sh - runs every harness built for AFL++ (CC=afl-clang-fast tests/fuzz/build.sh OUTDIR)
# with afl-fuzz for a set time each, starting from its seed corpus, and fails when one finds a
# crash or a hang (the inputs are copied to OUTDIR/crash/afl-<harness>-*).
# Usage: tests/fuzz/run-afl.sh [OUTDIR] [SECONDS]     (defaults /tmp/fz-afl and 60)
# Prints one line per harness: executions, seconds, corpus size, coverage.
# SPDX-License-Identifier: Apache-2.0
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/fz-afl}
secs=${2:-60}
status=0
mkdir -p "$out/crash"

# No terminal UI; no CPU pinning or frequency check (shared CI machines); a core_pattern that
# pipes cores elsewhere only delays crash reports. ASAN_OPTIONS and UBSAN_OPTIONS are left to
# afl-fuzz, whose defaults make both sanitizers abort (so a report is a crash) and keep ASan from
# recording a stack for every allocation (ten times faster here than with that recording on).
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
unset ASAN_OPTIONS UBSAN_OPTIONS

field() { sed -n "s/^$1 *: *//p" "$2"; }

for h in fuzz-dispatch fuzz-json-models fuzz-token fuzz-parsers; do
  work="$out/afl/$h"
  rm -rf "$work"
  mkdir -p "$work"
  log="$out/$h.afl.log"
  # -t: 10 s per input, as run.sh gives libFuzzer; -V: stop after SECONDS.
  if ! afl-fuzz -V "$secs" -t 10000 -i "$here/corpus/$h" -o "$work" -- "$out/$h" >"$log" 2>&1; then
    echo "fuzz-afl: $h: afl-fuzz failed (log $log):"
    grep -E "PROGRAM ABORT|ERROR|Location" "$log" | head -5
    status=1
    continue
  fi
  # afl-fuzz kills its last child, so that child's data folder stays: remove the folders of
  # processes that are gone (fuzz-dispatch-<pid>-*, see setup() in fuzz-dispatch.c).
  for d in "${TMPDIR:-/dev/shm}"/fuzz-dispatch-* /dev/shm/fuzz-dispatch-* /tmp/fuzz-dispatch-*; do
    [ -d "$d" ] || continue
    pid=$(basename "$d" | cut -d- -f3)
    kill -0 "$pid" 2>/dev/null || rm -rf "$d"
  done
  stats="$work/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz-afl: $h: no fuzzer_stats (log $log)"
    status=1
    continue
  fi
  crashes=$(field saved_crashes "$stats")
  hangs=$(field saved_hangs "$stats")
  line="$(field execs_done "$stats") executions in ${secs} s, corpus $(field corpus_count "$stats") inputs, $(field bitmap_cvg "$stats") of the map"
  if [ "${crashes:-0}" -eq 0 ] && [ "${hangs:-0}" -eq 0 ]; then
    echo "fuzz-afl: $h: $line, no crash, no hang"
  else
    echo "fuzz-afl: $h FOUND ${crashes} CRASHES AND ${hangs} HANGS ($line); inputs in $out/crash/:"
    for f in "$work"/default/crashes/id:* "$work"/default/hangs/id:*; do
      [ -f "$f" ] || continue
      kind=$(basename "$(dirname "$f")")
      copy="$out/crash/afl-$h-$kind-$(sha1sum "$f" | cut -c1-16)"
      cp "$f" "$copy"
      echo "  $copy"
    done
    status=1
  fi
done
exit $status
