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

#include "core/strbuf.h"
#include "engine/evaluate.h"

#define MAX_RESUBMITS 2

static double seconds(void);

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
	if (!(c->cfg.deadline_s > 0))
		c->cfg.deadline_s = CLIENT_DEADLINE_S;
	if (!c->cfg.max_answer)
		c->cfg.max_answer = CLIENT_MAX_ANSWER;
	c->deadline_at = seconds() + c->cfg.deadline_s;
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
	size_t allocated; /* bytes at data */
	size_t cap;     /* the most bytes kept: more ends the transfer */
	bool over_cap;  /* the answer was larger than cap */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct buffer *b = ctx;
	size_t n = size * nmemb;
	if (n > b->cap - b->len) {
		b->over_cap = true;
		return 0; /* curl ends the transfer with a write error */
	}
	if (b->len + n + 1 > b->allocated) { /* doubling: a large answer is copied log n times */
		size_t want = b->allocated ? b->allocated * 2 : 16384;
		want = want > b->len + n + 1 ? want : b->len + n + 1;
		char *d = realloc(b->data, want);
		if (!d)
			return 0; /* curl reports a write error */
		b->data = d;
		b->allocated = want;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = 0;
	return n;
}

/* Milliseconds one request may take: its timeout, or less when the deadline is nearer. */
static long request_ms(const struct client *c)
{
	double left = c->deadline_at - seconds();
	long ms = left < (double)c->cfg.timeout_s ? (long)(left * 1000) : c->cfg.timeout_s * 1000;
	return ms > 1 ? ms : 1;
}

/* One HTTP exchange. Returns the curl code; *status is 0 when no answer arrived. */
static CURLcode attempt(struct client *c, const char *method, const char *url,
			const char *body, long *status, struct buffer *out)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* of any length; curl keeps its own copy. Without memory it is left out, and the
	 * server's 401 says so. */
	char *auth = c->cfg.token ? str_printf(NULL, "Authorization: Bearer %s", c->cfg.token)
				  : NULL;
	if (auth)
		headers = curl_slist_append(headers, auth);
	free(auth);
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request_ms(c));
	/* an answer that announces more than the cap is refused before its body arrives */
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)out->cap);
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

/* Text the server supplied (an error, a job id, a status), made safe for a one-line
 * message: every control character (a CR or LF would split the line, an ESC would drive
 * the terminal) is written as \xHH, and the text is cut to fit dst (n bytes). */
static const char *escaped(char *dst, size_t n, const char *src)
{
	size_t k = 0;
	for (; src && *src && k + 5 < n; src++) {
		unsigned char ch = (unsigned char)*src;
		if (ch < 0x20 || ch == 0x7f)
			k += (size_t)snprintf(dst + k, n - k, "\\x%02x", ch);
		else
			dst[k++] = (char)ch;
	}
	dst[k] = 0;
	return dst;
}

/* The server's {"error": ...} text, or the start of the body. */
static void describe(char *dst, size_t n, long status, const struct buffer *b)
{
	char text[400];
	cJSON *j = b->data ? cJSON_Parse(b->data) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(e))
		escaped(text, sizeof text, e->valuestring);
	else
		escaped(text, 81, b->data ? b->data : "(no body)");
	snprintf(dst, n, "HTTP %ld: %s", status, text);
	cJSON_Delete(j);
}

// ---- with retries ----

static int past_deadline(const struct client *c, const char *method, const char *path,
			 struct bb_error *err)
{
	return bb_fail(err, BB_EIO, "endpoint '%s': %s %s: the deadline of %.0f s has passed "
		       "(--deadline)", c->base, method, path, c->cfg.deadline_s);
}

/* client_call once the URL is built. */
static int call_url(struct client *c, const char *method, const char *path, const char *url,
		    const cJSON *body, long *status, cJSON **reply, struct bb_error *err)
{
	char why[600]; /* what went wrong, for a message: a short description, cut on purpose */
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	double t0 = seconds(), delay = c->cfg.first_delay_s;
	int tries = 0;
	for (;;) {
		if (seconds() >= c->deadline_at) {
			free(text);
			return past_deadline(c, method, path, err);
		}
		struct buffer b = {.cap = c->cfg.max_answer};
		CURLcode rc = attempt(c, method, url, text, status, &b);
		tries++;
		if (b.over_cap || rc == CURLE_FILESIZE_EXCEEDED) {
			free(b.data);
			free(text);
			return bb_fail(err, BB_EFORMAT, "endpoint '%s': %s %s: the answer is larger "
				       "than the limit of %zu bytes (--max-answer-mb)", c->base, method,
				       path, c->cfg.max_answer);
		}
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
		pause_for(fmin(delay, fmax(c->deadline_at - seconds(), 0)));
		delay = fmin(delay * 2, c->cfg.max_delay_s);
	}
}

int client_call(struct client *c, const char *method, const char *path, const cJSON *body,
		long *status, cJSON **reply, struct bb_error *err)
{
	*reply = NULL;
	char *url = str_printf(err, "%s%s", c->base, path);
	int rc = url ? call_url(c, method, path, url, body, status, reply, err) : BB_ENOMEM;
	free(url);
	return rc;
}

/* A 4xx answer as the one-line error. */
static int refused(const char *what, long status, const cJSON *reply, struct bb_error *err)
{
	char text[400];
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	return bb_fail(err, BB_EINVAL, "endpoint: %s: HTTP %ld: %s", what, status,
		       cJSON_IsString(e) ? escaped(text, sizeof text, e->valuestring)
					 : "(no error message)");
}

/* A job id goes into URLs and messages: letters, digits, '.', '_' and '-' only. */
static bool valid_job_id(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n < 64 && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789._-") == n;
}

// ---- a whole job ----

int client_read_submission(const cJSON *reply, long status, char *id, size_t n,
			   struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, "id");
	if (status != 202 && status != 200)
		return refused("submitting the job", status, reply, err);
	char text[100];
	if (!cJSON_IsString(v))
		return bb_fail(err, BB_EFORMAT, "endpoint: the job submission answer has no \"id\"");
	if (!valid_job_id(v->valuestring))
		return bb_fail(err, BB_EFORMAT, "endpoint: the job id '%s' is not made of letters, "
			       "digits, '.', '_' and '-' (at most 63)",
			       escaped(text, sizeof text, v->valuestring));
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
	char why[400], shown[48];
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
			     cJSON_IsString(e) ? escaped(why, sizeof why, e->valuestring)
					       : "(no reason given)");
	else if (strcmp(s, "queued") && strcmp(s, "running"))
		rc = bb_fail(err, BB_EFORMAT, "endpoint: job %s has an unknown status '%s'", id,
			     escaped(shown, 41, s));
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
	char id[64]; /* valid_job_id: at most 63 bytes */
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
		pause_for(fmin(wait, fmax(c->deadline_at - seconds(), 0)));
		if (seconds() >= c->deadline_at)
			return bb_fail(err, BB_EIO, "endpoint '%s': job %s did not finish within the "
				       "deadline of %.0f s (--deadline)", c->base, id, c->cfg.deadline_s);
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
	if (!evaluate_task_result_name(task, name, sizeof name))
		return NULL;
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(r, "results");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(results, name), key);
	return cJSON_IsNumber(v) ? v : NULL;
}

/* The range of a metric by its name (before the ",FILTER"): fractions, perplexities,
 * stderrs; another metric need only be finite. */
static bool metric_in_range(const char *metric, const cJSON *v)
{
	size_t n = strlen(metric);
	if (n > 7 && !strcmp(metric + n - 7, "_stderr"))
		return (cJSON_IsString(v) && !strcmp(v->valuestring, "N/A")) ||
		       (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return false;
	double x = v->valuedouble;
	if (strstr(metric, "perplexity"))
		return x >= 1;
	if (!strcmp(metric, "bits_per_byte"))
		return x >= 0;
	if (!strncmp(metric, "acc", 3) || !strcmp(metric, "exact_match") || !strcmp(metric, "f1") ||
	    !strcmp(metric, "mcc"))
		return x >= (strcmp(metric, "mcc") ? 0 : -1) && x <= 1;
	return true;
}

/* Every "NAME,FILTER" key of one task's entry is a metric in its range. */
static int check_metrics(const cJSON *entry, struct bb_error *err)
{
	const cJSON *v;
	if (!cJSON_IsObject(entry))
		return bb_fail(err, BB_EFORMAT, "endpoint: results.%.80s is not an object",
			       entry->string);
	cJSON_ArrayForEach(v, entry)
	{
		const char *comma = strchr(v->string, ',');
		char metric[128];
		if (!comma)
			continue; /* "alias", "name", "sample_len", "sample_count" */
		if (!fmt_fits(metric, sizeof metric, "%.*s", (int)(comma - v->string), v->string) ||
		    !metric_in_range(metric, v))
			return bb_fail(err, BB_EFORMAT, "endpoint: results.%.80s.\"%.80s\" is not a "
				       "valid %s value", entry->string, v->string, metric);
	}
	return 0;
}

/* The task names a result may have: those asked (by their results name) and, through
 * group_subtasks, the subtasks of each (mmlu -> mmlu_stem -> mmlu_anatomy). Sorted for
 * bsearch, so a hostile answer with many groups costs n log n, not n squared. */
struct names {
	const char **v;
	size_t n, sorted; /* v[0..sorted) is sorted; later ones are added this round */
	char (*asked)[256];
};

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool names_have(const struct names *s, const char *name)
{
	return s->sorted && bsearch(&name, s->v, s->sorted, sizeof *s->v, by_string);
}

static int wanted_names(struct names *s, const cJSON *r, const char *const *tasks, int n_tasks)
{
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(r, "group_subtasks"), *g, *sub;
	if (!cJSON_IsObject(groups)) /* a list has no group names */
		groups = NULL;
	size_t cap = (size_t)n_tasks;
	cJSON_ArrayForEach(g, groups) cap += (size_t)cJSON_GetArraySize(g);
	s->v = malloc((cap ? cap : 1) * sizeof *s->v);
	s->asked = malloc((n_tasks ? (size_t)n_tasks : 1) * sizeof *s->asked);
	if (!s->v || !s->asked)
		return BB_ENOMEM;
	for (int i = 0; i < n_tasks; i++)
		if (evaluate_task_result_name(tasks[i], s->asked[i], sizeof s->asked[i]))
			s->v[s->n++] = s->asked[i];
	qsort(s->v, s->n, sizeof *s->v, by_string);
	s->sorted = s->n;
	/* lm-eval nests groups two deep; four rounds reach deeper and end a cycle */
	for (int round = 0; round < 4; round++) {
		cJSON_ArrayForEach(g, groups)
		{
			if (!names_have(s, g->string))
				continue;
			cJSON_ArrayForEach(sub, g)
			{
				if (cJSON_IsString(sub) && s->n < cap && !names_have(s, sub->valuestring))
					s->v[s->n++] = sub->valuestring;
			}
		}
		if (s->n == s->sorted)
			break;
		qsort(s->v, s->n, sizeof *s->v, by_string);
		s->sorted = s->n;
	}
	return 0;
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
	struct names wanted = {0};
	const cJSON *entry;
	int rc = wanted_names(&wanted, r, tasks, n_tasks) ? bb_fail(err, BB_ENOMEM, "out of memory") : 0;
	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(r, "results"))
	{
		if (!rc && !names_have(&wanted, entry->string))
			rc = bb_fail(err, BB_EFORMAT, "endpoint: the result has task '%.80s', which "
				     "was not asked for", entry->string);
		if (!rc)
			rc = check_metrics(entry, err);
	}
	free(wanted.v);
	free(wanted.asked);
	if (rc)
		return rc;
	for (int i = 0; i < n_tasks; i++) {
		const cJSON *acc = client_task_metric(r, tasks[i], "acc,none");
		bool ppl = client_task_metric(r, tasks[i], "word_perplexity,none") ||
			   client_task_metric(r, tasks[i], "perplexity,none");
		if (!acc && !ppl)
			return bb_fail(err, BB_EFORMAT, "endpoint: the result has no acc for task '%s'",
				       tasks[i]);
	}
	return 0;
}
