/*
 * jobs.c: the endpoint's bounded job queue, its worker threads, and the /v1/jobs
 * resources (submit, status, list, result, delete) as HTTP status + JSON.
 *
 * One mutex guards every job record; workers run a job's spec without holding it, and
 * the HTTP threads only read or flag records, so status answers stay immediate while a
 * job computes. A job's spec (model path, recipe, tasks) is released as soon as the job
 * ends; a done job keeps its result text until it is deleted or, past max_finished
 * finished jobs, dropped oldest first. A running job is never freed under its worker.
 * A scores job whose calibration step would ask for more than MAX_SCORES_STEP_BYTES of
 * workspace is refused (413) when submitted, not failed for want of memory later.
 * Never prints, never exits.
 */
#include "endpoint/jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "endpoint/http_error.h"
#include "endpoint/job_spec.h"

/* The workspace one calibration step (batch sequences of seqlen tokens, forward and
 * backward) may ask for. */
#define MAX_SCORES_STEP_BYTES (4.0 * (1 << 30))

enum job_status { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_CANCELLED };

static const char *const status_names[] = {"queued", "running", "done", "failed", "cancelled"};

struct jobs;

struct job {
	char id[24];
	enum job_kind kind;
	char *model;                  /* as submitted, kept for status answers */
	struct job_spec spec;         /* released when the job ends */
	enum job_status status;
	bool owned;                   /* a worker is running it: never freed meanwhile */
	volatile sig_atomic_t cancel;
	long done, total;
	char *result;                 /* JOB_DONE only */
	char error[sizeof ((struct bb_error *)0)->msg]; /* JOB_FAILED, JOB_CANCELLED */
	double submitted, started, finished;
	struct jobs *q;
	struct job *next;             /* submission order */
};

struct jobs {
	const struct server_settings *set;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct job *head;
	int n_workers;
	pthread_t *workers;
};

// ---- records (call with the lock held) ----

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool is_final(const struct job *j)
{
	return j->status >= JOB_DONE;
}

static void job_free(struct job *j)
{
	job_spec_free(&j->spec);
	free(j->model);
	free(j->result);
	free(j);
}

static struct job *find(struct jobs *q, const char *id)
{
	for (struct job *j = q->head; j; j = j->next)
		if (!strcmp(j->id, id))
			return j;
	return NULL;
}

static int count_status(struct jobs *q, enum job_status status)
{
	int n = 0;
	for (struct job *j = q->head; j; j = j->next)
		n += j->status == status;
	return n;
}

/* Jobs a worker is running (a cancelled one included until its worker lets go). */
static int count_owned(struct jobs *q)
{
	int n = 0;
	for (struct job *j = q->head; j; j = j->next)
		n += j->owned;
	return n;
}

static void unlink_job(struct jobs *q, struct job *dead)
{
	for (struct job **p = &q->head; *p; p = &(*p)->next)
		if (*p == dead) {
			*p = dead->next;
			return;
		}
}

/* Drop the oldest finished jobs beyond max_finished. */
static void trim(struct jobs *q)
{
	int n = 0;
	for (struct job *j = q->head; j; j = j->next)
		n += is_final(j) && !j->owned;
	for (struct job *j = q->head, *next; j && n > q->set->max_finished; j = next) {
		next = j->next;
		if (is_final(j) && !j->owned) {
			unlink_job(q, j);
			job_free(j);
			n--;
		}
	}
}

static void new_id(struct jobs *q, char *id)
{
	unsigned char b[8];
	do {
		if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) { /* fall back: clock bits */
			unsigned long long t = (unsigned long long)(now() * 1e9);
			memcpy(b, &t, sizeof b);
		}
		for (int i = 0; i < 8; i++)
			sprintf(id + 2 * i, "%02x", b[i]);
	} while (find(q, id));
}

static cJSON *job_json(const struct job *j)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", j->id);
	cJSON_AddStringToObject(o, "kind", job_kind_name(j->kind));
	cJSON_AddStringToObject(o, "model", j->model);
	cJSON_AddStringToObject(o, "status", status_names[j->status]);
	cJSON *p = cJSON_AddObjectToObject(o, "progress");
	cJSON_AddNumberToObject(p, "done", (double)j->done);
	cJSON_AddNumberToObject(p, "total", (double)j->total);
	cJSON_AddNumberToObject(o, "submitted", j->submitted);
	if (j->started > 0)
		cJSON_AddNumberToObject(o, "started", j->started);
	if (j->finished > 0)
		cJSON_AddNumberToObject(o, "finished", j->finished);
	if (j->status == JOB_FAILED || j->status == JOB_CANCELLED)
		cJSON_AddStringToObject(o, "error", j->error);
	return o;
}

// ---- workers ----

static void on_progress(void *ctx, long done, long total)
{
	struct job *j = ctx;
	pthread_mutex_lock(&j->q->lock);
	j->done = done;
	j->total = total;
	pthread_mutex_unlock(&j->q->lock);
}

static struct job *first_queued(struct jobs *q)
{
	for (struct job *j = q->head; j; j = j->next)
		if (j->status == JOB_QUEUED)
			return j;
	return NULL;
}

/* Record how a job ended; called with the lock held. */
static void finish(struct jobs *q, struct job *j, int rc, char *result, const struct bb_error *err)
{
	j->owned = false;
	j->finished = now();
	if (j->cancel) {
		free(result);
		j->status = JOB_CANCELLED;
		snprintf(j->error, sizeof j->error, "cancelled");
	} else if (rc) {
		free(result);
		j->status = JOB_FAILED;
		snprintf(j->error, sizeof j->error, "%s", err->msg[0] ? err->msg : "failed");
	} else {
		j->status = JOB_DONE;
		j->result = result;
		if (j->total == 0)
			j->total = 1;
		j->done = j->total;
	}
	job_spec_free(&j->spec);
	trim(q);
}

static void *worker(void *arg)
{
	struct jobs *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct job *j = NULL;
		while (!q->stopping && !(j = first_queued(q)))
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->stopping)
			break;
		j->status = JOB_RUNNING;
		j->owned = true;
		j->started = now();
		pthread_mutex_unlock(&q->lock);
		char *result = NULL;
		struct bb_error err = {0};
		int rc = job_spec_run(&j->spec, q->set, &j->cancel, on_progress, j, &result, &err);
		pthread_mutex_lock(&q->lock);
		finish(q, j, rc, result, &err);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

// ---- lifecycle ----

int jobs_start(struct jobs **out, const struct server_settings *set, struct bb_error *err)
{
	struct jobs *q = calloc(1, sizeof *q);
	*out = NULL;
	if (!q || !(q->workers = calloc((size_t)set->workers, sizeof(pthread_t)))) {
		free(q);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	q->set = set;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	for (; q->n_workers < set->workers; q->n_workers++)
		if (pthread_create(&q->workers[q->n_workers], NULL, worker, q)) {
			jobs_stop(q);
			return bb_fail(err, BB_ENOMEM, "cannot start worker thread %d", q->n_workers + 1);
		}
	*out = q;
	return 0;
}

void jobs_stop(struct jobs *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	for (struct job *j = q->head; j; j = j->next)
		j->cancel = 1;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->n_workers; i++)
		pthread_join(q->workers[i], NULL);
	for (struct job *j = q->head, *next; j; j = next) {
		next = j->next;
		job_free(j);
	}
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q->workers);
	free(q);
}

// ---- resources ----

static struct job *job_new(struct job_spec *spec)
{
	struct job *j = calloc(1, sizeof *j);
	if (j && !(j->model = strdup(spec->model))) {
		free(j);
		j = NULL;
	}
	if (!j)
		return NULL;
	j->kind = spec->kind;
	j->spec = *spec;
	j->submitted = now();
	return j;
}

static void append(struct jobs *q, struct job *j)
{
	struct job **p = &q->head;
	while (*p)
		p = &(*p)->next;
	*p = j;
}

/* The bytes of one scores calibration step, estimated from the model's config.json: per
 * token, the activations kept for the backward pass (a row of hidden_size per block), the
 * forward and backward buffers of one block (about 16 rows of hidden_size and 8 of
 * intermediate_size: engine/model/model_forward.c's ws_init) and a row of attention
 * probabilities per head. -1 when the config cannot be read (the job then fails when it
 * loads the model, with the loader's message). */
static double scores_step_bytes(const char *model_dir, int batch, int seqlen)
{
	char *path = path_join(model_dir, "config.json"), *text = NULL;
	size_t len = 0;
	struct bb_error err;
	struct model_config c;
	cJSON *json = NULL;
	double bytes = -1;
	if (path && !read_file(path, &text, &len, &err) && (json = cJSON_Parse(text)) &&
	    !model_config_parse(&c, json, path, &err)) {
		double per_token = (double)c.n_layers * c.hidden_size + 16.0 * c.hidden_size +
				   8.0 * c.intermediate_size + (double)c.n_heads * seqlen;
		bytes = 4.0 * batch * seqlen * per_token;
	}
	cJSON_Delete(json);
	free(text);
	free(path);
	return bytes;
}

/* 413 with the reason when a scores job would exceed the workspace bound, else 0. */
static int check_scores_bounds(const struct job_spec *spec, cJSON **reply)
{
	if (spec->kind != JOB_SCORES || spec->method != SCORE_DELTALOSS)
		return 0; /* the proxy runs no calibration step */
	/* a step runs batch sequences, or all of them when there are fewer */
	int batch = spec->batch < spec->nsamples ? spec->batch : spec->nsamples;
	double bytes = scores_step_bytes(spec->model_dir, batch, spec->seqlen);
	if (bytes <= MAX_SCORES_STEP_BYTES)
		return 0;
	*reply = http_error("batch %d x seqlen %d: a calibration step would need about %.0f MB "
			    "of workspace, the limit is %.0f MB; use a smaller batch or seqlen",
			    batch, spec->seqlen, bytes / 1e6, MAX_SCORES_STEP_BYTES / 1e6);
	return 413;
}

int jobs_submit(struct jobs *q, const cJSON *req, cJSON **reply)
{
	struct job_spec spec;
	struct bb_error err = {0};
	int status = job_spec_parse(&spec, req, q->set, &err);
	if (status)
		return *reply = http_error("%s", err.msg), status;
	if ((status = check_scores_bounds(&spec, reply))) {
		job_spec_free(&spec);
		return status;
	}
	struct job *j = job_new(&spec);
	if (!j) {
		job_spec_free(&spec);
		return *reply = http_error("out of memory"), 500;
	}
	pthread_mutex_lock(&q->lock);
	int waiting = count_status(q, JOB_QUEUED);
	if (waiting >= q->set->max_queue) {
		pthread_mutex_unlock(&q->lock);
		job_free(j);
		return *reply = http_error("queue full (%d jobs waiting); retry later", waiting), 503;
	}
	j->q = q;
	new_id(q, j->id);
	append(q, j);
	*reply = job_json(j);
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	return 202;
}

int jobs_get(struct jobs *q, const char *id, cJSON **reply)
{
	pthread_mutex_lock(&q->lock);
	struct job *j = find(q, id);
	*reply = j ? job_json(j) : http_error("no job '%.64s'", id);
	pthread_mutex_unlock(&q->lock);
	return j ? 200 : 404;
}

int jobs_list(struct jobs *q, cJSON **reply)
{
	*reply = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(*reply, "jobs");
	pthread_mutex_lock(&q->lock);
	for (struct job *j = q->head; j; j = j->next)
		cJSON_AddItemToArray(arr, job_json(j));
	pthread_mutex_unlock(&q->lock);
	return 200;
}

int jobs_result(struct jobs *q, const char *id, char **text, cJSON **reply)
{
	int status = 200;
	*text = NULL;
	*reply = NULL;
	pthread_mutex_lock(&q->lock);
	struct job *j = find(q, id);
	if (!j)
		*reply = http_error("no job '%.64s'", id), status = 404;
	else if (!is_final(j))
		*reply = http_error("job '%s' is %s (%ld/%ld); its result is not ready", id,
				    status_names[j->status], j->done, j->total), status = 409;
	else if (j->status == JOB_CANCELLED)
		*reply = http_error("job '%s' was cancelled", id), status = 410;
	else if (j->status == JOB_FAILED)
		*reply = http_error("job '%s' failed: %s", id, j->error), status = 410;
	else if (!(*text = strdup(j->result)))
		*reply = http_error("out of memory"), status = 500;
	pthread_mutex_unlock(&q->lock);
	return status;
}

int jobs_delete(struct jobs *q, const char *id, cJSON **reply)
{
	int status = 200;
	pthread_mutex_lock(&q->lock);
	struct job *j = find(q, id);
	if (!j) {
		*reply = http_error("no job '%.64s'", id);
		status = 404;
	} else if (!is_final(j) || j->owned) {
		/* queued: ends now; running: its worker stops at the next batch and frees it */
		status = j->status == JOB_QUEUED ? 200 : 202;
		j->cancel = 1;
		if (j->status == JOB_QUEUED) {
			job_spec_free(&j->spec);
			j->finished = now();
		}
		j->status = JOB_CANCELLED;
		snprintf(j->error, sizeof j->error, "cancelled");
		*reply = job_json(j);
		trim(q);
	} else {
		*reply = job_json(j);
		cJSON_AddTrueToObject(*reply, "deleted");
		unlink_job(q, j);
		job_free(j);
	}
	pthread_mutex_unlock(&q->lock);
	return status;
}

cJSON *jobs_counts(struct jobs *q)
{
	cJSON *o = cJSON_CreateObject();
	pthread_mutex_lock(&q->lock);
	int queued = count_status(q, JOB_QUEUED), running = count_owned(q), all = 0;
	for (struct job *j = q->head; j; j = j->next)
		all++;
	pthread_mutex_unlock(&q->lock);
	cJSON_AddNumberToObject(o, "queued", queued);
	cJSON_AddNumberToObject(o, "running", running);
	cJSON_AddNumberToObject(o, "finished", all - queued - running);
	return o;
}
