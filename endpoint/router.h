/*
 * router.h: which handler answers a request (docs/endpoint.md): GET /v1/health here,
 * /v1/jobs and /v1/jobs/{id} to the job queue (jobs.h), /v1/completions (completions.h),
 * /tokenizer_info, /tokenize and /detokenize (completer.h) to the completions model, on
 * the request pool (request_pool.h).
 *
 * The plan runs one way: the transport (server.c) reads a request and hands it here; the
 * router knows the handlers; the handlers answer a status and a JSON body and never call
 * back up; what both sides share (http_error.h, http_send.h) sits below them all.
 * Never parses HTTP by hand, never prints, never exits.
 */
#ifndef BB_ROUTER_H
#define BB_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>
#include <microhttpd.h>

#include "endpoint/completer.h"
#include "endpoint/completions.h"
#include "endpoint/jobs.h"
#include "endpoint/request_pool.h"
#include "endpoint/server_settings.h"

/* What the routes answer from; server.c sets it up at start and tears it down at stop. */
struct routes {
	struct server_settings set;
	struct jobs *jobs;
	struct completer comp;   /* comp.m is NULL when no completions model is served */
	struct request_pool *pool;
};

/* Per request: the body read so far, and for a model request handed to the request pool
 * (its connection suspended meanwhile) the answer it left. */
struct request {
	char *body;
	size_t len;
	bool too_big;
	struct routes *routes;
	struct MHD_Connection *conn;
	const char *which;       /* "completions", "tokenize" or "detokenize" */
	bool answered;
	int status;
	cJSON *reply;
	bool unauthorized;       /* answered 401 at the headers; the body is ignored */
};

/* Model requests computed at once, and waiting beyond which they get 503. */
#define ROUTER_MODEL_THREADS 2
#define ROUTER_MODEL_WAITING 64

/* Answer the request whose body is complete (a model request: suspend the connection
 * and leave the answer in rq for the transport to send when it resumes). */
enum MHD_Result route(struct routes *r, struct MHD_Connection *conn, const char *url,
		      const char *method, struct request *rq);

#endif
