/*
 * server.c: the endpoint's HTTP side on libmicrohttpd: listening, reading request bodies
 * (up to max_body bytes, else 413), routing to the job queue (jobs.c) and the completions
 * model (completions.c), and GET /v1/health. Protocol: docs/endpoint.md.
 *
 * A few polling threads (epoll) serve every connection, so a slow or idle client costs a
 * socket, not a thread, and cannot starve the others; connections are capped in all and
 * per client address, and closed when idle for the request timeout. Nothing slow runs on
 * those threads: model requests (completions, tokenize) are suspended and computed by the
 * request pool (request_pool.c), evaluate and scores jobs by the queue's own workers.
 * Requests whose framing is ambiguous (duplicate or conflicting Content-Length /
 * Transfer-Encoding) are refused before their body is read. The only state the callbacks
 * see is the struct server passed as their closure pointer.
 * Never parses HTTP by hand, never prints, never exits.
 */
#include "endpoint/server.h"

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
#include "endpoint/server_internal.h"

/* Defaults of the connection limits (docs/endpoint.md). A client address gets half of
 * all connections, so one client alone cannot take every place; the idle timeout is short
 * because no request of the protocol makes a client pause while sending. */
#define MAX_CONNECTIONS 512
#define MAX_CONNECTIONS_PER_IP 256
#define IDLE_TIMEOUT_S 10
#define HTTP_THREADS 4
/* Model requests computed at once, and waiting beyond which they get 503. */
#define MODEL_THREADS 2
#define MODEL_WAITING 64

struct server {
	struct server_settings set;
	struct jobs *jobs;
	struct completer comp;   /* comp.m is NULL when no completions model is served */
	struct request_pool *pool;
	struct MHD_Daemon *daemon;
	int port;
	char *token;             /* NULL: every client is accepted */
};

/* Per request: the body read so far, and for a model request handed to the request pool
 * (its connection suspended meanwhile) the answer it left. */
struct request {
	char *body;
	size_t len;
	bool too_big;
	struct server *s;
	struct MHD_Connection *conn;
	const char *which;       /* "completions", "tokenize" or "detokenize" */
	bool answered;
	int status;
	cJSON *reply;
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

/* Queue text (malloc'd, handed over) as the answer. close also closes the connection: after
 * a refusal of the request's framing, what follows on it cannot be trusted to be the next
 * request. */
static enum MHD_Result queue_text(struct MHD_Connection *conn, int status, char *text,
				  const char *allow, bool close)
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
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
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

static enum MHD_Result send_text(struct MHD_Connection *conn, int status, char *text,
				 const char *allow)
{
	return queue_text(conn, status, text, allow, false);
}

/* json (deleted here) as one line with a trailing newline, malloc'd; NULL when out of
 * memory. */
static char *json_line(cJSON *json)
{
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;
	cJSON_Delete(json);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + n, "\n", 2);
	return line;
}

/* Queue json (deleted here) as the answer. */
static enum MHD_Result send_json(struct MHD_Connection *conn, int status, cJSON *json,
				 const char *allow)
{
	return send_text(conn, status, json_line(json), allow);
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

/* On a request pool thread: compute a model request's answer, then wake its connection,
 * whose next call of on_request sends it. */
static void model_request(void *arg)
{
	struct request *rq = arg;
	cJSON *bad, *body = parse_body(rq, &bad);
	if (!body)
		rq->status = 400, rq->reply = bad;
	else if (!strcmp(rq->which, "completions"))
		rq->status = completions_answer(&rq->s->comp, body, &rq->reply);
	else
		rq->status = tokenizer_answer(&rq->s->comp, rq->which, body, &rq->reply);
	cJSON_Delete(body);
	rq->answered = true;
	MHD_resume_connection(rq->conn);
}

/* Suspend the connection and hand the request to the pool; a full pool is a 503, sent
 * once the connection is resumed. */
static enum MHD_Result hand_to_pool(struct server *s, struct MHD_Connection *conn,
				    struct request *rq, const char *which)
{
	rq->s = s;
	rq->conn = conn;
	rq->which = which;
	MHD_suspend_connection(conn);
	if (!request_pool_submit(s->pool, model_request, rq)) {
		rq->status = 503;
		rq->reply = http_error("too many model requests waiting (%d); retry later",
				       MODEL_WAITING);
		rq->answered = true;
		MHD_resume_connection(conn);
	}
	return MHD_YES;
}

/* POST routes that take a JSON body: submit a job here, leave model requests to the pool. */
static enum MHD_Result with_body(struct server *s, struct MHD_Connection *conn,
				 struct request *rq, const char *which)
{
	if (strcmp(which, "jobs"))
		return hand_to_pool(s, conn, rq, which);
	cJSON *bad, *reply = NULL, *body = parse_body(rq, &bad);
	if (!body)
		return send_json(conn, 400, bad, NULL);
	int status = jobs_submit(s->jobs, body, &reply);
	cJSON_Delete(body);
	return send_json(conn, status, reply, NULL);
}

static enum MHD_Result route_model(struct server *s, struct MHD_Connection *conn,
				   const char *url, const char *method, struct request *rq)
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
			     const char *method, struct request *rq)
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

/* How many times the request carries header name (case-insensitive). */
struct header_count {
	const char *name;
	int n;
	const char *value;       /* the last one */
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_count *c = cls;
	(void)kind;
	if (key && !strcasecmp(key, c->name)) {
		c->n++;
		c->value = value;
	}
	return MHD_YES;
}

static struct header_count header_count(struct MHD_Connection *conn, const char *name)
{
	struct header_count c = {.name = name};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &c);
	return c;
}

/* The body's framing must be unambiguous: at most one Content-Length, at most one
 * Transfer-Encoding and only "chunked", never both (RFC 9112 section 6.3: a request
 * smuggled past a proxy that reads the other header). NULL when it is, else the error. */
static cJSON *bad_framing(struct MHD_Connection *conn)
{
	struct header_count cl = header_count(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct header_count te = header_count(conn, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl.n > 1)
		return http_error("%d Content-Length headers; a request may carry one", cl.n);
	if (te.n > 1)
		return http_error("%d Transfer-Encoding headers; a request may carry one", te.n);
	if (cl.n && te.n)
		return http_error("both Content-Length and Transfer-Encoding; a request may carry "
				  "one of them");
	if (te.n && strcasecmp(te.value, "chunked"))
		return http_error("Transfer-Encoding '%.40s' is not supported (only chunked)",
				  te.value);
	return NULL;
}

/* The first call for a request: refuse bad framing and bodies announced too big. */
static enum MHD_Result on_headers(struct server *s, struct MHD_Connection *conn,
				  const char *url, struct request *rq)
{
	cJSON *bad = bad_framing(conn);
	if (bad) {
		rq->too_big = true; /* what follows is not read */
		return queue_text(conn, 400, json_line(bad), NULL, true);
	}
	if (!authorized(s, conn, url)) {
		rq->unauthorized = true;
		return unauthorized(conn); /* answered before the body is read */
	}
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > s->set.max_body) {
		rq->too_big = true;
		return too_big(s, conn); /* answered before the body is read */
	}
	return MHD_YES;
}

/* Called once with the headers, then with each piece of body, then once more to answer
 * (and for a model request once more when the pool resumes the connection). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		*con_cls = rq;
		return on_headers(s, conn, url, rq);
	}
	if (rq->answered) {
		cJSON *reply = rq->reply;
		rq->reply = NULL;
		return send_json(conn, rq->status, reply, NULL);
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
		cJSON_Delete(rq->reply);
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
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 256)) {
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
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
	int all = cfg->max_connections > 0 ? cfg->max_connections : MAX_CONNECTIONS;
	int per_ip = cfg->max_connections_per_ip > 0 ? cfg->max_connections_per_ip
						     : MAX_CONNECTIONS_PER_IP;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)all,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_ip,
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
		rc = request_pool_start(&s->pool, MODEL_THREADS, MODEL_WAITING, err);
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
	request_pool_stop(s->pool); /* every suspended connection is resumed first */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	request_pool_free(s->pool);
	jobs_stop(s->jobs);
	completer_close(&s->comp);
	settings_free(&s->set);
	free(s->token);
	free(s);
}
