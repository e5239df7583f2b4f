/*
 * jobs.h: the endpoint's bounded job queue, its worker threads, and the /v1/jobs
 * resources (docs/endpoint.md). Each resource answers an HTTP status and a JSON body; the
 * router (router.c) decides which one a request reaches, the queue never sees a
 * connection. Every function is thread-safe. Never prints, never exits.
 */
#ifndef BB_JOBS_H
#define BB_JOBS_H

#include <cJSON.h>

#include "core/error.h"
#include "endpoint/server_settings.h"

struct jobs;

/* Start set->workers worker threads (set is only read, and must outlive the queue). */
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

#endif
