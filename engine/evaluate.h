/*
 * evaluate.h: run lm-eval's tasks on the engine and produce lm-eval's results JSON.
 *
 * This is what the endpoint serves: "evaluate this checkpoint (and optional recipe) on
 * these tasks". Tasks are built exactly as lm-eval builds them (../shared/docs/lm-eval.md
 * section 2): the documents become loglikelihood or rolling-loglikelihood requests,
 * the engine answers them in batches, and the task's metrics (acc, acc_norm, perplexity,
 * with lm-eval's stderr) are assembled into lm-eval's results schema. Custom tasks come
 * from a small JSON descriptor. Never prints, never exits; safe to run several jobs at once
 * from different threads (each job loads its own model).
 */
#ifndef BB_EVALUATE_H
#define BB_EVALUATE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/recipe.h"

struct eval_job {
	const char *model_dir;       /* checkpoint folder (original or quantized) */
	const struct recipe *recipe; /* applied at load time when not NULL */
	int n_tasks;
	const char *const *tasks;    /* lm-eval task names, or paths of custom task descriptors */
	const char *data_dir;        /* where <dataset>.jsonl files live */
	int limit;                   /* 0: every document; N: the first N of each (sub)task */
	int add_bos_token;           /* -1: the tokenizer's default, 0: never, 1: always */
	int batch_size;              /* requests per engine batch; 0: a sensible default */
	uint64_t seed;
	bool log_samples;            /* include per-document outcomes under "samples" */
};

/* done/total count requests; called from the evaluating thread, at most a few times a
 * second. */
typedef void (*eval_progress_fn)(void *ctx, long done, long total);

/* Run job; on success *results is lm-eval's results object (caller deletes it).
 * cancel, when not NULL, is polled between batches: a set flag stops the job with
 * BB_EINVAL and "cancelled". Errors: unknown task, missing data file, bad rows (naming
 * file and line), model errors. */
int evaluate(const struct eval_job *job, volatile sig_atomic_t *cancel,
	     eval_progress_fn progress, void *progress_ctx, cJSON **results,
	     struct bb_error *err);

/* The key a task has in the results: its own name for a built-in task, the descriptor's
 * "name" for a custom task given by path (the path itself if the file cannot be read).
 * False when it does not fit out's n bytes: then no result has it (a task's name is
 * under 128 bytes). */
bool evaluate_task_result_name(const char *task, char *out, size_t n);

/* The built-in task names (lambada_openai, hellaswag, piqa, winogrande, mmlu) as a JSON
 * array, for the endpoint's health answer. */
cJSON *evaluate_task_names(void);

#endif
