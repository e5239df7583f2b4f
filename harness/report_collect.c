/*
 * report_collect.c: an experiment's results gathered into a report: each cell's means
 * and per-task values from its result file, what the plan knows of its recipe (bits under
 * every accounting, predicted loss, hash), and the per-document outcomes the paired tests
 * need, from which the statistics are computed here, once (report_stats.c); each quantized
 * cell's KLD (its summary and per-document sums) from its kld result, and each model's
 * reachable range from the plan. Everything a
 * table shows is in the report when this returns; the writers only format it. It never
 * writes a file: a result it cannot read leaves its cell empty, it is not an error here.
 */
#include "harness/report_collect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "engine/evaluate.h"
#include "harness/report_stats.h"

// ---- a cell's means ----

static double metric(const cJSON *results, const char *task, const char *key)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(results, task);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The first result's setting key, kept whole (malloc'd; left NULL when out of memory:
 * the table then shows "-"). */
static void copy_setting(char **dst, const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (cJSON_IsString(v) && !*dst)
		*dst = str_printf(NULL, "%s", v->valuestring);
}

static void fill_cell(struct report *r, struct report_cell *c, const cJSON *res)
{
	const cJSON *lm = cJSON_GetObjectItemCaseSensitive(res, "lm_eval");
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(lm, "results");
	double sum = 0, variance = 0;
	int n = 0;
	for (int t = 0; t < r->e->n_tasks; t++) {
		double acc = metric(results, r->task_names[t], "acc,none");
		double se = metric(results, r->task_names[t], "acc_stderr,none");
		double ppl = metric(results, r->task_names[t], "word_perplexity,none");
		if (isnan(ppl))
			ppl = metric(results, r->task_names[t], "perplexity,none");
		r->task_is_perplexity[t] = isnan(acc) && !isnan(ppl);
		c->task_value[t] = isnan(acc) ? ppl : acc;
		c->task_have[t] = !isnan(c->task_value[t]);
		if (!isnan(acc))
			sum += acc, variance += se * se, n++; /* a task without one: NAN */
	}
	c->have = n > 0;
	c->mean_acc = n ? sum / n : NAN;
	c->mean_acc_se = n ? sqrt(variance) / n : NAN;
	copy_setting(&r->endpoint, res, "endpoint");
	copy_setting(&r->lm_eval_version, lm, "lm_eval_version");
}

// ---- per-document outcomes ----

/* lm-eval nests groups two deep (mmlu -> mmlu_stem -> subjects). */
#define GROUP_DEPTH_MAX 4

/* The names of a group's leaf tasks, borrowed from the result's JSON; grown as found. */
struct leaves {
	const char **name;
	int n, cap;
	bool oom; /* a leaf was dropped for want of memory */
};

/* Append lm-eval "samples" entries (filter "none") with a numeric acc and doc_id. */
static void append_samples(struct cell_outcomes *o, int t, const cJSON *list)
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
static void add_leaf(struct leaves *l, const char *name)
{
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		const char **grown = realloc(l->name, sizeof *grown * (size_t)cap);
		if (!grown) {
			l->oom = true;
			return;
		}
		l->name = grown, l->cap = cap;
	}
	l->name[l->n++] = name;
}

static void group_leaves(const cJSON *lm, const char *group, int depth, struct leaves *l)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(lm, "samples");
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(lm, "group_subtasks"), *sub;
	cJSON_ArrayForEach(sub, cJSON_GetObjectItemCaseSensitive(groups, group))
	{
		if (!cJSON_IsString(sub))
			continue;
		if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(samples, sub->valuestring)))
			add_leaf(l, sub->valuestring);
		else if (depth < GROUP_DEPTH_MAX)
			group_leaves(lm, sub->valuestring, depth + 1, l);
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
static void task_outcomes(struct cell_outcomes *o, int t, const cJSON *lm, const char *task)
{
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(lm, "samples");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(samples, task);
	if (cJSON_IsArray(list)) {
		append_samples(o, t, list);
		return;
	}
	struct leaves l = {0};
	group_leaves(lm, task, 0, &l);
	/* out of memory, some of the group's documents would be missing: none are taken, so
	 * the cell has no outcomes for the task and no paired test */
	if (!l.oom && l.n)
		qsort(l.name, (size_t)l.n, sizeof *l.name, by_name);
	for (int i = 0; !l.oom && i < l.n; i++)
		append_samples(o, t, cJSON_GetObjectItemCaseSensitive(samples, l.name[i]));
	free(l.name);
}

static void collect_outcomes(struct report *r, struct report_cell *c, struct cell_outcomes *o,
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

// ---- KLD ----

static double number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The per-document sums the paired tests resample, from each document's summary: its
 * positions n, mean KLD, top-1 agreement in percent and both perplexities (a mean times n
 * is the sum; the log of a perplexity is the mean negative log-likelihood). */
static bool fill_kld_documents(struct report_kld *k, const cJSON *docs)
{
	int n = cJSON_GetArraySize(docs), d = 0;
	double **arrays[] = {&k->doc_tokens, &k->doc_kld, &k->doc_top1, &k->doc_nll_ref,
			     &k->doc_nll_quant};
	for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
		if (!(*arrays[i] = calloc((size_t)n + 1, sizeof **arrays[i])))
			return false;
	const cJSON *doc;
	cJSON_ArrayForEach(doc, docs)
	{
		double tokens = number(doc, "n_tokens");
		if (!(tokens > 0)) { /* a document too short to measure adds nothing */
			d++;
			continue;
		}
		k->doc_tokens[d] = tokens;
		k->doc_kld[d] = number(doc, "mean_kld") * tokens;
		k->doc_top1[d] = number(doc, "top1_agreement_pct") / 100 * tokens;
		k->doc_nll_ref[d] = log(number(doc, "ref_perplexity")) * tokens;
		k->doc_nll_quant[d] = log(number(doc, "perplexity")) * tokens;
		d++;
	}
	k->n_docs = n;
	return true;
}

/* The answer of a kld job (the result file's "kld") into the cell's kld, and what the
 * report says of the text: tokens, documents, its name, its overlap with the calibration
 * text (token 13-grams). */
static bool fill_kld(struct report *r, struct report_kld *k, const cJSON *res)
{
	const cJSON *answer = cJSON_GetObjectItemCaseSensitive(res, "kld");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(answer, "summary");
	const cJSON *overlap = cJSON_GetObjectItemCaseSensitive(answer, "overlap");
	k->mean_kld = number(s, "mean_kld");
	if (isnan(k->mean_kld))
		return true; /* not a kld result: the cell shows none */
	k->n_tokens = (long)number(s, "n_tokens");
	k->se_kld = number(s, "se_kld"), k->median_kld = number(s, "median_kld");
	k->p90_kld = number(s, "p90_kld"), k->p99_kld = number(s, "p99_kld");
	k->max_kld = number(s, "max_kld");
	k->top1 = number(s, "top1_agreement_pct") / 100;
	k->ppl_ref = number(s, "ref_perplexity"), k->ppl_quant = number(s, "perplexity");
	k->ppl_ratio = number(s, "perplexity_ratio");
	if (!fill_kld_documents(k, cJSON_GetObjectItemCaseSensitive(answer, "documents")))
		return false;
	k->have = true;
	r->kld_tokens = k->n_tokens, r->kld_docs = k->n_docs;
	copy_setting(&r->kld_text, answer, "text");
	if (cJSON_IsObject(overlap)) {
		r->overlap_shared = (long)number(overlap, "shared_token_ngrams");
		r->overlap_total = (long)number(overlap, "text_token_ngrams");
	}
	return true;
}

/* A kld item's result into its cell; false when out of memory. */
static bool collect_kld_item(struct report *r, const struct plan_item *it)
{
	char *text;
	struct bb_error ignored;
	if (!it->done || read_file(it->result, &text, NULL, &ignored))
		return true;
	cJSON *res = cJSON_Parse(text);
	free(text);
	bool ok = fill_kld(r, &r->cells[it->row][it->model].kld, res);
	cJSON_Delete(res);
	return ok;
}

/* Each model's reachable range, as the plan found it. */
static bool copy_reach(struct report *r, const struct plan *p)
{
	int n = r->e->n_models;
	if (!p->reach_lo)
		return true;
	r->reach_lo = malloc(sizeof *r->reach_lo * (size_t)(n + 1));
	r->reach_hi = malloc(sizeof *r->reach_hi * (size_t)(n + 1));
	if (!r->reach_lo || !r->reach_hi)
		return false;
	memcpy(r->reach_lo, p->reach_lo, sizeof *r->reach_lo * (size_t)n);
	memcpy(r->reach_hi, p->reach_hi, sizeof *r->reach_hi * (size_t)n);
	return true;
}

// ---- collecting ----

/* A cell's figures from the plan and its result file; -1 when out of memory. */
static int collect_item(struct report *r, const struct plan_item *it,
			struct cell_outcomes *o)
{
	struct report_cell *c = &r->cells[it->row][it->model];
	c->unreachable = it->unreachable;
	c->achieved_avg_bits = it->achieved_avg_bits;
	memcpy(c->avg_bits, it->avg_bits, sizeof c->avg_bits);
	c->predicted_loss = it->predicted_loss;
	snprintf(c->key, sizeof c->key, "%s", it->key);
	snprintf(c->recipe_hash, sizeof c->recipe_hash, "%s", it->recipe_hash);
	char *text;
	struct bb_error ignored;
	if (!it->done || read_file(it->result, &text, NULL, &ignored))
		return 0;
	if (cell_outcomes_alloc(o, r->e->n_tasks)) {
		free(text);
		return -1;
	}
	cJSON *res = cJSON_Parse(text);
	free(text);
	fill_cell(r, c, res);
	collect_outcomes(r, c, o, res);
	cJSON_Delete(res);
	return 0;
}

/* Every evaluated cell's figures, then the statistics from their outcomes, which are
 * freed before returning. -1 when out of memory. */
static int collect_cells(struct report *r, const struct plan *p)
{
	int n_models = r->e->n_models, rc = 0;
	size_t n_cells = (size_t)r->e->n_rows * (size_t)n_models;
	struct cell_outcomes *oc = calloc(n_cells + 1, sizeof *oc); /* [row][model] */
	if (!oc || !copy_reach(r, p)) {
		free(oc);
		return -1;
	}
	for (int i = 0; !rc && i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		if (it->kind == PLAN_EVAL)
			rc = collect_item(r, it, &oc[it->row * n_models + it->model]);
		else if (it->kind == PLAN_KLD && !collect_kld_item(r, it))
			rc = -1;
	}
	if (!rc)
		rc = report_compute_statistics(r, oc);
	for (size_t i = 0; i < n_cells; i++)
		cell_outcomes_free(&oc[i], r->e->n_tasks);
	free(oc);
	return rc;
}

int report_collect(struct report *r, const struct experiment *e, const struct plan *p,
		   int limit, struct bb_error *err)
{
	memset(r, 0, sizeof *r);
	int rc = report_alloc(r, e, err);
	if (rc)
		return rc;
	r->limit = limit;
	r->bf16_row = -1;
	for (int i = 0; i < e->n_rows; i++)
		if (strcmp(e->rows[i].strategy, "bf16") == 0 && r->bf16_row < 0)
			r->bf16_row = i;
	for (int t = 0; t < e->n_tasks; t++)
		evaluate_task_result_name(e->tasks[t], r->task_names[t], sizeof r->task_names[t]);
	time_t now = time(NULL);
	strftime(r->date, sizeof r->date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	return collect_cells(r, p) ? bb_fail(err, BB_ENOMEM, "out of memory") : 0;
}
