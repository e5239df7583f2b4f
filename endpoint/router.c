/*
 * router.c: which handler answers a request (router.h), and GET /v1/health.
 *
 * Jobs are submitted here on the HTTP thread (a submission only validates and queues);
 * model requests (completions, tokenize, detokenize) are computed on the request pool
 * with their connection suspended, so nothing slow runs on the polling threads. Job ids
 * in URLs are checked before they reach the queue. Never prints, never exits.
 */
#include "endpoint/router.h"

#include <string.h>

#include "core/version.h"
#include "endpoint/http_error.h"
#include "endpoint/http_send.h"
#include "engine/evaluate.h"

static cJSON *health(struct routes *r)
{
	static const char *const formats[] = {"MXFP4", "MXFP8", "BF16", "W<b>G<g>", "W<b>G<g>-asym"};
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", "bitbudget");
	cJSON_AddStringToObject(o, "version", BITBUDGET_VERSION);
	cJSON_AddItemToObject(o, "tasks", evaluate_task_names());
	cJSON_AddItemToObject(o, "formats", cJSON_CreateStringArray(formats, 5));
	cJSON *kinds = cJSON_AddArrayToObject(o, "kinds");
	cJSON_AddItemToArray(kinds, cJSON_CreateString("evaluate"));
	cJSON_AddItemToArray(kinds, cJSON_CreateString("scores"));
	cJSON_AddItemToArray(kinds, cJSON_CreateString("kld"));
	cJSON_AddTrueToObject(o, "computes_scores");
	if (r->comp.m)
		cJSON_AddStringToObject(o, "completions_model", r->comp.name);
	else
		cJSON_AddNullToObject(o, "completions_model");
	cJSON_AddNumberToObject(o, "max_body_bytes", (double)r->set.max_body);
	cJSON_AddNumberToObject(o, "workers", r->set.workers);
	cJSON_AddNumberToObject(o, "max_queue", r->set.max_queue);
	cJSON_AddItemToObject(o, "jobs", jobs_counts(r->jobs));
	return o;
}

/* The body as a JSON value, or an error answer in *bad. */
static cJSON *parse_body(const struct request *rq, cJSON **bad)
{
	const char *end = NULL;
	*bad = NULL;
	if (!rq->len)
		return *bad = http_error("empty body; expected a JSON object"), NULL;
	if (strlen(rq->body) != rq->len)
		return *bad = http_error("the body contains a NUL byte"), NULL;
	cJSON *json = cJSON_ParseWithOpts(rq->body, &end, 1);
	if (!json)
		*bad = http_error("the body is not valid JSON (at byte %ld)",
				  end ? (long)(end - rq->body) : 0L);
	else if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		json = NULL;
		*bad = http_error("the body must be a JSON object");
	}
	return json;
}

/* A job id in the URL: lowercase hex, short. */
static bool valid_id(const char *id, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

/* /v1/jobs/{id} and /v1/jobs/{id}/result */
static enum MHD_Result route_job(struct routes *r, struct MHD_Connection *conn,
				 const char *url, const char *method, const char *rest)
{
	char id[40];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	bool result = slash && !strcmp(slash, "/result");
	cJSON *reply = NULL;
	if ((slash && !result) || !valid_id(rest, n))
		return http_send_json(conn, 404, http_error("no such resource '%.200s'", url),
				      NULL);
	memcpy(id, rest, n);
	id[n] = 0;
	if (result && strcmp(method, "GET"))
		return http_wrong_method(conn, method, url, "GET");
	if (result) {
		char *text = NULL;
		int status = jobs_result(r->jobs, id, &text, &reply);
		return status == 200 ? http_send_text(conn, 200, text, NULL)
				     : http_send_json(conn, status, reply, NULL);
	}
	if (strcmp(method, "GET") && strcmp(method, "DELETE"))
		return http_wrong_method(conn, method, url, "GET, DELETE");
	int status = !strcmp(method, "GET") ? jobs_get(r->jobs, id, &reply)
					    : jobs_delete(r->jobs, id, &reply);
	return http_send_json(conn, status, reply, NULL);
}

/* On a request pool thread: compute a model request's answer, then wake its connection,
 * whose next call of on_request sends it. */
static void model_request(void *arg)
{
	struct request *rq = arg;
	cJSON *bad, *body = parse_body(rq, &bad);
	if (!body)
		rq->status = 400, rq->reply = bad;
	else if (!strcmp(rq->which, "completions"))
		rq->status = completions_answer(&rq->routes->comp, body, &rq->reply);
	else
		rq->status = tokenizer_answer(&rq->routes->comp, rq->which, body, &rq->reply);
	cJSON_Delete(body);
	rq->answered = true;
	MHD_resume_connection(rq->conn);
}

/* Suspend the connection and hand the request to the pool; a full pool is a 503, sent
 * once the connection is resumed. */
static enum MHD_Result hand_to_pool(struct routes *r, struct MHD_Connection *conn,
				    struct request *rq, const char *which)
{
	rq->routes = r;
	rq->conn = conn;
	rq->which = which;
	MHD_suspend_connection(conn);
	if (!request_pool_submit(r->pool, model_request, rq)) {
		rq->status = 503;
		rq->reply = http_error("too many model requests waiting (%d); retry later",
				       ROUTER_MODEL_WAITING);
		rq->answered = true;
		MHD_resume_connection(conn);
	}
	return MHD_YES;
}

/* POST routes that take a JSON body: submit a job here, leave model requests to the pool. */
static enum MHD_Result with_body(struct routes *r, struct MHD_Connection *conn,
				 struct request *rq, const char *which)
{
	if (strcmp(which, "jobs"))
		return hand_to_pool(r, conn, rq, which);
	cJSON *bad, *reply = NULL, *body = parse_body(rq, &bad);
	if (!body)
		return http_send_json(conn, 400, bad, NULL);
	int status = jobs_submit(r->jobs, body, &reply);
	cJSON_Delete(body);
	return http_send_json(conn, status, reply, NULL);
}

static enum MHD_Result route_model(struct routes *r, struct MHD_Connection *conn,
				   const char *url, const char *method, struct request *rq)
{
	bool info = !strcmp(url, "/tokenizer_info");
	const char *which = !strcmp(url, "/v1/completions") ? "completions" : url + 1;
	cJSON *reply = NULL;
	if (strcmp(method, info ? "GET" : "POST"))
		return http_wrong_method(conn, method, url, info ? "GET" : "POST");
	if (!r->comp.m)
		return http_send_json(conn, 404, http_error("this server has no completions model "
							    "(start it with --completions-model "
							    "DIR)"), NULL);
	if (info) {
		int status = tokenizer_answer(&r->comp, "tokenizer_info", NULL, &reply);
		return http_send_json(conn, status, reply, NULL);
	}
	return with_body(r, conn, rq, which);
}

enum MHD_Result route(struct routes *r, struct MHD_Connection *conn, const char *url,
		      const char *method, struct request *rq)
{
	cJSON *reply = NULL;
	if (!strcmp(url, "/v1/health"))
		return strcmp(method, "GET") ? http_wrong_method(conn, method, url, "GET")
					     : http_send_json(conn, 200, health(r), NULL);
	if (!strcmp(url, "/v1/jobs")) {
		if (!strcmp(method, "POST"))
			return with_body(r, conn, rq, "jobs");
		if (!strcmp(method, "GET")) {
			int status = jobs_list(r->jobs, &reply);
			return http_send_json(conn, status, reply, NULL);
		}
		return http_wrong_method(conn, method, url, "GET, POST");
	}
	if (!strncmp(url, "/v1/jobs/", 9))
		return route_job(r, conn, url, method, url + 9);
	if (!strcmp(url, "/v1/completions") || !strcmp(url, "/tokenizer_info") ||
	    !strcmp(url, "/tokenize") || !strcmp(url, "/detokenize"))
		return route_model(r, conn, url, method, rq);
	return http_send_json(conn, 404, http_error("no such resource '%.200s'", url), NULL);
}
