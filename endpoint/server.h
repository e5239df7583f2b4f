/*
 * server.h: the evaluation endpoint, an HTTP/1.1 + JSON server on libmicrohttpd
 * (protocol: docs/endpoint.md). It queues "evaluate", "scores" and "kld" jobs for a
 * fixed pool of worker threads, answers job status, results and cancellation while they run, and
 * serves lm-eval's `local-completions` protocol (POST /v1/completions) for one model.
 * Only checkpoints under the models root may be named by a request.
 * Used by `bitbudget serve` and by `bitbudget eval --endpoint local` (in-process).
 * Never prints, never exits, never touches a file outside the models root, the data
 * folder, the calibration and evaluation texts it was configured with and its cache
 * folder (kld jobs' reference files, the only files it writes).
 */
#ifndef BB_SERVER_H
#define BB_SERVER_H

#include <stddef.h>

#include "core/error.h"
#include "core/version.h" /* BITBUDGET_VERSION, which GET /v1/health reports */

struct server_config {
	const char *host;              /* address to bind; NULL: 127.0.0.1 */
	int port;                      /* 0: pick a free port (see server_port) */
	const char *models_root;       /* required: requests name checkpoints relative to it */
	const char *data_dir;          /* task data for evaluate jobs; NULL: none (jobs get 400) */
	const char *tasks_root;        /* custom task descriptors (.json) may lie under it as well
					* as under data_dir; NULL: data_dir only */
	const char *calib_path;        /* default calibration text for scores jobs; may be NULL */
	const char *eval_text_path;    /* default evaluation text for kld jobs; may be NULL */
	const char *cache_dir;         /* kld jobs' reference logits; NULL: "results/reference" */
	const char *completions_model; /* checkpoint served by /v1/completions; may be NULL */
	int workers;                   /* job threads; 0: 1 */
	int max_queue;                 /* queued (not yet running) jobs; beyond: 503; 0: 16 */
	int max_finished;              /* finished jobs kept for their results; 0: 64 */
	size_t max_body;               /* request body limit in bytes; beyond: 413; 0: 1 MiB */
	int request_timeout_s;         /* a connection idle this long (a request that stops
					* sending, a client that stops reading) is closed; 0: 10 */
	int max_connections;           /* connections open at once; beyond: closed at once; 0: 512 */
	int max_connections_per_ip;    /* the same from one client address; 0: 256 */
	const char *token;             /* NULL: no authentication; else every request but
					* GET /v1/health must carry "Authorization: Bearer TOKEN"
					* (401 otherwise); see server_check_token */
};

/* Whether token is one a server accepts: 16 to 256 printable ASCII characters, no space
 * (it travels in an HTTP header). BB_EINVAL with one line otherwise. */
int server_check_token(const char *token, struct bb_error *err);

struct server;

/* Resolve the models root, load the completions model if any, start the worker threads
 * and listen. The strings of cfg are copied. On failure *out is NULL and nothing runs.
 * Call from a thread that blocks SIGINT/SIGTERM if the caller waits for them with
 * sigwait: the server's threads inherit its signal mask. */
int server_start(struct server **out, const struct server_config *cfg, struct bb_error *err);

/* The port actually bound (useful with port 0). */
int server_port(const struct server *s);

/* Stop listening (waiting for requests in flight), cancel queued and running jobs, join
 * the workers and free everything. NULL is a no-op. */
void server_stop(struct server *s);

#endif
