/*
 * job_spec.h: an endpoint's job request (POST /v1/jobs, docs/endpoint.md) as one C type.
 *
 * The server reads a request body into it with job_spec_parse (the check needs the
 * server's settings, e.g. its models root), strictly, through the field readers it
 * shares with the runner's job specs (endpoint/spec_fields.h), and its job queue runs one
 * with job_spec_run. The clients (`bitbudget eval`, `bitbudget run-job` on a remote
 * endpoint) fill one and send what job_spec_to_json writes, so the request has one shape
 * on both sides; `run-job` on "local" fills one and runs it in its own process with
 * job_spec_check and job_spec_run_json, the queue's own code without the HTTP between.
 * It never speaks HTTP: a refusal is a status (400, 404) and one line in a struct bb_error.
 */
#ifndef BB_JOB_SPEC_H
#define BB_JOB_SPEC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"
#include "endpoint/server_settings.h"
#include "engine/model/deltaloss.h"

enum job_kind { JOB_EVALUATE, JOB_SCORES, JOB_KLD };

struct job_spec {
	enum job_kind kind;
	char *model;             /* as the request named it */
	char *model_dir;         /* its real path, under the models root (server side only) */
	/* evaluate and kld */
	bool has_recipe;
	struct recipe recipe;
	int n_tasks;
	char **tasks;
	int limit, add_bos_token, batch_size; /* add_bos_token -1: the tokenizer's default;
					       * limit, batch_size 0: all, the server's */
	uint64_t seed;
	bool log_samples;
	/* scores */
	enum score_method method;
	int n_options;
	struct format options[RECIPE_MAX_OPTIONS];
	int nsamples, seqlen, batch;
	char *calib_text;        /* NULL: the server's calibration file */
	/* kld */
	char *eval_text;         /* NULL: the server's evaluation text */
	int context;             /* 0: the model's length */
};

/* The job kind's name, "evaluate", "scores" or "kld". */
const char *job_kind_name(enum job_kind k);

/* The request body for s (what job_spec_parse reads back); NULL when out of memory. */
cJSON *job_spec_to_json(const struct job_spec *s);

/* Free what job_spec_parse allocated. */
void job_spec_free(struct job_spec *s);

/* Resolve name (relative to root, or absolute) to the real path of a checkpoint folder
 * (with config.json) inside root. ".." components and absolute paths outside root are
 * refused before touching the file system; a path whose real path leaves root (through a
 * symlink) is reported exactly as a missing one. Returns 0 (*out malloc'd), 400 or 404
 * with the reason in err. */
int models_root_resolve(const char *root, const char *name, char **out, struct bb_error *err);

/* Validate a POST /v1/jobs body into s. Returns 0, or 400 / 404 with one line in err
 * (s is then already released). */
int job_spec_parse(struct job_spec *s, const cJSON *req, const struct server_settings *set,
		   struct bb_error *err);

/* Check a job filled in by its caller (not read from a request) as job_spec_parse checks
 * a request: its tasks known (a custom task resolved to its real path, under the data
 * folder or the tasks root), its model resolved under the models root into model_dir.
 * The caller owns s's strings (a task may be replaced). Returns 0, 400 or 404 (err). */
int job_spec_check(struct job_spec *s, const struct server_settings *set, struct bb_error *err);

typedef void (*job_progress_fn)(void *ctx, long done, long total);

/* Run the job on the calling thread. On success *result is the result JSON text
 * (caller frees). cancel is polled by evaluate jobs between batches and by scores jobs
 * between calibration batches; kld jobs run to the end and the caller drops the result. */
int job_spec_run(const struct job_spec *s, const struct server_settings *set,
		 volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
		 char **result, struct bb_error *err);

/* The same, with the result as JSON (caller deletes): the way a caller in this process
 * (`bitbudget run-job` on a local endpoint) takes it, with no text in between. */
int job_spec_run_json(const struct job_spec *s, const struct server_settings *set,
		      volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
		      cJSON **result, struct bb_error *err);

#endif
