# otakit: top-level entry points.
#   make demo   install dependencies, build, run the demo
#   make test   install dependencies, build with sanitizers, run every test
#   make fuzz   build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make bench  run the benchmarks under bench/

BUILD ?= build
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-test demo test fuzz bench clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DOTK_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# Tests run on a build with AddressSanitizer and UndefinedBehaviorSanitizer.
build-test: deps
	cmake -S . -B $(BUILD)-asan -DOTK_WERROR=ON -DOTK_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)-asan -j$(JOBS)

# The demo builds only what it runs (the two programs and the Asset OTA
# example), quietly, in its own build folder without tests.
DEMO_BUILD ?= $(BUILD)-demo
demo: deps
	@echo "Building otakit, otakit-vdev and examples/asset-ota in $(DEMO_BUILD)/ ..."
	@mkdir -p $(DEMO_BUILD)
	@cmake -S . -B $(DEMO_BUILD) -DOTK_WERROR=ON -DOTK_TESTS=OFF >$(DEMO_BUILD)/build.log 2>&1 || \
		{ cat $(DEMO_BUILD)/build.log; exit 1; }
	@cmake --build $(DEMO_BUILD) -j$(JOBS) --target otakit otakit-vdev asset_ota_module \
		asset_ota_assets -- --no-print-directory >>$(DEMO_BUILD)/build.log 2>&1 || \
		{ cat $(DEMO_BUILD)/build.log; exit 1; }
	@OTAKIT=$(DEMO_BUILD)/cli/otakit ./scripts/demo.sh

test: build-test
	cd $(BUILD)-asan && ctest --output-on-failure -j$(JOBS)

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DOTK_FUZZ=ON -DOTK_TESTS=ON -DOTK_WERROR=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $$(cd fuzz && ls fuzz_*.c | sed 's/\.c$$//')
	@./scripts/run-fuzz.sh $(FUZZ_BUILD)/fuzz $(FUZZ_SECONDS)

bench: build
	@OTAKIT=$(BUILD)/cli/otakit ./bench/run.sh

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-demo $(FUZZ_BUILD)
