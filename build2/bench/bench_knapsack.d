build2/bench/bench_knapsack: bench/bench_knapsack.c bench/bench.h \
 core/knapsack.h core/error.h
bench/bench.h:
core/knapsack.h:
core/error.h:
