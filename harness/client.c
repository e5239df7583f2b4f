/*
 * client.c: JSON over HTTP to the evaluation endpoint with libcurl, retried with
 * exponential backoff; and a whole job: submit, poll, fetch the result.
 *
 * One curl handle per client, reset before each request so no option leaks from one
 * request to the next while its connection is kept alive. Prints only the retry
 * warnings; never exits, never writes files.
 */
#include "harness/client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/evaluate.h"

#define MAX_RESUBMITS 2

int client_init(struct client *c, const struct client_config *cfg, struct bb_error *err)
{
	memset(c, 0, sizeof *c);
	c->cfg = *cfg;
	if (!c->cfg.timeout_s)
		c->cfg.timeout_s = 60;
	if (!(c->cfg.first_delay_s > 0))
		c->cfg.first_delay_s = 0.2;
	if (!(c->cfg.max_delay_s > 0))
		c->cfg.max_delay_s = 5;
	if (!(c->cfg.retry_for_s > 0))
		c->cfg.retry_for_s = 120;
	if (!(c->cfg.poll_max_s > 0))
		c->cfg.poll_max_s = 2;
	if (!(c->base = strdup(cfg->base_url)) || !(c->curl = curl_easy_init())) {
		client_free(c);
		return bb_fail(err, BB_ENOMEM, "cannot start libcurl");
	}
	for (size_t n = strlen(c->base); n > 0 && c->base[n - 1] == '/'; n--)
		c->base[n - 1] = 0;
	return 0;
}

void client_free(struct client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->base);
	memset(c, 0, sizeof *c);
}

// ---- one attempt ----

struct buffer {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct buffer *b = ctx;
	size_t n = size * nmemb;
	char *d = realloc(b->data, b->len + n + 1);
	if (!d)
		return 0; /* curl reports a write error */
	memcpy(d + b->len, ptr, n);
	b->data = d;
	b->len += n;
	d[b->len] = 0;
	return n;
}

/* One HTTP exchange. Returns the curl code; *status is 0 when no answer arrived. */
static CURLcode attempt(struct client *c, const char *method, const char *url,
			const char *body, long *status, struct buffer *out)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	char auth[300];
	if (c->cfg.token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->cfg.token);
		headers = curl_slist_append(headers, auth);
	}
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->cfg.timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->cfg.timeout_s < 10 ? c->cfg.timeout_s : 10L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (strcmp(method, body ? "POST" : "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	*status = 0;
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(headers);
	return rc;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pause_for(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
	while (nanosleep(&ts, &ts))
		;
}

/* The server's {"error": ...} text, or the start of the body. */
static void describe(char *dst, size_t n, long status, const struct buffer *b)
{
	cJSON *j = b->data ? cJSON_Parse(b->data) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(e))
		snprintf(dst, n, "HTTP %ld: %s", status, e->valuestring);
	else
		snprintf(dst, n, "HTTP %ld: %.80s", status, b->data ? b->data : "(no body)");
	for (char *p = dst; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	cJSON_Delete(j);
}

// ---- with retries ----

int client_call(struct client *c, const char *method, const char *path, const cJSON *body,
		long *status, cJSON **reply, struct bb_error *err)
{
	char url[2048], why[600];
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	double t0 = seconds(), delay = c->cfg.first_delay_s;
	int tries = 0;
	snprintf(url, sizeof url, "%s%s", c->base, path);
	*reply = NULL;
	for (;;) {
		struct buffer b = {0};
		CURLcode rc = attempt(c, method, url, text, status, &b);
		tries++;
		cJSON *json = rc == CURLE_OK && *status < 500 && b.data ? cJSON_Parse(b.data) : NULL;
		/* Every answer of the protocol is a JSON object: a success whose body is not (a
		 * transfer cut short with a consistent Content-Length, a proxy's page) is retried
		 * like a lost connection; a 4xx without JSON is still final. */
		if (rc == CURLE_OK && *status < 500 && (cJSON_IsObject(json) || *status >= 300)) {
			*reply = json;
			free(b.data);
			free(text);
			return 0;
		}
		cJSON_Delete(json);
		if (rc != CURLE_OK)
			snprintf(why, sizeof why, "%s", curl_easy_strerror(rc));
		else if (*status < 500)
			snprintf(why, sizeof why, "HTTP %ld: the answer is not a JSON object (%zu bytes)",
				 *status, b.len);
		else
			describe(why, sizeof why, *status, &b);
		free(b.data);
		double spent = seconds() - t0;
		if ((c->cfg.max_tries && tries >= c->cfg.max_tries) || spent + delay > c->cfg.retry_for_s) {
			free(text);
			return bb_fail(err, BB_EIO, "endpoint '%s': %s %s: %s (gave up after %d tries "
				       "in %.0f s)", c->base, method, path, why, tries, spent);
		}
		fprintf(stderr, "warning: %s %s: %s; retrying in %.1f s\n", method, path, why, delay);
		pause_for(delay);
		delay = fmin(delay * 2, c->cfg.max_delay_s);
	}
}

/* A 4xx answer as the one-line error. */
static int refused(const char *what, long status, const cJSON *reply, struct bb_error *err)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	return bb_fail(err, BB_EINVAL, "endpoint: %s: HTTP %ld: %s", what, status,
		       cJSON_IsString(e) ? e->valuestring : "(no error message)");
}

// ---- a whole job ----

int client_read_submission(const cJSON *reply, long status, char *id, size_t n,
			   struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "id");
	if (status != 202 && status != 200)
		return refused("submitting the job", status, reply, err);
	if (!cJSON_IsString(v))
		return bb_fail(err, BB_EFORMAT, "endpoint: the job submission answer has no \"id\"");
	snprintf(id, n, "%s", v->valuestring);
	return 0;
}

static int submit(struct client *c, const cJSON *job, char *id, size_t n, struct bb_error *err)
{
	long status;
	cJSON *reply;
	int rc = client_call(c, "POST", "/v1/jobs", job, &status, &reply, err);
	if (!rc)
		rc = client_read_submission(reply, status, id, n, err);
	cJSON_Delete(reply);
	return rc;
}

static long number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	/* a count from the endpoint; out of range would make the conversion undefined */
	return cJSON_IsNumber(v) && fabs(v->valuedouble) < 1e15 ? (long)v->valuedouble : 0;
}

int client_read_poll(const cJSON *reply, long status, const char *id,
		     client_progress_fn progress, void *ctx, struct bb_error *err)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(reply, "status");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(reply, "progress");
	const char *s = cJSON_IsString(st) ? st->valuestring : "";
	int rc = POLL_WAIT;
	if (status == 404)
		rc = POLL_LOST;
	else if (status != 200)
		rc = refused("polling the job", status, reply, err);
	else if (!strcmp(s, "done")) {
		rc = POLL_DONE;
		if (progress)
			progress(ctx, s, number(p, "done"), number(p, "total"));
	}
	else if (!strcmp(s, "failed") || !strcmp(s, "cancelled"))
		rc = bb_fail(err, BB_EINVAL, "endpoint: job %s %s: %s", id, s,
			     cJSON_IsString(e) ? e->valuestring : "(no reason given)");
	else if (strcmp(s, "queued") && strcmp(s, "running"))
		rc = bb_fail(err, BB_EFORMAT, "endpoint: job %s has an unknown status '%.40s'", id, s);
	else if (progress)
		progress(ctx, s, number(p, "done"), number(p, "total"));
	return rc;
}

static int poll_once(struct client *c, const char *id, client_progress_fn progress, void *ctx,
		     struct bb_error *err)
{
	char path[128];
	long status;
	cJSON *reply;
	snprintf(path, sizeof path, "/v1/jobs/%s", id);
	int rc = client_call(c, "GET", path, NULL, &status, &reply, err);
	if (!rc)
		rc = client_read_poll(reply, status, id, progress, ctx, err);
	cJSON_Delete(reply);
	return rc;
}

static int fetch(struct client *c, const char *id, cJSON **result, struct bb_error *err)
{
	char path[128];
	long status;
	snprintf(path, sizeof path, "/v1/jobs/%s/result", id);
	int rc = client_call(c, "GET", path, NULL, &status, result, err);
	if (!rc && status == 404) { /* lost between the poll and now (a restart): resubmit */
		cJSON_Delete(*result);
		*result = NULL;
		rc = POLL_LOST;
	} else if (!rc && status != 200) {
		rc = refused("fetching the result", status, *result, err);
		cJSON_Delete(*result);
		*result = NULL;
	} else if (!rc && !cJSON_IsObject(*result)) {
		cJSON_Delete(*result);
		*result = NULL;
		rc = bb_fail(err, BB_EFORMAT, "endpoint: the result of job %s is not a JSON object", id);
	}
	return rc;
}

int client_run_job(struct client *c, const cJSON *job, client_progress_fn progress, void *ctx,
		   cJSON **result, struct bb_error *err)
{
	char id[64];
	int resubmits = 0, rc = submit(c, job, id, sizeof id, err);
	double wait = 0.05;
	*result = NULL;
	while (!rc || rc == POLL_LOST) {
		if (rc == POLL_LOST && resubmits++ == MAX_RESUBMITS)
			return bb_fail(err, BB_EIO, "endpoint: the server lost job %s %d times", id,
				       resubmits);
		if (rc == POLL_LOST) {
			fprintf(stderr, "warning: the endpoint lost job %s; submitting it again\n", id);
			if ((rc = submit(c, job, id, sizeof id, err)))
				return rc;
		}
		pause_for(wait);
		wait = fmin(wait * 1.5, c->cfg.poll_max_s);
		rc = poll_once(c, id, progress, ctx, err);
		if (rc == POLL_DONE && (rc = fetch(c, id, result, err)) == 0)
			return 0;
	}
	return rc;
}

// ---- the result ----

static const char *const schema_keys[] = {"results", "configs", "versions", "n-shot",
					  "higher_is_better", "n-samples", "config"};

const cJSON *client_task_metric(const cJSON *r, const char *task, const char *key)
{
	char name[256];
	evaluate_task_result_name(task, name, sizeof name);
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(r, "results");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(results, name), key);
	return cJSON_IsNumber(v) ? v : NULL;
}

int client_check_results(const cJSON *r, const char *const *tasks, int n_tasks,
			 struct bb_error *err)
{
	if (!cJSON_IsObject(r))
		return bb_fail(err, BB_EFORMAT, "endpoint: the result is not a JSON object");
	for (size_t k = 0; k < sizeof schema_keys / sizeof *schema_keys; k++)
		if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r, schema_keys[k])))
			return bb_fail(err, BB_EFORMAT, "endpoint: the result has no '%s' object "
				       "(not lm-eval's results schema)", schema_keys[k]);
	for (int i = 0; i < n_tasks; i++) {
		const cJSON *acc = client_task_metric(r, tasks[i], "acc,none");
		bool ppl = client_task_metric(r, tasks[i], "word_perplexity,none") ||
			   client_task_metric(r, tasks[i], "perplexity,none");
		if (!acc && !ppl)
			return bb_fail(err, BB_EFORMAT, "endpoint: the result has no acc for task '%s'",
				       tasks[i]);
		if (acc && !(acc->valuedouble >= 0 && acc->valuedouble <= 1))
			return bb_fail(err, BB_EFORMAT, "endpoint: acc of task '%s' is not in [0, 1]",
				       tasks[i]);
	}
	return 0;
}
