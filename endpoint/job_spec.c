/*
 * job_spec.c: a POST /v1/jobs body validated into a struct job_spec, and running one.
 *
 * Validation is strict and happens before a job is queued, so a bad request is a 400/404
 * at once, never a failed job later: unknown keys, unknown tasks, num_fewshot other than
 * 0, bad numbers, bad recipes and model paths outside the models root are all refused.
 * Model paths are resolved lexically first (no "..", no absolute path outside the root),
 * then with realpath (a symlink leaving the root reads as "not found").
 * job_spec_to_json writes the same body from the struct, for the clients.
 * Never prints, never exits, never opens a file outside the models root except the data,
 * calibration and evaluation files the server was configured with and the kld reference
 * files of its cache folder.
 */
#include "endpoint/job_spec.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "endpoint/spec_fields.h"
#include "engine/evaluate.h"
#include "engine/model/calib.h"
#include "engine/model/deltaloss.h"
#include "engine/tokenizer/tokenizer.h"
#include "endpoint/kld_job.h"

const char *job_kind_name(enum job_kind k)
{
	return k == JOB_SCORES ? "scores" : k == JOB_KLD ? "kld" : "evaluate";
}

void job_spec_free(struct job_spec *s)
{
	free(s->model);
	free(s->model_dir);
	if (s->has_recipe)
		recipe_free(&s->recipe);
	for (int i = 0; i < s->n_tasks; i++)
		free(s->tasks[i]);
	free(s->tasks);
	free(s->calib_text);
	free(s->eval_text);
	memset(s, 0, sizeof *s);
}

// ---- the models root ----

static bool has_dotdot(const char *p)
{
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == 0 || c[2] == '/'))
			return true;
	return false;
}

/* Whether path is root or lies below it (both normalized, root without a trailing '/'
 * unless it is "/"). */
static bool under_root(const char *root, const char *path)
{
	size_t n = strlen(root);
	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == 0 || path[n] == '/');
}

int models_root_resolve(const char *root, const char *name, char **out, struct bb_error *err)
{
	char real[PATH_MAX], *full;
	struct stat st;
	*out = NULL;
	if (!*name)
		return bb_fail(err, BB_EINVAL, "model: empty path"), 400;
	if (has_dotdot(name))
		return bb_fail(err, BB_EINVAL, "model '%s': '..' is not allowed in a model path",
			       name), 400;
	if (name[0] == '/' && !under_root(root, name))
		return bb_fail(err, BB_EINVAL, "model '%s': absolute paths must lie under the "
			       "models root", name), 400;
	full = name[0] == '/' ? strdup(name) : path_join(root, name);
	if (!full)
		return bb_fail(err, BB_ENOMEM, "out of memory"), 500;
	bool found = realpath(full, real) && under_root(root, real);
	free(full);
	if (!found)
		return bb_fail(err, BB_EIO, "model '%s' not found under the models root", name), 404;
	char *cfg = path_join(real, "config.json");
	bool ok = cfg && stat(real, &st) == 0 && S_ISDIR(st.st_mode) && file_exists(cfg);
	free(cfg);
	if (!ok)
		return bb_fail(err, BB_EIO, "model '%s' is not a checkpoint folder (no config.json)",
			       name), 404;
	*out = strdup(real);
	return *out ? 0 : (bb_fail(err, BB_ENOMEM, "out of memory"), 500);
}

// ---- fields ----

static const char *const common_keys[] = {"kind", "model", NULL};
static const char *const evaluate_keys[] = {"recipe", "tasks", "limit", "num_fewshot",
					    "add_bos_token", "batch_size", "seed", "log_samples",
					    NULL};
static const char *const scores_keys[] = {"options", "method", "nsamples", "seqlen", "batch",
					  "seed", "calib_text", NULL};
static const char *const kld_keys[] = {"recipe", "text", "context", NULL};

static int check_keys(const cJSON *req, const char *const *kind_keys, const char *kind,
		      struct bb_error *err)
{
	char what[32]; /* kind is a job_kind_name: a short word */
	snprintf(what, sizeof what, "a %s job", kind);
	return spec_check_keys(req, common_keys, kind_keys, what, err);
}

/* An optional integer field in [min, max]; absent or null leaves *out. */
static int get_int(const cJSON *req, const char *key, long min, long max, long *out,
		   struct bb_error *err)
{
	return spec_get_int(req, key, false, min, max, out, err);
}

/* An optional boolean: -1 when absent or null. */
static int get_bool(const cJSON *req, const char *key, int *out, struct bb_error *err)
{
	*out = -1;
	return spec_get_bool(req, key, false, out, err);
}

/* A list of names: required, given as a JSON array of strings or a comma-separated string. */
static int get_names(const cJSON *req, const char *key, int max, char ***names, int *n,
		     struct bb_error *err)
{
	return spec_get_names(req, key, true, max, names, n, err);
}

// ---- evaluate jobs ----

/* A custom task is the path of a .json descriptor; the server reads it only when it lies
 * under the data folder or the tasks root, and passes on its real path. */
static int resolve_custom_task(char **task, const struct server_settings *set,
			       struct bb_error *err)
{
	char real[PATH_MAX];
	size_t n = strlen(*task);
	if (n < 6 || strcmp(*task + n - 5, ".json") != 0 || !realpath(*task, real))
		return -1;
	bool allowed = (set->data_dir && under_root(set->data_dir, real)) ||
		       (set->tasks_root && under_root(set->tasks_root, real));
	if (!allowed)
		return bb_fail(err, BB_EINVAL,
			       "task '%s' lies outside this server's data folder and tasks root", *task);
	char *copy = strdup(real);
	if (!copy)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	free(*task);
	*task = copy;
	return 0;
}

static int check_tasks(struct job_spec *s, const struct server_settings *set,
		       struct bb_error *err)
{
	cJSON *known = evaluate_task_names(), *it;
	int rc = 0;
	for (int i = 0; i < s->n_tasks && !rc; i++) {
		bool found = false;
		cJSON_ArrayForEach(it, known) found |= cJSON_IsString(it) &&
						       !strcmp(it->valuestring, s->tasks[i]);
		if (found || (rc = resolve_custom_task(&s->tasks[i], set, err)) >= 0)
			continue;
		char *list = cJSON_PrintUnformatted(known);
		rc = bb_fail(err, BB_EINVAL,
			     "unknown task '%s' (known: %s, or a .json task descriptor under the data folder)",
			     s->tasks[i], list ? list : "?");
		free(list);
	}
	cJSON_Delete(known);
	return rc;
}

static int no_task_data(struct bb_error *err)
{
	return bb_fail(err, BB_EINVAL, "evaluate: this server has no task data (start it with "
		       "--data-dir)");
}

static int parse_evaluate(struct job_spec *s, const cJSON *req, const struct server_settings *set,
			  struct bb_error *err)
{
	long limit = 0, fewshot = 0, batch = 0, seed = 0;
	const cJSON *recipe = cJSON_GetObjectItemCaseSensitive(req, "recipe");
	const cJSON *batch_v = cJSON_GetObjectItemCaseSensitive(req, "batch_size");
	int log_samples = -1;
	if (!set->data_dir)
		return no_task_data(err);
	int rc = get_names(req, "tasks", 64, &s->tasks,
			   &s->n_tasks, err);
	if (!rc && !(rc = check_tasks(s, set, err)) &&
	    !(rc = get_int(req, "limit", 0, INT_MAX, &limit, err)) &&
	    !(rc = get_int(req, "num_fewshot", 0, INT_MAX, &fewshot, err)) && fewshot != 0)
		rc = bb_fail(err, BB_EINVAL, "num_fewshot: only 0 is supported (got %ld)", fewshot);
	if (!rc && cJSON_IsString(batch_v) && strcmp(batch_v->valuestring, "auto"))
		rc = bb_fail(err, BB_EINVAL, "batch_size: expected an integer or \"auto\"");
	if (!rc && !cJSON_IsString(batch_v))
		rc = get_int(req, "batch_size", 0, 1 << 20, &batch, err);
	if (!rc && !(rc = get_int(req, "seed", 0, LONG_MAX, &seed, err)) &&
	    !(rc = get_bool(req, "add_bos_token", &s->add_bos_token, err)))
		rc = get_bool(req, "log_samples", &log_samples, err);
	if (!rc && recipe && !cJSON_IsNull(recipe) &&
	    !(rc = recipe_from_json(&s->recipe, recipe, "recipe", err)))
		s->has_recipe = true;
	s->limit = (int)limit;
	s->batch_size = (int)batch;
	s->seed = (uint64_t)seed;
	s->log_samples = !rc && log_samples == 1;
	return rc;
}

// ---- scores jobs ----

static int parse_options(struct job_spec *s, const cJSON *req, struct bb_error *err)
{
	char **names = NULL;
	int n = 0, rc = get_names(req, "options",
				  RECIPE_MAX_OPTIONS, &names, &n, err);
	for (int i = 0; i < n; i++) {
		if (!rc && format_parse(&s->options[i], names[i], err))
			rc = BB_EINVAL; /* err names the format */
		free(names[i]);
	}
	free(names);
	s->n_options = rc ? 0 : n;
	return rc;
}

static int parse_scores(struct job_spec *s, const cJSON *req, const struct server_settings *set,
			struct bb_error *err)
{
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(req, "calib_text");
	long nsamples = 16, seqlen = 256, batch = 8, seed = 42;
	int rc = parse_options(s, req, err);
	s->method = SCORE_DELTALOSS;
	if (!rc && method && !cJSON_IsNull(method)) {
		if (cJSON_IsString(method) && !strcmp(method->valuestring, "proxy"))
			s->method = SCORE_PROXY;
		else if (!cJSON_IsString(method) || strcmp(method->valuestring, "deltaloss"))
			rc = bb_fail(err, BB_EINVAL, "method: expected \"deltaloss\" or \"proxy\"");
	}
	if (!rc && text && !cJSON_IsNull(text) && !cJSON_IsString(text))
		rc = bb_fail(err, BB_EINVAL, "calib_text: expected a string");
	if (!rc && !(rc = get_int(req, "nsamples", 1, 100000, &nsamples, err)) &&
	    !(rc = get_int(req, "seqlen", 2, 1 << 20, &seqlen, err)) &&
	    !(rc = get_int(req, "batch", 1, 4096, &batch, err)))
		rc = get_int(req, "seed", 0, LONG_MAX, &seed, err);
	if (!rc && cJSON_IsString(text) && !(s->calib_text = strdup(text->valuestring)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc && s->method == SCORE_DELTALOSS && !s->calib_text && !set->calib_path)
		rc = bb_fail(err, BB_EINVAL, "calib_text: required (this server has no "
			     "calibration file)");
	s->nsamples = (int)nsamples;
	s->seqlen = (int)seqlen;
	s->batch = (int)batch;
	s->seed = (uint64_t)seed;
	return rc;
}

// ---- kld jobs ----

static int parse_recipe(struct job_spec *s, const cJSON *req, struct bb_error *err)
{
	const cJSON *recipe = cJSON_GetObjectItemCaseSensitive(req, "recipe");
	if (!recipe || cJSON_IsNull(recipe))
		return 0;
	int rc = recipe_from_json(&s->recipe, recipe, "recipe", err);
	s->has_recipe = !rc;
	return rc;
}

static int parse_kld(struct job_spec *s, const cJSON *req, const struct server_settings *set,
		     struct bb_error *err)
{
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(req, "text");
	long context = 0;
	int rc = get_int(req, "context", 1, 1 << 20, &context, err);
	if (!rc && text && !cJSON_IsNull(text) && !cJSON_IsString(text))
		rc = bb_fail(err, BB_EINVAL, "text: expected a string");
	if (!rc && cJSON_IsString(text) && !(s->eval_text = strdup(text->valuestring)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc && !s->eval_text && !set->eval_text_path)
		rc = bb_fail(err, BB_EINVAL, "text: required (this server has no evaluation text)");
	if (!rc)
		rc = parse_recipe(s, req, err);
	s->context = (int)context;
	return rc;
}

// ---- parse ----

static int parse_kind(struct job_spec *s, const cJSON *req, struct bb_error *err)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(req, "kind");
	s->kind = JOB_EVALUATE;
	if (!kind || cJSON_IsNull(kind))
		return 0;
	if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "scores"))
		s->kind = JOB_SCORES;
	else if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "kld"))
		s->kind = JOB_KLD;
	else if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "evaluate"))
		return bb_fail(err, BB_EINVAL, "kind: expected \"evaluate\", \"scores\" or \"kld\"");
	return 0;
}

int job_spec_parse(struct job_spec *s, const cJSON *req, const struct server_settings *set,
		   struct bb_error *err)
{
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(req, "model");
	int status = 400, rc;
	memset(s, 0, sizeof *s);
	if (!cJSON_IsObject(req))
		rc = bb_fail(err, BB_EINVAL, "the body must be a JSON object");
	else if ((rc = parse_kind(s, req, err)) == 0 &&
		 (rc = check_keys(req, s->kind == JOB_SCORES ? scores_keys :
				  s->kind == JOB_KLD ? kld_keys : evaluate_keys,
				  job_kind_name(s->kind), err)) == 0 &&
		 !cJSON_IsString(model))
		rc = bb_fail(err, BB_EINVAL, "model: expected a path (string)");
	if (!rc && !(s->model = strdup(model->valuestring)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = s->kind == JOB_SCORES ? parse_scores(s, req, set, err)
		     : s->kind == JOB_KLD  ? parse_kld(s, req, set, err)
					   : parse_evaluate(s, req, set, err);
	if (!rc && (status = models_root_resolve(set->models_root, s->model, &s->model_dir, err)))
		rc = BB_EINVAL;
	if (rc)
		job_spec_free(s);
	return rc ? status : 0;
}

int job_spec_check(struct job_spec *s, const struct server_settings *set, struct bb_error *err)
{
	int rc = 0, status = 400;
	if (s->kind == JOB_EVALUATE)
		rc = set->data_dir ? check_tasks(s, set, err) : no_task_data(err);
	if (!rc && (status = models_root_resolve(set->models_root, s->model, &s->model_dir, err)))
		rc = BB_EINVAL;
	return rc ? status : 0;
}

// ---- writing a request ----

static void write_evaluate(cJSON *j, const struct job_spec *s)
{
	cJSON *tasks = cJSON_AddArrayToObject(j, "tasks");
	for (int i = 0; i < s->n_tasks; i++)
		cJSON_AddItemToArray(tasks, cJSON_CreateString(s->tasks[i]));
	cJSON_AddNumberToObject(j, "num_fewshot", 0);
	cJSON_AddNumberToObject(j, "seed", (double)s->seed);
	if (s->limit)
		cJSON_AddNumberToObject(j, "limit", s->limit);
	if (s->batch_size)
		cJSON_AddNumberToObject(j, "batch_size", s->batch_size);
	if (s->add_bos_token >= 0)
		cJSON_AddBoolToObject(j, "add_bos_token", s->add_bos_token);
	if (s->log_samples)
		cJSON_AddTrueToObject(j, "log_samples");
	if (s->has_recipe)
		cJSON_AddItemToObject(j, "recipe", recipe_to_json(&s->recipe));
}

static void write_scores(cJSON *j, const struct job_spec *s)
{
	cJSON *opts = cJSON_AddArrayToObject(j, "options");
	for (int k = 0; k < s->n_options; k++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(s->options[k].name));
	cJSON_AddStringToObject(j, "method", s->method == SCORE_PROXY ? "proxy" : "deltaloss");
	cJSON_AddNumberToObject(j, "nsamples", s->nsamples);
	cJSON_AddNumberToObject(j, "seqlen", s->seqlen);
	if (s->batch)
		cJSON_AddNumberToObject(j, "batch", s->batch);
	cJSON_AddNumberToObject(j, "seed", (double)s->seed);
	if (s->calib_text)
		cJSON_AddStringToObject(j, "calib_text", s->calib_text);
}

static void write_kld(cJSON *j, const struct job_spec *s)
{
	if (s->has_recipe)
		cJSON_AddItemToObject(j, "recipe", recipe_to_json(&s->recipe));
	if (s->eval_text)
		cJSON_AddStringToObject(j, "text", s->eval_text);
	if (s->context)
		cJSON_AddNumberToObject(j, "context", s->context);
}

cJSON *job_spec_to_json(const struct job_spec *s)
{
	cJSON *j = cJSON_CreateObject();
	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "kind", job_kind_name(s->kind));
	cJSON_AddStringToObject(j, "model", s->model);
	if (s->kind == JOB_SCORES)
		write_scores(j, s);
	else if (s->kind == JOB_KLD)
		write_kld(j, s);
	else
		write_evaluate(j, s);
	return j;
}

// ---- running an evaluate job ----

static int run_evaluate(const struct job_spec *s, const struct server_settings *set,
			volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
			cJSON **result, struct bb_error *err)
{
	struct eval_job job = {
		.model_dir = s->model_dir, .recipe = s->has_recipe ? &s->recipe : NULL,
		.n_tasks = s->n_tasks, .tasks = (const char *const *)s->tasks,
		.data_dir = set->data_dir, .limit = s->limit, .add_bos_token = s->add_bos_token,
		.batch_size = s->batch_size, .seed = s->seed, .log_samples = s->log_samples};
	return evaluate(&job, cancel, progress, ctx, result, err);
}

// ---- running a scores job ----

static int load_calib(struct calib_set *c, const struct job_spec *s, const struct server_settings *set,
		      const struct tokenizer *tok, struct bb_error *err)
{
	char *file = NULL;
	const char *text = s->calib_text;
	int *ids = NULL, n = 0, rc = 0;
	if (!text && !(rc = read_file(set->calib_path, &file, NULL, err)))
		text = file;
	if (!rc)
		rc = tokenizer_encode(tok, text, strlen(text), 0, &ids, &n, err);
	if (!rc)
		rc = calib_cut(c, ids, n, tokenizer_adds_bos(tok) ? tokenizer_bos(tok) : -1,
			       s->nsamples, s->seqlen, s->seed, err);
	free(ids);
	free(file);
	return rc;
}

struct scores_progress {
	job_progress_fn fn;
	void *ctx;
	int n_options;
};

static void on_scores_progress(void *ctx, int option, int batch, int n_batches, double loss)
{
	const struct scores_progress *p = ctx;
	(void)loss;
	if (p->fn)
		p->fn(p->ctx, (long)option * n_batches + batch + 1, (long)p->n_options * n_batches);
}

/* The scores file's JSON (docs/formats.md), as `bitbudget scores` writes it. */
static cJSON *scores_json(const struct job_spec *s, const struct score_result *res, int nseq)
{
	cJSON *root = cJSON_CreateObject(), *opts = cJSON_AddArrayToObject(root, "options");
	bool dl = s->method == SCORE_DELTALOSS;
	for (int k = 0; k < s->n_options; k++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(s->options[k].name));
	cJSON_AddStringToObject(root, "method", dl ? "deltaloss" : "proxy");
	cJSON_AddStringToObject(root, "model", s->model);
	if (dl) {
		cJSON_AddNumberToObject(root, "nsamples", nseq);
		cJSON_AddNumberToObject(root, "seqlen", s->seqlen);
		cJSON_AddNumberToObject(root, "seed", (double)s->seed);
		cJSON *loss = cJSON_AddObjectToObject(root, "loss");
		for (int k = 0; k < s->n_options; k++)
			if (s->options[k].kind != FMT_KEEP)
				cJSON_AddNumberToObject(loss, s->options[k].name, res->loss[k]);
	}
	score_result_add_json(root, res, s->options, s->n_options);
	return root;
}

static int scores_finish(const struct job_spec *s, const struct score_result *res, int nseq,
			 cJSON **result, struct bb_error *err)
{
	for (int i = 0; i < res->n_layers; i++)
		for (int k = 0; k < s->n_options; k++)
			if (!res->layers[i].fixed && !isfinite(res->layers[i].score[k]))
				return bb_fail(err, BB_EINVAL, "layer '%s': %s score is not finite (the "
					       "quantized model diverges)", res->layers[i].name,
					       s->options[k].name);
	*result = scores_json(s, res, nseq);
	return *result ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

static int run_scores(const struct job_spec *s, const struct server_settings *set,
		      volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
		      cJSON **result, struct bb_error *err)
{
	struct model *m = NULL;
	struct tokenizer *tok = NULL;
	struct calib_set c = {0};
	struct score_result res = {0};
	struct scores_progress p = {progress, ctx, s->n_options};
	struct score_config cfg = {.method = s->method, .n_options = s->n_options,
				   .batch = s->batch, .progress = on_scores_progress,
				   .progress_ctx = &p, .cancel = cancel};
	bool dl = s->method == SCORE_DELTALOSS;
	memcpy(cfg.options, s->options, sizeof cfg.options);
	int rc = model_open(&m, dl ? &tok : NULL, s->model_dir, NULL, err);
	if (!rc && dl)
		rc = load_calib(&c, s, set, tok, err);
	if (!rc)
		rc = model_scores(m, &cfg, c.tokens, c.nseq, s->seqlen, &res, err);
	if (!rc)
		rc = scores_finish(s, &res, c.nseq, result, err);
	score_result_free(&res);
	calib_free(&c);
	tokenizer_free(tok);
	model_free(m);
	return rc;
}

// ---- running a kld job ----

struct kld_progress {
	job_progress_fn fn;
	void *ctx;
};

/* The measuring pass is the job's progress; a reference computed first counts as well. */
static void on_kld_progress(void *ctx, const char *phase, long done, long total)
{
	const struct kld_progress *p = ctx;
	if (p->fn)
		p->fn(p->ctx, done + (strcmp(phase, "measured") ? 0 : total), 2 * total);
}

static int run_kld(const struct job_spec *s, const struct server_settings *set,
		   job_progress_fn progress, void *ctx, cJSON **result, struct bb_error *err)
{
	char *file = NULL, *calib = NULL;
	struct kld_progress p = {progress, ctx};
	struct kld_job j = {.model_dir = s->model_dir, .model_label = s->model,
			    .recipe = s->has_recipe ? &s->recipe : NULL,
			    .text = s->eval_text, .text_label = s->eval_text ? "request" : set->eval_text_path,
			    .calib_label = set->calib_path, .context = s->context,
			    .cache_dir = set->cache_dir, .progress = on_kld_progress, .progress_ctx = &p};
	if (s->has_recipe)
		j.recipe_label = s->recipe.strategy[0] ? s->recipe.strategy : "custom";
	int rc = s->eval_text ? 0 : read_file(set->eval_text_path, &file, NULL, err);
	if (!rc && set->calib_path && !(rc = read_file(set->calib_path, &calib, NULL, err)))
		j.calib_text = calib;
	if (!rc) {
		j.text = s->eval_text ? s->eval_text : file;
		rc = kld_job_run(&j, result, err);
	}
	free(file);
	free(calib);
	return rc;
}

int job_spec_run_json(const struct job_spec *s, const struct server_settings *set,
		      volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
		      cJSON **result, struct bb_error *err)
{
	*result = NULL;
	if (s->kind == JOB_SCORES)
		return run_scores(s, set, cancel, progress, ctx, result, err);
	if (s->kind == JOB_KLD)
		return run_kld(s, set, progress, ctx, result, err);
	return run_evaluate(s, set, cancel, progress, ctx, result, err);
}

int job_spec_run(const struct job_spec *s, const struct server_settings *set,
		 volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
		 char **result, struct bb_error *err)
{
	cJSON *json = NULL;
	int rc = job_spec_run_json(s, set, cancel, progress, ctx, &json, err);
	*result = rc ? NULL : cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return rc || *result ? rc : bb_fail(err, BB_ENOMEM, "out of memory");
}
