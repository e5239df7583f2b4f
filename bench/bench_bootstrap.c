/*
 * bench_bootstrap.c: what the paired bootstrap costs at the paper's scale. A report runs
 * one bootstrap per pair of rows of a model (and one per cell against "Ours"), each over
 * every document of the five tasks: lambada_openai 5,153, hellaswag 10,042, piqa 1,838,
 * winogrande 1,267 and mmlu 14,042 (32,342 in all), 10,000 resamples. The outcomes are
 * random (about 70% right, the two rows agreeing on about 85% of documents); the time
 * does not depend on them. Prints the median of several runs and the interval it found,
 * so a fast wrong answer shows.
 *
 * Run: make bench (or build/bench/bench_bootstrap [repeats]).
 * Never writes a file; never part of `make test` (times are not verdicts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "harness/stats.h"

int main(int argc, char **argv)
{
	static const int docs[5] = {5153, 10042, 1838, 1267, 14042};
	int repeats = argc > 1 ? atoi(argv[1]) : 5;
	if (repeats < 1 || repeats > 100)
		repeats = 5;
	struct paired_task tasks[5];
	uint64_t s = 88172645463325252ULL;
	int total = 0;
	for (int t = 0; t < 5; t++) {
		double *a = malloc(sizeof *a * (size_t)docs[t]), *b = malloc(sizeof *b * (size_t)docs[t]);
		if (!a || !b)
			return fputs("bench_bootstrap: out of memory\n", stderr), 1;
		for (int i = 0; i < docs[t]; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			a[i] = s % 100 < 70;
			b[i] = s / 100 % 100 < 85 ? a[i] : 1 - a[i];
		}
		tasks[t] = (struct paired_task){docs[t], a, b};
		total += docs[t];
	}
	double times[100];
	struct bootstrap out;
	for (int r = 0; r < repeats; r++) {
		double t0 = bench_now();
		if (stats_paired_bootstrap(tasks, 5, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &out) != 0)
			return fputs("bench_bootstrap: bootstrap failed\n", stderr), 1;
		times[r] = bench_now() - t0;
	}
	bench_sort(times, repeats);
	printf("bootstrap: 5 tasks, %d documents, %d resamples: median %.3f s (min %.3f, max %.3f, "
	       "%d runs); diff %+.6f [%+.6f, %+.6f], p %.4f\n",
	       total, BOOTSTRAP_RESAMPLES, times[repeats / 2], times[0], times[repeats - 1], repeats,
	       out.diff, out.lo, out.hi, out.p);
	for (int t = 0; t < 5; t++)
		free((void *)tasks[t].a), free((void *)tasks[t].b);
	return 0;
}
