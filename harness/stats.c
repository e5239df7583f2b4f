/*
 * stats.c: McNemar, the paired bootstrap and Spearman (see stats.h and docs/statistics.md).
 * Arithmetic only: never reads files, never prints, keeps no state between calls.
 */
#include "harness/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- McNemar ----

double stats_binomial_two_sided(int k, int n)
{
	if (n <= 0)
		return 1;
	int m = k < n - k ? k : n - k;
	double tail = 0, log_half_n = n * log(0.5);
	for (int i = 0; i <= m; i++)
		tail += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) + log_half_n);
	return fmin(1.0, 2 * tail);
}

struct mcnemar stats_mcnemar(int b, int c)
{
	struct mcnemar t = {.b = b, .c = c, .exact = b + c < MCNEMAR_EXACT_BELOW};
	if (t.exact) {
		t.p = stats_binomial_two_sided(b, b + c);
	} else {
		/* chi-square, 1 degree of freedom, with Yates' continuity correction; its survival
		 * function is erfc(sqrt(x / 2)) */
		double d = fabs((double)b - c) - 1;
		double chi2 = d > 0 ? d * d / (b + c) : 0;
		t.p = erfc(sqrt(chi2 / 2));
	}
	return t;
}

// ---- the paired bootstrap ----

#define SPLITMIX64_STEP 0x9E3779B97F4A7C15ULL

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += SPLITMIX64_STEP);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by Lemire's multiply-shift (bias below n / 2^64). */
static int below(uint64_t *state, int n)
{
	return (int)(((unsigned __int128)splitmix64(state) * (unsigned)n) >> 64);
}

static int by_value(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* The percentile interval and two-sided p of resamples draws (sorted here), given how many
 * are at most and at least zero. */
static void summarize_draws(double *draws, int resamples, int at_most_zero, int at_least_zero,
			    struct bootstrap *out)
{
	qsort(draws, (size_t)resamples, sizeof *draws, by_value);
	out->lo = draws[(int)floor(0.025 * resamples)];
	out->hi = draws[(int)ceil(0.975 * resamples) - 1];
	int fewer = at_most_zero < at_least_zero ? at_most_zero : at_least_zero;
	out->p = fmin(1.0, 2.0 * fewer / resamples);
	out->resamples = resamples;
}

/* Per task, the per-document differences a - b, one array after another. */
static double *differences(const struct paired_task *tasks, int n_tasks, double *observed)
{
	size_t total = 0;
	for (int t = 0; t < n_tasks; t++)
		total += (size_t)tasks[t].n;
	double *d = malloc(sizeof *d * (total + 1)), *at = d;
	*observed = 0;
	for (int t = 0; d && t < n_tasks; t++) {
		double sum = 0;
		for (int i = 0; i < tasks[t].n; i++)
			sum += (*at++ = tasks[t].a[i] - tasks[t].b[i]);
		*observed += sum / tasks[t].n / n_tasks;
	}
	return d;
}

int stats_paired_bootstrap(const struct paired_task *tasks, int n_tasks, int resamples,
			   uint64_t seed, struct bootstrap *out)
{
	memset(out, 0, sizeof *out);
	if (n_tasks < 1 || resamples < 1)
		return -1;
	for (int t = 0; t < n_tasks; t++)
		if (tasks[t].n < 1)
			return -1;
	double *d = differences(tasks, n_tasks, &out->diff);
	double *draws = malloc(sizeof *draws * (size_t)resamples);
	if (!d || !draws) {
		free(d);
		free(draws);
		return -1;
	}
	/* splitmix64's state is a counter, so resample r starts where r * total draws of one
	 * sequential stream would have left it: the resamples run in parallel and every
	 * thread count gives the same draws, the same interval and the same p. */
	uint64_t total = 0;
	for (int t = 0; t < n_tasks; t++)
		total += (uint64_t)tasks[t].n;
	int at_most_zero = 0, at_least_zero = 0;
#pragma omp parallel for schedule(static) reduction(+ : at_most_zero, at_least_zero)
	for (int r = 0; r < resamples; r++) {
		uint64_t state = seed + (uint64_t)r * total * SPLITMIX64_STEP;
		double mean = 0;
		const double *task_d = d;
		for (int t = 0; t < n_tasks; t++) {
			int n = tasks[t].n;
			double sum = 0;
			for (int i = 0; i < n; i++)
				sum += task_d[below(&state, n)];
			mean += sum / n / n_tasks;
			task_d += n;
		}
		draws[r] = mean;
		at_most_zero += mean <= 0;
		at_least_zero += mean >= 0;
	}
	summarize_draws(draws, resamples, at_most_zero, at_least_zero, out);
	free(d);
	free(draws);
	return 0;
}

// ---- the bootstrap of a token-weighted mean, over documents ----

/* Running sums of one row's numerators and denominators over the documents drawn. */
struct weighted_sums {
	double num, den;
};

static void add_document(struct weighted_sums *s, const struct weighted_docs *d, int k)
{
	s->num += d->num[k];
	s->den += d->den[k];
}

/* sum num / sum den; 0 when the documents drawn have no tokens. */
static double weighted_mean(struct weighted_sums s) { return s.den > 0 ? s.num / s.den : 0; }

/* a's weighted mean over n documents, minus b's over the same ones when b is given: every
 * document once when draw is NULL (the observed statistic), else n drawn with replacement
 * by the generator whose state draw is. */
static double weighted_statistic(const struct weighted_docs *a, const struct weighted_docs *b,
				 int n, uint64_t *draw)
{
	struct weighted_sums sa = {0, 0}, sb = {0, 0};
	for (int i = 0; i < n; i++) {
		int k = draw ? below(draw, n) : i;
		add_document(&sa, a, k);
		if (b)
			add_document(&sb, b, k);
	}
	return weighted_mean(sa) - (b ? weighted_mean(sb) : 0);
}

int stats_weighted_bootstrap(const struct weighted_docs *a, const struct weighted_docs *b,
			     int n, int resamples, uint64_t seed, struct bootstrap *out)
{
	memset(out, 0, sizeof *out);
	if (n < 1 || resamples < 1)
		return -1;
	double *draws = malloc(sizeof *draws * (size_t)resamples);
	if (!draws)
		return -1;
	out->diff = weighted_statistic(a, b, n, NULL);
	int at_most_zero = 0, at_least_zero = 0;
	/* The stream of stats_paired_bootstrap: resample r starts r * n draws in, so any
	 * thread count gives the same draws. */
#pragma omp parallel for schedule(static) reduction(+ : at_most_zero, at_least_zero)
	for (int r = 0; r < resamples; r++) {
		uint64_t state = seed + (uint64_t)r * (uint64_t)n * SPLITMIX64_STEP;
		draws[r] = weighted_statistic(a, b, n, &state);
		at_most_zero += draws[r] <= 0;
		at_least_zero += draws[r] >= 0;
	}
	summarize_draws(draws, resamples, at_most_zero, at_least_zero, out);
	free(draws);
	return 0;
}

bool stats_significant(const struct bootstrap *b) { return b->lo > 0 || b->hi < 0; }

// ---- values sorted with their positions (Holm, ranks) ----

struct ranked {
	double v;
	int i;
};

static int by_v_then_index(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return a->i - b->i;
}

/* x[n] with each value's position, sorted ascending (ties by position); NULL when memory
 * runs out. The caller frees. */
static struct ranked *sorted_with_positions(const double *x, int n)
{
	struct ranked *r = malloc(sizeof *r * ((size_t)n + 1));
	if (!r)
		return NULL;
	for (int i = 0; i < n; i++)
		r[i] = (struct ranked){x[i], i};
	qsort(r, (size_t)n, sizeof *r, by_v_then_index);
	return r;
}

// ---- Holm ----

int stats_holm(const double *p, int n, double *adjusted)
{
	if (n <= 0)
		return 0;
	struct ranked *sorted = sorted_with_positions(p, n);
	if (!sorted)
		return -1;
	double running = 0;
	for (int j = 0; j < n; j++) {
		double v = fmin(1.0, (double)(n - j) * sorted[j].v);
		running = fmax(running, v);
		adjusted[sorted[j].i] = running;
	}
	free(sorted);
	return 0;
}

// ---- Spearman ----

void stats_ranks(const double *x, int n, double *rank)
{
	struct ranked *r = sorted_with_positions(x, n);
	if (!r)
		return;
	for (int i = 0; i < n;) {
		int j = i;
		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		double average = (i + j) / 2.0 + 1; /* positions i..j, 1-based */
		for (int k = i; k <= j; k++)
			rank[r[k].i] = average;
		i = j + 1;
	}
	free(r);
}

static double pearson(const double *x, const double *y, int n)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
	for (int i = 0; i < n; i++)
		mx += x[i] / n, my += y[i] / n;
	for (int i = 0; i < n; i++) {
		sxy += (x[i] - mx) * (y[i] - my);
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

double stats_spearman(const double *x, const double *y, int n)
{
	if (n < 2)
		return NAN;
	double *rx = malloc(sizeof *rx * (size_t)n), *ry = malloc(sizeof *ry * (size_t)n);
	double rho = NAN;
	if (rx && ry) {
		stats_ranks(x, n, rx);
		stats_ranks(y, n, ry);
		rho = pearson(rx, ry, n);
	}
	free(rx);
	free(ry);
	return rho;
}

// ---- bootstrap intervals of one statistic ----

/* The 95% percentile interval of the n sorted-in-place draws. */
static void percentile_interval(double *draws, int n, double *lo, double *hi)
{
	qsort(draws, (size_t)n, sizeof *draws, by_value);
	*lo = draws[(int)floor(0.025 * n)];
	*hi = draws[(int)ceil(0.975 * n) - 1];
}

int stats_spearman_bootstrap(const double *x, const double *y, int n, int resamples,
			     uint64_t seed, double *lo, double *hi)
{
	if (n < 2 || resamples < 1)
		return -1;
	double *draws = malloc(sizeof *draws * (size_t)resamples);
	double *xs = malloc(sizeof *xs * (size_t)n), *ys = malloc(sizeof *ys * (size_t)n);
	int defined = 0;
	for (int r = 0; draws && xs && ys && r < resamples; r++) {
		uint64_t state = seed + (uint64_t)r * (uint64_t)n * SPLITMIX64_STEP;
		for (int i = 0; i < n; i++) {
			int k = below(&state, n);
			xs[i] = x[k], ys[i] = y[k];
		}
		double rho = stats_spearman(xs, ys, n);
		if (!isnan(rho))
			draws[defined++] = rho;
	}
	if (defined)
		percentile_interval(draws, defined, lo, hi);
	free(draws);
	free(xs);
	free(ys);
	return defined ? 0 : -1;
}
