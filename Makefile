# bitbudget: one hand-written Makefile, as in Redis, git and llama2.c.
#
#   make deps    install the Debian packages (needs root)
#   make         build bin/bitbudget and the test helpers
#   make test    run every test; the last line is "N passed, N failed"
#   make bench   run the benchmarks (figures go to docs/benchmarks.md by hand)
#
# Layers, one folder and one static library each, one direction of dependency:
#   core/      -> build/libcore.a      (checkpoints, formats, recipes, the allocation problem)
#   baselines/ -> build/libbaselines.a (allocation strategies; may use core)
#   engine/    -> build/libengine.a    (tokenizer, model, tasks; may use those below)
#   endpoint/  -> build/libendpoint.a  (HTTP server, job queue, job specs; may use those below)
#   harness/   -> build/libharness.a   (CLI and orchestration; may use all of them)

SHARED ?= ../shared
MULTIARCH := $(shell gcc -print-multiarch)
# The OpenMP build of OpenBLAS, so BLAS threads and our OpenMP threads share one pool
# instead of oversubscribing the cores.
BLAS_DIR := /usr/lib/$(MULTIARCH)/openblas-openmp
BLAS_INC := /usr/include/$(MULTIARCH)/openblas-openmp

CC ?= gcc
OPT ?= -O2
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS += $(OPT) $(WARN) -std=gnu11 -fopenmp -I. -I/usr/include/cjson -I$(BLAS_INC) $(EXTRA_CFLAGS)
LDLIBS += -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lblas -lcjson -lpcre2-8 -lmicrohttpd -lcurl -lcrypto -lm
LDFLAGS += -fopenmp $(EXTRA_LDFLAGS)

DEB_PACKAGES = build-essential pkg-config libcjson-dev libcurl4-openssl-dev libmicrohttpd-dev \
	libpcre2-dev libssl-dev libopenblas-openmp-dev gnuplot-nox parallel python3 python3-numpy python3-venv curl bc \
	clang-14 libclang-rt-14-dev libomp-14-dev openssh-server

# Where objects, libraries and test programs go (build/) and where the CLI goes (bin/):
# `make test-asan` builds the same rules into build-asan/ and bin-asan/.
BUILD ?= build
BINDIR ?= bin

# The layers, lowest first: each may use only itself and the layers before it, which
# `make check-layers` checks on the libraries' symbols. A new layer: its name here, in its
# place, and a rule for its library below.
LAYERS      := core baselines engine endpoint harness
LAYER_LIBS  := $(LAYERS:%=$(BUILD)/lib%.a)
# The linker reads static libraries in order, so they are linked highest layer first.
reverse      = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
LIBS        := $(strip $(call reverse,$(LAYER_LIBS)))

CORE_SRC      := $(wildcard core/*.c)
BASELINES_SRC := $(wildcard baselines/*.c)
ENGINE_SRC    := $(wildcard engine/*.c engine/*/*.c)
ENDPOINT_SRC  := $(wildcard endpoint/*.c)
HARNESS_SRC   := $(filter-out harness/main.c,$(wildcard harness/*.c))
CORE_OBJ      := $(CORE_SRC:%.c=$(BUILD)/%.o)
BASELINES_OBJ := $(BASELINES_SRC:%.c=$(BUILD)/%.o)
ENGINE_OBJ    := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
ENDPOINT_OBJ  := $(ENDPOINT_SRC:%.c=$(BUILD)/%.o)
HARNESS_OBJ   := $(HARNESS_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN  := $(BUILD)/tests/bb-test-tool
BENCH_SRC   := $(wildcard bench/*.c)
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC    := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES  := $(FUZZ_SRC:fuzz/%.c=%)
REPLAY_BIN  := $(FUZZ_SRC:fuzz/fuzz_%.c=$(BUILD)/fuzz/replay_%)

.PHONY: all deps test bench check-layers clean table1 table2 table3 table4 frontier demo asan test-asan fuzz fuzz-build fuzzers
all: $(BINDIR)/bitbudget $(UNIT_BIN) $(HELPER_BIN) $(BENCH_BIN) $(REPLAY_BIN)

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The quantize-dequantize and dtype-conversion loops are written branch-free so that the
# vectorizer can take them: -O3 lets it, and -fno-trapping-math lets it compute both sides
# of a select (nothing here reads floating-point exception flags). Results are unchanged:
# every operation is still a correctly rounded IEEE operation, and -ffp-contract=off keeps
# the AVX2 clones from fusing a multiply and an add into one differently rounded FMA.
$(BUILD)/core/formats.o $(BUILD)/core/safetensors.o: OPT = -O3 -fno-trapping-math -ffp-contract=off

# Each library is archived afresh: `ar r` only adds and replaces members, so an object
# whose source moved to another folder would stay behind in the old library, still
# defining its symbols there (and hiding a call up from check-layers).
ARCHIVE = rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/libcore.a: $(CORE_OBJ)
	$(ARCHIVE)
$(BUILD)/libbaselines.a: $(BASELINES_OBJ)
	$(ARCHIVE)
$(BUILD)/libengine.a: $(ENGINE_OBJ)
	$(ARCHIVE)
$(BUILD)/libendpoint.a: $(ENDPOINT_OBJ)
	$(ARCHIVE)
$(BUILD)/libharness.a: $(HARNESS_OBJ)
	$(ARCHIVE)

$(BINDIR)/bitbudget: $(BUILD)/harness/main.o $(LIBS)
	@mkdir -p $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(HELPER_BIN): tests/helper/bb-test-tool.c $(LIBS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

# The fuzz harnesses without libFuzzer: each runs its harness on the files it is given
# (tests/cli/t5030-fuzz-regressions.sh replays fuzz/regressions/ and the seed corpus).
$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz.h $(LIBS)
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(CFLAGS) -o $@ fuzz/replay.c $< $(LIBS) $(LDFLAGS) $(LDLIBS)

# The libFuzzer harnesses themselves: only built by `make fuzz` (CC=clang, BUILD=build-fuzz).
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(LIBS)
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(CFLAGS) $(FUZZ_LINK) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)
fuzzers: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

# No layer calls up: each library's undefined symbols must be defined in itself, a layer
# below or the system (nm; tests/check-layers.sh, tested by tests/cli/t1010-check-layers.sh).
check-layers: $(LAYER_LIBS)
	@sh tests/check-layers.sh $(LAYER_LIBS)

test: all check-layers
	@SHARED=$(SHARED) sh tests/run.sh

bench: all
	@SHARED=$(SHARED) sh bench/run.sh

# ---- sanitizers (docs/reliability.md) ----
# `make asan` builds everything again with AddressSanitizer and UndefinedBehaviorSanitizer
# into build-asan/ and bin-asan/ (same rules, same -O2: the code checked is the code that
# ships, vectorized loops included). -fno-omit-frame-pointer gives whole stack traces;
# -fno-sanitize-recover makes any undefined behaviour fatal, so it fails the test it
# happens in instead of scrolling by. `make test-asan` runs the whole suite on that build:
# every process (CLI children, servers, parallel's jobs) writes its ASan and LeakSanitizer
# reports under build-asan/sanitizer-logs/, and the target fails if any report was written,
# even by a process whose exit status a test does not look at. (UBSan's reports still go to
# stderr: gcc's runtime ignores log_path when ASan is linked too; being fatal, they fail
# the test they happen in.) tests/asan/lsan.supp holds the leak suppressions, each with why.
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g
ASAN_LOGS := $(CURDIR)/build-asan/sanitizer-logs
# The CLI tests skipped under the sanitizers (none unless listed; each is run by make test).
ASAN_SKIP ?=
asan:
	$(MAKE) BUILD=build-asan BINDIR=bin-asan EXTRA_CFLAGS="$(ASAN_FLAGS)" \
		EXTRA_LDFLAGS="$(ASAN_FLAGS)" all

test-asan: asan
	@sh tests/check-layers.sh $(LAYERS:%=build-asan/lib%.a)
	@rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	@SHARED=$(SHARED) BB_BUILD=build-asan BB=$(CURDIR)/bin-asan/bitbudget \
		BB_TEST_TOOL=$(CURDIR)/build-asan/tests/bb-test-tool BB_SKIP="$(ASAN_SKIP)" \
		ASAN_OPTIONS=detect_leaks=1:log_path=$(ASAN_LOGS)/asan:strict_string_checks=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/asan/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run.sh; status=$$?; \
	if [ -n "$$(ls $(ASAN_LOGS))" ]; then \
		cat $(ASAN_LOGS)/*; echo "test-asan: sanitizer reports in $(ASAN_LOGS)"; exit 1; fi; \
	exit $$status

# The published tables. MODEL_ROOT and ENDPOINTS (environment) select the paper's models
# and lm-eval endpoints; without them the demo set runs on the embedded engine.
table1 table2 table3 table4: all
	SHARED=$(SHARED) $(BINDIR)/bitbudget run experiments/$@.json $(RUN_FLAGS)

# The whole frontier (experiments/frontier.json: every strategy at every budget, both demo
# models, accuracy and KLD). On the demo set each job is a model so small that a second
# OpenMP thread costs more CPU than it saves (docs/benchmarks.md), so the jobs run one
# thread each, one job per core. With paper models or endpoints the jobs are remote: one
# per endpoint as usual.
FRONTIER_JOBS = $(if $(MODEL_ROOT)$(ENDPOINTS),,--jobs $(shell nproc))
frontier: all
	SHARED=$(SHARED) OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BINDIR)/bitbudget run \
		experiments/frontier.json $(FRONTIER_JOBS) $(RUN_FLAGS)

demo: table1 table2 table3

# ---- fuzzing (docs/reliability.md) ----
# `make fuzz` builds one libFuzzer harness per parser of untrusted input (fuzz/fuzz_*.c)
# with clang, ASan and UBSan into build-fuzz/ (the libraries are instrumented for
# coverage with fuzzer-no-link; only the harnesses link libFuzzer's main), then runs each
# for FUZZ_SECONDS from its seed corpus fuzz/corpus/<harness>/ (kept small, in git); what
# it learns goes to build-fuzz/corpus/, crashers to build-fuzz/artifacts/. A crasher,
# once fixed, is copied to fuzz/regressions/<harness>/ where the test suite replays it.
# FUZZ_TARGETS picks harnesses (default: all); FUZZ_FLAGS adds libFuzzer options.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_FLAGS ?=
# clang 14 names the ifunc of a target_clones function "f.ifunc", so calls from other
# files do not link (fixed in clang 15): the fuzz build compiles only the default version
# of the AVX2-cloned loops, by turning the attribute into a harmless one.
FUZZ_CFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g '-Dtarget_clones(...)=unused'
fuzz-build:
	$(MAKE) CC=clang-14 BUILD=build-fuzz BINDIR=build-fuzz/bin EXTRA_CFLAGS="$(FUZZ_CFLAGS)" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" FUZZ_LINK=-fsanitize=fuzzer fuzzers

fuzz: fuzz-build
	@mkdir -p build-fuzz/artifacts
	@for h in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus/$$h fuzz/corpus/$$h; \
		echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
		SHARED=$(SHARED) LSAN_OPTIONS=suppressions=$(CURDIR)/tests/asan/lsan.supp \
		build-fuzz/fuzz/$$h -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048 \
			-max_len=65536 -dict=fuzz/json.dict -print_final_stats=1 \
			-artifact_prefix=build-fuzz/artifacts/$$h- $(FUZZ_FLAGS) \
			build-fuzz/corpus/$$h fuzz/corpus/$$h || exit 1; \
	done

clean:
	rm -rf build bin build-asan bin-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The parity suite: the real Python stack (transformers, tokenizers, lm-eval, AutoRound)
# as the oracle for the engine, tokenizer, quantizer and tasks (docs/parity.md). Its
# virtual environment, .venv-parity/, is built from requirements-parity.txt and reused
# while that file is unchanged. PARITY_CHECKS (a regex) runs only the checks it matches.
PARITY_CHECKS ?=
PARITY_TOOL := $(BUILD)/tests/bb-parity-tool
$(PARITY_TOOL): tests/parity/bb-parity-tool.c $(LIBS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

.PHONY: parity
parity: $(BINDIR)/bitbudget $(PARITY_TOOL)
	sh tests/parity/venv.sh .venv-parity
	BB=$(CURDIR)/$(BINDIR)/bitbudget BB_PARITY_TOOL=$(CURDIR)/$(PARITY_TOOL) \
		SHARED=$(SHARED) .venv-parity/bin/python tests/parity/run.py '$(PARITY_CHECKS)'
