/*
 * run_spec.h: the runner's job spec, one C type with one strict reader and one writer.
 *
 * `bitbudget run` writes one spec per pending job (results/<experiment>/jobs/<key>.json)
 * and GNU Parallel hands each to `bitbudget run-job`, which reads it back here; the
 * result file a job writes carries the same fields. The reader checks every field's type
 * and range (endpoint/spec_fields.h), refuses unknown fields (a typo would otherwise be
 * silently ignored) and names a missing required one, so run-job never runs on a partial
 * spec: no default stands in for a missing folder (a spec without tmp_dir would lock and
 * write in "/"), a missing number or a list of the wrong type.
 *
 * It wraps the server's job request (endpoint/job_spec.h, struct job_spec) rather than
 * being it: a run spec says where a job's files go and what produced it (key, result,
 * locks, scratch, the plan's figures), and its JSON form is also the provenance in every
 * result file; the request it leads to (run_spec_request, one derivation for the local
 * and the remote endpoint alike) is what an endpoint computes, and is checked against an
 * endpoint's settings (its models root, its tasks). Both read their fields through the
 * same spec_fields.h code.
 * It lives in the endpoint, beside the request and the field readers they share; the
 * harness above writes and reads it (the runner, `bitbudget run-job`).
 */
#ifndef BB_RUN_SPEC_H
#define BB_RUN_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"
#include "endpoint/job_spec.h"
#include "engine/model/deltaloss.h"

#define RUN_SPEC_MAX_TASKS 64

enum run_kind { RUN_EVAL, RUN_SCORES };

struct run_spec {
	enum run_kind kind;          /* "eval" or "scores" */
	char *key;                   /* the job's content key: 64 lowercase hex digits */
	char *experiment, *model_name;
	char *model;                 /* the checkpoint folder */
	char *result;                /* the result file to write */
	char *tmp_dir;               /* the job key locks */
	/* scores */
	int n_options;
	struct format options[RECIPE_MAX_OPTIONS];
	enum score_method method;
	int nsamples, seqlen;
	char *calib;                 /* calibration text file */
	/* eval */
	char *row, *strategy;
	char *recipe;                /* the recipe file; "" for the BF16 model */
	char *recipe_sha256;         /* its SHA-256; "bf16" without a recipe */
	double achieved_avg_bits;    /* -1: not known */
	double predicted_loss;       /* -1: without scores */
	int n_tasks;
	char **tasks;
	int limit;                   /* 0: all documents */
	bool add_bos_token, log_samples, keep_checkpoint;
	char *endpoint_version;
	char *scratch;               /* where the quantized checkpoint goes */
};

/* "eval" or "scores". */
const char *run_kind_name(enum run_kind k);

/* Read a spec from JSON text (len bytes, NUL bytes refused) or a parsed object. On error
 * err names the field at fault (BB_EFORMAT for text that is not JSON, BB_EINVAL for a
 * bad field) and s holds nothing to free. */
int run_spec_parse(struct run_spec *s, const char *text, size_t len, struct bb_error *err);
int run_spec_from_json(struct run_spec *s, const cJSON *j, struct bb_error *err);

/* The spec as JSON: every field, so run_spec_from_json reads back the same struct. NULL
 * when out of memory (a field cJSON could not allocate is left out, and the reader then
 * refuses the spec naming it). */
cJSON *run_spec_to_json(const struct run_spec *s);

/* The request a run spec leads to (endpoint/job_spec.h), for the model folder given (the
 * spec's own, or the checkpoint quantized for it): an evaluate job with per-document
 * samples, or a scores job with `bitbudget scores`'s batch and seed and no calibration
 * text (the caller reads it, if it sends one). Its strings are borrowed from s and model. */
void run_spec_request(const struct run_spec *s, const char *model, struct job_spec *out);

/* Free what a reader allocated (not for a struct whose strings the caller lent). */
void run_spec_free(struct run_spec *s);

#endif
