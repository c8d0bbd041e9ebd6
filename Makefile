# Coroscope: the two quick-start commands are `make run` and `make test`.
# Both install any missing Debian 12 package first (apt-get; needs root or sudo).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
XVFB       := xvfb-run -a -s "-screen 0 1600x1000x24"

PACKAGES := build-essential cmake pkg-config libuv1-dev libimgui-dev libstb-dev libglfw3-dev \
            libgl1-mesa-dev nlohmann-json3-dev catch2 libcli11-dev libzstd-dev xvfb xauth xdotool
BENCH_PACKAGES := libbenchmark-dev libasio-dev libboost-fiber-dev
FUZZ_PACKAGES  := clang libclang-rt-14-dev

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps bench-deps configure build run test asan bench fuzz golden images clean

all: build

# Installs only what is missing; apt-get update runs once, only when something is missing.
deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

bench-deps:
	@$(MAKE) --no-print-directory deps PACKAGES="$(BENCH_PACKAGES)"

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# The GUI on the default sample. Without a display, say so and show the offscreen command.
run: build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo 'make run: no display (DISPLAY is not set); offscreen: $(XVFB) $(BUILD)/bin/coroscope launch nested --paused --screenshot coroscope.png'; \
	else \
	  $(BUILD)/bin/coroscope launch nested --paused; \
	fi

# Every test; the GUI tests need a display, so CTest runs under a virtual X server.
test: build
	cd $(BUILD) && $(XVFB) ctest --output-on-failure -j$(JOBS)

# Sanitized build of everything, the GUI included, and every test; as in `make test` CTest runs
# under a virtual X server for the GUI tests. LeakSanitizer skips only the system-library leaks
# listed, with their proof, in tests/lsan.supp. ASAN_TARGETS / ASAN_TESTS (a ctest -R regex) narrow
# the build and the run, e.g. ASAN_TARGETS="coroscope gui_smoke_test" ASAN_TESTS=gui_smoke.
ASAN_TARGETS ?= all
ASAN_TESTS   ?=
asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOROSCOPE_SANITIZE=ON -DCOROSCOPE_BUILD_GUI=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS) --target $(ASAN_TARGETS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(XVFB) ctest --output-on-failure -j$(JOBS) \
	  $(if $(ASAN_TESTS),-R '$(ASAN_TESTS)')

# Benchmarks: a separate Release build; each program prints ratios against a baseline of the same run.
BENCH_BUILD ?= build-bench
BENCHES     := bench-switch bench-tracing bench-trace-load bench-echo bench-seek bench-live bench-gui-frame
bench: deps bench-deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DCOROSCOPE_BUILD_BENCH=ON -DCOROSCOPE_BUILD_GUI=ON -DBUILD_TESTING=OFF
	cmake --build $(BENCH_BUILD) -j$(JOBS) --target $(BENCHES)
	@for b in $(BENCHES); do $(BENCH_BUILD)/bin/$$b || exit 1; done

# libFuzzer on the trace reader (traces/fuzz/): a clang build of traces/ alone with ASan+UBSan, run
# for FUZZ_SECONDS over a copy of the golden traces; a crash or a broken invariant fails the target
# and leaves the input in $(FUZZ_BUILD)/crash-*.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory deps PACKAGES="$(FUZZ_PACKAGES)"
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCOROSCOPE_FUZZ=ON -DBUILD_TESTING=OFF
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz-trace-reader
	traces/fuzz/seed_corpus.sh $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/bin/fuzz-trace-reader -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
	  -malloc_limit_mb=64 -max_len=65536 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus

# Regenerates traces/golden/ from the samples (traces/golden/v1.0/ is never touched).
golden: build
	traces/golden/regenerate.sh $(BUILD)

# The READMEs' screenshots (docs/images/), made by the GUI's --screenshot under xvfb-run; look at them before committing.
images: build
	docs/images/regenerate.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD) $(FUZZ_BUILD)
