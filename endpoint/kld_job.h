/*
 * kld_job.h: one KLD measurement from texts to the JSON `bitbudget kld` writes (docs/formats.md,
 * "bitbudget kld"): the evaluation text split into documents, the reference logits read
 * from the cache folder under their content key (computed and written there first when
 * absent), the measuring pass, the summaries overall and per document, and the 13-gram
 * overlap with the calibration text.
 *
 * Shared by the endpoint's "kld" jobs (job_spec.c) and `bitbudget kld` run in process, so
 * that a served job and a local run give the same numbers by construction.
 * Never prints, never exits; writes nothing but the reference file (atomically).
 */
#ifndef BB_KLD_JOB_H
#define BB_KLD_JOB_H

#include <cJSON.h>

#include "core/error.h"
#include "core/recipe.h"

/* Called when a pass starts (done 0) and after each of its windows; phase is "reference"
 * or "measured". */
typedef void (*kld_job_progress_fn)(void *ctx, const char *phase, long done, long total);

struct kld_job {
	const char *model_dir;      /* the checkpoint folder: the reference */
	const char *model_label;    /* the answer's "model" */
	const struct recipe *recipe; /* NULL: the model against itself (0) */
	const char *recipe_label;   /* the answer's "recipe"; NULL: null */
	const char *text;           /* the evaluation text: documents separated by blank lines */
	const char *text_label;     /* the answer's "text", and what errors about it name */
	const char *calib_text;     /* the calibration text for the overlap; NULL: "overlap" null */
	const char *calib_label;
	int context;                /* window length; 0: the model's length */
	const char *cache_dir;      /* where reference files are kept (created when missing) */
	kld_job_progress_fn progress;
	void *progress_ctx;
};

/* Run the measurement; *result (caller deletes) is the answer. Bad input (no documents, a
 * context longer than the model's, a broken cache file) is BB_EINVAL/BB_EFORMAT with one
 * line in err. */
int kld_job_run(const struct kld_job *j, cJSON **result, struct bb_error *err);

#endif
