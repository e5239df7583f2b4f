build2/bench/bench_bootstrap: bench/bench_bootstrap.c bench/bench.h \
 harness/stats.h
bench/bench.h:
harness/stats.h:
