/*
 * client.h: the evaluation endpoint's client (protocol: docs/endpoint.md) on libcurl:
 * JSON requests with retries, and whole jobs (submit, poll, fetch the result).
 *
 * Connection failures, timeouts, 5xx answers and 2xx answers whose body is not a JSON
 * object (a transfer cut short) are retried with exponential backoff
 * (first_delay doubling up to max_delay) until retry_for seconds have passed or max_tries
 * attempts were made; a 4xx answer is final and becomes a one-line error carrying the
 * server's {"error": ...} text. Retries are announced on stderr as warnings.
 * Two bounds are final too: the client's deadline (deadline_s after client_init, for
 * retries, requests and polls alike) and the size of one answer (max_answer bytes: a
 * larger one is cut off as it arrives, never held in memory).
 * Never writes files and never exits; the caller must have called curl_global_init.
 */
#ifndef BB_CLIENT_H
#define BB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

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
	double deadline_s;      /* everything this client does, from client_init on, ends
				 * within this many seconds; 0: CLIENT_DEADLINE_S */
	size_t max_answer;      /* largest answer body in bytes; 0: CLIENT_MAX_ANSWER */
	const char *token;      /* sent as "Authorization: Bearer TOKEN"; NULL: none. Must
				 * outlive the client (server_check_token's form) */
};

/* A whole evaluation of an 8B model on the paper's five tasks takes an hour or two on one
 * GPU: 12 hours is generous for that and still ends a job that never finishes. */
#define CLIENT_DEADLINE_S (12 * 3600.0)
/* Results with per-document samples of the five tasks are tens of MB: 256 MiB is
 * generous for them and bounds the memory an answer can take (about twice its size). */
#define CLIENT_MAX_ANSWER ((size_t)256 << 20)

struct client {
	struct client_config cfg;
	char *base;             /* base_url without trailing slashes */
	CURL *curl;
	double deadline_at;     /* monotonic seconds when the deadline passes */
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
 * n-samples, config, each an object); for each of the n_tasks tasks asked an acc or, for
 * perplexity-only tasks, a perplexity; no task in "results" that was not asked for (or is
 * not in the group_subtasks of one asked); and every metric ("NAME,FILTER") of every task
 * a finite number in its range: acc, acc_norm and other fractions in [0, 1], perplexities
 * >= 1, a stderr >= 0 or "N/A" (lm-eval's word for one it could not compute).
 * BB_EFORMAT with one line otherwise. Exposed for the fuzzers (fuzz/fuzz_results.c). */
int client_check_results(const cJSON *r, const char *const *tasks, int n_tasks,
			 struct bb_error *err);

#endif
