/*
 * results.c: lm-eval's results object (../shared/docs/lm-eval.md section 1, the
 * v0.4.12+ shape): "results" (every task, the mmlu group and its four category groups),
 * "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better",
 * "n-samples", "config", the environment fields, and with log_samples lm-eval's
 * per-document "samples" (doc, arguments, resps, stringified filtered_resps and the three
 * hashes).
 *
 * A group (mmlu, and each of its category groups) is the size-weighted mean over its leaf
 * tasks with lm-eval's pooled stderr (Group.aggregate reads the leaves, not the
 * subgroups). Built with cJSON only; never prints, never exits, never writes files (the
 * caller decides where the object goes).
 */
#include "engine/tasks/results.h"
#include "engine/tasks/text.h"

#include "core/hash.h"
#include "engine/py_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* lm-eval's version of the mmlu group (metadata.version in _mmlu.yaml). */
#define MMLU_GROUP_VERSION 2

static const char *output_type_name(enum task_output o)
{
	return o == TASK_LOGLIKELIHOOD ? "loglikelihood"
	       : o == TASK_MULTIPLE_CHOICE ? "multiple_choice" : "loglikelihood_rolling";
}

/* "<metric>,none" or "<metric>_stderr,none" */
static void metric_key(char *buf, size_t size, enum metric m, bool stderr_key)
{
	snprintf(buf, size, "%s%s,none", metric_name(m), stderr_key ? "_stderr" : "");
}

/* A stderr: a number, or "N/A" as lm-eval writes one it could not compute. */
static cJSON *stderr_value(double se)
{
	return isnan(se) ? cJSON_CreateString("N/A") : cJSON_CreateNumber(se);
}

// ---- "results" entries ----

static cJSON *task_entry(const struct task *t, const struct metric_result *m, int n)
{
	cJSON *e = cJSON_CreateObject();
	char key[64]; /* a name of the metrics table (under 24 bytes) and "_stderr,none" */
	cJSON_AddStringToObject(e, "name", t->name);
	cJSON_AddStringToObject(e, "alias", t->alias);
	cJSON_AddNumberToObject(e, "sample_len", t->n_docs);
	for (int i = 0; i < n; i++) {
		metric_key(key, sizeof key, m[i].metric, false);
		cJSON_AddNumberToObject(e, key, m[i].value);
		metric_key(key, sizeof key, m[i].metric, true);
		cJSON_AddItemToObject(e, key, stderr_value(m[i].stderr_));
	}
	return e;
}

struct group_acc {
	int n;
	double *acc, *se;
	int *size;
};

static cJSON *group_entry(const char *name, const char *alias, const struct group_acc *g)
{
	cJSON *e = cJSON_CreateObject(), *count = cJSON_CreateObject();
	long total = 0;
	for (int i = 0; i < g->n; i++)
		total += g->size[i];
	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddStringToObject(e, "alias", alias);
	cJSON_AddNumberToObject(e, "sample_len", (double)total);
	cJSON_AddNumberToObject(e, "acc,none", metric_size_weighted_mean(g->acc, g->size, g->n));
	cJSON_AddItemToObject(e, "acc_stderr,none",
			      stderr_value(metric_pooled_stderr(g->se, g->size, g->n)));
	cJSON_AddNumberToObject(count, "acc,none", (double)total);
	cJSON_AddItemToObject(e, "sample_count", count);
	return e;
}

// ---- "configs" ----

static void add_string_or_skip(cJSON *o, const char *key, const char *value)
{
	if (value)
		cJSON_AddStringToObject(o, key, value);
}

static cJSON *metric_list(const struct task *t)
{
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; i < t->n_metrics; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "metric", metric_name(t->metrics[i]));
		cJSON_AddStringToObject(m, "aggregation", metric_aggregation(t->metrics[i]));
		cJSON_AddBoolToObject(m, "higher_is_better", metric_higher_is_better(t->metrics[i]));
		cJSON_AddItemToArray(list, m);
	}
	return list;
}

static cJSON *task_config_json(const struct task *t)
{
	const struct task_config *c = &t->config;
	cJSON *o = cJSON_CreateObject(), *meta = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "task", t->name);
	if (strcmp(t->alias, t->name))
		cJSON_AddStringToObject(o, "task_alias", t->alias);
	add_string_or_skip(o, "dataset_path", c->dataset_path);
	add_string_or_skip(o, "dataset_name", c->dataset_name);
	add_string_or_skip(o, c->split_key ? c->split_key : "test_split", c->split);
	cJSON_AddStringToObject(o, "description", c->description ? c->description : "");
	add_string_or_skip(o, "doc_to_text", c->doc_to_text);
	add_string_or_skip(o, "doc_to_target", c->doc_to_target);
	add_string_or_skip(o, "doc_to_choice", c->doc_to_choice);
	cJSON_AddStringToObject(o, "target_delimiter",
				c->target_delimiter ? c->target_delimiter : " ");
	cJSON_AddStringToObject(o, "fewshot_delimiter", "\n\n");
	cJSON_AddNumberToObject(o, "num_fewshot", 0);
	cJSON_AddItemToObject(o, "metric_list", metric_list(t));
	cJSON_AddStringToObject(o, "output_type", output_type_name(t->output));
	cJSON_AddNumberToObject(meta, "version", c->version);
	cJSON_AddItemToObject(o, "metadata", meta);
	return o;
}

static cJSON *higher_is_better(const enum metric *m, int n)
{
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i < n; i++)
		cJSON_AddBoolToObject(o, metric_name(m[i]), metric_higher_is_better(m[i]));
	return o;
}

// ---- "samples" ----

/* One request's answer as lm-eval writes it in a sample (sanitize_list stringifies):
 * ["-4.21", "False"] (a rolling request: "-4.21" alone). */
static cJSON *request_resp(const struct task *t, const struct task_request *r)
{
	char num[32];
	py_float_repr(r->logprob, num);
	if (t->output == TASK_ROLLING)
		return cJSON_CreateString(num);
	cJSON *pair = cJSON_CreateArray();
	cJSON_AddItemToArray(pair, cJSON_CreateString(num));
	cJSON_AddItemToArray(pair, cJSON_CreateString(r->is_greedy ? "True" : "False"));
	return pair;
}

/* "resps" (each request's list of answers: one) and "filtered_resps" (the answers). */
static void add_resps(cJSON *s, const struct task *t, const struct task_doc *d)
{
	cJSON *resps = cJSON_AddArrayToObject(s, "resps");
	cJSON *filtered = cJSON_AddArrayToObject(s, "filtered_resps");
	for (int i = d->first; i < d->first + d->n; i++) {
		cJSON *one = cJSON_CreateArray();
		cJSON_AddItemToArray(one, request_resp(t, &t->reqs[i]));
		cJSON_AddItemToArray(resps, one);
		cJSON_AddItemToArray(filtered, request_resp(t, &t->reqs[i]));
	}
}

/* "arguments": {"gen_args_<i>": {"arg_0": context, "arg_1": continuation}} (a rolling
 * request: {"arg_0": text}), the shape lm-eval 0.4.12+ writes. */
static cJSON *request_arguments(const struct task *t, const struct task_doc *d)
{
	cJSON *args = cJSON_CreateObject();
	char key[32];
	for (int i = d->first; i < d->first + d->n; i++) {
		cJSON *one = cJSON_CreateObject();
		const struct task_request *r = &t->reqs[i];
		snprintf(key, sizeof key, "gen_args_%d", i - d->first);
		cJSON_AddStringToObject(one, "arg_0", r->context ? r->context : r->continuation);
		if (r->context)
			cJSON_AddStringToObject(one, "arg_1", r->continuation);
		cJSON_AddItemToObject(args, key, one);
	}
	return args;
}

/* str(doc_to_target(doc)): the task's own, else the gold index (multiple choice) or the
 * continuation; NULL for a rolling task (lm-eval's target is then the empty string). */
static char *sample_target(const struct task *t, const struct task_doc *d)
{
	char num[32];
	if (d->target)
		return strdup(d->target);
	if (t->output == TASK_MULTIPLE_CHOICE) {
		snprintf(num, sizeof num, "%d", d->gold);
		return strdup(num);
	}
	return strdup(t->output == TASK_LOGLIKELIHOOD ? t->reqs[d->first].continuation : "");
}

static void add_hash(cJSON *s, const char *key, const char *text)
{
	char hex[65];
	sha256_hex(text, strlen(text), hex);
	cJSON_AddStringToObject(s, key, hex);
}

/* doc_hash, prompt_hash and target_hash exactly as lm-eval's evaluate() computes them:
 * SHA-256 of json.dumps(doc, indent=2, ensure_ascii=False), of the first request's first
 * argument and of str(target). */
static void add_hashes(cJSON *s, const struct task *t, const struct task_doc *d,
		       const char *target)
{
	struct strbuf doc = {0};
	const struct task_request *r = &t->reqs[d->first];
	if (d->doc)
		py_json_dumps_indent2(d->doc, &doc);
	else
		strbuf_adds(&doc, "null");
	char *dumped = strbuf_take(&doc);
	add_hash(s, "doc_hash", dumped ? dumped : "");
	add_hash(s, "prompt_hash", r->context ? r->context : r->continuation);
	add_hash(s, "target_hash", target);
	free(dumped);
}

/* A per-document metric value as process_results gives it. */
static cJSON *sample_metric(enum metric m, const struct task_doc *d)
{
	if (m == METRIC_ACC)
		return cJSON_CreateNumber(d->acc);
	if (m == METRIC_ACC_NORM)
		return cJSON_CreateNumber(d->acc_norm);
	if (m == METRIC_PERPLEXITY)
		return cJSON_CreateNumber(d->loglik);
	cJSON *pair = cJSON_CreateArray();
	cJSON_AddItemToArray(pair, cJSON_CreateNumber(d->loglik));
	cJSON_AddItemToArray(pair, cJSON_CreateNumber(
		(double)(m == METRIC_WORD_PERPLEXITY ? d->words : d->bytes)));
	return pair;
}

/* One document's record, key for key as lm-eval's evaluate() logs it. */
static cJSON *task_sample(const struct task *t, int i)
{
	const struct task_doc *d = &t->docs[i];
	cJSON *s = cJSON_CreateObject(), *names = cJSON_CreateArray();
	char *target = sample_target(t, d);
	cJSON_AddNumberToObject(s, "doc_id", i);
	cJSON_AddItemToObject(s, "doc", d->doc ? cJSON_Duplicate(d->doc, true) : cJSON_CreateNull());
	cJSON_AddStringToObject(s, "target", target ? target : "");
	cJSON_AddItemToObject(s, "arguments", request_arguments(t, d));
	add_resps(s, t, d);
	cJSON_AddStringToObject(s, "filter", "none");
	for (int k = 0; k < t->n_metrics; k++)
		cJSON_AddItemToArray(names, cJSON_CreateString(metric_name(t->metrics[k])));
	cJSON_AddItemToObject(s, "metrics", names);
	add_hashes(s, t, d, target ? target : "");
	for (int k = 0; k < t->n_metrics; k++)
		cJSON_AddItemToObject(s, metric_name(t->metrics[k]), sample_metric(t->metrics[k], d));
	free(target);
	return s;
}

static cJSON *task_samples(const struct task *t)
{
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; i < t->n_docs; i++)
		cJSON_AddItemToArray(list, task_sample(t, i));
	return list;
}

// ---- "config" and the environment ----

/* lm-eval's sanitize_model_name: runs of " <>:/|\?*[]" become "__". */
static char *sanitized_name(const char *name)
{
	struct strbuf b = {0};
	for (const char *s = name; *s;) {
		size_t run = strspn(s, " <>:/|\\?*[]");
		if (run) {
			strbuf_adds(&b, "__");
			s += run;
		} else {
			strbuf_add(&b, s++, 1);
		}
	}
	return strbuf_take(&b);
}

static cJSON *run_config(const struct results_meta *meta)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "model", "bitbudget");
	cJSON_AddStringToObject(c, "model_args", meta->model_args ? meta->model_args : "");
	cJSON_AddNumberToObject(c, "batch_size", meta->batch_size);
	cJSON_AddItemToObject(c, "batch_sizes", cJSON_CreateArray());
	cJSON_AddStringToObject(c, "device", "cpu");
	cJSON_AddNullToObject(c, "use_cache");
	if (meta->limit > 0)
		cJSON_AddNumberToObject(c, "limit", meta->limit);
	else
		cJSON_AddNullToObject(c, "limit");
	cJSON_AddNumberToObject(c, "bootstrap_iters", meta->bootstrap_iters);
	cJSON_AddNullToObject(c, "gen_kwargs");
	cJSON_AddNumberToObject(c, "random_seed", (double)meta->seed);
	cJSON_AddNumberToObject(c, "numpy_seed", (double)meta->seed);
	cJSON_AddNumberToObject(c, "torch_seed", (double)meta->seed);
	cJSON_AddNumberToObject(c, "fewshot_seed", (double)meta->seed);
	return c;
}

/* lm-eval's task_hashes: per task, SHA-256 of its samples' doc_hash + prompt_hash +
 * target_hash concatenated in order (EvaluationTracker.save_results_aggregated); {}
 * without samples. */
static cJSON *task_hashes(const cJSON *samples)
{
	cJSON *hashes = cJSON_CreateObject();
	const cJSON *task, *s;
	cJSON_ArrayForEach(task, samples) {
		struct strbuf all = {0};
		static const char *const keys[] = {"doc_hash", "prompt_hash", "target_hash"};
		cJSON_ArrayForEach(s, task)
			for (int k = 0; k < 3; k++) {
				const char *h = cJSON_GetStringValue(
					cJSON_GetObjectItemCaseSensitive(s, keys[k]));
				strbuf_adds(&all, h ? h : "");
			}
		char *text = strbuf_take(&all);
		add_hash(hashes, task->string, text ? text : "");
		free(text);
	}
	return hashes;
}

static void add_environment(cJSON *root, const struct results_meta *meta, const cJSON *samples)
{
	const char *model = meta->model_dir ? meta->model_dir : "";
	char *sanitized = sanitized_name(model), secs[32]; /* a run's seconds: a few digits */
	snprintf(secs, sizeof secs, "%.3f", meta->elapsed_s);
	cJSON_AddNullToObject(root, "git_hash");
	cJSON_AddNumberToObject(root, "date", meta->start_time);
	cJSON_AddStringToObject(root, "lm_eval_version", "bitbudget-engine");
	cJSON_AddItemToObject(root, "task_hashes", task_hashes(samples));
	cJSON_AddStringToObject(root, "model_source", "bitbudget");
	cJSON_AddStringToObject(root, "model_name", model);
	cJSON_AddStringToObject(root, "model_name_sanitized", sanitized ? sanitized : "");
	cJSON_AddNullToObject(root, "system_instruction");
	cJSON_AddNullToObject(root, "chat_template");
	cJSON_AddBoolToObject(root, "fewshot_as_multiturn", false);
	if (meta->max_length > 0) {
		add_string_or_skip(root, "tokenizer_bos_token", meta->bos_token);
		add_string_or_skip(root, "tokenizer_eos_token", meta->eos_token);
		cJSON_AddNumberToObject(root, "eot_token_id", meta->eot_token_id);
		cJSON_AddNumberToObject(root, "max_length", meta->max_length);
	}
	cJSON_AddStringToObject(root, "total_evaluation_time_seconds", secs);
	free(sanitized);
}

// ---- assembly ----

struct sections {
	cJSON *root, *results, *groups, *group_subtasks, *configs, *versions, *n_shot, *hib,
		*n_samples, *samples;
};

static void sections_init(struct sections *s, bool log_samples)
{
	s->root = cJSON_CreateObject();
	s->results = cJSON_AddObjectToObject(s->root, "results");
	s->groups = cJSON_CreateObject();
	s->group_subtasks = cJSON_AddObjectToObject(s->root, "group_subtasks");
	s->configs = cJSON_AddObjectToObject(s->root, "configs");
	s->versions = cJSON_AddObjectToObject(s->root, "versions");
	s->n_shot = cJSON_AddObjectToObject(s->root, "n-shot");
	s->hib = cJSON_AddObjectToObject(s->root, "higher_is_better");
	s->n_samples = cJSON_AddObjectToObject(s->root, "n-samples");
	s->samples = log_samples ? cJSON_CreateObject() : NULL;
}

static void add_leaf(struct sections *s, const struct task *t, const struct metric_result *m,
		     int n)
{
	cJSON *ns = cJSON_CreateObject();
	cJSON_AddItemToObject(s->results, t->name, task_entry(t, m, n));
	cJSON_AddItemToObject(s->configs, t->name, task_config_json(t));
	cJSON_AddNumberToObject(s->versions, t->name, t->config.version);
	cJSON_AddNumberToObject(s->n_shot, t->name, 0);
	cJSON_AddItemToObject(s->hib, t->name, higher_is_better(t->metrics, t->n_metrics));
	cJSON_AddNumberToObject(ns, "original", t->n_original);
	cJSON_AddNumberToObject(ns, "effective", t->n_docs);
	cJSON_AddItemToObject(s->n_samples, t->name, ns);
	if (!t->group[0])
		cJSON_AddItemToObject(s->group_subtasks, t->name, cJSON_CreateArray());
	if (s->samples)
		cJSON_AddItemToObject(s->samples, t->name, task_samples(t));
}

/* lm-eval's order of the mmlu category groups (_mmlu.yaml) and their aliases. */
static const char *const CATEGORY[][2] = {
	{"mmlu_stem", "stem"},
	{"mmlu_other", "other"},
	{"mmlu_social_sciences", "social sciences"},
	{"mmlu_humanities", "humanities"},
};

/* A group over the leaf tasks members[0..n): its entry in results and groups, its version,
 * higher_is_better and n-shot (as lm-eval writes them for a group of leaves; with_n_shot),
 * and children, its group_subtasks list (taken). Every leaf is scored with acc. */
static int add_group(struct sections *s, const struct task_list *tl, const char *name,
		     const char *alias, const int *members, int n, cJSON *children,
		     const struct metric_result *acc, bool with_n_shot, struct bb_error *err)
{
	struct group_acc g = {.n = n};
	g.acc = malloc((size_t)n * sizeof(double));
	g.se = malloc((size_t)n * sizeof(double));
	g.size = malloc((size_t)n * sizeof(int));
	if (!g.acc || !g.se || !g.size) {
		free(g.acc), free(g.se), free(g.size);
		cJSON_Delete(children);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	enum metric m = METRIC_ACC;
	for (int i = 0; i < n; i++) {
		g.acc[i] = acc[members[i]].value;
		g.se[i] = acc[members[i]].stderr_;
		g.size[i] = tl->tasks[members[i]].n_docs;
	}
	cJSON_AddItemToObject(s->results, name, group_entry(name, alias, &g));
	cJSON_AddItemToObject(s->groups, name, group_entry(name, alias, &g));
	cJSON_AddItemToObject(s->group_subtasks, name, children);
	cJSON_AddNumberToObject(s->versions, name, MMLU_GROUP_VERSION);
	cJSON_AddItemToObject(s->hib, name, higher_is_better(&m, 1));
	if (with_n_shot)
		cJSON_AddNumberToObject(s->n_shot, name, 0);
	free(g.acc), free(g.se), free(g.size);
	return 0;
}

/* The category group named category[0] over the tasks [first, last) of tl that are in it
 * (none: no group); its name is appended to parent's list. */
static int add_category(struct sections *s, const struct task_list *tl, int first, int last,
			const char *const category[2], int *members, cJSON *parent,
			const struct metric_result *acc, struct bb_error *err)
{
	cJSON *children = cJSON_CreateArray();
	int n = 0;
	for (int i = first; i < last; i++)
		if (!strcmp(tl->tasks[i].subgroup, category[0])) {
			members[n++] = i;
			cJSON_AddItemToArray(children, cJSON_CreateString(tl->tasks[i].name));
		}
	if (!n) {
		cJSON_Delete(children);
		return 0;
	}
	cJSON_AddItemToArray(parent, cJSON_CreateString(category[0]));
	return add_group(s, tl, category[0], category[1], members, n, children, acc, true, err);
}

/* The group of tl's tasks [first, last), named by their group field, and the category
 * groups between it and them where the tasks have a subgroup (mmlu: stem, other, social
 * sciences, humanities, as lm-eval nests them; each group aggregates its leaves). */
static int add_groups(struct sections *s, const struct task_list *tl, int first, int last,
		      const struct metric_result *acc, struct bb_error *err)
{
	int n = last - first, rc = 0;
	int *members = malloc((size_t)n * sizeof(int));
	cJSON *children = cJSON_CreateArray();
	if (!members) {
		cJSON_Delete(children);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		members[i] = first + i;
		if (!tl->tasks[first + i].subgroup[0])
			cJSON_AddItemToArray(children, cJSON_CreateString(tl->tasks[first + i].name));
	}
	const char *name = tl->tasks[first].group;
	rc = add_group(s, tl, name, name, members, n, children, acc, false, err);
	for (size_t c = 0; c < sizeof CATEGORY / sizeof CATEGORY[0] && !rc; c++)
		rc = add_category(s, tl, first, last, CATEGORY[c], members, children, acc, err);
	free(members);
	return rc;
}

/* Every task's metrics into all (TASK_MAX_METRICS a task); acc of each task into acc. */
static int aggregate_all(const struct task_list *tl, int iters, struct metric_result *all,
			 int *counts, struct metric_result *acc, struct bb_error *err)
{
	for (int i = 0; i < tl->n; i++) {
		struct metric_result *m = all + (size_t)i * TASK_MAX_METRICS;
		int rc = task_aggregate(&tl->tasks[i], iters, m, &counts[i], err);
		if (rc)
			return rc;
		acc[i] = (struct metric_result){.metric = METRIC_ACC, .value = NAN, .stderr_ = NAN};
		for (int k = 0; k < counts[i]; k++)
			if (m[k].metric == METRIC_ACC)
				acc[i] = m[k];
	}
	return 0;
}

/* The sections for tl's tasks, each group's entry just before its first member. */
static int fill_sections(struct sections *s, const struct task_list *tl,
			 const struct metric_result *all, const int *counts,
			 const struct metric_result *acc, struct bb_error *err)
{
	for (int i = 0; i < tl->n; i++) {
		const struct task *t = &tl->tasks[i];
		if (t->group[0] && (i == 0 || strcmp(tl->tasks[i - 1].group, t->group))) {
			int last = i;
			while (last < tl->n && !strcmp(tl->tasks[last].group, t->group))
				last++;
			int rc = add_groups(s, tl, i, last, acc, err);
			if (rc)
				return rc;
		}
		add_leaf(s, t, all + (size_t)i * TASK_MAX_METRICS, counts[i]);
	}
	return 0;
}

int results_build(const struct task_list *tl, const struct results_meta *meta,
		  cJSON **out, struct bb_error *err)
{
	*out = NULL;
	struct metric_result *all = malloc((size_t)(tl->n + 1) * TASK_MAX_METRICS * sizeof *all);
	struct metric_result *acc = malloc((size_t)(tl->n + 1) * sizeof *acc);
	int *counts = malloc((size_t)(tl->n + 1) * sizeof(int)), rc = 0;
	struct sections s = {0};
	if (!all || !acc || !counts)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = aggregate_all(tl, meta->bootstrap_iters, all, counts, acc, err);
	if (!rc) {
		sections_init(&s, meta->log_samples);
		rc = fill_sections(&s, tl, all, counts, acc, err);
	}
	if (!rc) {
		if (cJSON_GetArraySize(s.groups))
			cJSON_AddItemToObject(s.root, "groups", s.groups);
		else
			cJSON_Delete(s.groups);
		if (s.samples)
			cJSON_AddItemToObject(s.root, "samples", s.samples);
		cJSON_AddItemToObject(s.root, "config", run_config(meta));
		add_environment(s.root, meta, s.samples);
		*out = s.root;
	} else {
		cJSON_Delete(s.root);
		cJSON_Delete(s.groups);
		cJSON_Delete(s.samples);
	}
	free(all);
	free(acc);
	free(counts);
	return rc;
}
