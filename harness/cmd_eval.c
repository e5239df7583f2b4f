/*
 * cmd_eval.c: `bitbudget eval --endpoint URL|local --model M --tasks T1,T2 -o results.json`:
 * evaluate a checkpoint (optionally under a recipe) on lm-eval tasks through an
 * evaluation endpoint (docs/endpoint.md), and print each task's acc and their mean.
 *
 * With --endpoint local the embedded server runs in this process on a free loopback port
 * for the duration of the command, its models root the model's parent folder, its tasks
 * root the folder of the custom task descriptors named, and a random bearer token that
 * only this process knows, so no other local process can list, read or cancel its job.
 * A remote endpoint gets the token of --token or $BB_TOKEN, if any. The result
 * is checked against lm-eval's results schema before it is written, atomically: a broken
 * or partial answer never leaves a file. Progress goes to stderr (a bar on a terminal,
 * plain lines otherwise); the scores go to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "core/fileio.h"
#include "core/recipe.h"
#include "endpoint/server.h"
#include "engine/evaluate.h"
#include "endpoint/job_spec.h"
#include "harness/cli.h"
#include "harness/client.h"
#include "harness/commands.h"
#include "harness/job_exec.h"

#define MAX_TASKS 64
#define DEFAULT_DATA_DIR JOB_EXEC_DATA_DIR

struct eval_opts {
	const char *endpoint, *model, *recipe, *tasks, *out, *data_dir, *token;
	long limit, batch_size, seed, timeout, tries, max_answer_mb;
	double retry_for, deadline;
	int add_bos;        /* -1: the tokenizer's default */
	bool log_samples, quiet, force;
	int n_tasks;
	char *task[MAX_TASKS];
};

static const char usage[] =
	"usage: bitbudget eval --endpoint URL|local --model M --tasks T1,T2,... -o OUT.json\n"
	"                      [--recipe R] [--limit N] [--add-bos-token|--no-add-bos-token]\n"
	"                      [--batch-size N] [--seed N] [--log-samples] [--data-dir DIR]\n"
	"                      [--timeout S] [--retry-for S] [--tries N] [--deadline S]\n"
	"                      [--max-answer-mb N] [--token T] [--quiet]\n"
	"  --endpoint URL   an evaluation endpoint (bitbudget serve, endpoint/lm_eval_endpoint.py),\n"
	"                   e.g. http://127.0.0.1:8000; 'local' runs one in this process\n"
	"  --model M        checkpoint folder: relative to the endpoint's models root, or a\n"
	"                   local path with --endpoint local\n"
	"  --tasks LIST     lm-eval tasks: lambada_openai, hellaswag, piqa, winogrande, mmlu\n"
	"  -o, --output F   the results file to write (lm-eval's results JSON)\n"
	"  --recipe R       a recipe file (docs/formats.md), applied at load time\n"
	"  --force          with --endpoint local: apply R even if its manifest names another\n"
	"                   model\n"
	"  --limit N        only the first N documents of each (sub)task (default: all)\n"
	"  --add-bos-token  always prepend BOS; --no-add-bos-token: never (default: tokenizer's)\n"
	"  --batch-size N   requests per engine batch (default: the endpoint's choice)\n"
	"  --seed N         random seed sent with the job (default 0)\n"
	"  --log-samples    ask for per-document records (kept in the results file)\n"
	"  --data-dir DIR   task data for --endpoint local (default " DEFAULT_DATA_DIR ")\n"
	"  --timeout S      seconds per HTTP request (default 60, or $BB_EVAL_TIMEOUT)\n"
	"  --retry-for S    keep retrying failed connections and 5xx for S seconds (default 120,\n"
	"                   or $BB_EVAL_RETRY_FOR)\n"
	"  --tries N        at most N attempts per request (default: no limit but --retry-for,\n"
	"                   or $BB_EVAL_TRIES)\n"
	"  --deadline S     give up when the whole evaluation has taken S seconds (default\n"
	"                   43200: 12 h, or $BB_EVAL_DEADLINE)\n"
	"  --max-answer-mb N  refuse an answer larger than N MiB (default 256, or\n"
	"                   $BB_EVAL_MAX_ANSWER_MB)\n"
	"  --token T        bearer token of a remote endpoint started with one (default\n"
	"                   $BB_TOKEN); --endpoint local makes its own\n"
	"  -q, --quiet      no progress on stderr\n";

// ---- options ----

static int parse_value(int c, struct eval_opts *o)
{
	switch (c) {
	case 'l': return cli_parse_long("--limit", optarg, 0, INT_MAX, &o->limit);
	case 'b': return cli_parse_long("--batch-size", optarg, 1, 1 << 20, &o->batch_size);
	case 'S': return cli_parse_long("--seed", optarg, 0, LONG_MAX, &o->seed);
	case 'T': return cli_parse_long("--timeout", optarg, 1, 86400, &o->timeout);
	case 'N': return cli_parse_long("--tries", optarg, 1, 1000000, &o->tries);
	case 'D': return cli_parse_double("--deadline", optarg, 1, 1e7, &o->deadline);
	case 'M': return cli_parse_long("--max-answer-mb", optarg, 1, 1 << 20, &o->max_answer_mb);
	default: return cli_parse_double("--retry-for", optarg, 0, 1e7, &o->retry_for);
	}
}

static int split_tasks(struct eval_opts *o)
{
	char *copy = strdup(o->tasks), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->n_tasks == MAX_TASKS)
			return free(copy), cli_usage_error("eval: --tasks: more than %d tasks", MAX_TASKS);
		for (int i = 0; i < o->n_tasks; i++)
			if (!strcmp(o->task[i], t)) { /* t points into copy: report, then free */
				int status = cli_usage_error("eval: --tasks: '%s' is given twice", t);
				free(copy);
				return status;
			}
		o->task[o->n_tasks++] = strdup(t);
	}
	free(copy);
	return o->n_tasks ? -1 : cli_usage_error("eval: --tasks: no task given");
}

/* BB_EVAL_TIMEOUT, BB_EVAL_RETRY_FOR, BB_EVAL_TRIES, BB_EVAL_DEADLINE and
 * BB_EVAL_MAX_ANSWER_MB set the defaults of the options of those names, read as
 * `bitbudget run-job` reads them (harness/job_exec.h); an option wins. */
static int env_defaults(struct eval_opts *o)
{
	struct job_limits l = {0};
	if (!job_limits_from_env(&l))
		return 2;
	o->timeout = l.timeout_s, o->retry_for = l.retry_for_s, o->tries = l.tries;
	o->deadline = l.deadline_s, o->max_answer_mb = l.max_answer_mb;
	return -1;
}

/* --token, else $BB_TOKEN (a token on the command line is visible to every local user
 * in the process list; the environment is not). */
static int check_token(struct eval_opts *o)
{
	struct bb_error err = {0};
	const char *env = getenv("BB_TOKEN");
	if (!o->token && env && *env)
		o->token = env;
	if (o->token && server_check_token(o->token, &err))
		return cli_usage_error("eval: %s: %s", o->token == env ? "BB_TOKEN" : "--token",
				       err.msg);
	return -1;
}

static int parse_args(struct eval_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"endpoint", required_argument, NULL, 'e'}, {"model", required_argument, NULL, 'm'},
		{"recipe", required_argument, NULL, 'r'},   {"tasks", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},   {"data-dir", required_argument, NULL, 'd'},
		{"limit", required_argument, NULL, 'l'},    {"batch-size", required_argument, NULL, 'b'},
		{"seed", required_argument, NULL, 'S'},     {"timeout", required_argument, NULL, 'T'},
		{"tries", required_argument, NULL, 'N'},    {"retry-for", required_argument, NULL, 'R'},
		{"deadline", required_argument, NULL, 'D'}, {"max-answer-mb", required_argument, NULL, 'M'},
		{"token", required_argument, NULL, 'k'},
		{"add-bos-token", no_argument, NULL, 'B'},  {"no-add-bos-token", no_argument, NULL, 'n'},
		{"log-samples", no_argument, NULL, 'L'},    {"quiet", no_argument, NULL, 'q'},
		{"force", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const char **dst[128] = {['e'] = &o->endpoint, ['m'] = &o->model, ['r'] = &o->recipe,
				 ['t'] = &o->tasks, ['o'] = &o->out, ['d'] = &o->data_dir,
				 ['k'] = &o->token};
	int c = env_defaults(o);
	if (c >= 0)
		return c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:q", longopts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), 0;
		else if (c > 0 && c < 128 && dst[c])
			*dst[c] = optarg;
		else if (c == 'B' || c == 'n')
			o->add_bos = c == 'B';
		else if (c == 'L' || c == 'q' || c == 'F')
			*(c == 'L' ? &o->log_samples : c == 'q' ? &o->quiet : &o->force) = true;
		else if (c > 0 && c < 128 && strchr("lbSTNRDM", c)) {
			if (!parse_value(c, o))
				return 2;
		} else
			return cli_usage_error("eval: bad option '%s' (see --help)", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("eval: unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->endpoint || !o->model || !o->tasks || !o->out)
		return cli_usage_error("eval: --endpoint, --model, --tasks and -o are required "
				       "(see --help)");
	c = check_token(o);
	return c >= 0 ? c : split_tasks(o);
}

// ---- the job ----

/* The job request (endpoint/job_spec.h) for the options, the recipe read here and sent
 * inline. */
static int job_json(cJSON **out, const struct eval_opts *o, const char *model,
		    struct bb_error *err)
{
	struct job_spec s = {.kind = JOB_EVALUATE, .model = (char *)model, .n_tasks = o->n_tasks,
			     .tasks = (char **)o->task, .limit = (int)o->limit,
			     .add_bos_token = o->add_bos, .batch_size = (int)o->batch_size,
			     .seed = (uint64_t)o->seed, .log_samples = o->log_samples};
	if (o->recipe) {
		int rc = recipe_read(&s.recipe, o->recipe, err);
		if (rc)
			return rc;
		s.has_recipe = true;
	}
	*out = job_spec_to_json(&s);
	if (s.has_recipe)
		recipe_free(&s.recipe);
	return *out ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

// ---- progress ----

struct eval_progress {
	bool tty, quiet, shown;
	double t0, last_print;
	long first_done;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void format_eta(char *dst, size_t n, double s)
{
	if (!(s >= 0) || s > 1e7)
		snprintf(dst, n, "?");
	else if (s >= 3600)
		snprintf(dst, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else
		snprintf(dst, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

static void on_progress(void *ctx, const char *status, long done, long total)
{
	struct eval_progress *p = ctx;
	double t = now_s(), rate;
	char eta[32];
	bool last = !strcmp(status, "done");
	if (p->quiet || total <= 0 || (strcmp(status, "running") && !(last && p->shown)))
		return; /* a last line only after a bar or lines already shown */
	if (p->t0 == 0)
		p->t0 = t, p->first_done = done;
	rate = t > p->t0 ? (double)(done - p->first_done) / (t - p->t0) : 0;
	format_eta(eta, sizeof eta, rate > 0 ? (double)(total - done) / rate : -1);
	if (p->tty) {
		int w = 30, fill = (int)((double)w * (double)done / (double)total);
		fprintf(stderr, "\reval: [%.*s%*s] %ld/%ld  %.1f/s  %s left ", fill,
			"##############################", w - fill, "", done, total, rate, eta);
	} else if (t - p->last_print >= 10 || !p->shown || last) {
		fprintf(stderr, "eval: %ld/%ld requests (%.0f%%), %.1f/s, about %s left\n", done,
			total, 100.0 * (double)done / (double)total, rate, eta);
		p->last_print = t;
	}
	p->shown = true;
}

// ---- the result ----

static int write_results(const cJSON *r, const char *path, struct bb_error *err)
{
	char *text = cJSON_Print(r);
	if (!text)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	size_t n = strlen(text);
	text[n] = '\n'; /* the NUL becomes the final newline */
	int rc = write_file_atomic(path, text, n + 1, err);
	free(text);
	return rc;
}

// ---- the command ----

/* A fresh bearer token: 32 random bytes in hex. */
static int random_token(char out[65], struct bb_error *err)
{
	unsigned char bytes[32];
	if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
		return bb_fail(err, BB_EIO, "cannot draw a random token: %s", strerror(errno));
	for (size_t i = 0; i < sizeof bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* --endpoint local: a server in this process whose models root is the model's folder's
 * parent, reachable only with the random token; *model becomes the folder's name. */
static int start_local(struct server **srv, char *url, size_t n, char **model, char *token,
		       const struct eval_opts *o, struct bb_error *err)
{
	/* realpath's answer fits PATH_MAX; dirname and basename write into their copies */
	char real[PATH_MAX], root[PATH_MAX], base[PATH_MAX], tasks_root[PATH_MAX];
	if (!realpath(o->model, real))
		return bb_fail(err, BB_EIO, "'%s': no such model folder", o->model);
	snprintf(root, sizeof root, "%s", real);
	snprintf(base, sizeof base, "%s", real);
	const char *data = o->data_dir ? o->data_dir
				       : (file_exists(DEFAULT_DATA_DIR) ? DEFAULT_DATA_DIR : NULL);
	int rc = job_exec_tasks_root(o->task, o->n_tasks, tasks_root, sizeof tasks_root, err);
	if (!rc)
		rc = random_token(token, err);
	struct server_config cfg = {.host = "127.0.0.1", .models_root = dirname(root),
				    .data_dir = data, .tasks_root = tasks_root[0] ? tasks_root : NULL,
				    .workers = 1, .max_body = 64 << 20, .token = token};
	if (!rc)
		rc = server_start(srv, &cfg, err);
	if (rc)
		return rc;
	snprintf(url, n, "http://127.0.0.1:%d", server_port(*srv));
	*model = strdup(basename(base));
	return *model ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

static int run(const struct eval_opts *o, struct bb_error *err)
{
	struct server *srv = NULL;
	struct client cl = {0};
	char local_url[32], token[65]; /* "http://127.0.0.1:" and a port */
	char *model = NULL;
	cJSON *job = NULL, *result = NULL;
	struct eval_progress p = {.tty = isatty(2), .quiet = o->quiet};
	bool local = !strcmp(o->endpoint, "local");
	struct client_config cc = {.base_url = local ? local_url : o->endpoint,
				   .timeout_s = o->timeout,
				   .retry_for_s = o->retry_for, .max_tries = (int)o->tries,
				   .deadline_s = o->deadline,
				   .max_answer = (size_t)o->max_answer_mb << 20, .token = o->token};
	FILE *scores_to = output_is_stdout(o->out) ? stderr : stdout; /* before -o replaces it */
	int rc = output_check_file(o->out, err); /* before the work, not after it */
	/* Only a local model folder can be checked against the recipe's manifest here. */
	if (!rc && local && o->recipe && !o->force)
		rc = cli_check_recipe_model(o->recipe, o->model, err);
	if (!rc && local)
		rc = start_local(&srv, local_url, sizeof local_url, &model, token, o, err);
	if (local)
		cc.token = token;
	if (!rc && !local && !(model = strdup(o->model)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc && !(rc = job_json(&job, o, model, err)) && !(rc = client_init(&cl, &cc, err)))
		rc = client_run_job(&cl, job, on_progress, &p, &result, err);
	if (p.shown && p.tty)
		fputc('\n', stderr);
	if (!rc && !(rc = client_check_results(result, (const char *const *)o->task, o->n_tasks, err)) &&
	    !(rc = write_results(result, o->out, err)))
		job_exec_print_scores(result, o->task, o->n_tasks, scores_to);
	cJSON_Delete(result);
	cJSON_Delete(job);
	client_free(&cl);
	server_stop(srv);
	free(model);
	return rc;
}

int cmd_eval(int argc, char **argv)
{
	struct eval_opts o = {.add_bos = -1};
	int status = parse_args(&o, argc, argv);
	if (status < 0) {
		struct bb_error err = {0};
		curl_global_init(CURL_GLOBAL_DEFAULT);
		status = run(&o, &err) ? cli_print_error(&err) : 0;
		curl_global_cleanup();
	}
	for (int i = 0; i < o.n_tasks; i++)
		free(o.task[i]);
	return status;
}
