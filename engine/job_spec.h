/*
 * job_spec.h: an endpoint's job request (POST /v1/jobs, docs/endpoint.md) as one C type.
 *
 * The server reads a request body into it with job_spec_parse (engine/server_internal.h:
 * the check needs the server's settings, e.g. its models root), strictly, through the
 * field readers it shares with the runner's job specs (engine/spec_fields.h); the clients
 * (`bitbudget eval`, the runner's remote scores jobs) fill one and send what
 * job_spec_to_json writes, so the request has one shape on both sides.
 */
#ifndef BB_JOB_SPEC_H
#define BB_JOB_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/formats.h"
#include "core/recipe.h"
#include "engine/model/deltaloss.h"

enum job_kind { JOB_EVALUATE, JOB_SCORES };

struct job_spec {
	enum job_kind kind;
	char *model;             /* as the request named it */
	char *model_dir;         /* its real path, under the models root (server side only) */
	/* evaluate */
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
};

/* The job kind's name, "evaluate" or "scores". */
const char *job_kind_name(enum job_kind k);

/* The request body for s (what job_spec_parse reads back); NULL when out of memory. */
cJSON *job_spec_to_json(const struct job_spec *s);

/* Free what job_spec_parse allocated. */
void job_spec_free(struct job_spec *s);

#endif
