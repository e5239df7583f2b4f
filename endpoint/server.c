/*
 * server.c: the endpoint's transport on libmicrohttpd: listening, checking a request's
 * framing and token, reading its body (up to max_body bytes, else 413), then handing it
 * to the router (router.c), which knows the handlers. Protocol: docs/endpoint.md.
 *
 * A few polling threads (epoll) serve every connection, so a slow or idle client costs a
 * socket, not a thread, and cannot starve the others; connections are capped in all and
 * per client address, and closed when idle for the request timeout. Nothing slow runs on
 * those threads: model requests (completions, tokenize) are suspended and computed by the
 * request pool (request_pool.c), evaluate, scores and kld jobs by the queue's own workers.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "endpoint/http_error.h"
#include "endpoint/http_send.h"
#include "endpoint/router.h"

/* Defaults of the connection limits (docs/endpoint.md). A client address gets half of
 * all connections, so one client alone cannot take every place; the idle timeout is short
 * because no request of the protocol makes a client pause while sending. */
#define MAX_CONNECTIONS 512
#define MAX_CONNECTIONS_PER_IP 256
#define IDLE_TIMEOUT_S 10
#define HTTP_THREADS 4

struct server {
	struct routes routes;    /* what the router answers from */
	struct MHD_Daemon *daemon;
	int port;
	char *token;             /* NULL: every client is accepted */
};

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
	return http_send_json(conn, 401, http_error("missing or wrong bearer token (send "
						    "'Authorization: Bearer TOKEN')"), NULL);
}

// ---- libmicrohttpd callbacks ----

static enum MHD_Result too_big(struct server *s, struct MHD_Connection *conn)
{
	return http_send_json(conn, 413, http_error("the body is larger than %zu bytes",
						    s->routes.set.max_body), NULL);
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
		return http_queue_text(conn, 400, http_json_line(bad), NULL, true);
	}
	if (!authorized(s, conn, url)) {
		rq->unauthorized = true;
		return unauthorized(conn); /* answered before the body is read */
	}
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > s->routes.set.max_body) {
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
		return http_send_json(conn, rq->status, reply, NULL);
	}
	if (rq->unauthorized) {
		*size = 0;
		return MHD_YES;
	}
	if (*size) {
		if (!rq->too_big && rq->len + *size <= s->routes.set.max_body) {
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
	return route(&s->routes, conn, url, method, rq);
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
	if (!rc && cfg->eval_text_path && !(set->eval_text_path = strdup(cfg->eval_text_path)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc && !(set->cache_dir = strdup(cfg->cache_dir ? cfg->cache_dir : "results/reference")))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	return rc;
}

static void settings_free(struct server_settings *set)
{
	free(set->models_root);
	free(set->data_dir);
	free(set->tasks_root);
	free(set->calib_path);
	free(set->eval_text_path);
	free(set->cache_dir);
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
	int rc = settings_init(&s->routes.set, cfg, err);
	if (!rc && cfg->token && !(rc = server_check_token(cfg->token, err)) &&
	    !(s->token = strdup(cfg->token)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc && cfg->completions_model)
		rc = completer_open(&s->routes.comp, cfg->completions_model, err);
	if (!rc)
		rc = jobs_start(&s->routes.jobs, &s->routes.set, err);
	if (!rc)
		rc = request_pool_start(&s->routes.pool, ROUTER_MODEL_THREADS,
					ROUTER_MODEL_WAITING, err);
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
	request_pool_stop(s->routes.pool); /* every suspended connection is resumed first */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	request_pool_free(s->routes.pool);
	jobs_stop(s->routes.jobs);
	completer_close(&s->routes.comp);
	settings_free(&s->routes.set);
	free(s->token);
	free(s);
}
