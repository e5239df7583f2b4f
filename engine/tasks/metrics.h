/*
 * metrics.h: lm-eval's metrics and their aggregation: names, means, standard errors,
 * perplexities, and the bootstrap that draws exactly what lm-eval's Python draws.
 *
 * Pure arithmetic over arrays of per-document values (metrics.c): no task, no model, no
 * I/O. The formulas come from ../shared/docs/lm-eval.md section 2, quirks included. It
 * must never print, never exit, and keep no global mutable state (only the name table).
 */
#ifndef BB_METRICS_H
#define BB_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* lm-eval's default bootstrap_iters (perplexity's stderr). */
#define EVAL_BOOTSTRAP_ITERS 100000

enum metric {
	METRIC_ACC,             /* mean of per-document 0/1 */
	METRIC_ACC_NORM,        /* mean of 0/1, argmax of logprob / characters of the choice */
	METRIC_PERPLEXITY,      /* exp(-mean loglikelihood), bootstrapped stderr */
	METRIC_WORD_PERPLEXITY, /* exp(-sum ll / sum words) */
	METRIC_BYTE_PERPLEXITY, /* exp(-sum ll / sum bytes) */
	METRIC_BITS_PER_BYTE,   /* -sum ll / (sum bytes * ln 2) */
	METRIC_COUNT
};

/* "acc", "acc_norm", ...; NULL outside the enum. */
const char *metric_name(enum metric m);
/* The metric called name, or -1. */
int metric_from_name(const char *name);
bool metric_higher_is_better(enum metric m);
/* lm-eval's aggregation name for the config's metric_list: "mean", "perplexity", ... */
const char *metric_aggregation(enum metric m);

/* lm-eval's mean: sum / n, summed left to right. */
double metric_mean(const double *x, int n);
/* lm-eval's mean_stderr: sample standard deviation (n - 1) / sqrt(n). NAN ("N/A") when
 * n < 2, as lm-eval reports it. */
double metric_mean_stderr(const double *x, int n);
/* exp(-mean(loglik)). */
double metric_perplexity(const double *loglik, int n);
/* sum(a) / sum(b), lm-eval's weighted_mean. */
double metric_weighted_mean(const double *a, const double *b, int n);
/* lm-eval's aggregate_subtask_metrics with weight_by_size: sum(v * size) / sum(size). */
double metric_size_weighted_mean(const double *values, const int *sizes, int n);
/* lm-eval's pooled_sample_stderr over subtasks: sqrt(sum((n-1) * se^2 * n) /
 * (sum(n) - k) / sum(n)). NAN if any stderr is NAN. */
double metric_pooled_stderr(const double *stderrs, const int *sizes, int n);

/* Python's random.Random (MT19937, seeded like random.seed(int)), for bootstraps that
 * draw exactly what lm-eval draws. */
struct py_random {
	uint32_t mt[624];
	int index;
};
void py_random_seed(struct py_random *r, uint32_t seed);
/* random.random(): 53-bit float in [0, 1). */
double py_random_random(struct py_random *r);

/* lm-eval's bootstrap_stderr(perplexity, x, iters): chunks of min(1000, iters) draws,
 * chunk i from random.Random(i), each draw rnd.choices(x, k=n) (floor(random() * n)),
 * then the sample standard deviation of the iters // chunk * chunk replicates. Returns
 * 0 and *out (NAN when n < 2 or iters < 1: "N/A"), or BB_ENOMEM. */
int metric_bootstrap_perplexity_stderr(const double *loglik, int n, int iters, double *out,
				       struct bb_error *err);

/* One aggregated metric of a task. */
struct metric_result {
	enum metric metric;
	double value;
	double stderr_;         /* NAN: lm-eval's "N/A" */
};

#endif
