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
 * Its job part is the server's job request itself (endpoint/job_spec.h, struct
 * job_spec), so what `run-job` runs in process or sends to an endpoint is the spec's own
 * job, not a translation of it. Around it, what a request has no place for: where the
 * job's files go and what produced it (key, result, locks, scratch, the plan's figures);
 * the spec's JSON form is also the provenance in every result file, and keeps the flat
 * shape it had. Both read their fields through the same spec_fields.h code.
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

/* The job part (what an endpoint computes) is the server's own job type: job.kind,
 * job.model (the checkpoint folder); for scores job.options, method, nsamples, seqlen
 * (batch and seed are `bitbudget scores`'s defaults, 8 and 42, not written); for kld
 * job.context; for eval
 * job.tasks, limit (0: all documents), log_samples and add_bos_token: 1 when the model
 * asks for BOS ("add_bos_token": true), else -1, the tokenizer's default. The rest says
 * where the job's files go and what produced it. */
struct run_spec {
	struct job_spec job;
	char *key;                   /* the job's content key: 64 lowercase hex digits */
	char *experiment, *model_name;
	char *result;                /* the result file to write */
	char *tmp_dir;               /* the job key locks */
	/* scores */
	char *calib;                 /* calibration text file */
	/* eval */
	char *row, *strategy;
	char *recipe;                /* the recipe file; "" for the BF16 model */
	char *recipe_sha256;         /* its SHA-256; "bf16" without a recipe */
	double achieved_avg_bits;    /* -1: not known */
	double predicted_loss;       /* -1: without scores */
	bool keep_checkpoint;
	char *endpoint_version;
	char *scratch;               /* where the quantized checkpoint goes */
	/* kld: row, strategy, recipe (never ""), recipe_sha256, achieved_avg_bits,
	 * predicted_loss, calib and endpoint_version as above; job.context (0: the model's
	 * length). No checkpoint is written: the job applies the recipe in memory. */
	char *eval_text_file;        /* the evaluation text ("eval_text") */
	char *reference_dir;         /* where a local job keeps the BF16 reference logits */
};

/* Read a spec from JSON text (len bytes, NUL bytes refused) or a parsed object. On error
 * err names the field at fault (BB_EFORMAT for text that is not JSON, BB_EINVAL for a
 * bad field) and s holds nothing to free. */
int run_spec_parse(struct run_spec *s, const char *text, size_t len, struct bb_error *err);
int run_spec_from_json(struct run_spec *s, const cJSON *j, struct bb_error *err);

/* The spec as JSON: every field, so run_spec_from_json reads back the same struct. NULL
 * when out of memory (a field cJSON could not allocate is left out, and the reader then
 * refuses the spec naming it). */
cJSON *run_spec_to_json(const struct run_spec *s);

/* Free what a reader allocated (not for a struct whose strings the caller lent). */
void run_spec_free(struct run_spec *s);

#endif
