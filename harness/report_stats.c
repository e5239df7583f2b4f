/*
 * report_stats.c: the report's statistics, computed once from the collected cells and
 * their per-document outcomes (report_compute_statistics), and the questions the writers
 * ask of them. The tests themselves are harness/stats.c; this file pairs the rows.
 * Never reads a file, never prints.
 */
#include "harness/report_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cell_outcomes_free(struct cell_outcomes *o)
{
	for (int t = 0; t < EXP_MAX; t++)
		free(o->acc[t]), free(o->doc[t]);
	memset(o, 0, sizeof *o);
}

// ---- computing, while collecting ----

/* Row hi minus row lo of model m, over the acc tasks both have, on the same documents. */
static void paired_test(struct report *r, int m, int lo, int hi,
			const struct cell_outcomes *oc)
{
	struct report_test *t = &r->tests[m][lo][hi];
	const struct report_cell *a = &r->cells[hi][m], *b = &r->cells[lo][m];
	const struct cell_outcomes *oa = &oc[hi * EXP_MAX + m], *ob = &oc[lo * EXP_MAX + m];
	struct paired_task tasks[EXP_MAX];
	memset(t, 0, sizeof *t);
	if (!a->samples || !b->samples)
		return;
	for (int k = 0; k < r->e->n_tasks; k++) {
		if (!a->task_have[k] || !b->task_have[k] || r->task_is_perplexity[k])
			continue;
		int n = oa->n[k];
		if (n != ob->n[k] || memcmp(oa->doc[k], ob->doc[k], sizeof(int) * (size_t)n) != 0)
			return; /* not the same documents: no paired test */
		int plus = 0, minus = 0;
		for (int i = 0; i < n; i++) {
			bool ra = oa->acc[k][i] > 0.5, rb = ob->acc[k][i] > 0.5;
			plus += ra && !rb;
			minus += !ra && rb;
		}
		t->mc[t->n_tasks] = stats_mcnemar(plus, minus);
		t->task[t->n_tasks] = k;
		tasks[t->n_tasks++] = (struct paired_task){n, oa->acc[k], ob->acc[k]};
	}
	t->have = t->n_tasks > 0 && stats_paired_bootstrap(tasks, t->n_tasks, BOOTSTRAP_RESAMPLES,
							   BOOTSTRAP_SEED, &t->boot) == 0;
}

static void proxy_correlation(struct report *r, int m)
{
	double x[EXP_MAX], y[EXP_MAX];
	int n = 0;
	for (int row = 0; row < r->e->n_rows; row++)
		n += report_proxy_point(r, row, m, &x[n], &y[n]);
	r->proxy_n[m] = n;
	r->proxy_rho[m] = stats_spearman(x, y, n);
}

/* Holm's adjustment of model m's bootstrap p-values: one family per model, the pairs the
 * significance section lists (tests without samples are not in it). */
static int adjust_for_multiple_comparisons(struct report *r, int m)
{
	double p[EXP_MAX * EXP_MAX] = {0}, adjusted[EXP_MAX * EXP_MAX];
	struct report_test *family[EXP_MAX * EXP_MAX];
	int n = 0;
	for (int hi = 0; hi < r->e->n_rows; hi++)
		for (int lo = 0; lo < hi; lo++)
			if (r->tests[m][lo][hi].have) {
				family[n] = &r->tests[m][lo][hi];
				/* p = 0 means p < 1/B: taking 1/B keeps the adjusted p an upper bound */
				p[n] = fmax(family[n]->boot.p, 1.0 / BOOTSTRAP_RESAMPLES);
				n++;
			}
	if (stats_holm(p, n, adjusted))
		return -1;
	for (int k = 0; k < n; k++)
		family[k]->p_holm = adjusted[k];
	return 0;
}

static bool is_random_row(const struct exp_row *row)
{
	return strncmp(row->strategy, "random:", 7) == 0;
}

/* Mean, sample sd, min and max of a group's cells, per model. */
static void seed_group_spread(const struct report *r, struct report_seed_group *g)
{
	for (int m = 0; m < r->e->n_models; m++) {
		double sum = 0, sq = 0;
		int n = 0;
		for (int row = g->first; row < g->first + g->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			if (!c->have)
				continue;
			g->min[m] = n ? fmin(g->min[m], c->mean_acc) : c->mean_acc;
			g->max[m] = n ? fmax(g->max[m], c->mean_acc) : c->mean_acc;
			sum += c->mean_acc;
			n++;
		}
		g->n_have[m] = n;
		g->mean[m] = n ? sum / n : 0;
		for (int row = g->first; row < g->first + g->n_rows; row++)
			if (r->cells[row][m].have)
				sq += pow(r->cells[row][m].mean_acc - g->mean[m], 2);
		g->sd[m] = n > 1 ? sqrt(sq / (n - 1)) : 0;
		const struct report_cell *b = r->bf16_row >= 0 ? &r->cells[r->bf16_row][m] : NULL;
		g->ratio[m] = n && b && b->have && b->mean_acc > 0 ? g->mean[m] / b->mean_acc : -1;
	}
}

/* Runs of two or more consecutive random:SEED rows with the same target bits. */
static void find_seed_groups(struct report *r)
{
	const struct exp_row *rows = r->e->rows;
	for (int row = 0; row < r->e->n_rows;) {
		int end = row + 1;
		while (is_random_row(&rows[row]) && end < r->e->n_rows &&
		       is_random_row(&rows[end]) && rows[end].avg_bits == rows[row].avg_bits)
			end++;
		if (end - row >= 2) {
			struct report_seed_group *g = &r->seed_groups[r->n_seed_groups++];
			g->first = row;
			g->n_rows = end - row;
			seed_group_spread(r, g);
		}
		row = end;
	}
}

/* The documents behind the mean acc of the cell that has the most: how much evidence the
 * accuracy columns rest on. */
static void count_acc_items(struct report *r, const struct cell_outcomes *oc)
{
	r->acc_items = 0;
	for (int i = 0; i < EXP_MAX * EXP_MAX; i++) {
		int n = 0;
		for (int t = 0; t < r->e->n_tasks; t++)
			n += r->task_is_perplexity[t] ? 0 : oc[i].n[t];
		r->acc_items = n > r->acc_items ? n : r->acc_items;
	}
}

int report_compute_statistics(struct report *r, const struct cell_outcomes *oc)
{
	find_seed_groups(r);
	count_acc_items(r, oc);
	for (int m = 0; m < r->e->n_models; m++) {
		for (int hi = 0; hi < r->e->n_rows; hi++)
			for (int lo = 0; lo < hi; lo++)
				paired_test(r, m, lo, hi, oc);
		if (adjust_for_multiple_comparisons(r, m))
			return -1;
		proxy_correlation(r, m);
	}
	return report_compute_kld_statistics(r);
}

// ---- looking up, while writing ----

const struct report_test *report_test_of(const struct report *r, int model, int a, int b)
{
	if (a == b)
		return NULL;
	return a < b ? &r->tests[model][a][b] : &r->tests[model][b][a];
}

int report_reference_row(const struct report *r, int row)
{
	const struct experiment *e = r->e;
	int best = -1;
	if (strcmp(e->rows[row].strategy, "sensitivity") == 0)
		return -1;
	for (int i = 0; i < e->n_rows; i++)
		if (strcmp(e->rows[i].strategy, "sensitivity") == 0 &&
		    (best < 0 || fabs(e->rows[i].avg_bits - e->rows[row].avg_bits) <
				     fabs(e->rows[best].avg_bits - e->rows[row].avg_bits)))
			best = i;
	return best;
}

bool report_not_significant(const struct report *r, int row, int model)
{
	int ref = report_reference_row(r, row);
	const struct report_test *t = ref >= 0 ? report_test_of(r, model, row, ref) : NULL;
	return t && t->have && !stats_significant(&t->boot);
}

bool report_proxy_point(const struct report *r, int row, int model, double *predicted,
			double *measured)
{
	if (r->bf16_row < 0 || row == r->bf16_row)
		return false;
	const struct report_cell *c = &r->cells[row][model], *b = &r->cells[r->bf16_row][model];
	if (!c->have || !b->have || c->predicted_loss < 0)
		return false;
	*predicted = c->predicted_loss;
	*measured = b->mean_acc - c->mean_acc;
	return true;
}

const struct report_seed_group *report_seed_group_of(const struct report *r, int row)
{
	for (int k = 0; k < r->n_seed_groups; k++) {
		const struct report_seed_group *g = &r->seed_groups[k];
		if (row >= g->first && row < g->first + g->n_rows)
			return g;
	}
	return NULL;
}

double report_ratio(const struct report *r, int row, int model)
{
	if (r->bf16_row < 0)
		return -1;
	const struct report_cell *c = &r->cells[row][model], *b = &r->cells[r->bf16_row][model];
	return c->have && b->have && b->mean_acc > 0 ? c->mean_acc / b->mean_acc : -1;
}
