/*
 * server.c: the endpoint's HTTP side on libmicrohttpd: listening, reading request bodies
 * (up to max_body bytes, else 413), routing to the job queue (jobs.c) and the completions
 * model (completions.c), and GET /v1/health. Protocol: docs/endpoint.md.
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION), so a long completion never
 * blocks status answers; evaluate and scores jobs run on the queue's own workers. The
 * only state the callbacks see is the struct server passed as their closure pointer.
 * Never parses HTTP by hand, never prints, never exits.
 */
#include "engine/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/evaluate.h"
#include "engine/server_internal.h"

/* Connections served at once (one thread each); more wait in the listen queue. */
#define MAX_CONNECTIONS 64
#define IDLE_TIMEOUT_S 300

struct server {
	struct server_settings set;
	struct jobs *jobs;
	struct completer comp;   /* comp.m is NULL when no completions model is served */
	struct MHD_Daemon *daemon;
	int port;
	char *token;             /* NULL: every client is accepted */
};

/* Per request: the body read so far. */
struct request {
	char *body;
	size_t len;
	bool too_big;
	bool unauthorized;       /* answered 401 at the headers; the body is ignored */
};

cJSON *http_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++) /* one line */
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

// ---- answers ----

/* Queue text (malloc'd, handed over) as the answer. */
static enum MHD_Result send_text(struct MHD_Connection *conn, int status, char *text,
				 const char *allow)
{
	if (!text)
		return MHD_NO;
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Queue json (deleted here) as the answer, one line with a trailing newline. */
static enum MHD_Result send_json(struct MHD_Connection *conn, int status, cJSON *json,
				 const char *allow)
{
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;
	cJSON_Delete(json);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return MHD_NO;
	}
	memcpy(line + n, "\n", 2);
	return send_text(conn, status, line, allow);
}

static enum MHD_Result wrong_method(struct MHD_Connection *conn, const char *method,
				    const char *url, const char *allow)
{
	return send_json(conn, 405, http_error("%s is not allowed on %s (allowed: %s)", method,
					       url, allow), allow);
}

// ---- routes ----

static cJSON *health(struct server *s)
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
	cJSON_AddTrueToObject(o, "computes_scores");
	if (s->comp.m)
		cJSON_AddStringToObject(o, "completions_model", s->comp.name);
	else
		cJSON_AddNullToObject(o, "completions_model");
	cJSON_AddNumberToObject(o, "max_body_bytes", (double)s->set.max_body);
	cJSON_AddNumberToObject(o, "workers", s->set.workers);
	cJSON_AddNumberToObject(o, "max_queue", s->set.max_queue);
	cJSON_AddItemToObject(o, "jobs", jobs_counts(s->jobs));
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
static enum MHD_Result route_job(struct server *s, struct MHD_Connection *conn,
				 const char *url, const char *method, const char *rest)
{
	char id[40];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	bool result = slash && !strcmp(slash, "/result");
	cJSON *reply = NULL;
	if ((slash && !result) || !valid_id(rest, n))
		return send_json(conn, 404, http_error("no such resource '%.200s'", url), NULL);
	memcpy(id, rest, n);
	id[n] = 0;
	if (result && strcmp(method, "GET"))
		return wrong_method(conn, method, url, "GET");
	if (result) {
		char *text = NULL;
		int status = jobs_result(s->jobs, id, &text, &reply);
		return status == 200 ? send_text(conn, 200, text, NULL) : send_json(conn, status, reply, NULL);
	}
	if (strcmp(method, "GET") && strcmp(method, "DELETE"))
		return wrong_method(conn, method, url, "GET, DELETE");
	int status = !strcmp(method, "GET") ? jobs_get(s->jobs, id, &reply)
					    : jobs_delete(s->jobs, id, &reply);
	return send_json(conn, status, reply, NULL);
}

/* POST routes that take a JSON body: run fn on it. */
static enum MHD_Result with_body(struct server *s, struct MHD_Connection *conn,
				 const struct request *rq, const char *which)
{
	cJSON *bad, *reply = NULL, *body = parse_body(rq, &bad);
	int status;
	if (!body)
		return send_json(conn, 400, bad, NULL);
	if (!strcmp(which, "jobs"))
		status = jobs_submit(s->jobs, body, &reply);
	else if (!strcmp(which, "completions"))
		status = completions_answer(&s->comp, body, &reply);
	else
		status = tokenizer_answer(&s->comp, which, body, &reply);
	cJSON_Delete(body);
	return send_json(conn, status, reply, NULL);
}

static enum MHD_Result route_model(struct server *s, struct MHD_Connection *conn,
				   const char *url, const char *method, const struct request *rq)
{
	bool info = !strcmp(url, "/tokenizer_info");
	const char *which = !strcmp(url, "/v1/completions") ? "completions" : url + 1;
	cJSON *reply = NULL;
	if (strcmp(method, info ? "GET" : "POST"))
		return wrong_method(conn, method, url, info ? "GET" : "POST");
	if (!s->comp.m)
		return send_json(conn, 404, http_error("this server has no completions model (start "
						       "it with --completions-model DIR)"), NULL);
	if (info) {
		int status = tokenizer_answer(&s->comp, "tokenizer_info", NULL, &reply);
		return send_json(conn, status, reply, NULL);
	}
	return with_body(s, conn, rq, which);
}

static enum MHD_Result route(struct server *s, struct MHD_Connection *conn, const char *url,
			     const char *method, const struct request *rq)
{
	cJSON *reply = NULL;
	if (!strcmp(url, "/v1/health"))
		return strcmp(method, "GET") ? wrong_method(conn, method, url, "GET")
					     : send_json(conn, 200, health(s), NULL);
	if (!strcmp(url, "/v1/jobs")) {
		if (!strcmp(method, "POST"))
			return with_body(s, conn, rq, "jobs");
		if (!strcmp(method, "GET")) {
			int status = jobs_list(s->jobs, &reply);
			return send_json(conn, status, reply, NULL);
		}
		return wrong_method(conn, method, url, "GET, POST");
	}
	if (!strncmp(url, "/v1/jobs/", 9))
		return route_job(s, conn, url, method, url + 9);
	if (!strcmp(url, "/v1/completions") || !strcmp(url, "/tokenizer_info") ||
	    !strcmp(url, "/tokenize") || !strcmp(url, "/detokenize"))
		return route_model(s, conn, url, method, rq);
	return send_json(conn, 404, http_error("no such resource '%.200s'", url), NULL);
}

// ---- authentication ----

#define TOKEN_MIN 16
#define TOKEN_MAX 256

int server_check_token(const char *token, struct bb_error *err)
{
	size_t n = strlen(token);
	bool printable = true;
	for (const char *c = token; *c; c++)
		printable &= *c > ' ' && *c < 0x7f;
	if (n < TOKEN_MIN || n > TOKEN_MAX || !printable)
		return bb_fail(err, BB_EINVAL, "a token must be %d to %d printable characters "
			       "without spaces", TOKEN_MIN, TOKEN_MAX);
	return 0;
}

/* Compare in time that depends only on the expected token's length, so that the time of
 * an answer does not tell how many leading characters a guess got right. */
static bool same_token(const char *expected, const char *got)
{
	size_t n = strlen(expected), m = strlen(got);
	unsigned char diff = n != m;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(expected[i] ^ (i < m ? got[i] : 0));
	return diff == 0;
}

/* Whether the request may proceed: no token is set, it is the health probe, or it
 * carries "Authorization: Bearer <the token>" (the scheme's case does not matter). */
static bool authorized(const struct server *s, struct MHD_Connection *conn, const char *url)
{
	if (!s->token || !strcmp(url, "/v1/health"))
		return true;
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return false;
	for (h += 7; *h == ' '; h++)
		;
	return same_token(s->token, h);
}

static enum MHD_Result unauthorized(struct MHD_Connection *conn)
{
	return send_json(conn, 401, http_error("missing or wrong bearer token (send "
					       "'Authorization: Bearer TOKEN')"), NULL);
}

// ---- libmicrohttpd callbacks ----

static enum MHD_Result too_big(struct server *s, struct MHD_Connection *conn)
{
	return send_json(conn, 413, http_error("the body is larger than %zu bytes",
					       s->set.max_body), NULL);
}

/* Called once with the headers, then with each piece of body, then once more to answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		*con_cls = rq;
		if (!authorized(s, conn, url)) {
			rq->unauthorized = true;
			return unauthorized(conn); /* answered before the body is read */
		}
		if (cl && strtoull(cl, NULL, 10) > s->set.max_body) {
			rq->too_big = true;
			return too_big(s, conn); /* answered before the body is read */
		}
		return MHD_YES;
	}
	if (rq->unauthorized) {
		*size = 0;
		return MHD_YES;
	}
	if (*size) {
		if (!rq->too_big && rq->len + *size <= s->set.max_body) {
			char *b = realloc(rq->body, rq->len + *size + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + rq->len, data, *size);
			rq->body = b;
			rq->len += *size;
			b[rq->len] = 0;
		} else if (!rq->too_big) {
			rq->too_big = true;
			free(rq->body);
			rq->body = NULL;
		}
		*size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return too_big(s, conn);
	return route(s, conn, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct request *rq = *con_cls;
	(void)cls, (void)conn, (void)code;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

// ---- start and stop ----

/* A listening socket on host:port, so that failures can be named. */
static int listen_on(const char *host, int port, int *fd_out, int *bound, bool *v6,
		     struct bb_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
	char service[16];
	snprintf(service, sizeof service, "%d", port);
	int rc = getaddrinfo(host, service, &hints, &ai);
	if (rc)
		return bb_fail(err, BB_EINVAL, "--host '%s': %s", host, gai_strerror(rc));
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	*v6 = ai->ai_family == AF_INET6;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return bb_fail(err, BB_EIO, "cannot listen on %s port %d: %s", host, port, strerror(e));
	}
	freeaddrinfo(ai);
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*bound = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
						: ((struct sockaddr_in *)&sa)->sin_port);
	*fd_out = fd;
	return 0;
}

static int dir_setting(char **dst, const char *path, const char *what, struct bb_error *err)
{
	char real[PATH_MAX];
	struct stat st;
	if (!path)
		return 0;
	if (!realpath(path, real) || stat(real, &st) || !S_ISDIR(st.st_mode))
		return bb_fail(err, BB_EIO, "%s '%s': not a folder", what, path);
	return (*dst = strdup(real)) ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

static int settings_init(struct server_settings *set, const struct server_config *cfg,
			 struct bb_error *err)
{
	set->workers = cfg->workers > 0 ? cfg->workers : 1;
	set->max_queue = cfg->max_queue > 0 ? cfg->max_queue : 16;
	set->max_finished = cfg->max_finished > 0 ? cfg->max_finished : 64;
	set->max_body = cfg->max_body > 0 ? cfg->max_body : (size_t)1 << 20;
	if (!cfg->models_root)
		return bb_fail(err, BB_EINVAL, "no models root given");
	int rc = dir_setting(&set->models_root, cfg->models_root, "models root", err);
	if (!rc)
		rc = dir_setting(&set->data_dir, cfg->data_dir, "data folder", err);
	if (!rc)
		rc = dir_setting(&set->tasks_root, cfg->tasks_root, "tasks root", err);
	if (!rc && cfg->calib_path && !(set->calib_path = strdup(cfg->calib_path)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	return rc;
}

static void settings_free(struct server_settings *set)
{
	free(set->models_root);
	free(set->data_dir);
	free(set->tasks_root);
	free(set->calib_path);
}

static int start_daemon(struct server *s, const struct server_config *cfg, struct bb_error *err)
{
	int fd = -1;
	bool v6 = false;
	const char *host = cfg->host ? cfg->host : "127.0.0.1";
	int rc = listen_on(host, cfg->port, &fd, &s->port, &v6, err);
	if (rc)
		return rc;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 (v6 ? MHD_USE_IPv6 : 0);
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned)(cfg->request_timeout_s > 0 ? cfg->request_timeout_s
									   : IDLE_TIMEOUT_S),
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		return bb_fail(err, BB_EIO, "cannot start the HTTP server on %s port %d", host,
			       s->port);
	}
	return 0;
}

int server_start(struct server **out, const struct server_config *cfg, struct bb_error *err)
{
	struct server *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	int rc = settings_init(&s->set, cfg, err);
	if (!rc && cfg->token && !(rc = server_check_token(cfg->token, err)) &&
	    !(s->token = strdup(cfg->token)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc && cfg->completions_model)
		rc = completer_open(&s->comp, cfg->completions_model, err);
	if (!rc)
		rc = jobs_start(&s->jobs, &s->set, err);
	if (!rc)
		rc = start_daemon(s, cfg, err);
	if (rc) {
		server_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

int server_port(const struct server *s)
{
	return s->port;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	jobs_stop(s->jobs);
	completer_close(&s->comp);
	settings_free(&s->set);
	free(s->token);
	free(s);
}
