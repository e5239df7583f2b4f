/*
 * client.h: the evaluation endpoint's client (protocol: docs/endpoint.md) on libcurl:
 * JSON requests with retries, and whole jobs (submit, poll, fetch the result).
 *
 * Connection failures, timeouts, 5xx answers and 2xx answers whose body is not a JSON
 * object (a transfer cut short) are retried with exponential backoff
 * (first_delay doubling up to max_delay) until retry_for seconds have passed or max_tries
 * attempts were made; a 4xx answer is final and becomes a one-line error carrying the
 * server's {"error": ...} text. Retries are announced on stderr as warnings.
 * Never writes files and never exits; the caller must have called curl_global_init.
 */
#ifndef BB_CLIENT_H
#define BB_CLIENT_H

#include <stdbool.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "core/error.h"

struct client_config {
	const char *base_url;   /* "http://host:port", no trailing path */
	long timeout_s;         /* per request; 0: 60 */
	double first_delay_s;   /* first retry delay; 0: 0.2 */
	double max_delay_s;     /* cap of the doubling delay; 0: 5 */
	double retry_for_s;     /* give up retrying after this long; 0: 120 */
	int max_tries;          /* attempts per request; 0: no limit but retry_for_s */
	double poll_max_s;      /* longest pause between two polls of a job; 0: 2 */
	const char *token;      /* sent as "Authorization: Bearer TOKEN"; NULL: none. Must
				 * outlive the client (server_check_token's form) */
};

struct client {
	struct client_config cfg;
	char *base;             /* base_url without trailing slashes */
	CURL *curl;
};

int client_init(struct client *c, const struct client_config *cfg, struct bb_error *err);
void client_free(struct client *c);

/* One request (method "GET", "POST" or "DELETE"; body may be NULL) with retries.
 * Returns 0 when an answer below 500 arrived: *status is its HTTP status and *reply its
 * JSON body (NULL if the body was not JSON; caller deletes). Returns BB_EIO when retries
 * are exhausted, naming the last failure. */
int client_call(struct client *c, const char *method, const char *path, const cJSON *body,
		long *status, cJSON **reply, struct bb_error *err);

/* Called after every poll of a job: its status ("queued", "running", "done") and
 * progress. */
typedef void (*client_progress_fn)(void *ctx, const char *status, long done, long total);

/* Submit job (a POST /v1/jobs body), poll it until it ends, and fetch its result into
 * *result (caller deletes). A job the server lost (404 while polling it or fetching its
 * result) is resubmitted up to twice. Errors: the server refused the job (its message), the job failed or was
 * cancelled (the job's error), the result is not JSON, retries exhausted. */
int client_run_job(struct client *c, const cJSON *job, client_progress_fn progress, void *ctx,
		   cJSON **result, struct bb_error *err);

/* The answer to POST /v1/jobs: the job's id into id[n], or the server's refusal (its
 * message) or BB_EFORMAT when there is no id. Exposed for the fuzzers, as the next. */
int client_read_submission(const cJSON *reply, long status, char *id, size_t n,
			   struct bb_error *err);

/* The answer to GET /v1/jobs/{id}: POLL_WAIT (queued or running), POLL_DONE, POLL_LOST
 * (404: the server forgot the job), or an error (the job failed or was cancelled, another
 * refusal, an unknown status). progress, when given, gets the status and progress counts. */
enum poll_state { POLL_WAIT, POLL_DONE, POLL_LOST };
int client_read_poll(const cJSON *reply, long status, const char *id,
		     client_progress_fn progress, void *ctx, struct bb_error *err);

/* The number metric key (e.g. "acc,none") of task in an lm-eval results object, or NULL;
 * a custom task given by descriptor path is looked up under the descriptor's name. */
const cJSON *client_task_metric(const cJSON *r, const char *task, const char *key);

/* Check an evaluate job's result as `bitbudget eval` does before writing it: an object
 * with lm-eval's schema keys (results, configs, versions, n-shot, higher_is_better,
 * n-samples, config, each an object), and for each of the n_tasks tasks asked an acc in
 * [0, 1] or, for perplexity-only tasks, a perplexity. BB_EFORMAT with one line otherwise.
 * Exposed for the fuzzers (fuzz/fuzz_results.c). */
int client_check_results(const cJSON *r, const char *const *tasks, int n_tasks,
			 struct bb_error *err);

#endif
