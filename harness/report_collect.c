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
#include "engine/evaluate.h"
#include "harness/report_stats.h"

// ---- a cell's means ----

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
static void task_outcomes(struct cell_outcomes *o, int t, const cJSON *lm, const char *task)
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
	copy_setting(r->kld_text, sizeof r->kld_text, answer, "text");
	if (cJSON_IsObject(overlap)) {
		r->overlap_shared = (long)number(overlap, "shared_token_ngrams");
		r->overlap_total = (long)number(overlap, "text_token_ngrams");
	}
	return true;
}

static void free_kld(struct report_kld *k)
{
	free(k->doc_tokens);
	free(k->doc_kld);
	free(k->doc_top1);
	free(k->doc_nll_ref);
	free(k->doc_nll_quant);
	memset(k, 0, sizeof *k);
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

void report_collect_free(struct report *r)
{
	for (int row = 0; r->e && row < r->e->n_rows; row++)
		for (int m = 0; m < r->e->n_models; m++)
			free_kld(&r->cells[row][m].kld);
	free(r->reach_lo);
	free(r->reach_hi);
	r->reach_lo = r->reach_hi = NULL;
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

static void collect_item(struct report *r, const struct plan_item *it,
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
		return;
	cJSON *res = cJSON_Parse(text);
	free(text);
	fill_cell(r, c, res);
	collect_outcomes(r, c, o, res);
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
	struct cell_outcomes *oc = calloc(EXP_MAX * EXP_MAX, sizeof *oc); /* [row][model] */
	if (!oc)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	bool ok = copy_reach(r, p);
	for (int i = 0; i < p->n; i++)
		if (p->items[i].kind == PLAN_EVAL)
			collect_item(r, &p->items[i], &oc[p->items[i].row * EXP_MAX + p->items[i].model]);
		else if (p->items[i].kind == PLAN_KLD)
			ok &= collect_kld_item(r, &p->items[i]);
	int rc = ok ? report_compute_statistics(r, oc) : -1;
	for (int i = 0; i < EXP_MAX * EXP_MAX; i++)
		cell_outcomes_free(&oc[i]);
	free(oc);
	if (rc)
		report_collect_free(r);
	return rc ? bb_fail(err, BB_ENOMEM, "out of memory") : 0;
}
