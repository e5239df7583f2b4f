/*
 * bench.h: what every benchmark program needs to time itself: a monotonic clock and
 * sorting the times, so each can print its median, minimum and maximum.
 * Never prints: each program prints its own figures.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int bench_by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sort v[n] ascending: the median is then v[n / 2] (n odd). */
static inline void bench_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_by_value);
}

#endif
