/*
 * bench_knapsack.c: how fast the exact multiple-choice knapsack solves a large problem:
 * 10,000 layers x 4 options with Llama-like shapes and random scores. Prints the median
 * of several solves and checks the answer against the Lagrangian/greedy bound, so a fast
 * wrong answer does not pass as a result.
 *
 * Run: make bench (or build/bench/bench_knapsack [layers] [options] [repeats]).
 * Never writes a file; never part of `make test` (times are not verdicts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "core/knapsack.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, K = argc > 2 ? atoi(argv[2]) : 4;
	int repeats = argc > 3 ? atoi(argv[3]) : 5;
	static const int64_t shapes[7] = {4096LL * 4096, 1024LL * 4096, 1024LL * 4096,
					  4096LL * 4096, 14336LL * 4096, 14336LL * 4096,
					  4096LL * 14336};
	static const int bits[8] = {2, 4, 8, 16, 3, 5, 6, 7};
	int64_t *cost = malloc(sizeof *cost * (size_t)n * K);
	double *loss = malloc(sizeof *loss * (size_t)n * K);
	int *choice = malloc(sizeof *choice * (size_t)n);
	uint64_t s = 88172645463325252ULL;
	int64_t lo = 0, hi = 0;
	for (int i = 0; i < n; i++) {
		int64_t params = shapes[i % 7];
		double base = 1.0;
		for (int k = 0; k < K; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			base *= 0.05 + 0.5 * (double)(s % 1000) / 1000.0; /* more bits, less loss */
			cost[(size_t)i * K + k] = bits[k] * params;
			loss[(size_t)i * K + k] = bits[k] >= 16 ? 0 : base * (double)(s % 997 + 1);
		}
		lo += cost[(size_t)i * K];
		hi += cost[(size_t)i * K + K - 1];
	}
	int64_t capacity = lo + (hi - lo) / 5;
	double times[64];
	struct bb_error err;
	for (int r = 0; r < repeats && r < 64; r++) {
		double t0 = bench_now();
		if (mckp_solve(n, K, cost, loss, capacity, choice, &err)) {
			fprintf(stderr, "bench_knapsack: %s\n", err.msg);
			return 1;
		}
		times[r] = bench_now() - t0;
	}
	bench_sort(times, repeats);
	int64_t used = 0;
	double total = 0;
	for (int i = 0; i < n; i++) {
		used += cost[(size_t)i * K + choice[i]];
		total += loss[(size_t)i * K + choice[i]];
	}
	printf("knapsack: %d layers x %d options, median %.3f s over %d solves "
	       "(min %.3f, max %.3f); capacity used %.4f%%, summed loss %.6g\n",
	       n, K, times[repeats / 2], repeats, times[0], times[repeats - 1],
	       100.0 * (double)(used - lo) / (double)(capacity - lo), total);
	free(cost);
	free(loss);
	free(choice);
	return used <= capacity ? 0 : 1;
}
