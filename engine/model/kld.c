/*
 * kld.c: the arithmetic of the KLD measures: one position from two logit rows, and the
 * summary of many positions (mean with its standard errors, percentiles, top-1 agreement,
 * perplexities). Pure functions over arrays; the passes over a text are in
 * kld_reference.c. Never prints, never exits.
 */
#include "engine/model/kld.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- one position ----

/* Index of the largest logit (the first on ties, as token_logprob). */
static int row_argmax(const float *row, int V)
{
	int best = 0;
	for (int j = 1; j < V; j++)
		best = row[j] > row[best] ? j : best;
	return best;
}

/* With e_j = exp(x_j - max x) and S its sum, p_j = e_j / S, so
 *   KL = sum_j p_j (lp_ref_j - lp_q_j) = (sum_j e_j (x_j - y_j)) / S - lse_ref + lse_q:
 * one exp per entry of each row, where computing p_j apart takes a third. The sums are in
 * double, shifted by each row's maximum. */
void kld_compare(const float *ref_logits, const float *q_logits, int V, int next,
		 struct kld_position *out)
{
	int top_ref = row_argmax(ref_logits, V), top_q = row_argmax(q_logits, V);
	double max_ref = ref_logits[top_ref], max_q = q_logits[top_q];
	double sum_ref = 0, sum_q = 0, weighted = 0;
	for (int j = 0; j < V; j++) {
		double e = exp((double)ref_logits[j] - max_ref);
		sum_ref += e;
		if (e > 0) /* 0 log 0 = 0, even where the candidate's logit is -inf too */
			weighted += e * ((double)ref_logits[j] - (double)q_logits[j]);
		sum_q += exp((double)q_logits[j] - max_q);
	}
	double lse_ref = max_ref + log(sum_ref), lse_q = max_q + log(sum_q);
	double kld = weighted / sum_ref - lse_ref + lse_q;
	/* KL >= 0; rounding can leave a sum of terms that cancel at -1e-15. */
	out->kld = kld > 0 ? kld : 0;
	out->ref_logprob = (double)ref_logits[next] - lse_ref;
	out->q_logprob = (double)q_logits[next] - lse_q;
	out->same_top = top_ref == top_q;
}

// ---- summaries ----

double kld_percentile(const double *sorted, long n, double p)
{
	double h = (double)(n - 1) * p;
	long lo = (long)floor(h);
	if (lo >= n - 1)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Percentiles and maximum of the positions' KLD, from a sorted copy. */
static int kld_quantiles(const struct kld_position *pos, long n, struct kld_summary *s,
			 struct bb_error *err)
{
	double *sorted = malloc((size_t)n * sizeof *sorted);
	if (!sorted)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (long i = 0; i < n; i++)
		sorted[i] = pos[i].kld;
	qsort(sorted, (size_t)n, sizeof *sorted, compare_doubles);
	s->median_kld = kld_percentile(sorted, n, 0.5);
	s->p90_kld = kld_percentile(sorted, n, 0.9);
	s->p99_kld = kld_percentile(sorted, n, 0.99);
	s->max_kld = sorted[n - 1];
	free(sorted);
	return 0;
}

/* The cluster-robust standard error of the mean with documents as clusters:
 * sqrt(G / (G - 1) * sum_g (S_g - n_g * mean)^2) / n, S_g the document's summed KLD.
 * Tokens of one document share their context, so they are not independent; this one
 * only assumes that documents are. */
static double cluster_se(const struct kld_position *pos, long n, const long *doc_start,
			 int n_docs, double mean)
{
	if (!doc_start || n_docs < 2)
		return NAN;
	double ss = 0;
	for (int g = 0; g < n_docs; g++) {
		double sum = 0;
		for (long i = doc_start[g]; i < doc_start[g + 1]; i++)
			sum += pos[i].kld;
		double e = sum - (double)(doc_start[g + 1] - doc_start[g]) * mean;
		ss += e * e;
	}
	return sqrt((double)n_docs / (n_docs - 1) * ss) / (double)n;
}

int kld_summarize(const struct kld_position *pos, long n, const long *doc_start, int n_docs,
		  struct kld_summary *s, struct bb_error *err)
{
	memset(s, 0, sizeof *s);
	s->n_tokens = n;
	double sum = 0, ref_lp = 0, q_lp = 0;
	long same = 0;
	for (long i = 0; i < n; i++) {
		sum += pos[i].kld;
		ref_lp += pos[i].ref_logprob;
		q_lp += pos[i].q_logprob;
		same += pos[i].same_top;
	}
	s->mean_kld = sum / (double)n;
	double ss = 0;
	for (long i = 0; i < n; i++)
		ss += (pos[i].kld - s->mean_kld) * (pos[i].kld - s->mean_kld);
	s->se_kld = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
	s->se_kld_documents = cluster_se(pos, n, doc_start, n_docs, s->mean_kld);
	s->top1_agreement = (double)same / (double)n;
	s->ref_perplexity = exp(-ref_lp / (double)n);
	s->perplexity = exp(-q_lp / (double)n);
	s->perplexity_ratio = exp((ref_lp - q_lp) / (double)n);
	s->mean_delta_logprob = (q_lp - ref_lp) / (double)n;
	return kld_quantiles(pos, n, s, err);
}
