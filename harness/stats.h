/*
 * stats.h: the statistics behind the report's significance marks and proxy check
 * (docs/statistics.md): McNemar's test per task, a paired bootstrap of the multi-task
 * mean accuracy, a bootstrap over documents of a token-weighted mean (mean KLD, top-1
 * agreement) and of the paired difference of two, and Spearman's rank correlation.
 *
 * Pure functions of their arguments: no I/O, no global state (the bootstrap's generator
 * lives on the caller's stack, seeded explicitly), so results are reproducible and safe
 * from any thread. Never prints, never exits.
 */
#ifndef BB_STATS_H
#define BB_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* Below this many discordant pairs McNemar's p is the exact binomial one. */
#define MCNEMAR_EXACT_BELOW 25

struct mcnemar {
	int b, c;       /* discordant pairs: A right and B wrong; A wrong and B right */
	double p;       /* two-sided */
	bool exact;     /* exact binomial (b + c < MCNEMAR_EXACT_BELOW), else chi-square with
			 * continuity correction */
};

/* Two-sided exact binomial p of k successes in n fair trials: min(1, 2 P(X <= min(k, n-k))). */
double stats_binomial_two_sided(int k, int n);

/* McNemar's test on discordant counts b and c. b = c = 0 gives p = 1. */
struct mcnemar stats_mcnemar(int b, int c);

/* One task's paired per-document outcomes (acc: 1 right, 0 wrong), same documents in the
 * same order. */
struct paired_task {
	int n;
	const double *a, *b;   /* [n] */
};

#define BOOTSTRAP_RESAMPLES 10000
#define BOOTSTRAP_SEED 20240601u

struct bootstrap {
	double diff;        /* observed: mean over tasks of (mean a - mean b) */
	double lo, hi;      /* 95% percentile interval of the resampled differences */
	double p;           /* two-sided: min(1, 2 min(#{d* <= 0}, #{d* >= 0}) / B); 0 means < 1/B */
	int resamples;
};

/* Paired bootstrap of the multi-task mean accuracy difference (a - b): each resample
 * draws n documents with replacement within every task, independently, and averages the
 * per-task mean differences. The generator is splitmix64 seeded with seed. Returns 0, or
 * -1 when a task is empty, there are no tasks, or memory runs out. */
int stats_paired_bootstrap(const struct paired_task *tasks, int n_tasks, int resamples,
			   uint64_t seed, struct bootstrap *out);

/* One row's per-document sums behind a token-weighted mean, sum num / sum den: for the
 * mean KLD, num is each document's summed KLD and den its tokens. */
struct weighted_docs {
	const double *num, *den;   /* [n] */
};

/* Bootstrap over documents (the unit: tokens within one are not independent) of a's
 * token-weighted mean, or, when b is not NULL, of a's minus b's over the same documents in
 * the same order (paired: each resample draws one set of documents for both). Each
 * resample draws n documents with replacement by the generator of stats_paired_bootstrap.
 * out->diff is the observed statistic, lo and hi its 95% percentile interval, p the
 * two-sided p of 0 (meaningful for a difference). Returns 0, or -1 when n < 1 or memory
 * runs out. */
int stats_weighted_bootstrap(const struct weighted_docs *a, const struct weighted_docs *b,
			     int n, int resamples, uint64_t seed, struct bootstrap *out);

/* Whether the 95% interval excludes zero. */
bool stats_significant(const struct bootstrap *b);

/* Holm's step-down adjustment of n p-values for multiple comparisons: with the p sorted
 * ascending, the j-th (0-based) becomes min(1, max over i <= j of (n - i) p_(i)). Rejecting
 * where the adjusted p < alpha keeps the family-wise error rate at alpha. adjusted[k]
 * belongs to p[k]. Returns 0, or -1 when memory runs out. */
int stats_holm(const double *p, int n, double *adjusted);

/* Average ranks (1-based; ties share the mean of their positions) of x[n] into rank[n]. */
void stats_ranks(const double *x, int n, double *rank);

/* Spearman's rank correlation: Pearson's correlation of the average ranks. NAN when n < 2
 * or either variable is constant. */
double stats_spearman(const double *x, const double *y, int n);

/* The 95% percentile interval of Spearman's rho over n pairs (x[i], y[i]) drawn with
 * replacement. Resamples where rho is undefined (a variable constant in the draw) are left
 * out of the interval. Returns 0, or -1 when n < 2, no resample has a rho or memory runs
 * out. */
int stats_spearman_bootstrap(const double *x, const double *y, int n, int resamples,
			     uint64_t seed, double *lo, double *hi);

#endif
