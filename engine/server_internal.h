/*
 * server_internal.h: what the endpoint's files share; not part of the engine's API.
 *
 *   server.c       HTTP (libmicrohttpd), routing, request bodies, health
 *   jobs.c         the bounded job queue, its worker threads and the /v1/jobs resources
 *   job_spec.c     a job request validated into a struct job_spec, and running one
 *   completions.c  OpenAI-style /v1/completions and the tokenizer endpoints
 *   request_pool.c the threads that compute model requests off the HTTP threads
 * Resource functions answer an HTTP status and a JSON body, so that server.c only routes.
 * Nothing here prints or exits; a JSON error body is always {"error": "one line"}.
 */
#ifndef BB_SERVER_INTERNAL_H
#define BB_SERVER_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/recipe.h"
#include "engine/job_spec.h"
#include "engine/model/model.h"

/* The server's configuration once resolved (owned strings; models_root is a real path). */
struct server_settings {
	char *models_root;
	char *data_dir;     /* NULL: evaluate jobs are refused */
	char *tasks_root;   /* custom task descriptors may also lie here; may be NULL */
	char *calib_path;   /* NULL: scores jobs need calib_text (or method proxy) */
	int workers, max_queue, max_finished;
	size_t max_body;
};

/* {"error": "<formatted>"}; never NULL unless out of memory. */
cJSON *http_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// ---- job requests (job_spec.c) ----

/* Resolve name (relative to root, or absolute) to the real path of a checkpoint folder
 * (with config.json) inside root. ".." components and absolute paths outside root are
 * refused before touching the file system; a path whose real path leaves root (through a
 * symlink) is reported exactly as a missing one. Returns 0 (*out malloc'd), 400 or 404
 * with the reason in err. */
int models_root_resolve(const char *root, const char *name, char **out, struct bb_error *err);

/* Validate a POST /v1/jobs body into s. Returns 0, or 400 / 404 with one line in err
 * (s is then already released). */
int job_spec_parse(struct job_spec *s, const cJSON *req, const struct server_settings *set,
		   struct bb_error *err);

typedef void (*job_progress_fn)(void *ctx, long done, long total);

/* Run the job on the calling thread. On success *result is the result JSON text
 * (caller frees). cancel is polled by evaluate jobs between batches; scores jobs run to
 * the end and the caller drops the result. */
int job_spec_run(const struct job_spec *s, const struct server_settings *set,
		 volatile sig_atomic_t *cancel, job_progress_fn progress, void *ctx,
		 char **result, struct bb_error *err);

// ---- the queue (jobs.c); every function is thread-safe ----

struct jobs;
int jobs_start(struct jobs **out, const struct server_settings *set, struct bb_error *err);
/* Cancel everything, join the workers, free every job. */
void jobs_stop(struct jobs *q);

/* Each returns an HTTP status and sets *reply to the JSON body (caller deletes). */
int jobs_submit(struct jobs *q, const cJSON *req, cJSON **reply);
int jobs_get(struct jobs *q, const char *id, cJSON **reply);
int jobs_list(struct jobs *q, cJSON **reply);
int jobs_delete(struct jobs *q, const char *id, cJSON **reply);
/* 200: *text is the result JSON (caller frees), *reply NULL; otherwise *reply. */
int jobs_result(struct jobs *q, const char *id, char **text, cJSON **reply);
/* {"queued": N, "running": N, "finished": N} */
cJSON *jobs_counts(struct jobs *q);

// ---- completions (completions.c) ----

struct completer {
	char *name;              /* what "model" answers carry */
	struct model *m;
	struct tokenizer *tok;
};

/* Load dir for /v1/completions. */
int completer_open(struct completer *c, const char *dir, struct bb_error *err);
void completer_close(struct completer *c);

/* POST /v1/completions: HTTP status and *reply. Safe from many threads at once. */
int completions_answer(const struct completer *c, const cJSON *req, cJSON **reply);
/* GET /tokenizer_info, POST /tokenize, POST /detokenize (vLLM-style, for lm-eval's
 * remote tokenizer); which is the path without its slash. */
int tokenizer_answer(const struct completer *c, const char *which, const cJSON *req,
		     cJSON **reply);

// ---- the request pool (request_pool.c) ----

typedef void (*request_task_fn)(void *arg);
struct request_pool;

/* threads workers; at most max_waiting tasks wait for one. */
int request_pool_start(struct request_pool **out, int threads, int max_waiting,
		       struct bb_error *err);
/* Queue run(arg) for a pool thread. false (nothing queued) when the waiting list is full
 * or the pool is stopping. Thread-safe. */
bool request_pool_submit(struct request_pool *p, request_task_fn run, void *arg);
/* Refuse new tasks, run every task already queued and join the threads (once; later
 * calls return at once). NULL is a no-op. */
void request_pool_stop(struct request_pool *p);
/* Stop if not yet stopped, then free. NULL is a no-op. */
void request_pool_free(struct request_pool *p);

#endif
