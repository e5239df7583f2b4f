/*
 * report.c: collecting results into a table and rendering it three ways.
 */
#include "harness/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "engine/evaluate.h"

// ---- collecting ----

static double metric(const cJSON *results, const char *task, const char *key)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(results, task);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void copy_setting(char *dst, size_t n, const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (cJSON_IsString(v) && !dst[0])
		snprintf(dst, n, "%s", v->valuestring);
}

static void fill_cell(struct report *r, struct report_cell *c, const cJSON *res)
{
	const cJSON *lm = cJSON_GetObjectItemCaseSensitive(res, "lm_eval");
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(lm, "results");
	double sum = 0;
	int n = 0;
	for (int t = 0; t < r->e->n_tasks; t++) {
		double acc = metric(results, r->task_names[t], "acc,none");
		double ppl = metric(results, r->task_names[t], "word_perplexity,none");
		if (isnan(ppl))
			ppl = metric(results, r->task_names[t], "perplexity,none");
		r->task_is_perplexity[t] = isnan(acc) && !isnan(ppl);
		c->task_value[t] = isnan(acc) ? ppl : acc;
		c->task_have[t] = !isnan(c->task_value[t]);
		if (!isnan(acc))
			sum += acc, n++;
	}
	c->have = n > 0;
	c->mean_acc = n ? sum / n : NAN;
	copy_setting(r->endpoint, sizeof r->endpoint, res, "endpoint");
	copy_setting(r->lm_eval_version, sizeof r->lm_eval_version, lm, "lm_eval_version");
}

// ---- per-document outcomes ----

/* lm-eval nests groups two deep (mmlu -> mmlu_stem -> subjects); a group of more leaves
 * than GROUP_LEAVES_MAX keeps the first ones found. */
#define GROUP_DEPTH_MAX 4
#define GROUP_LEAVES_MAX 1024

/* One cell's per-document acc per task, while collecting. */
struct outcomes {
	int n[EXP_MAX];
	double *acc[EXP_MAX];
	int *doc[EXP_MAX];
};

static void outcomes_free(struct outcomes *o)
{
	for (int t = 0; t < EXP_MAX; t++)
		free(o->acc[t]), free(o->doc[t]);
	memset(o, 0, sizeof *o);
}

/* Append lm-eval "samples" entries (filter "none") with a numeric acc and doc_id. */
static void append_samples(struct outcomes *o, int t, const cJSON *list)
{
	int add = cJSON_GetArraySize(list), n = o->n[t];
	double *acc = realloc(o->acc[t], sizeof *acc * (size_t)(n + add + 1));
	if (acc)
		o->acc[t] = acc;
	int *doc = realloc(o->doc[t], sizeof *doc * (size_t)(n + add + 1));
	if (doc)
		o->doc[t] = doc;
	if (!acc || !doc)
		return;
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "acc");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "doc_id");
		const cJSON *filter = cJSON_GetObjectItemCaseSensitive(e, "filter");
		if (!cJSON_IsNumber(v) || !cJSON_IsNumber(id) ||
		    (cJSON_IsString(filter) && strcmp(filter->valuestring, "none") != 0))
			continue;
		o->acc[t][o->n[t]] = v->valuedouble;
		o->doc[t][o->n[t]++] = id->valueint;
	}
}

/* The leaf tasks under group, through group_subtasks (mmlu -> mmlu_stem -> mmlu_anatomy),
 * added to leaves; depth bounds the descent, so a cycle in a hostile answer ends. */
static void group_leaves(const cJSON *lm, const char *group, int depth, const char **leaves,
			 int *n, int cap)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(lm, "samples");
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(lm, "group_subtasks"), *sub;
	cJSON_ArrayForEach(sub, cJSON_GetObjectItemCaseSensitive(groups, group))
	{
		if (!cJSON_IsString(sub))
			continue;
		if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(samples, sub->valuestring))) {
			if (*n < cap)
				leaves[(*n)++] = sub->valuestring;
		} else if (depth < GROUP_DEPTH_MAX) {
			group_leaves(lm, sub->valuestring, depth + 1, leaves, n, cap);
		}
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A task's samples, or a group's (mmlu): its leaf tasks' samples one after another, in
 * the order of their names, which the group's size-weighted acc averages. The order is
 * the leaves' own, not the nesting's, so results with the category groups and results
 * without them (before lm-eval's four mmlu groups were written) pair document for
 * document. */
static void task_outcomes(struct outcomes *o, int t, const cJSON *lm, const char *task)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(lm, "samples");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(samples, task);
	if (cJSON_IsArray(list)) {
		append_samples(o, t, list);
		return;
	}
	const char *leaves[GROUP_LEAVES_MAX];
	int n = 0;
	group_leaves(lm, task, 0, leaves, &n, GROUP_LEAVES_MAX);
	qsort(leaves, (size_t)n, sizeof *leaves, by_name);
	for (int i = 0; i < n; i++)
		append_samples(o, t, cJSON_GetObjectItemCaseSensitive(samples, leaves[i]));
}

static void cell_outcomes(struct report *r, struct report_cell *c, struct outcomes *o,
			  const cJSON *res)
{
	const cJSON *lm = cJSON_GetObjectItemCaseSensitive(res, "lm_eval");
	c->samples = c->have;
	for (int t = 0; t < r->e->n_tasks; t++) {
		if (!c->task_have[t] || r->task_is_perplexity[t])
			continue;
		task_outcomes(o, t, lm, r->task_names[t]);
		c->samples &= o->n[t] > 0;
	}
}

// ---- statistics ----

/* Row hi minus row lo of model m, over the acc tasks both have, on the same documents. */
static void paired_test(struct report *r, int m, int lo, int hi, const struct outcomes *oc)
{
	struct report_test *t = &r->tests[m][lo][hi];
	const struct report_cell *a = &r->cells[hi][m], *b = &r->cells[lo][m];
	const struct outcomes *oa = &oc[hi * EXP_MAX + m], *ob = &oc[lo * EXP_MAX + m];
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

static int compute_statistics(struct report *r, const struct outcomes *oc)
{
	for (int m = 0; m < r->e->n_models; m++) {
		for (int hi = 0; hi < r->e->n_rows; hi++)
			for (int lo = 0; lo < hi; lo++)
				paired_test(r, m, lo, hi, oc);
		if (adjust_for_multiple_comparisons(r, m))
			return -1;
		proxy_correlation(r, m);
	}
	return 0;
}

// ---- collecting ----

static void collect_item(struct report *r, const struct plan_item *it, struct outcomes *o)
{
	struct report_cell *c = &r->cells[it->row][it->model];
	c->achieved_avg_bits = it->achieved_avg_bits;
	memcpy(c->avg_bits, it->avg_bits, sizeof c->avg_bits);
	c->predicted_loss = it->predicted_loss;
	snprintf(c->key, sizeof c->key, "%s", it->key);
	snprintf(c->recipe_hash, sizeof c->recipe_hash, "%s", it->recipe_hash);
	char *text;
	struct bb_error ignored;
	if (!it->done || read_file(it->result, &text, NULL, &ignored))
		return;
	cJSON *res = cJSON_Parse(text);
	free(text);
	fill_cell(r, c, res);
	cell_outcomes(r, c, o, res);
	cJSON_Delete(res);
}

int report_collect(struct report *r, const struct experiment *e, const struct plan *p,
		   int limit, struct bb_error *err)
{
	memset(r, 0, sizeof *r);
	r->e = e;
	r->limit = limit;
	r->bf16_row = -1;
	for (int i = 0; i < e->n_rows; i++)
		if (strcmp(e->rows[i].strategy, "bf16") == 0 && r->bf16_row < 0)
			r->bf16_row = i;
	for (int t = 0; t < e->n_tasks; t++)
		evaluate_task_result_name(e->tasks[t], r->task_names[t], sizeof r->task_names[t]);
	time_t now = time(NULL);
	strftime(r->date, sizeof r->date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	struct outcomes *oc = calloc(EXP_MAX * EXP_MAX, sizeof *oc); /* [row][model] */
	if (!oc)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < p->n; i++)
		if (p->items[i].kind == PLAN_EVAL)
			collect_item(r, &p->items[i], &oc[p->items[i].row * EXP_MAX + p->items[i].model]);
	int rc = compute_statistics(r, oc);
	for (int i = 0; i < EXP_MAX * EXP_MAX; i++)
		outcomes_free(&oc[i]);
	free(oc);
	return rc ? bb_fail(err, BB_ENOMEM, "out of memory") : 0;
}

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

double report_ratio(const struct report *r, int row, int model)
{
	if (r->bf16_row < 0)
		return -1;
	const struct report_cell *c = &r->cells[row][model], *b = &r->cells[r->bf16_row][model];
	return c->have && b->have && b->mean_acc > 0 ? c->mean_acc / b->mean_acc : -1;
}

// ---- rendering ----

static bool any_reference(const struct report *r)
{
	for (int row = 0; row < r->e->n_rows; row++)
		if (report_reference_row(r, row) >= 0)
			return true;
	return false;
}

static void cell_text(const struct report *r, int row, int m, char *buf, size_t n)
{
	const struct report_cell *c = &r->cells[row][m];
	double ratio = report_ratio(r, row, m);
	if (!c->have)
		snprintf(buf, n, "-");
	else if (ratio >= 0)
		snprintf(buf, n, "%.4f (%.1f%%)", c->mean_acc, 100 * ratio);
	else
		snprintf(buf, n, "%.4f", c->mean_acc);
}

static void md_header(const struct report *r, const char *first, FILE *out)
{
	fprintf(out, "| %s |", first);
	for (int m = 0; m < r->e->n_models; m++)
		fprintf(out, " %s |", r->e->models[m].name);
	fprintf(out, "\n|---|");
	for (int m = 0; m < r->e->n_models; m++)
		fprintf(out, "---|");
	fputc('\n', out);
}

static void md_dagger_note(const struct report *r, FILE *out)
{
	if (!any_reference(r)) {
		fprintf(out, "\nSignificance marks: none (no sensitivity row to compare with).\n");
		return;
	}
	fprintf(out, "\n\u2020 not significantly different from Ours (the sensitivity row; with several, "
		     "the one nearest in target bits): the 95%% paired-bootstrap interval of the "
		     "difference in mean accuracy contains 0 (%d resamples of the documents within "
		     "each task, seed %u; see Paired significance and docs/statistics.md). Cells "
		     "without per-document samples are not tested.\n",
		BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
}

static void md_main_table(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	md_header(r, "Mean acc (ratio to BF16)", out);
	for (int row = 0; row < e->n_rows; row++) {
		fprintf(out, "| %s |", e->rows[row].label);
		for (int m = 0; m < e->n_models; m++) {
			char cell[64];
			cell_text(r, row, m, cell, sizeof cell);
			fprintf(out, " %s%s |", cell, report_not_significant(r, row, m) ? "\u2020" : "");
		}
		fputc('\n', out);
	}
	md_dagger_note(r, out);
}

static void md_bits(double b, FILE *out)
{
	if (b >= 0)
		fprintf(out, " %.4f |", b);
	else
		fprintf(out, " n/a |");
}

static void md_bits_table(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Average bits under each accounting\n\n"
		     "Budgets are set in **weights** (b bits per weight), as the published tables. The "
		     "same recipes also cost: **scales** (plus each group's scale), **scales+zp** (plus "
		     "a zero point for INT formats: AutoRound's default) and **GGUF** (the storage of "
		     "the GGUF type with the same blocks; n/a where none exists). docs/formats.md "
		     "defines them. Recipe: the first 12 hex digits of its SHA-256.\n\n");
	fprintf(out, "| Model | Row | weights | scales | scales+zp | GGUF | recipe |\n"
		     "|---|---|---|---|---|---|---|\n");
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			fprintf(out, "| %s | %s |", e->models[m].name, e->rows[row].label);
			for (int a = 0; a < ACCOUNT_COUNT; a++)
				if (c->avg_bits[a] >= 0 || c->achieved_avg_bits >= 0)
					md_bits(c->avg_bits[a], out);
				else
					fprintf(out, " - |");
			bool hash = c->recipe_hash[0] && strcmp(c->recipe_hash, "bf16") != 0;
			fprintf(out, " %.12s |\n", hash ? c->recipe_hash : "-");
		}
}

static void md_breakdown(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Per task (acc; perplexity for perplexity tasks)\n\n");
	fprintf(out, "| Model | Row |");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, " %s |", r->task_names[t]);
	fprintf(out, " mean acc |\n|---|---|");
	for (int t = 0; t <= e->n_tasks; t++)
		fprintf(out, "---|");
	fputc('\n', out);
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			fprintf(out, "| %s | %s |", e->models[m].name, e->rows[row].label);
			for (int t = 0; t < e->n_tasks; t++)
				if (c->task_have[t])
					fprintf(out, r->task_is_perplexity[t] ? " %.3f |" : " %.4f |",
						c->task_value[t]);
				else
					fprintf(out, " - |");
			if (c->have)
				fprintf(out, " %.4f |\n", c->mean_acc);
			else
				fprintf(out, " - |\n");
		}
}

static void md_published(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	if (e->set != MODEL_SET_PAPER) {
		fprintf(out, "\n### Published figures\n\nNot compared: this run used the demo model "
			     "set, not the paper's models and tasks.\n");
		return;
	}
	fprintf(out, "\n### Published against regenerated (mean acc; difference = regenerated - published)\n\n");
	md_header(r, "Row", out);
	for (int row = 0; row < e->n_rows; row++) {
		fprintf(out, "| %s |", e->rows[row].label);
		for (int m = 0; m < e->n_models; m++) {
			double pub = experiment_published(e, row, m);
			const struct report_cell *c = &r->cells[row][m];
			if (pub < 0)
				fprintf(out, " - |");
			else if (c->have)
				fprintf(out, " %.4f / %.4f (%+.4f) |", pub, c->mean_acc, c->mean_acc - pub);
			else
				fprintf(out, " %.4f / - |", pub);
		}
		fputc('\n', out);
	}
}

static void p_text(double p, char *buf, size_t n)
{
	if (p <= 0)
		snprintf(buf, n, "<%.4f", 1.0 / BOOTSTRAP_RESAMPLES);
	else
		snprintf(buf, n, "%.4f", p);
}

static void md_test_row(const struct report *r, int m, int lo, int hi, FILE *out)
{
	const struct report_test *t = &r->tests[m][lo][hi];
	char p[32], p_holm[32];
	fprintf(out, "| %s \u2212 %s |", r->e->rows[hi].label, r->e->rows[lo].label);
	if (!t->have) {
		fprintf(out, " - | - | - | - | no per-document samples for both |\n");
		return;
	}
	p_text(t->boot.p, p, sizeof p);
	p_text(t->p_holm, p_holm, sizeof p_holm);
	fprintf(out, " %+.4f | [%+.4f, %+.4f] | %s%s | %s |", t->boot.diff, t->boot.lo, t->boot.hi,
		p, stats_significant(&t->boot) ? "" : " (n.s.)", p_holm);
	for (int k = 0; k < t->n_tasks; k++) {
		const struct mcnemar *mc = &t->mc[k];
		fprintf(out, "%s %s %d/%d p=%.4f%s", k ? ";" : "", r->task_names[t->task[k]], mc->b,
			mc->c, mc->p, mc->exact ? "" : " (\u03c7\u00b2)");
	}
	fprintf(out, " |\n");
}

static void md_significance(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Paired significance\n\n"
		     "Row minus row over the same documents: the difference in mean accuracy (over the "
		     "tasks with an acc), its 95%% paired-bootstrap interval and two-sided p (%d "
		     "resamples of the documents within each task, seed %u; n.s.: the interval "
		     "contains 0), and McNemar per task as +/\u2212 (documents the first row gets right "
		     "and the second wrong / the reverse) with p: exact binomial below %d discordant "
		     "documents, else chi-square with continuity correction (\u03c7\u00b2). "
		     "p (Holm): the bootstrap p adjusted for the comparisons of the model, by Holm's "
		     "step-down method (below 0.05: significant with the family-wise error held at "
		     "5%%; a p below 1/%d counts as 1/%d there). docs/statistics.md.\n",
		BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, MCNEMAR_EXACT_BELOW, BOOTSTRAP_RESAMPLES,
		BOOTSTRAP_RESAMPLES);
	for (int m = 0; m < e->n_models; m++) {
		fprintf(out, "\n#### %s\n\n| Comparison | \u0394 mean acc | 95%% CI | p | p (Holm) | "
			     "McNemar per task (+/\u2212, p) |\n|---|---|---|---|---|---|\n", e->models[m].name);
		for (int hi = 1; hi < e->n_rows; hi++)
			for (int lo = 0; lo < hi; lo++)
				if (r->cells[hi][m].have && r->cells[lo][m].have)
					md_test_row(r, m, lo, hi, out);
	}
}

static void md_proxy(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### The proxy against accuracy\n\n"
		     "Predicted loss increase: the recipe's summed scores (what the sensitivity "
		     "strategy minimises); measured: the BF16 row's mean accuracy minus the recipe's. "
		     "Spearman's \u03c1 ranks the recipes of all strategies and budgets of this "
		     "experiment (ties get average ranks).\n");
	for (int m = 0; m < e->n_models; m++) {
		char slug[96];
		slugify(e->models[m].name, slug, sizeof slug);
		fprintf(out, "\n#### %s\n\n", e->models[m].name);
		if (r->proxy_n[m] == 0) {
			fprintf(out, "No recipe has both a predicted loss (scores exist only for "
				     "experiments with a sensitivity row) and a measured one.\n");
			continue;
		}
		fprintf(out, "| Row | avg bits | predicted (summed scores) | measured (BF16 \u2212 acc) |\n"
			     "|---|---|---|---|\n");
		for (int row = 0; row < e->n_rows; row++) {
			double x, y;
			if (report_proxy_point(r, row, m, &x, &y))
				fprintf(out, "| %s | %.4f | %.6g | %+.4f |\n", e->rows[row].label,
					r->cells[row][m].achieved_avg_bits, x, y);
		}
		if (isnan(r->proxy_rho[m]))
			fprintf(out, "\nSpearman \u03c1: undefined over %d recipe%s (needs two with "
				     "different values).\n", r->proxy_n[m], r->proxy_n[m] == 1 ? "" : "s");
		else
			fprintf(out, "\nSpearman \u03c1 = %.4f over %d recipes.\n", r->proxy_rho[m],
				r->proxy_n[m]);
		fprintf(out, "\n![proxy against accuracy](../plots/proxy-vs-accuracy-%s.png) "
			     "![sensitivity frontier](../plots/frontier-%s.png)\n", slug, slug);
	}
}

static void md_settings(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Settings\n\n");
	fprintf(out, "- endpoint: %s (%s)\n", r->endpoint[0] ? r->endpoint : "-",
		r->lm_eval_version[0] ? r->lm_eval_version : "-");
	fprintf(out, "- tasks:");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, " %s", r->task_names[t]);
	fprintf(out, " (0-shot; the score is the mean of acc over the tasks that have one)\n");
	if (r->limit > 0)
		fprintf(out, "- limit: first %d documents of each task\n", r->limit);
	else
		fprintf(out, "- limit: none (every document)\n");
	fprintf(out, "- add_bos_token:");
	for (int m = 0; m < e->n_models; m++)
		fprintf(out, " %s=%s", e->models[m].name, e->models[m].add_bos_token ? "true" : "false");
	fprintf(out, "\n- options: ");
	for (int k = 0; k < e->n_options; k++)
		fprintf(out, "%s%s", k ? ", " : "", e->options[k].name);
	fprintf(out, "; round to nearest; budget accounting: weights (scale and zero-point bits "
		     "not counted)\n- date: %s\n", r->date);
}

void report_markdown(const struct report *r, FILE *out)
{
	fprintf(out, "# %s\n\n> %s\n\n", r->e->title, r->e->set_note);
	md_main_table(r, out);
	md_bits_table(r, out);
	md_breakdown(r, out);
	md_significance(r, out);
	md_proxy(r, out);
	md_published(r, out);
	md_settings(r, out);
}

/* ",v" with digits after the point (general: significant digits); "," alone when v is
 * NaN or negative (unknown). */
static void csv_number(double v, int digits, bool general, FILE *out)
{
	fputc(',', out);
	if (!isnan(v) && v >= 0)
		fprintf(out, general ? "%.*g" : "%.*f", digits, v);
}

/* The comparison with the cell's reference row: its label, difference, interval, p. */
static void csv_reference(const struct report *r, int row, int m, FILE *out)
{
	int ref = report_reference_row(r, row);
	const struct report_test *t = ref >= 0 ? report_test_of(r, m, row, ref) : NULL;
	if (!t || !t->have) {
		fprintf(out, ",,,,,");
		return;
	}
	double sign = ref > row ? -1 : 1; /* the test is later row minus earlier: make it row - ref */
	double lo = sign > 0 ? t->boot.lo : -t->boot.hi, hi = sign > 0 ? t->boot.hi : -t->boot.lo;
	fprintf(out, ",\"%s\",%.6f,%.6f,%.6f,%.6f", r->e->rows[ref].label, sign * t->boot.diff, lo,
		hi, t->boot.p);
}

void report_csv(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "experiment,model,row,strategy,target_bits,achieved_bits,mean_acc,ratio_to_bf16,predicted_loss,published");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, ",%s", r->task_names[t]);
	fprintf(out, ",key,recipe_sha256,bits_weights,bits_scales,bits_scales_zp,bits_gguf,"
		     "vs_ours,diff_vs_ours,ci_lo,ci_hi,p_bootstrap\n");
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			double ratio = report_ratio(r, row, m), pub = experiment_published(e, row, m);
			fprintf(out, "%s,\"%s\",\"%s\",\"%s\",%g", e->name, e->models[m].name,
				e->rows[row].label, e->rows[row].strategy, e->rows[row].avg_bits);
			csv_number(c->achieved_avg_bits, 6, false, out);
			csv_number(c->have ? c->mean_acc : NAN, 6, false, out);
			csv_number(ratio, 6, false, out);
			csv_number(c->predicted_loss, 6, true, out);
			csv_number(pub, 4, false, out);
			for (int t = 0; t < e->n_tasks; t++)
				csv_number(c->task_have[t] ? c->task_value[t] : NAN, 6, false, out);
			fprintf(out, ",%s,%s", c->key, strcmp(c->recipe_hash, "bf16") ? c->recipe_hash : "");
			for (int a = 0; a < ACCOUNT_COUNT; a++)
				if (c->avg_bits[a] < 0 && c->achieved_avg_bits >= 0)
					fprintf(out, ",n/a");
				else
					csv_number(c->avg_bits[a], 6, false, out);
			csv_reference(r, row, m, out);
			fputc('\n', out);
		}
}

/* LaTeX special characters in labels. */
static void tex_escape(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (strchr("&%$#_{}", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

void report_latex(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "%% %s\n%% %s\n\\begin{tabular}{l", e->title, e->set_note);
	for (int m = 0; m < e->n_models; m++)
		fputc('c', out);
	fprintf(out, "}\n\\toprule\n");
	for (int m = 0; m < e->n_models; m++) {
		fputs(" & ", out);
		tex_escape(e->models[m].name, out);
	}
	fprintf(out, " \\\\\n\\midrule\n");
	for (int row = 0; row < e->n_rows; row++) {
		tex_escape(e->rows[row].label, out);
		for (int m = 0; m < e->n_models; m++) {
			char cell[64];
			cell_text(r, row, m, cell, sizeof cell);
			fputs(" & ", out);
			tex_escape(strcmp(cell, "-") == 0 ? "--" : cell, out);
			if (report_not_significant(r, row, m))
				fputs("$^\\dagger$", out);
		}
		fprintf(out, " \\\\\n");
	}
	fprintf(out, "\\bottomrule\n");
	if (any_reference(r))
		fprintf(out, "\\multicolumn{%d}{l}{\\footnotesize $^\\dagger$ not significantly "
			     "different from Ours (95\\%% paired bootstrap, %d resamples)} \\\\\n",
			e->n_models + 1, BOOTSTRAP_RESAMPLES);
	fprintf(out, "\\end{tabular}\n");
}

// ---- files ----

static int render_to(const char *path, void (*render)(const struct report *, FILE *),
		     const struct report *r, struct bb_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	render(r, mem);
	fclose(mem);
	int rc = write_file_atomic(path, buf, len, err);
	free(buf);
	return rc;
}

int report_write(const struct report *r, const char *dir, struct bb_error *err)
{
	static const struct {
		const char *ext;
		void (*render)(const struct report *, FILE *);
	} forms[] = {{"md", report_markdown}, {"csv", report_csv}, {"tex", report_latex}};
	size_t n = sizeof forms / sizeof forms[0];
	char path[3][1200];
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) { /* all three may be written, or none is */
		snprintf(path[i], sizeof path[i], "%s/%s.%s", dir, r->e->name, forms[i].ext);
		rc = output_check_file(path[i], err);
	}
	for (size_t i = 0; !rc && i < n; i++)
		rc = render_to(path[i], forms[i].render, r, err);
	return rc;
}
