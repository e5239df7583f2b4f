/*
 * runner.h: run a plan's pending jobs through GNU Parallel, one job per line, each bound
 * to one endpoint, with a joblog and retries (one job: harness/run_job.h).
 *
 * A job is a small JSON spec under results/<experiment>/jobs/<key>.json. `parallel` runs
 * `bitbudget run-job SPEC --slot {%}`; the slot picks the endpoint from BB_ENDPOINTS, so N
 * endpoints (on N GPU machines) work at once. A job whose result exists does nothing, and
 * every result is written atomically, so an interrupted run resumes where it stopped.
 * It never runs a job in its own process and never passes text through a shell.
 */
#ifndef BB_RUNNER_H
#define BB_RUNNER_H

#include <stdbool.h>

#include <cJSON.h>

#include "harness/plan.h"

struct run_opts {
	const char *endpoints;    /* comma-separated URLs, or "local" */
	int jobs;                 /* parallel jobs (default: one per endpoint) */
	int retries;
	bool keep_checkpoints;
	const char *scratch;      /* where quantized checkpoints go */
	const char *sshloginfile; /* passed to parallel to spread jobs over machines */
};

/* Run the pending items of one kind; returns 0 when every one of them has its result. */
int runner_run(const struct plan *p, enum plan_kind kind, const struct experiment *e,
	       const struct plan_settings *s, const struct run_opts *o, struct bb_error *err);

/* From now on SIGINT and SIGTERM ask the run to stop instead of killing it: runner_run
 * passes the signal on to GNU Parallel (which stops its jobs), waits for it and fails. */
void runner_catch_signals(void);
/* The signal that asked the run to stop, or 0. */
int runner_stop_signal(void);

/* json written atomically to path, as cJSON prints it: a job spec, a job's result. */
int runner_write_json(const char *path, const cJSON *json, struct bb_error *err);

/* This program's own path (what parallel and a local scores job start), or -1. */
int runner_self_path(char *buf, size_t n);


#endif
