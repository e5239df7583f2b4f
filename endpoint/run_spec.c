/*
 * run_spec.c: the runner's job spec, read strictly and written whole (run_spec.h).
 * Never prints, never exits, touches no file.
 */
#include "endpoint/run_spec.h"

#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/spec_fields.h"

static const char *const common_keys[] = {"kind", "key", "experiment", "model_name", "model",
					  "result", "tmp_dir", NULL};
static const char *const scores_keys[] = {"options", "method", "nsamples", "seqlen", "calib",
					  NULL};
static const char *const eval_keys[] = {"row", "strategy", "recipe", "recipe_sha256",
					"achieved_avg_bits", "predicted_loss", "tasks", "limit",
					"add_bos_token", "log_samples", "endpoint_version",
					"scratch", "keep_checkpoint", NULL};

static const char *const kld_keys[] = {"row", "strategy", "recipe", "recipe_sha256",
				       "achieved_avg_bits", "predicted_loss", "eval_text", "calib",
				       "context", "reference_dir", "endpoint_version", NULL};

static const char *kind_name(enum job_kind k)
{
	return k == JOB_SCORES ? "scores" : k == JOB_KLD ? "kld" : "eval";
}

void run_spec_free(struct run_spec *s)
{
	char **strings[] = {&s->key, &s->experiment, &s->model_name, &s->result, &s->tmp_dir,
			    &s->calib, &s->row, &s->strategy, &s->recipe, &s->recipe_sha256,
			    &s->endpoint_version, &s->scratch, &s->eval_text_file,
			    &s->reference_dir};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
		free(*strings[i]);
	job_spec_free(&s->job);
	memset(s, 0, sizeof *s);
}

// ---- reading ----

static int get_kind(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	char *kind = NULL;
	int rc = spec_get_string(j, "kind", true, true, &kind, err);
	if (!rc && !strcmp(kind, "scores"))
		s->job.kind = JOB_SCORES;
	else if (!rc && !strcmp(kind, "eval"))
		s->job.kind = JOB_EVALUATE;
	else if (!rc && !strcmp(kind, "kld"))
		s->job.kind = JOB_KLD;
	else if (!rc)
		rc = bb_fail(err, BB_EINVAL, "kind: expected \"eval\", \"scores\" or \"kld\"");
	free(kind);
	return rc;
}

/* The key names files (<tmp_dir>/<key>.lock, <scratch>/<key>): a SHA-256 in hex, so it
 * can hold no '/' or "..". */
static int get_key(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	int rc = spec_get_string(j, "key", true, true, &s->key, err);
	if (!rc && (strlen(s->key) != 64 || strspn(s->key, "0123456789abcdef") != 64))
		rc = bb_fail(err, BB_EINVAL, "key: expected 64 lowercase hex digits (a SHA-256)");
	return rc;
}

static int read_common(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	int rc = get_key(s, j, err);
	if (!rc)
		rc = spec_get_string(j, "experiment", true, true, &s->experiment, err);
	if (!rc)
		rc = spec_get_string(j, "model_name", true, true, &s->model_name, err);
	if (!rc)
		rc = spec_get_string(j, "model", true, true, &s->job.model, err);
	if (!rc)
		rc = spec_get_string(j, "result", true, true, &s->result, err);
	if (!rc)
		rc = spec_get_string(j, "tmp_dir", true, true, &s->tmp_dir, err);
	return rc;
}

static int get_method(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	char *method = NULL;
	int rc = spec_get_string(j, "method", true, true, &method, err);
	if (!rc && !strcmp(method, "proxy"))
		s->job.method = SCORE_PROXY;
	else if (!rc && !strcmp(method, "deltaloss"))
		s->job.method = SCORE_DELTALOSS;
	else if (!rc)
		rc = bb_fail(err, BB_EINVAL, "method: expected \"deltaloss\" or \"proxy\"");
	free(method);
	return rc;
}

static int get_options(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	char **names = NULL;
	int n = 0, rc = spec_get_names(j, "options", true, RECIPE_MAX_OPTIONS, &names, &n, err);
	for (int i = 0; i < n && !rc; i++)
		if (format_parse(&s->job.options[i], names[i], err)) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			rc = bb_fail(err, BB_EINVAL, "options: %s", why);
		}
	spec_free_names(names, n);
	s->job.n_options = rc ? 0 : n;
	return rc;
}

/* The bounds are the server's for a scores job (endpoint/job_spec.c). */
static int read_scores(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	long nsamples = 0, seqlen = 0;
	int rc = get_options(s, j, err);
	if (!rc)
		rc = get_method(s, j, err);
	if (!rc)
		rc = spec_get_int(j, "nsamples", true, 1, 100000, &nsamples, err);
	if (!rc)
		rc = spec_get_int(j, "seqlen", true, 2, 1 << 20, &seqlen, err);
	if (!rc)
		rc = spec_get_string(j, "calib", true, true, &s->calib, err);
	s->job.nsamples = (int)nsamples;
	s->job.seqlen = (int)seqlen;
	s->job.batch = 8, s->job.seed = 42; /* `bitbudget scores`'s defaults */
	return rc;
}

static int read_eval_numbers(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	long limit = 0;
	int bos = 0, samples = 0, keep = 0;
	int rc = spec_get_number(j, "achieved_avg_bits", true, -1, 64, &s->achieved_avg_bits, err);
	if (!rc)
		rc = spec_get_number(j, "predicted_loss", true, -1, DBL_MAX, &s->predicted_loss, err);
	if (!rc)
		rc = spec_get_int(j, "limit", true, 0, INT_MAX, &limit, err);
	if (!rc)
		rc = spec_get_bool(j, "add_bos_token", true, &bos, err);
	if (!rc)
		rc = spec_get_bool(j, "log_samples", true, &samples, err);
	if (!rc)
		rc = spec_get_bool(j, "keep_checkpoint", true, &keep, err);
	s->job.limit = (int)limit;
	s->job.add_bos_token = bos ? 1 : -1; /* false: the tokenizer's default */
	s->job.log_samples = samples, s->keep_checkpoint = keep;
	return rc;
}

/* The row an eval or kld job serves and its recipe file (the BF16 row's is "": an eval
 * job's may be empty) with the file's SHA-256. */
static int read_row_recipe(struct run_spec *s, const cJSON *j, bool recipe_non_empty,
			   struct bb_error *err)
{
	int rc = spec_get_string(j, "row", true, true, &s->row, err);
	if (!rc)
		rc = spec_get_string(j, "strategy", true, true, &s->strategy, err);
	if (!rc)
		rc = spec_get_string(j, "recipe", true, recipe_non_empty, &s->recipe, err);
	if (!rc)
		rc = spec_get_string(j, "recipe_sha256", true, true, &s->recipe_sha256, err);
	return rc;
}

static int read_eval(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	int rc = read_row_recipe(s, j, false, err);
	if (!rc)
		rc = spec_get_names(j, "tasks", true, RUN_SPEC_MAX_TASKS, &s->job.tasks,
				    &s->job.n_tasks, err);
	if (!rc)
		rc = read_eval_numbers(s, j, err);
	if (!rc)
		rc = spec_get_string(j, "endpoint_version", true, true, &s->endpoint_version, err);
	if (!rc)
		rc = spec_get_string(j, "scratch", true, true, &s->scratch, err);
	return rc;
}

/* The recipe a kld job measures (its file and SHA-256) and the plan's figures for it. */
static int read_kld_recipe(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	int rc = read_row_recipe(s, j, true, err);
	if (!rc)
		rc = spec_get_number(j, "achieved_avg_bits", true, -1, 64, &s->achieved_avg_bits, err);
	if (!rc)
		rc = spec_get_number(j, "predicted_loss", true, -1, DBL_MAX, &s->predicted_loss, err);
	return rc;
}

/* The bounds of context are the server's for a kld job (endpoint/job_spec.c); 0 there is
 * the model's length, as the field's absence is in a request. */
static int read_kld(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	long context = 0;
	int rc = read_kld_recipe(s, j, err);
	if (!rc)
		rc = spec_get_string(j, "eval_text", true, true, &s->eval_text_file, err);
	if (!rc)
		rc = spec_get_string(j, "calib", true, true, &s->calib, err);
	if (!rc)
		rc = spec_get_int(j, "context", true, 0, 1 << 20, &context, err);
	if (!rc)
		rc = spec_get_string(j, "reference_dir", true, true, &s->reference_dir, err);
	if (!rc)
		rc = spec_get_string(j, "endpoint_version", true, true, &s->endpoint_version, err);
	s->job.context = (int)context;
	return rc;
}

int run_spec_from_json(struct run_spec *s, const cJSON *j, struct bb_error *err)
{
	memset(s, 0, sizeof *s);
	if (!cJSON_IsObject(j))
		return bb_fail(err, BB_EINVAL, "a job spec must be a JSON object");
	int rc = get_kind(s, j, err);
	enum job_kind kind = s->job.kind;
	if (!rc)
		rc = spec_check_keys(j, common_keys,
				     kind == JOB_SCORES ? scores_keys : kind == JOB_KLD ? kld_keys
											 : eval_keys,
				     kind == JOB_SCORES ? "a scores job spec"
				     : kind == JOB_KLD	? "a kld job spec"
							: "an eval job spec",
				     err);
	if (!rc)
		rc = read_common(s, j, err);
	if (!rc)
		rc = kind == JOB_SCORES ? read_scores(s, j, err)
		     : kind == JOB_KLD	? read_kld(s, j, err)
					: read_eval(s, j, err);
	if (rc)
		run_spec_free(s);
	return rc;
}

int run_spec_parse(struct run_spec *s, const char *text, size_t len, struct bb_error *err)
{
	memset(s, 0, sizeof *s);
	if (memchr(text, 0, len))
		return bb_fail(err, BB_EFORMAT, "not valid JSON (a NUL byte)");
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		return bb_fail(err, BB_EFORMAT, "not valid JSON");
	int rc = run_spec_from_json(s, j, err);
	cJSON_Delete(j);
	return rc;
}

// ---- writing ----

static void add_strings(cJSON *j, const char *key, char *const *names, int n)
{
	cJSON *list = cJSON_AddArrayToObject(j, key);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(names[i]));
}

static void write_scores(cJSON *j, const struct run_spec *s)
{
	const struct job_spec *job = &s->job;
	cJSON *opts = cJSON_AddArrayToObject(j, "options");
	for (int k = 0; k < job->n_options; k++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(job->options[k].name));
	cJSON_AddStringToObject(j, "method", job->method == SCORE_PROXY ? "proxy" : "deltaloss");
	cJSON_AddNumberToObject(j, "nsamples", job->nsamples);
	cJSON_AddNumberToObject(j, "seqlen", job->seqlen);
	cJSON_AddStringToObject(j, "calib", s->calib);
}

/* What read_row_recipe reads, with the plan's figures for the recipe. */
static void write_row_recipe(cJSON *j, const struct run_spec *s)
{
	cJSON_AddStringToObject(j, "row", s->row);
	cJSON_AddStringToObject(j, "strategy", s->strategy);
	cJSON_AddStringToObject(j, "recipe", s->recipe);
	cJSON_AddStringToObject(j, "recipe_sha256", s->recipe_sha256);
	cJSON_AddNumberToObject(j, "achieved_avg_bits", s->achieved_avg_bits);
	cJSON_AddNumberToObject(j, "predicted_loss", s->predicted_loss);
}

static void write_eval(cJSON *j, const struct run_spec *s)
{
	write_row_recipe(j, s);
	add_strings(j, "tasks", s->job.tasks, s->job.n_tasks);
	cJSON_AddNumberToObject(j, "limit", s->job.limit);
	cJSON_AddBoolToObject(j, "add_bos_token", s->job.add_bos_token == 1);
	cJSON_AddBoolToObject(j, "log_samples", s->job.log_samples);
	cJSON_AddStringToObject(j, "endpoint_version", s->endpoint_version);
	cJSON_AddStringToObject(j, "scratch", s->scratch);
	cJSON_AddBoolToObject(j, "keep_checkpoint", s->keep_checkpoint);
}

static void write_kld(cJSON *j, const struct run_spec *s)
{
	write_row_recipe(j, s);
	cJSON_AddStringToObject(j, "eval_text", s->eval_text_file);
	cJSON_AddStringToObject(j, "calib", s->calib);
	cJSON_AddNumberToObject(j, "context", s->job.context);
	cJSON_AddStringToObject(j, "reference_dir", s->reference_dir);
	cJSON_AddStringToObject(j, "endpoint_version", s->endpoint_version);
}

cJSON *run_spec_to_json(const struct run_spec *s)
{
	cJSON *j = cJSON_CreateObject();
	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "kind", kind_name(s->job.kind));
	cJSON_AddStringToObject(j, "key", s->key);
	cJSON_AddStringToObject(j, "experiment", s->experiment);
	cJSON_AddStringToObject(j, "model_name", s->model_name);
	cJSON_AddStringToObject(j, "model", s->job.model);
	cJSON_AddStringToObject(j, "result", s->result);
	cJSON_AddStringToObject(j, "tmp_dir", s->tmp_dir);
	if (s->job.kind == JOB_SCORES)
		write_scores(j, s);
	else if (s->job.kind == JOB_KLD)
		write_kld(j, s);
	else
		write_eval(j, s);
	return j;
}
