/*
 * run_job.c: one job of `bitbudget run`, from its spec to its result file (run_job.h).
 *
 * An evaluation job quantizes its recipe into the scratch folder (unless an earlier try
 * left the checkpoint there) and hands the spec's own job (struct job_spec) to job_exec,
 * which runs it in this process or on a remote endpoint; the result is wrapped with what
 * produced it, the recipe's SHA-256 included. A scores job on a remote endpoint goes the
 * same way; on "local" it runs `bitbudget scores`, whose file records the calibration
 * file and its SHA-256 (a server's scores job has no file to name). A kld job quantizes
 * nothing on disk: its recipe is applied in memory by the measurement (endpoint/kld_job.c),
 * in this process or on the endpoint. Prints warnings (an
 * endpoint passed over) and each evaluation's scores on stdout, as `bitbudget eval` did
 * for it; never exits.
 */
#include "harness/run_job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/hash.h"
#include "core/quantize.h"
#include "core/spawn.h"
#include "core/strbuf.h"
#include "endpoint/kld_job.h"
#include "endpoint/run_spec.h"
#include "harness/endpoints.h"
#include "harness/runner.h"

// ---- the checkpoint ----

/* The recipe a job's key was built from: the file's bytes must still hash to the planned
 * SHA-256, and the recipe quantized is parsed from those very bytes, so a result never
 * records one recipe's hash for another recipe's evaluation. */
static int read_planned_recipe(struct recipe *r, const char *path, const char *sha256,
			       struct bb_error *err)
{
	char *text, hex[SHA256_HEX_LEN];
	size_t len;
	int rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	sha256_hex(text, len, hex);
	cJSON *json = strcmp(hex, sha256) == 0 ? cJSON_Parse(text) : NULL;
	free(text);
	if (strcmp(hex, sha256) != 0)
		rc = bb_fail(err, BB_EINVAL, "recipe '%s' has SHA-256 %.16s..., not the %.16s... its "
			     "job was planned with: not evaluated (rerun to plan again)", path, hex,
			     sha256);
	else
		rc = json ? recipe_from_json(r, json, path, err)
			  : bb_fail(err, BB_EFORMAT, "'%s': not valid JSON", path);
	cJSON_Delete(json);
	return rc;
}

static int quantize_into(const char *model, const char *recipe_path, const char *sha256,
			 const char *out, struct bb_error *err)
{
	struct checkpoint ck;
	struct inventory inv = {0};
	struct recipe r = {0};
	int rc = checkpoint_open(&ck, model, err);
	if (rc)
		return rc;
	rc = inventory_build(&inv, &ck, false, err);
	if (!rc)
		rc = read_planned_recipe(&r, recipe_path, sha256, err);
	struct quantize_opts qo = {0};
	if (!rc)
		rc = quantize_checkpoint(&ck, &inv, &r, out, &qo, err);
	recipe_free(&r);
	inventory_free(&inv);
	checkpoint_close(&ck);
	return rc;
}

/* Run argv to completion, stdin from /dev/null, stdout and stderr ours; returns its exit
 * status (or -1 if it could not start). */
static int spawn_wait(char *const argv[])
{
	struct spawn_opts o = {0};
	struct spawn_result r;
	struct bb_error ignored;
	return spawn_run(argv, &o, &r, &ignored) == 0 ? r.status : -1;
}

static void remove_checkpoint(const char *dir)
{
	char *argv[] = {"/bin/rm", "-rf", (char *)dir, NULL};
	spawn_wait(argv);
}

// ---- the result ----

/* The result file: the lm-eval results (with their per-document "samples"), or a kld
 * job's answer, plus everything that produced them (the spec less its working folders),
 * the recipe's SHA-256 included. Takes results over. */
static int write_result(const struct run_spec *spec, const char *endpoint, cJSON *results,
			struct bb_error *err)
{
	cJSON *out = run_spec_to_json(spec);
	if (!out) {
		cJSON_Delete(results);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(out, "scratch");
	cJSON_DeleteItemFromObjectCaseSensitive(out, "tmp_dir");
	cJSON_DeleteItemFromObjectCaseSensitive(out, "keep_checkpoint");
	cJSON_AddStringToObject(out, "endpoint", endpoint);
	cJSON_AddNumberToObject(out, "finished", (double)time(NULL));
	cJSON_AddItemToObject(out, spec->job.kind == JOB_KLD ? "kld" : "lm_eval", results);
	int rc = runner_write_json(spec->result, out, err);
	cJSON_Delete(out);
	return rc;
}

// ---- endpoints ----

/* A remote endpoint confines models to its models root and refuses "..": send it the
 * absolute path (the paths must be the same on both machines, e.g. a shared file system). */
static const char *path_for(const char *endpoint, const char *path, char *buf, size_t n)
{
	if (strcmp(endpoint, "local") == 0 || n < PATH_MAX || !realpath(path, buf))
		return path;
	return buf;
}

/* What a job does on one endpoint: evaluate model there and write the result, or score. */
typedef int (*job_step_fn)(const struct run_spec *spec, const char *endpoint,
			   const char *model, const struct job_limits *limits,
			   struct bb_error *err);

static bool endpoint_answers(const char *endpoint)
{
	char version[256];
	struct bb_error ignored;
	return !strcmp(endpoint, "local") ||
	       endpoint_version(endpoint, version, sizeof version, &ignored) == 0;
}

/* Run step on this slot's endpoint (the slots take BB_ENDPOINTS in turn). An endpoint that
 * does not answer /v1/health, before the step or after it failed, is passed over for the
 * next one, so a job outlives the loss of every endpoint but one; a failure on an endpoint
 * that still answers is the job's own and final. */
static int on_live_endpoint(const struct run_spec *spec, int slot, job_step_fn step,
			    const char *model, const struct job_limits *limits,
			    struct bb_error *err)
{
	const char *list = getenv("BB_ENDPOINTS");
	struct endpoint_list l;
	list = list && *list ? list : "local";
	int rc = endpoint_list_parse(&l, list, "BB_ENDPOINTS", err);
	if (rc)
		return rc;
	int first = (slot > 0 ? slot - 1 : 0) % l.n;
	rc = bb_fail(err, BB_EIO, "no endpoint of '%s' answers /v1/health", list);
	for (int i = 0; i < l.n; i++) {
		const char *endpoint = l.url[(first + i) % l.n];
		if (!endpoint_answers(endpoint)) {
			fprintf(stderr, "warning: job %s: endpoint %s does not answer; trying the "
				"next one\n", spec->key, endpoint);
			continue;
		}
		rc = step(spec, endpoint, model, limits, err);
		if (!rc || endpoint_answers(endpoint))
			break;
		fprintf(stderr, "warning: job %s: endpoint %s stopped answering (%s); trying the "
			"next one\n", spec->key, endpoint, err->msg);
	}
	endpoint_list_free(&l);
	return rc;
}

// ---- evaluation jobs ----

static int evaluate_and_write(const struct run_spec *spec, const char *endpoint,
			      const char *model, const struct job_limits *limits,
			      struct bb_error *err)
{
	char real[PATH_MAX];
	struct job_spec request = spec->job; /* on the checkpoint quantized for it, if any */
	cJSON *results = NULL;
	request.model = (char *)path_for(endpoint, model, real, sizeof real);
	int rc = job_exec(&request, endpoint, limits, &results, err);
	if (rc)
		return rc;
	job_exec_print_scores(results, spec->job.tasks, spec->job.n_tasks, stdout);
	return write_result(spec, endpoint, results, err);
}

static int run_eval_job(const struct run_spec *spec, int slot,
			const struct job_limits *limits, struct bb_error *err)
{
	const char *model = spec->job.model;
	char *checkpoint = NULL; /* the quantized copy, when the job has a recipe */
	int rc = 0;
	if (*spec->recipe) {
		if (!(checkpoint = str_printf(err, "%s/%s", spec->scratch, spec->key)))
			return BB_ENOMEM;
		mkdir(spec->scratch, 0755);
		if (!file_exists(checkpoint))
			rc = quantize_into(model, spec->recipe, spec->recipe_sha256, checkpoint, err);
		model = checkpoint;
	}
	if (!rc)
		rc = on_live_endpoint(spec, slot, evaluate_and_write, model, limits, err);
	if (checkpoint && !spec->keep_checkpoint)
		remove_checkpoint(checkpoint);
	free(checkpoint);
	return rc;
}

// ---- kld jobs ----

/* In this process: the measurement `bitbudget kld` and a served kld job run
 * (endpoint/kld_job.c), the BF16 reference read from (or first written to) the spec's
 * reference folder, the overlap counted against the run's calibration text. */
static int local_kld(const struct run_spec *spec, const struct recipe *r, const char *text,
		     cJSON **result, struct bb_error *err)
{
	char *calib = NULL;
	int rc = read_text_file(spec->calib, &calib, err);
	struct kld_job j = {.model_dir = spec->job.model, .model_label = spec->job.model,
			    .recipe = r, .recipe_label = spec->strategy, .text = text,
			    .text_label = spec->eval_text_file, .calib_text = calib,
			    .calib_label = spec->calib, .context = spec->job.context,
			    .cache_dir = spec->reference_dir};
	if (!rc)
		rc = kld_job_run(&j, result, err);
	free(calib);
	return rc;
}

/* On an endpoint: a kld job with the recipe and the text inline; the reference is cached
 * there, the overlap counted against the endpoint's calibration text. */
static int remote_kld(const struct run_spec *spec, const char *endpoint, const struct recipe *r,
		      const char *text, const struct job_limits *limits, cJSON **result,
		      struct bb_error *err)
{
	char real[PATH_MAX];
	struct job_spec request = spec->job;
	request.model = (char *)path_for(endpoint, spec->job.model, real, sizeof real);
	request.has_recipe = true, request.recipe = *r;
	request.eval_text = (char *)text;
	return job_exec(&request, endpoint, limits, result, err);
}

static void print_kld(const cJSON *result)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(result, "summary");
	const cJSON *mean = cJSON_GetObjectItemCaseSensitive(s, "mean_kld");
	const cJSON *top1 = cJSON_GetObjectItemCaseSensitive(s, "top1_agreement_pct");
	if (cJSON_IsNumber(mean) && cJSON_IsNumber(top1))
		printf("mean kld %.6f top-1 %.2f%%\n", mean->valuedouble, top1->valuedouble);
}

/* The KLD of the planned recipe (applied in memory: no checkpoint is written) to the
 * model, over the spec's evaluation text. */
static int kld_and_write(const struct run_spec *spec, const char *endpoint,
			 const char *model_unused, const struct job_limits *limits,
			 struct bb_error *err)
{
	(void)model_unused; /* the spec names the model */
	struct recipe r;
	char *text = NULL;
	cJSON *result = NULL;
	int rc = read_planned_recipe(&r, spec->recipe, spec->recipe_sha256, err);
	if (rc)
		return rc;
	rc = read_text_file(spec->eval_text_file, &text, err);
	if (!rc)
		rc = strcmp(endpoint, "local") == 0
			     ? local_kld(spec, &r, text, &result, err)
			     : remote_kld(spec, endpoint, &r, text, limits, &result, err);
	if (!rc) {
		print_kld(result);
		rc = write_result(spec, endpoint, result, err);
		result = NULL; /* write_result took it */
	}
	cJSON_Delete(result);
	free(text);
	recipe_free(&r);
	return rc;
}

// ---- scores jobs ----

/* A scores job on a remote endpoint (a GPU machine computes DeltaLoss for a large model):
 * the calibration text travels in the request; the answer is the scores file. */
static int remote_scores(const struct run_spec *spec, const char *endpoint,
			 const struct job_limits *limits, struct bb_error *err)
{
	char *calib = NULL, real[PATH_MAX];
	int rc = read_file(spec->calib, &calib, NULL, err);
	if (rc)
		return rc;
	struct job_spec request = spec->job;
	cJSON *result = NULL;
	request.model = (char *)path_for(endpoint, spec->job.model, real, sizeof real);
	request.calib_text = calib;
	/* BB_EVAL_* bound evaluations (`run --deadline`); a scores job waits with the
	 * client's defaults, and only the endpoint's token applies */
	struct job_limits scores_limits = {.token = limits->token};
	rc = job_exec(&request, endpoint, &scores_limits, &result, err);
	free(calib);
	if (!rc && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(result, "scores")))
		rc = bb_fail(err, BB_EFORMAT, "endpoint %s: the scores job's result has no 'scores'",
			     endpoint);
	if (!rc)
		rc = runner_write_json(spec->result, result, err);
	cJSON_Delete(result);
	return rc;
}

/* names joined by commas (caller frees), or NULL when out of memory. */
static char *join_names(char *const *names, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	char *s = calloc(len, 1);
	for (int i = 0; i < n && s; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, names[i]);
	}
	return s;
}

static int run_scores_job(const struct run_spec *spec, const char *endpoint,
			  const char *model_unused, const struct job_limits *limits,
			  struct bb_error *err)
{
	(void)model_unused; /* the spec names the model */
	if (strcmp(endpoint, "local") != 0)
		return remote_scores(spec, endpoint, limits, err);
	/* self: readlink fills at most PATH_MAX; nsamples, seqlen: an int's digits */
	char self[PATH_MAX], nsamples[32], seqlen[32], *names[RECIPE_MAX_OPTIONS];
	if (runner_self_path(self, sizeof self) < 0)
		return bb_fail(err, BB_EIO, "cannot find this program's own path");
	const struct job_spec *job = &spec->job;
	for (int k = 0; k < job->n_options; k++)
		names[k] = (char *)job->options[k].name;
	char *options = join_names(names, job->n_options);
	if (!options)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	snprintf(nsamples, sizeof nsamples, "%d", job->nsamples);
	snprintf(seqlen, sizeof seqlen, "%d", job->seqlen);
	char *argv[] = {self, "scores", "--model", job->model, "--options", options,
			"--method", job->method == SCORE_PROXY ? "proxy" : "deltaloss",
			"--nsamples", nsamples, "--seqlen", seqlen, "--calib", spec->calib,
			"-o", spec->result, NULL};
	int status = spawn_wait(argv);
	free(options);
	return status == 0 ? 0 : bb_fail(err, BB_EIO, "bitbudget scores failed (exit %d)", status);
}

// ---- the job ----

/* One job per key at a time, whichever run started it: a job orphaned by a killed run
 * may still be finishing when the resumed run reaches the same key. Blocks until free. */
static int lock_key(const struct run_spec *spec, struct bb_error *err)
{
	char *path = str_printf(err, "%s/%s.lock", spec->tmp_dir, spec->key);
	if (!path)
		return BB_ENOMEM;
	make_dirs(spec->tmp_dir);
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0)
			close(fd);
		fd = bb_fail(err, BB_EIO, "'%s': cannot lock: %s", path, strerror(errno));
	}
	free(path);
	return fd; /* released when the process exits */
}

/* Read the spec file; a bad one is refused before anything is locked or written, with
 * one line naming the file and the field. */
static int read_spec(struct run_spec *spec, const char *spec_path, struct bb_error *err)
{
	char *text;
	size_t len = 0;
	int rc = read_file(spec_path, &text, &len, err);
	if (rc)
		return rc;
	rc = run_spec_parse(spec, text, len, err);
	free(text);
	if (rc) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		bb_fail(err, rc, "'%s': not a valid job spec: %s", spec_path, why);
	}
	return rc;
}

int run_job(const char *spec_path, int slot, const struct job_limits *limits,
	    struct bb_error *err)
{
	struct run_spec spec;
	int rc = read_spec(&spec, spec_path, err);
	if (rc)
		return rc;
	if ((rc = lock_key(&spec, err)) >= 0 && file_exists(spec.result))
		rc = 0; /* finished before (perhaps just now, by an orphan): nothing to redo */
	else if (rc < 0)
		; /* the lock failed */
	else if (spec.job.kind == JOB_SCORES)
		rc = on_live_endpoint(&spec, slot, run_scores_job, NULL, limits, err);
	else if (spec.job.kind == JOB_KLD)
		rc = on_live_endpoint(&spec, slot, kld_and_write, NULL, limits, err);
	else
		rc = run_eval_job(&spec, slot, limits, err);
	run_spec_free(&spec);
	return rc;
}
