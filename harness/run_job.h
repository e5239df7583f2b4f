/*
 * run_job.h: one job of `bitbudget run`, the body of `bitbudget run-job SPEC --slot N`.
 *
 * GNU Parallel starts one process per job (harness/runner.h); this is what runs in it:
 * read the spec strictly (endpoint/run_spec.h), take the job's key lock, quantize into
 * the scratch folder when the job has a recipe, carry the job out on the slot's endpoint
 * (harness/job_exec.h: in this process for "local", through the client otherwise),
 * moving on to the next endpoint when one stops answering, and write the result file.
 * It never writes a partial result: the file appears whole (atomically) or not at all.
 */
#ifndef BB_RUN_JOB_H
#define BB_RUN_JOB_H

#include "core/error.h"
#include "harness/job_exec.h"

/* Execute the job spec at spec_path on slot's endpoint of BB_ENDPOINTS, waiting for it
 * within limits. A job whose result exists returns 0 at once. */
int run_job(const char *spec_path, int slot, const struct job_limits *limits,
	    struct bb_error *err);

#endif
