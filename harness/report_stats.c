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

int cell_outcomes_alloc(struct cell_outcomes *o, int n_tasks)
{
	o->n = calloc((size_t)n_tasks + 1, sizeof *o->n);
	o->acc = calloc((size_t)n_tasks + 1, sizeof *o->acc);
	o->doc = calloc((size_t)n_tasks + 1, sizeof *o->doc);
	return o->n && o->acc && o->doc ? 0 : -1;
}

void cell_outcomes_free(struct cell_outcomes *o, int n_tasks)
{
	for (int t = 0; t < n_tasks; t++) {
		if (o->acc)
			free(o->acc[t]);
		if (o->doc)
			free(o->doc[t]);
	}
	free(o->n), free(o->acc), free(o->doc);
	memset(o, 0, sizeof *o);
}

// ---- computing, while collecting ----

/* Room in t for every task of r; -1 when out of memory. */
static int test_alloc(const struct report *r, struct report_test *t)
{
	t->task = calloc((size_t)r->e->n_tasks + 1, sizeof *t->task);
	t->mc = calloc((size_t)r->e->n_tasks + 1, sizeof *t->mc);
	return t->task && t->mc ? 0 : -1;
}

/* Row hi minus row lo of model m, over the acc tasks both have, on the same documents,
 * into t (zeroed, with room for every task); tasks: room for every task. */
static void paired_test(struct report *r, struct report_test *t, int m, int lo, int hi,
			const struct cell_outcomes *oc, struct paired_task *tasks)
{
	const struct report_cell *a = &r->cells[hi][m], *b = &r->cells[lo][m];
	int n_models = r->e->n_models;
	const struct cell_outcomes *oa = &oc[hi * n_models + m], *ob = &oc[lo * n_models + m];
	for (int k = 0; k < r->e->n_tasks; k++) {
		if (!a->task_have[k] || !b->task_have[k] || r->task_is_perplexity[k])
			continue;
		int n = oa->n[k];
		if (n != ob->n[k] || memcmp(oa->doc[k], ob->doc[k], sizeof(int) * (size_t)n) != 0) {
			t->n_tasks = 0;
			return; /* not the same documents: no paired test */
		}
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

static bool is_random_row(const struct exp_row *row)
{
	return strncmp(row->strategy, "random:", 7) == 0;
}

/* Model m's tests of every pair report_pair_tested names whose cells both have
 * per-document outcomes: the others are never tested, and stay zero (or NULL: a row
 * without outcomes). -1 when out of memory. */
static int paired_tests(struct report *r, int m, const struct cell_outcomes *oc,
			struct paired_task *tasks)
{
	const struct experiment *e = r->e;
	for (int lo = 0; lo < e->n_rows; lo++) {
		if (!r->cells[lo][m].samples)
			continue;
		if (!(r->tests[m][lo] = calloc((size_t)e->n_rows, sizeof *r->tests[m][lo])))
			return -1;
		for (int hi = lo + 1; hi < e->n_rows; hi++) {
			if (!r->cells[hi][m].samples || !report_pair_tested(r, lo, hi))
				continue;
			struct report_test *t = &r->tests[m][lo][hi];
			if (test_alloc(r, t))
				return -1;
			paired_test(r, t, m, lo, hi, oc, tasks);
		}
	}
	return 0;
}

static int proxy_correlation(struct report *r, int m)
{
	double *x = malloc(sizeof *x * ((size_t)r->e->n_rows + 1));
	double *y = malloc(sizeof *y * ((size_t)r->e->n_rows + 1));
	int n = 0;
	for (int row = 0; x && y && row < r->e->n_rows; row++)
		n += report_proxy_point(r, row, m, &x[n], &y[n]);
	r->proxy_n[m] = n;
	r->proxy_rho[m] = x && y ? stats_spearman(x, y, n) : 0;
	free(x), free(y);
	return x && y ? 0 : -1;
}

/* Holm's adjustment of model m's bootstrap p-values: one family per model, the pairs the
 * significance section lists (tests without samples are not in it). */
static int adjust_for_multiple_comparisons(struct report *r, int m)
{
	size_t pairs = (size_t)r->e->n_rows * (size_t)r->e->n_rows / 2 + 1;
	double *p = calloc(pairs, sizeof *p), *adjusted = calloc(pairs, sizeof *adjusted);
	struct report_test **family = calloc(pairs, sizeof *family);
	int n = 0, rc = p && adjusted && family ? 0 : -1;
	for (int hi = 0; !rc && hi < r->e->n_rows; hi++)
		for (int lo = 0; lo < hi; lo++) {
			struct report_test *t = r->tests[m][lo] ? &r->tests[m][lo][hi] : NULL;
			if (t && t->have) {
				family[n] = t;
				/* p = 0 means p < 1/B: taking 1/B keeps the adjusted p an upper bound */
				p[n] = fmax(t->boot.p, 1.0 / BOOTSTRAP_RESAMPLES);
				n++;
			}
		}
	if (!rc && stats_holm(p, n, adjusted))
		rc = -1;
	for (int k = 0; !rc && k < n; k++)
		family[k]->p_holm = adjusted[k];
	free(p), free(adjusted), free(family);
	return rc;
}

/* Mean, sample sd, min and max of a group's cells, per model. -1 when out of memory. */
static int seed_group_spread(const struct report *r, struct report_seed_group *g)
{
	size_t models = (size_t)r->e->n_models + 1;
	g->n_have = calloc(models, sizeof *g->n_have);
	g->mean = calloc(models, sizeof *g->mean), g->sd = calloc(models, sizeof *g->sd);
	g->min = calloc(models, sizeof *g->min), g->max = calloc(models, sizeof *g->max);
	g->ratio = calloc(models, sizeof *g->ratio);
	if (!g->n_have || !g->mean || !g->sd || !g->min || !g->max || !g->ratio)
		return -1;
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
	return 0;
}

/* Runs of two or more consecutive random:SEED rows with the same target bits (at most
 * n_rows / 2 of them: report_alloc made room). -1 when out of memory. */
static int find_seed_groups(struct report *r)
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
			if (seed_group_spread(r, g))
				return -1;
		}
		row = end;
	}
	return 0;
}

/* The documents behind the mean acc of the cell that has the most: how much evidence the
 * accuracy columns rest on. */
static void count_acc_items(struct report *r, const struct cell_outcomes *oc)
{
	r->acc_items = 0;
	for (int i = 0; i < r->e->n_rows * r->e->n_models; i++) {
		int n = 0;
		for (int t = 0; oc[i].n && t < r->e->n_tasks; t++)
			n += r->task_is_perplexity[t] ? 0 : oc[i].n[t];
		r->acc_items = n > r->acc_items ? n : r->acc_items;
	}
}

int report_compute_statistics(struct report *r, const struct cell_outcomes *oc)
{
	struct paired_task *tasks = calloc((size_t)r->e->n_tasks + 1, sizeof *tasks);
	int rc = tasks ? find_seed_groups(r) : -1;
	count_acc_items(r, oc);
	for (int m = 0; !rc && m < r->e->n_models; m++) {
		rc = paired_tests(r, m, oc, tasks);
		if (!rc)
			rc = adjust_for_multiple_comparisons(r, m);
		if (!rc)
			rc = proxy_correlation(r, m);
	}
	free(tasks);
	return rc ? rc : report_compute_kld_statistics(r);
}

// ---- looking up, while writing ----

const struct report_test *report_test_of(const struct report *r, int model, int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if (a == b || !r->tests[model][lo])
		return NULL;
	return &r->tests[model][lo][hi];
}

bool report_pair_tested(const struct report *r, int a, int b)
{
	const struct exp_row *ra = &r->e->rows[a], *rb = &r->e->rows[b];
	if (report_reference_row(r, a) == b || report_reference_row(r, b) == a)
		return true;
	if (is_random_row(ra) || is_random_row(rb))
		return false;
	return !r->e->tests_by_budget || a == r->bf16_row || b == r->bf16_row ||
	       ra->avg_bits == rb->avg_bits;
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
