/*
 * metrics.c: lm-eval's aggregations and standard errors (lm_eval/api/metrics.py),
 * computed in the same order of operations so the numbers match lm-eval's to the bit
 * where the inputs do: mean, mean_stderr, perplexity, weighted means, the pooled group
 * stderr, and the bootstrap of perplexity's stderr with Python's own Mersenne Twister.
 * Pure functions over arrays; never prints, never exits, no global mutable state (the
 * metric table is immutable).
 */
#include "engine/tasks/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- the metric table ----

static const struct {
	const char *name;
	const char *aggregation;
	bool higher_is_better;
} METRICS[METRIC_COUNT] = {
	[METRIC_ACC] = {"acc", "mean", true},
	[METRIC_ACC_NORM] = {"acc_norm", "mean", true},
	[METRIC_PERPLEXITY] = {"perplexity", "perplexity", false},
	[METRIC_WORD_PERPLEXITY] = {"word_perplexity", "weighted_perplexity", false},
	[METRIC_BYTE_PERPLEXITY] = {"byte_perplexity", "weighted_perplexity", false},
	[METRIC_BITS_PER_BYTE] = {"bits_per_byte", "bits_per_byte", false},
};

const char *metric_name(enum metric m)
{
	return (unsigned)m < METRIC_COUNT ? METRICS[m].name : NULL;
}

int metric_from_name(const char *name)
{
	for (int m = 0; m < METRIC_COUNT; m++)
		if (!strcmp(METRICS[m].name, name))
			return m;
	return -1;
}

bool metric_higher_is_better(enum metric m)
{
	return (unsigned)m < METRIC_COUNT && METRICS[m].higher_is_better;
}

const char *metric_aggregation(enum metric m)
{
	return (unsigned)m < METRIC_COUNT ? METRICS[m].aggregation : NULL;
}

// ---- aggregations ----

/* Python's sum() over floats (3.12 and later): Neumaier's compensated summation, the
 * compensation added at the end when finite. Integer-valued terms sum exactly either way. */
struct py_sum {
	double s, c;
};

static void py_sum_add(struct py_sum *acc, double x)
{
	double t = acc->s + x;
	acc->c += fabs(acc->s) >= fabs(x) ? (acc->s - t) + x : (x - t) + acc->s;
	acc->s = t;
}

static double py_sum_total(const struct py_sum *acc)
{
	return acc->c != 0 && isfinite(acc->c) ? acc->s + acc->c : acc->s;
}

static double py_sum_of(const double *x, int n)
{
	struct py_sum acc = {0, 0};
	for (int i = 0; i < n; i++)
		py_sum_add(&acc, x[i]);
	return py_sum_total(&acc);
}

double metric_mean(const double *x, int n)
{
	return py_sum_of(x, n) / n;
}

/* sample_stddev: sqrt(sum((x - mu) ** 2) / (n - 1)) */
static double sample_stddev(const double *x, int n)
{
	double mu = metric_mean(x, n);
	struct py_sum acc = {0, 0};
	for (int i = 0; i < n; i++)
		py_sum_add(&acc, (x[i] - mu) * (x[i] - mu));
	return sqrt(py_sum_total(&acc) / (n - 1));
}

double metric_mean_stderr(const double *x, int n)
{
	return n < 2 ? NAN : sample_stddev(x, n) / sqrt((double)n);
}

double metric_perplexity(const double *loglik, int n)
{
	return exp(-metric_mean(loglik, n));
}

double metric_weighted_mean(const double *a, const double *b, int n)
{
	return py_sum_of(a, n) / py_sum_of(b, n);
}

double metric_size_weighted_mean(const double *values, const int *sizes, int n)
{
	struct py_sum acc = {0, 0};
	long total = 0;
	for (int i = 0; i < n; i++) {
		py_sum_add(&acc, values[i] * sizes[i]);
		total += sizes[i];
	}
	return py_sum_total(&acc) / (double)total;
}

double metric_pooled_stderr(const double *stderrs, const int *sizes, int n)
{
	struct py_sum acc = {0, 0};
	long total = 0;
	for (int i = 0; i < n; i++) {
		if (isnan(stderrs[i]))
			return NAN;
		py_sum_add(&acc, (sizes[i] - 1) * (stderrs[i] * stderrs[i]) * sizes[i]);
		total += sizes[i];
	}
	return sqrt(py_sum_total(&acc) / (double)(total - n) / (double)total);
}

// ---- Python's random.Random ----

static void mt_init_genrand(struct py_random *r, uint32_t s)
{
	r->mt[0] = s;
	for (int i = 1; i < 624; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
	r->index = 624;
}

/* CPython's random.seed(n) for 0 <= n < 2**32: init_by_array with the one-word key [n]. */
void py_random_seed(struct py_random *r, uint32_t seed)
{
	int i = 1, j = 0;
	mt_init_genrand(r, 19650218u);
	for (int k = 624; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525u)) + seed +
			   (uint32_t)j;
		i++;
		j = 0; /* the key has one word */
		if (i >= 624) {
			r->mt[0] = r->mt[623];
			i = 1;
		}
	}
	for (int k = 623; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941u)) -
			   (uint32_t)i;
		i++;
		if (i >= 624) {
			r->mt[0] = r->mt[623];
			i = 1;
		}
	}
	r->mt[0] = 0x80000000u;
	r->index = 624;
}

static void mt_twist(struct py_random *r)
{
	for (int k = 0; k < 624; k++) {
		uint32_t y = (r->mt[k] & 0x80000000u) | (r->mt[(k + 1) % 624] & 0x7fffffffu);
		r->mt[k] = r->mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
	}
	r->index = 0;
}

static uint32_t mt_next(struct py_random *r)
{
	if (r->index >= 624)
		mt_twist(r);
	uint32_t y = r->mt[r->index++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	return y ^ (y >> 18);
}

double py_random_random(struct py_random *r)
{
	uint32_t a = mt_next(r) >> 5, b = mt_next(r) >> 6;
	return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

// ---- bootstrap ----

/* Chunk `chunk` of lm-eval's bootstrap: random.Random(chunk), size draws of
 * perplexity(rnd.choices(x, k=n)) into out. */
static void bootstrap_chunk(const double *x, int n, int chunk, int size, double *scratch,
			    double *out)
{
	struct py_random r;
	py_random_seed(&r, (uint32_t)chunk);
	for (int d = 0; d < size; d++) {
		for (int i = 0; i < n; i++)
			scratch[i] = x[(int)floor(py_random_random(&r) * (double)n)];
		out[d] = metric_perplexity(scratch, n);
	}
}

int metric_bootstrap_perplexity_stderr(const double *loglik, int n, int iters, double *out,
				       struct bb_error *err)
{
	*out = NAN;
	if (n < 2 || iters < 1)
		return 0;
	int size = iters < 1000 ? iters : 1000, chunks = iters / size, failed = 0;
	double *reps = malloc((size_t)chunks * size * sizeof(double));
	if (!reps)
		return bb_fail(err, BB_ENOMEM, "bootstrap: out of memory");
#pragma omp parallel reduction(| : failed)
	{
		double *scratch = malloc((size_t)n * sizeof(double));
		failed |= !scratch;
#pragma omp for schedule(static)
		for (int c = 0; c < chunks; c++)
			if (scratch)
				bootstrap_chunk(loglik, n, c, size, scratch, reps + (size_t)c * size);
		free(scratch);
	}
	if (!failed)
		*out = sample_stddev(reps, chunks * size);
	free(reps);
	return failed ? bb_fail(err, BB_ENOMEM, "bootstrap: out of memory") : 0;
}
