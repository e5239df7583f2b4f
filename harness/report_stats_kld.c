/*
 * report_stats_kld.c: the statistics of the KLD results in a report (issue 11): per cell
 * the 95% interval over documents of its mean KLD, top-1 agreement and log perplexity
 * ratio, and the paired test of each quantized row against "Ours" at its budget, Holm-
 * adjusted per model and measure; the random:SEED groups' spread over seeds of the same.
 *
 * Kept apart from report_stats.c (accuracy) because the unit differs: accuracy is a mean
 * over items per task, these are token-weighted means over documents, and documents are
 * what is resampled (tokens within one share their context, so they are not independent).
 * Never reads a file, never prints.
 */
#include "harness/report_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this a Holm-adjusted p is read as significant (the family-wise error rate). */
#define KLD_ALPHA 0.05

double report_kld_value(const struct report_kld *k, enum kld_measure measure)
{
	switch (measure) {
	case KLD_MEAN:
		return k->mean_kld;
	case KLD_TOP1:
		return k->top1;
	default:
		return log(k->ppl_ratio);
	}
}

bool report_any_kld(const struct report *r)
{
	for (int row = 0; row < r->e->n_rows; row++)
		for (int m = 0; m < r->e->n_models; m++)
			if (r->cells[row][m].kld.have || r->cells[row][m].unreachable)
				return true;
	return false;
}

static bool is_sensitivity(const struct exp_row *row)
{
	return strcmp(row->strategy, "sensitivity") == 0;
}

int report_kld_reference_row(const struct report *r, int row)
{
	const struct exp_row *rows = r->e->rows;
	if (is_sensitivity(&rows[row]) || strcmp(rows[row].strategy, "bf16") == 0)
		return -1;
	for (int i = 0; i < r->e->n_rows; i++)
		if (is_sensitivity(&rows[i]) && rows[i].avg_bits == rows[row].avg_bits)
			return i;
	return -1;
}

// ---- per-document sums of each measure ----

static bool has_documents(const struct report_kld *k)
{
	return k->have && k->n_docs > 0 && k->doc_tokens && k->doc_kld && k->doc_top1 &&
	       k->doc_nll_ref && k->doc_nll_quant;
}

/* The per-document numerators of every measure (the log perplexity ratio's, the NLL
 * difference, is malloc'd into *owned, which the caller frees). false when out of memory. */
static bool measure_sums(const struct report_kld *k, struct weighted_docs sums[KLD_MEASURE_COUNT],
			 double **owned)
{
	*owned = malloc(sizeof **owned * (size_t)k->n_docs);
	if (!*owned)
		return false;
	for (int d = 0; d < k->n_docs; d++)
		(*owned)[d] = k->doc_nll_quant[d] - k->doc_nll_ref[d];
	sums[KLD_MEAN] = (struct weighted_docs){k->doc_kld, k->doc_tokens};
	sums[KLD_TOP1] = (struct weighted_docs){k->doc_top1, k->doc_tokens};
	sums[KLD_LOG_PPL_RATIO] = (struct weighted_docs){*owned, k->doc_tokens};
	return true;
}

/* The two results measured the same documents: as many, each with as many tokens. */
static bool same_documents(const struct report_kld *a, const struct report_kld *b)
{
	return a->n_docs == b->n_docs &&
	       memcmp(a->doc_tokens, b->doc_tokens, sizeof(double) * (size_t)a->n_docs) == 0;
}

// ---- intervals and tests ----

static int cell_intervals(struct report_cell *c)
{
	struct weighted_docs sums[KLD_MEASURE_COUNT];
	double *owned;
	if (!has_documents(&c->kld))
		return 0;
	if (!measure_sums(&c->kld, sums, &owned))
		return -1;
	int rc = 0;
	for (int k = 0; !rc && k < KLD_MEASURE_COUNT; k++)
		rc = stats_weighted_bootstrap(&sums[k], NULL, c->kld.n_docs, BOOTSTRAP_RESAMPLES,
					      BOOTSTRAP_SEED, &c->kld_stats.interval[k]);
	c->kld_stats.have_interval = rc == 0;
	free(owned);
	return rc;
}

/* Row minus Ours, per measure, over the documents both measured. */
static int test_against_ours(struct report_cell *c, const struct report_cell *ours)
{
	struct weighted_docs a[KLD_MEASURE_COUNT], b[KLD_MEASURE_COUNT];
	double *owned_a = NULL, *owned_b = NULL;
	if (!has_documents(&c->kld) || !has_documents(&ours->kld) ||
	    !same_documents(&c->kld, &ours->kld))
		return 0;
	int rc = measure_sums(&c->kld, a, &owned_a) && measure_sums(&ours->kld, b, &owned_b) ? 0 : -1;
	for (int k = 0; !rc && k < KLD_MEASURE_COUNT; k++)
		rc = stats_weighted_bootstrap(&a[k], &b[k], c->kld.n_docs, BOOTSTRAP_RESAMPLES,
					      BOOTSTRAP_SEED, &c->kld_stats.vs_ours[k]);
	free(owned_a);
	free(owned_b);
	return rc;
}

/* Holm over model m's tests against Ours, one family per measure. As for accuracy, a p of
 * 0 (below 1/B) enters as 1/B, so the adjusted p stays an upper bound. */
static int adjust_kld_tests(struct report *r, int m)
{
	size_t rows = (size_t)r->e->n_rows + 1;
	double *p = malloc(sizeof *p * rows), *adjusted = malloc(sizeof *adjusted * rows);
	int *row_of = malloc(sizeof *row_of * rows), rc = p && adjusted && row_of ? 0 : -1;
	for (int k = 0; !rc && k < KLD_MEASURE_COUNT; k++) {
		int n = 0;
		for (int row = 0; row < r->e->n_rows; row++)
			if (r->cells[row][m].kld_stats.tested) {
				p[n] = fmax(r->cells[row][m].kld_stats.vs_ours[k].p,
					    1.0 / BOOTSTRAP_RESAMPLES);
				row_of[n++] = row;
			}
		rc = stats_holm(p, n, adjusted);
		for (int i = 0; !rc && i < n; i++)
			r->cells[row_of[i]][m].kld_stats.p_holm[k] = adjusted[i];
	}
	free(p);
	free(adjusted);
	free(row_of);
	return rc;
}

static int model_kld_statistics(struct report *r, int m)
{
	for (int row = 0; row < r->e->n_rows; row++) {
		struct report_cell *c = &r->cells[row][m];
		int ours = report_kld_reference_row(r, row);
		memset(&c->kld_stats, 0, sizeof c->kld_stats);
		if (cell_intervals(c))
			return -1;
		if (ours < 0 || !r->cells[ours][m].kld.have)
			continue;
		if (test_against_ours(c, &r->cells[ours][m]))
			return -1;
		c->kld_stats.tested = c->kld_stats.vs_ours[KLD_MEAN].resamples > 0;
		c->kld_stats.ours = ours;
	}
	return adjust_kld_tests(r, m);
}

/* Mean, sample sd, min and max over a group's seeds with a KLD result, per measure, into
 * the stats of the group's first cell (where the tables draw the folded row). */
static void seed_group_kld_spread(struct report *r, const struct report_seed_group *g, int m)
{
	struct report_kld_stats *s = &r->cells[g->first][m].kld_stats;
	for (int k = 0; k < KLD_MEASURE_COUNT; k++) {
		double sum = 0, sq = 0;
		int n = 0;
		for (int row = g->first; row < g->first + g->n_rows; row++) {
			const struct report_kld *kld = &r->cells[row][m].kld;
			if (!kld->have)
				continue;
			double v = report_kld_value(kld, k);
			s->seeds_min[k] = n ? fmin(s->seeds_min[k], v) : v;
			s->seeds_max[k] = n ? fmax(s->seeds_max[k], v) : v;
			sum += v;
			n++;
		}
		s->seeds_have = n;
		s->seeds_mean[k] = n ? sum / n : 0;
		for (int row = g->first; row < g->first + g->n_rows; row++)
			if (r->cells[row][m].kld.have)
				sq += pow(report_kld_value(&r->cells[row][m].kld, k) - s->seeds_mean[k], 2);
		s->seeds_sd[k] = n > 1 ? sqrt(sq / (n - 1)) : 0;
	}
}

int report_compute_kld_statistics(struct report *r)
{
	for (int m = 0; m < r->e->n_models; m++) {
		if (model_kld_statistics(r, m))
			return -1;
		for (int g = 0; g < r->n_seed_groups; g++)
			seed_group_kld_spread(r, &r->seed_groups[g], m);
	}
	return 0;
}

// ---- looking up, while writing ----

const struct bootstrap *report_kld_test(const struct report *r, int row, int model,
					enum kld_measure measure)
{
	const struct report_kld_stats *s = &r->cells[row][model].kld_stats;
	return s->tested ? &s->vs_ours[measure] : NULL;
}

bool report_kld_significant(const struct report *r, int row, int model, enum kld_measure measure)
{
	return report_kld_test(r, row, model, measure) &&
	       r->cells[row][model].kld_stats.p_holm[measure] < KLD_ALPHA;
}
