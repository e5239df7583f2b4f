/*
 * cmd_serve.c: `bitbudget serve --models-root DIR [--port N] ...`: run the evaluation
 * endpoint (endpoint/server.h, protocol in docs/endpoint.md) until SIGINT or SIGTERM.
 *
 * Prints "listening on http://HOST:PORT" on stdout (flushed) once it accepts requests, so
 * scripts started with --port 0 can read the port. SIGINT/SIGTERM are blocked in every
 * thread and taken here with sigwait, then the server is stopped cleanly (jobs cancelled,
 * workers joined). Never serves a checkpoint outside --models-root.
 *
 * With --token (or $BB_TOKEN) every request but GET /v1/health needs "Authorization:
 * Bearer TOKEN". On a loopback address the token is optional; on any other address the
 * server refuses to start without one, since anyone who can reach the port could
 * otherwise run, read and cancel jobs.
 */
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "endpoint/server.h"
#include "harness/cli.h"
#include "harness/commands.h"

#define DEFAULT_DATA_DIR "../shared/data/lm-eval"

struct serve_opts {
	const char *host, *models_root, *data_dir, *tasks_root, *calib, *completions_model, *token;
	const char *eval_text, *cache;
	long port, workers, max_queue, max_body, keep, request_timeout;
	long max_connections, max_connections_per_ip;
};

static const char usage[] =
	"usage: bitbudget serve --models-root DIR [--host H] [--port N] [--data-dir DIR]\n"
	"                       [--tasks-root DIR]\n"
	"                       [--completions-model DIR] [--calib FILE] [--workers N]\n"
	"                       [--eval-text FILE] [--cache DIR]\n"
	"                       [--max-queue N] [--max-body BYTES] [--keep-finished N]\n"
	"                       [--request-timeout S] [--max-connections N]\n"
	"                       [--max-connections-per-ip N] [--token TOKEN]\n"
	"  --models-root DIR        requests may name only checkpoints under DIR\n"
	"  --host H                 address to bind (default 127.0.0.1)\n"
	"  --port N                 port (default 8000; 0 picks a free one); the line\n"
	"                           \"listening on http://H:PORT\" goes to stdout\n"
	"  --data-dir DIR           task data for evaluate jobs (default " DEFAULT_DATA_DIR
	" if present)\n"
	"  --tasks-root DIR         custom task descriptors (.json) may also be named under DIR\n"
	"  --completions-model DIR  the checkpoint POST /v1/completions serves (lm-eval's\n"
	"                           local-completions backend)\n"
	"  --calib FILE             calibration text for scores jobs without calib_text\n"
	"                           (default: experiments/calibration/default.txt of this build)\n"
	"  --eval-text FILE         evaluation text for kld jobs without text (default:\n"
	"                           experiments/eval/default.txt of this build)\n"
	"  --cache DIR              where kld jobs keep reference logits (default:\n"
	"                           results/reference, as bitbudget kld)\n"
	"  --workers N              job threads (default 1)\n"
	"  --max-queue N            jobs waiting at most; more get 503 (default 16)\n"
	"  --max-body BYTES         request body limit; larger gets 413 (default 1048576)\n"
	"  --keep-finished N        finished jobs kept for their results (default 64)\n"
	"  --request-timeout S      close a connection idle for S seconds: a request that\n"
	"                           stops sending, a client that stops reading (default 10)\n"
	"  --max-connections N      connections open at once; more are closed (default 512)\n"
	"  --max-connections-per-ip N  the same from one client address (default 256)\n"
	"  --token TOKEN            every request but GET /v1/health must carry\n"
	"                           \"Authorization: Bearer TOKEN\" (16-256 printable characters;\n"
	"                           default $BB_TOKEN, which the process list does not show);\n"
	"                           required unless --host is a loopback address\n";

static int parse_number(int c, struct serve_opts *o)
{
	switch (c) {
	case 'p': return cli_parse_long("--port", optarg, 0, 65535, &o->port);
	case 'w': return cli_parse_long("--workers", optarg, 1, 256, &o->workers);
	case 'Q': return cli_parse_long("--max-queue", optarg, 1, 100000, &o->max_queue);
	case 'B': return cli_parse_long("--max-body", optarg, 1024, 1L << 32, &o->max_body);
	case 'T': return cli_parse_long("--request-timeout", optarg, 1, 86400, &o->request_timeout);
	case 'C': return cli_parse_long("--max-connections", optarg, 1, 100000, &o->max_connections);
	case 'I':
		return cli_parse_long("--max-connections-per-ip", optarg, 1, 100000,
				      &o->max_connections_per_ip);
	default: return cli_parse_long("--keep-finished", optarg, 1, 100000, &o->keep);
	}
}

/* Whether every address host resolves to is a loopback one (127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104); a name that does not resolve counts as not loopback. */
static bool is_loopback(const char *host)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return false;
	bool loopback = true;
	for (const struct addrinfo *a = ai; a; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *v4 = (const struct sockaddr_in *)a->ai_addr;
			loopback &= (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		} else if (a->ai_family == AF_INET6) {
			const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
			loopback &= IN6_IS_ADDR_LOOPBACK(v6) ||
				    (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
		} else {
			loopback = false;
		}
	}
	freeaddrinfo(ai);
	return loopback;
}

/* --token, else $BB_TOKEN; checked, and required off loopback. */
static int check_token(struct serve_opts *o)
{
	struct bb_error err = {0};
	const char *env = getenv("BB_TOKEN"), *host = o->host ? o->host : "127.0.0.1";
	if (!o->token && env && *env)
		o->token = env;
	if (o->token && server_check_token(o->token, &err))
		return cli_usage_error("serve: %s: %s", o->token == env ? "BB_TOKEN" : "--token",
				       err.msg);
	if (!o->token && !is_loopback(host))
		return cli_usage_error("serve: --host '%s' is not a loopback address: a --token "
				       "(or BB_TOKEN) is required", host);
	return -1;
}

static int parse_args(struct serve_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},      {"port", required_argument, NULL, 'p'},
		{"models-root", required_argument, NULL, 'r'}, {"data-dir", required_argument, NULL, 'd'},
		{"calib", required_argument, NULL, 'c'},   {"tasks-root", required_argument, NULL, 't'},
		{"completions-model", required_argument, NULL, 'm'},
		{"workers", required_argument, NULL, 'w'},   {"max-queue", required_argument, NULL, 'Q'},
		{"max-body", required_argument, NULL, 'B'},
		{"keep-finished", required_argument, NULL, 'k'},
		{"request-timeout", required_argument, NULL, 'T'},
		{"max-connections", required_argument, NULL, 'C'},
		{"max-connections-per-ip", required_argument, NULL, 'I'},
		{"token", required_argument, NULL, 'K'},
		{"eval-text", required_argument, NULL, 'e'}, {"cache", required_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
	const char **dst[128] = {['H'] = &o->host, ['r'] = &o->models_root, ['d'] = &o->data_dir,
				 ['c'] = &o->calib, ['m'] = &o->completions_model, ['t'] = &o->tasks_root,
				 ['K'] = &o->token, ['e'] = &o->eval_text, ['x'] = &o->cache};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), 0;
		else if (c > 0 && c < 128 && dst[c])
			*dst[c] = optarg;
		else if (c > 0 && c < 128 && strchr("pwQBkTCI", c)) {
			if (!parse_number(c, o))
				return 2;
		} else
			return cli_usage_error("serve: bad option '%s' (see --help)", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("serve: unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->models_root)
		return cli_usage_error("serve: --models-root is required (see --help)");
	return check_token(o);
}

/* rel (experiments/calibration/default.txt, experiments/eval/default.txt) in the build
 * this binary belongs to (bin/..), if it exists. */
static char *build_file(const char *rel)
{
	char *path = cli_build_path(rel);
	if (path && !file_exists(path)) {
		free(path);
		path = NULL;
	}
	return path;
}

/* Block the stop signals in this thread (and so in every thread the server starts). */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int serve(const struct serve_opts *o, const char *calib, const char *eval_text,
		 struct bb_error *err)
{
	struct server *srv;
	sigset_t set;
	int sig = 0;
	const char *host = o->host ? o->host : "127.0.0.1";
	struct server_config cfg = {
		.host = host, .port = (int)o->port, .models_root = o->models_root,
		.data_dir = o->data_dir ? o->data_dir
					: (file_exists(DEFAULT_DATA_DIR) ? DEFAULT_DATA_DIR : NULL),
		.tasks_root = o->tasks_root, .calib_path = calib, .completions_model = o->completions_model,
		.eval_text_path = eval_text, .cache_dir = o->cache,
		.workers = (int)o->workers, .max_queue = (int)o->max_queue,
		.max_finished = (int)o->keep, .max_body = (size_t)o->max_body,
		.request_timeout_s = (int)o->request_timeout, .max_connections = (int)o->max_connections,
		.max_connections_per_ip = (int)o->max_connections_per_ip, .token = o->token};
	block_signals(&set);
	int rc = server_start(&srv, &cfg, err);
	if (rc)
		return rc;
	bool v6 = strchr(host, ':') != NULL;
	printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", host, v6 ? "]" : "",
	       server_port(srv));
	fflush(stdout);
	sigwait(&set, &sig);
	fprintf(stderr, "serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	server_stop(srv);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = {.port = 8000, .workers = 1, .max_queue = 16, .max_body = 1 << 20,
			       .keep = 64, .request_timeout = 10};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	char *calib = o.calib ? strdup(o.calib) : build_file("experiments/calibration/default.txt");
	char *text = o.eval_text ? strdup(o.eval_text) : build_file("experiments/eval/default.txt");
	if (o.calib && !file_exists(o.calib))
		status = cli_usage_error("serve: --calib '%s': no such file", o.calib);
	else if (o.eval_text && !file_exists(o.eval_text))
		status = cli_usage_error("serve: --eval-text '%s': no such file", o.eval_text);
	else
		status = serve(&o, calib, text, &err) ? cli_print_error(&err) : 0;
	free(calib);
	free(text);
	return status;
}
