# bitbudget: one hand-written Makefile, as in Redis, git and llama2.c.
#
#   make deps    install the Debian packages (needs root)
#   make         build bin/bitbudget and the test helpers
#   make test    run every test; the last line is "N passed, N failed"
#   make bench   run the benchmarks (figures go to docs/benchmarks.md by hand)
#
# Three layers, three static libraries, one direction of dependency:
#   core/ + baselines/ -> build/libcore.a    (checkpoints, formats, recipes, allocation)
#   engine/            -> build/libengine.a  (tokenizer, model, tasks, server; may use core)
#   harness/           -> build/libharness.a (CLI and orchestration; may use both)

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
	libpcre2-dev libssl-dev libopenblas-openmp-dev gnuplot-nox parallel python3 curl bc

CORE_SRC    := $(wildcard core/*.c) $(wildcard baselines/*.c)
ENGINE_SRC  := $(wildcard engine/*.c)
HARNESS_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c))
CORE_OBJ    := $(CORE_SRC:%.c=build/%.o)
ENGINE_OBJ  := $(ENGINE_SRC:%.c=build/%.o)
HARNESS_OBJ := $(HARNESS_SRC:%.c=build/%.o)
LIBS        := build/libharness.a build/libengine.a build/libcore.a

UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
HELPER_BIN  := build/tests/bb-test-tool
BENCH_SRC   := $(wildcard bench/*.c)
BENCH_BIN   := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all deps test bench check-layers clean table1 table2 table3 table4 demo
all: bin/bitbudget $(UNIT_BIN) $(HELPER_BIN) $(BENCH_BIN)

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES)

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The quantize-dequantize and dtype-conversion loops are written branch-free so that the
# vectorizer can take them: -O3 lets it, and -fno-trapping-math lets it compute both sides
# of a select (nothing here reads floating-point exception flags). Results are unchanged:
# every operation is still a correctly rounded IEEE operation.
build/core/formats.o build/core/safetensors.o: OPT = -O3 -fno-trapping-math

build/libcore.a: $(CORE_OBJ)
	$(AR) rcs $@ $^
build/libengine.a: $(ENGINE_OBJ)
	$(AR) rcs $@ $^
build/libharness.a: $(HARNESS_OBJ)
	$(AR) rcs $@ $^

bin/bitbudget: build/harness/main.o $(LIBS)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/tests/%: tests/unit/%.c $(LIBS)
	@mkdir -p build/tests
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

build/bench/%: bench/%.c $(LIBS)
	@mkdir -p build/bench
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

$(HELPER_BIN): tests/helper/bb-test-tool.c $(LIBS)
	@mkdir -p build/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS) $(LDLIBS)

# The core knows nothing of the engine, the engine nothing of the harness.
check-layers:
	@! grep -nE '#include "(engine|harness)/' core/*.[ch] baselines/*.[ch] || { echo "check-layers: core includes a higher layer"; exit 1; }
	@! grep -nE '#include "harness/' engine/*.[ch] || { echo "check-layers: engine includes the harness"; exit 1; }

test: all check-layers
	@SHARED=$(SHARED) sh tests/run.sh

bench: all
	@SHARED=$(SHARED) sh bench/run.sh

# The published tables. MODEL_ROOT and ENDPOINTS (environment) select the paper's models
# and lm-eval endpoints; without them the demo set runs on the embedded engine.
table1 table2 table3 table4: all
	SHARED=$(SHARED) bin/bitbudget run experiments/$@.json $(RUN_FLAGS)

demo: table1 table2 table3

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
