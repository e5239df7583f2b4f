/*
 * results.h: lm-eval's results JSON for a list of scored tasks: per-task metrics, group
 * aggregates (mmlu), configs, the per-document samples and the run's environment fields.
 *
 * Builds a cJSON object (results.c) from what the tasks hold; it must never print, exit
 * or write a file: the caller decides where the results go.
 */
#ifndef BB_RESULTS_H
#define BB_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/error.h"
#include "engine/tasks/tasks.h"

/* What the results' "config" and environment fields say. */
struct results_meta {
	const char *model_dir;
	const char *model_args;     /* "pretrained=<dir>,..." */
	int limit;                  /* 0: null */
	int batch_size;
	uint64_t seed;
	int bootstrap_iters;
	double start_time;          /* UNIX time */
	double elapsed_s;
	int max_length;             /* <= 0: omitted (no model) */
	const char *bos_token, *eos_token;
	int eot_token_id;
	bool log_samples;
};

/* lm-eval's results object for the scored tasks in tl (see ../shared/docs/lm-eval.md
 * section 1, v0.4.12+ shape). */
int results_build(const struct task_list *tl, const struct results_meta *meta,
		  cJSON **out, struct bb_error *err);

#endif
