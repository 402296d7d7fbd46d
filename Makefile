# SPDX-License-Identifier: BSD-3-Clause
# Thin wrapper over CMake: `make demo`, `make test`, `make bench`.
# Every target first installs missing system dependencies (scripts/install-deps.sh).

BUILD   ?= build
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DMOS_WERROR=ON
endif

.PHONY: all deps configure build demo test test-asan bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: deps build
	@scripts/demo.sh $(BUILD)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The tests again, built with AddressSanitizer and UBSan (any finding fails
# the test), the programs mosc builds included (through CC); the fuzz
# targets (sanitized already) and the namespace tests (timed real TCP) are
# left out. Leaks at exit are not reported: programs keep what they
# allocate once until the process ends. CI runs it after `make test`.
ASAN_BUILD ?= build-asan
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DMOS_FUZZ=OFF -DCMAKE_C_FLAGS="$(SAN)" \
		-DCMAKE_CXX_FLAGS="$(SAN)" -DCMAKE_EXE_LINKER_FLAGS="$(SAN)"
	CC="gcc $(SAN)" cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && CC="gcc $(SAN)" ASAN_OPTIONS=detect_leaks=0 \
		ctest --output-on-failure -j $(JOBS) -E '^netns\.'

bench:
	@scripts/install-deps.sh --bench
	@$(MAKE) --no-print-directory configure
	@cmake $(BUILD) >/dev/null   # finds the peers installed after a first configure
	cmake --build $(BUILD) -j $(JOBS)
	@bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
