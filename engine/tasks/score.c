/*
 * score.c: from the model's answers to lm-eval's numbers: each document's outcome
 * (process_results in lm_eval/api/task.py) and each task's metrics with their stderr
 * (_compute_task_aggregations in lm_eval/evaluator_utils.py).
 *
 * Pure: it reads logprob/is_greedy from the requests and never touches a model, so tests
 * drive it with made-up numbers. Never prints, never exits.
 */
#include "engine/tasks/tasks.h"

#include <math.h>
#include <stdlib.h>

// ---- one document ----

/* numpy.argmax: the first maximum, or the first NaN if there is one. */
static int argmax(const double *x, int n)
{
	int best = 0;
	for (int i = 0; i < n; i++) {
		if (isnan(x[i]))
			return i;
		if (x[i] > x[best])
			best = i;
	}
	return best;
}

/* acc and acc_norm of a multiple-choice document (loaders keep n <= TASK_MAX_CHOICES). */
static void score_choices(const struct task *t, struct task_doc *d)
{
	double ll[TASK_MAX_CHOICES], normed[TASK_MAX_CHOICES];
	int n = d->n < TASK_MAX_CHOICES ? d->n : TASK_MAX_CHOICES;
	for (int i = 0; i < n; i++) {
		const struct task_request *r = &t->reqs[d->first + i];
		ll[i] = r->logprob;
		normed[i] = r->logprob / (double)r->choice_chars;
	}
	d->acc = argmax(ll, n) == d->gold ? 1.0 : 0.0;
	d->acc_norm = argmax(normed, n) == d->gold ? 1.0 : 0.0;
	d->loglik = ll[d->gold < n && d->gold >= 0 ? d->gold : 0];
}

void task_score(struct task *t)
{
	for (int i = 0; i < t->n_docs; i++) {
		struct task_doc *d = &t->docs[i];
		const struct task_request *r = &t->reqs[d->first];
		if (t->output == TASK_MULTIPLE_CHOICE) {
			score_choices(t, d);
		} else {
			d->acc = r->is_greedy ? 1.0 : 0.0;
			d->loglik = r->logprob;
		}
	}
}

// ---- a task's metrics ----

/* Per-document values of one field, and their weights for the weighted perplexities. */
static void collect(const struct task *t, enum metric m, double *values, double *weights)
{
	for (int i = 0; i < t->n_docs; i++) {
		const struct task_doc *d = &t->docs[i];
		values[i] = m == METRIC_ACC ? d->acc : m == METRIC_ACC_NORM ? d->acc_norm : d->loglik;
		weights[i] = m == METRIC_WORD_PERPLEXITY ? (double)d->words : (double)d->bytes;
	}
}

static int aggregate_one(const struct task *t, enum metric m, int iters, double *values,
			 double *weights, struct metric_result *out, struct bb_error *err)
{
	int n = t->n_docs;
	collect(t, m, values, weights);
	*out = (struct metric_result){.metric = m, .stderr_ = NAN};
	switch (m) {
	case METRIC_ACC:
	case METRIC_ACC_NORM:
		out->value = metric_mean(values, n);
		out->stderr_ = metric_mean_stderr(values, n);
		return 0;
	case METRIC_PERPLEXITY:
		out->value = metric_perplexity(values, n);
		return metric_bootstrap_perplexity_stderr(values, n, iters, &out->stderr_, err);
	case METRIC_WORD_PERPLEXITY:
	case METRIC_BYTE_PERPLEXITY:
		out->value = exp(-metric_weighted_mean(values, weights, n));
		return 0;
	case METRIC_BITS_PER_BYTE:
		out->value = -metric_weighted_mean(values, weights, n) / log(2.0);
		return 0;
	default:
		return bb_fail(err, BB_EINVAL, "task '%s': unknown metric %d", t->name, (int)m);
	}
}

int task_aggregate(const struct task *t, int bootstrap_iters, struct metric_result *out,
		   int *n, struct bb_error *err)
{
	*n = 0;
	if (t->n_docs < 1)
		return bb_fail(err, BB_EINVAL, "task '%s' has no documents to score", t->name);
	double *values = malloc((size_t)t->n_docs * sizeof(double));
	double *weights = malloc((size_t)t->n_docs * sizeof(double));
	int rc = values && weights ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < t->n_metrics && !rc; i++)
		rc = aggregate_one(t, t->metrics[i], bootstrap_iters, values, weights, &out[i], err);
	free(values);
	free(weights);
	if (!rc)
		*n = t->n_metrics;
	return rc;
}
