/*
 * server_settings.h: the endpoint's configuration once resolved, as server.c fills it
 * from a struct server_config (server.h) at start and the job queue (jobs.c) and the job
 * requests (job_spec.c) read it. A type only, so that those below the server can read
 * the settings without knowing the server. Never changed after the server starts.
 */
#ifndef BB_SERVER_SETTINGS_H
#define BB_SERVER_SETTINGS_H

#include <stddef.h>

/* Owned strings; models_root is a real path. */
struct server_settings {
	char *models_root;
	char *data_dir;     /* NULL: evaluate jobs are refused */
	char *tasks_root;   /* custom task descriptors may also lie here; may be NULL */
	char *calib_path;   /* NULL: scores jobs need calib_text (or method proxy); kld jobs
			     * then report no overlap */
	char *eval_text_path; /* NULL: kld jobs need text */
	char *cache_dir;    /* where kld jobs keep reference logits (created when missing) */
	int workers, max_queue, max_finished;
	size_t max_body;
};

#endif
