/*
 * job_exec.h: one job request (endpoint/job_spec.h, struct job_spec) carried out on one
 * endpoint, the one way a job of `bitbudget run` reaches an evaluator.
 *
 * The endpoint "local" runs the job in this process, through the very code the server's
 * job queue runs (job_spec_check, job_spec_run_json): no child process, no loopback HTTP
 * and no JSON text between the job and its result. Any other endpoint gets the job through
 * the client (harness/client.h), with its retries, deadline and answer cap. Either way the
 * caller gets the result as JSON and the same errors. It never writes a file and never
 * exits; the caller must have called curl_global_init for a remote endpoint.
 */
#ifndef BB_JOB_EXEC_H
#define BB_JOB_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

#include "core/error.h"
#include "endpoint/job_spec.h"

/* The task data an in-process job reads when none is named (relative to the folder the
 * command runs in, as the tests and the demo do). */
#define JOB_EXEC_DATA_DIR "../shared/data/lm-eval"

/* How a job is waited for: the client's bounds, read from the environment (BB_EVAL_*,
 * BB_TOKEN), since GNU Parallel passes no options to the jobs it starts. 0 or NULL:
 * the client's default. The deadline bounds an in-process job too. */
struct job_limits {
	long timeout_s, tries, max_answer_mb;
	double retry_for_s, deadline_s;
	const char *token;       /* a remote endpoint's bearer token */
};

/* BB_EVAL_TIMEOUT, BB_EVAL_RETRY_FOR, BB_EVAL_TRIES, BB_EVAL_DEADLINE and
 * BB_EVAL_MAX_ANSWER_MB into l, each checked as strictly as the option of that name
 * (`bitbudget eval --help`); fields of unset variables are left alone. Returns false
 * after printing a one-line usage error naming the variable. */
bool job_limits_from_env(struct job_limits *l);

/* The folder holding every custom task descriptor (a task ending in ".json") among tasks,
 * into root[n]; "" when none is named. An in-process evaluator reads descriptors only
 * there and in the data folder; descriptors that share no folder but "/" are refused. */
int job_exec_tasks_root(char *const *tasks, int n_tasks, char *root, size_t n,
			struct bb_error *err);

/* Run job on endpoint ("local" or a URL) and hand back its result (caller deletes). An
 * evaluate job's result is checked as `bitbudget eval` checks one (client_check_results)
 * against the tasks as job names them. The job itself is not changed. */
int job_exec(const struct job_spec *job, const char *endpoint, const struct job_limits *l,
	     cJSON **result, struct bb_error *err);

/* An evaluate job's scores on out, one line per task and their mean, as `bitbudget eval`
 * prints them: each task's acc (perplexity for perplexity-only tasks) and the plain
 * mean of acc over the tasks that have one. */
void job_exec_print_scores(const cJSON *r, char *const *tasks, int n_tasks, FILE *out);

#endif
