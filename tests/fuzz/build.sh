#!/bin/sh
# build.sh - builds the libFuzzer harnesses of tests/fuzz with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into a scratch directory (default /tmp/fz).
# Usage: tests/fuzz/build.sh [OUTDIR]      (CC=clang-14 etc. may be set)
# SPDX-License-Identifier: Apache-2.0
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-/tmp/fz}
CC=${CC:-clang}
SAN=${SAN:-address,undefined}
mkdir -p "$out/obj"

CFLAGS="-std=c11 -D_GNU_SOURCE -DUP_VERSION=\"fuzz\" -g -O1 -fno-omit-frame-pointer \
 -fsanitize=$SAN -fno-sanitize-recover=undefined -Wall -Wextra \
 -I$root/include -I$root/src $(pkg-config --cflags jansson sqlite3 uuid libjwt libmicrohttpd libcrypto)"
LIBS="$(pkg-config --libs libmicrohttpd jansson sqlite3 uuid libjwt libcrypto) -lpthread"

# The embedded schema/ files, as the CMake build generates them.
cmake -DOUT="$out/up-embedded.c" \
  "-DFILES=$(ls "$root"/schema/*.sql "$root"/schema/*.json | sort | paste -sd '|')" \
  -P "$root/src/embed.cmake"

# Every core source (all of src/ except main.c), instrumented for coverage.
objs=""
for src in "$root"/src/*.c "$out/up-embedded.c"; do
  name=$(basename "$src" .c)
  [ "$name" = main ] && continue
  $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$out/obj/$name.o"
  objs="$objs $out/obj/$name.o"
done

for h in fuzz-dispatch fuzz-json-models fuzz-token fuzz-parsers; do
  $CC $CFLAGS -fsanitize=fuzzer "$here/$h.c" $objs $LIBS -o "$out/$h"
  echo "built $out/$h"
done
