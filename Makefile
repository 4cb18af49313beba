# uprintd: thin wrapper around CMake. `make run` and `make test` install what is missing first.
BUILD      ?= build
SAN_BUILD  ?= build-san
LISTEN     ?= 127.0.0.1:8080
DATA       ?= ./data
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

BENCH_BUILD ?= build-bench

# Debian packages the build and the test suite need.
DEB_PACKAGES = build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev \
               uuid-dev check libjwt-dev libssl-dev python3 python3-jsonschema python3-yaml curl \
               openssl
# ... the fuzz harnesses (tests/fuzz): clang with libFuzzer's runtime.
FUZZ_DEB_PACKAGES = clang libclang-rt-14-dev
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
# ... the same harnesses under AFL++ (afl-clang-fast, afl-fuzz).
AFL_DEB_PACKAGES = afl++
AFL_BUILD    ?= build-fuzz-afl
# ... and the benchmarks (bench/): the load generator and the plotter.
BENCH_DEB_PACKAGES = wrk gnuplot-nox

.PHONY: all deps build run test test-plain test-san test-valgrind clean bench bench-smoke bench-deps \
        bench-build fuzz fuzz-afl

all: build

# $(call install_missing,PACKAGES): installs the missing ones as root, else names the command.
define install_missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	  else \
	    echo "missing packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/uprintd serve --listen $(LISTEN) --data $(DATA) --demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-san

# The unit suites and fuzz replays under valgrind memcheck (zero errors, zero definite or
# indirect leaks); VALGRIND_INTEGRATION=1 also runs the integration suite with every server under
# memcheck, in one part per core (about 7 minutes on 2 cores).
test-valgrind: build
	$(call install_missing,valgrind)
	tests/valgrind.sh $(BUILD) $(if $(VALGRIND_INTEGRATION),--integration)

test-san: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DUP_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# Benchmarks (docs/benchmarks.md): a release build, the ceiling server of bench/ceiling, wrk.
# `make bench` writes docs/benchmarks.md and docs/benchmarks.png (under 10 minutes);
# `make bench-smoke` runs the same pipeline briefly, reports to a temporary folder, and fails on
# any error answer of uprintd.
bench-deps: deps
	$(call install_missing,$(BENCH_DEB_PACKAGES))

bench-build: bench-deps
	cmake -S . -B $(BENCH_BUILD)/release -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD)/release --target uprintd -j $(JOBS)
	cmake -S bench/ceiling -B $(BENCH_BUILD)/ceiling -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD)/ceiling -j $(JOBS)

bench:
	@t0=$$(date +%s.%N); $(MAKE) --no-print-directory bench-build && \
	python3 bench/run.py --build $(BENCH_BUILD) --out docs --started $$t0

bench-smoke:
	@t0=$$(date +%s.%N); $(MAKE) --no-print-directory bench-build && \
	python3 bench/run.py --build $(BENCH_BUILD) --smoke --started $$t0

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(BENCH_BUILD) $(FUZZ_BUILD) $(AFL_BUILD)

# Fuzzing (tests/fuzz/README.md): every harness built with clang, libFuzzer, ASan and UBSan, then
# run FUZZ_SECONDS seconds each on a scratch copy of its seeds; a crash fails the target.
fuzz: deps
	$(call install_missing,$(FUZZ_DEB_PACKAGES))
	tests/fuzz/build.sh $(FUZZ_BUILD)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The same harnesses built with afl-clang-fast (AFL++'s libFuzzer-compatible driver, ASan and
# UBSan) and run FUZZ_SECONDS seconds each with afl-fuzz; a crash or a hang fails the target.
fuzz-afl: deps
	$(call install_missing,$(FUZZ_DEB_PACKAGES) $(AFL_DEB_PACKAGES))
	CC=afl-clang-fast AFL_QUIET=1 tests/fuzz/build.sh $(AFL_BUILD)
	tests/fuzz/run-afl.sh $(AFL_BUILD) $(FUZZ_SECONDS)
