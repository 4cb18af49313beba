# uprintd: thin wrapper around CMake. `make run` and `make test` install what is missing first.
BUILD      ?= build
SAN_BUILD  ?= build-san
LISTEN     ?= 127.0.0.1:8080
DATA       ?= ./data
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages the build and the test suite need.
DEB_PACKAGES = build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev \
               uuid-dev check libjwt-dev libssl-dev python3 python3-jsonschema python3-yaml curl \
               openssl

.PHONY: all deps build run test test-plain test-san clean

all: build

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
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

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/uprintd serve --listen $(LISTEN) --data $(DATA) --demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-san

test-san: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DUP_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
