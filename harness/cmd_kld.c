/*
 * cmd_kld.c: `bitbudget kld`: how far a model quantized by a recipe is from the model
 * itself over a held-out text: mean KLD with its standard errors, percentiles, top-1
 * agreement and perplexities, overall and per document, as one JSON object.
 *
 * The measurement itself is endpoint/kld_job.c, run in this process, or sent to an
 * endpoint as a kld job with --endpoint URL (the same code on the other side, or the
 * torch adapter), so a local run and a served one give the same JSON. Writes nothing but
 * the reference file (in process) and -o, both atomically; never a partial output (bad
 * input: one line, exit 2, nothing written).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "core/fileio.h"
#include "core/recipe.h"
#include "endpoint/job_spec.h"
#include "endpoint/kld_job.h"
#include "endpoint/server.h"
#include "harness/cli.h"
#include "harness/client.h"
#include "harness/commands.h"

struct kld_opts {
	const char *model;
	const char *recipe;     /* NULL: the model against itself */
	const char *text;       /* NULL: experiments/eval/default.txt of this build */
	const char *calib;      /* NULL: experiments/calibration/default.txt of this build */
	const char *cache;
	const char *out;
	const char *endpoint;   /* NULL or "local": in this process; else an endpoint's URL */
	const char *token;      /* a remote endpoint's bearer token (default $BB_TOKEN) */
	long context;           /* 0: the model's length */
	bool force;
};

static const char usage[] =
	"usage: bitbudget kld --model M [--recipe R] [--text FILE] [--context N]\n"
	"                     [--cache DIR] [--calib FILE] [--endpoint URL|local]\n"
	"                     [--token T] [-o OUT]\n"
	"  --model M       a Hugging Face folder with weights and tokenizer.json: the reference\n"
	"  --recipe R      measure M quantized by R against M (default: M against itself: 0)\n"
	"  --force         apply R even if its manifest names another model\n"
	"  --text FILE     the evaluation text, documents separated by blank lines (default:\n"
	"                  experiments/eval/default.txt of this build)\n"
	"  --context N     window length in tokens (default: the model's length); longer\n"
	"                  documents are scored in lm-eval's rolling windows\n"
	"  --cache DIR     where the reference logits are kept (default: results/reference)\n"
	"  --calib FILE    the calibration text to count shared 13-grams with (default:\n"
	"                  experiments/calibration/default.txt of this build)\n"
	"  --endpoint URL  send the measurement to an endpoint as a kld job (docs/endpoint.md):\n"
	"                  M relative to its models root, R and --text sent inline, the\n"
	"                  reference cached there (--cache and --calib are the endpoint's);\n"
	"                  local (the default): in this process\n"
	"  --token T       bearer token of a remote endpoint (default $BB_TOKEN)\n"
	"  -o OUT          write the JSON to OUT atomically (default: stdout)\n";

static int parse_args(struct kld_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'}, {"recipe", required_argument, NULL, 'r'},
		{"text", required_argument, NULL, 't'},  {"calib", required_argument, NULL, 'C'},
		{"cache", required_argument, NULL, 'c'}, {"context", required_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},       {"help", no_argument, NULL, 'h'},
		{"endpoint", required_argument, NULL, 'e'}, {"token", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0}};
	const char **dst[128] = {['m'] = &o->model, ['r'] = &o->recipe, ['t'] = &o->text,
				 ['C'] = &o->calib, ['c'] = &o->cache, ['o'] = &o->out,
				 ['e'] = &o->endpoint, ['k'] = &o->token};
	int c;
	optind = 1;
	opterr = 0; /* one error line, ours */
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), 0;
		if (c == 'f')
			o->force = true;
		else if (c == 'n') {
			if (!cli_parse_long("--context", optarg, 1, INT_MAX, &o->context))
				return 2;
		} else if (c > 0 && c < 128 && dst[c])
			*dst[c] = optarg;
		else
			return cli_usage_error("kld: bad option '%s' (see --help)", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("kld: unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->model)
		return cli_usage_error("kld: --model is required (see --help)");
	return -1;
}

/* rel in this binary's build (cli_build_path); rel itself when that cannot be found. */
static char *build_path(const char *rel)
{
	char *path = cli_build_path(rel);
	return path ? path : strdup(rel);
}

static int write_answer(cJSON *root, const char *out, struct bb_error *err)
{
	char *text = cJSON_PrintUnformatted(root);
	int rc = 0;
	if (!text)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	size_t n = strlen(text);
	text[n] = '\n'; /* the NUL becomes the final newline */
	if (out && strcmp(out, "-") != 0)
		rc = write_file_atomic(out, text, n + 1, err);
	else if (fwrite(text, 1, n + 1, stdout) != n + 1 || fflush(stdout) != 0)
		rc = bb_fail(err, BB_EIO, "stdout: write failed");
	free(text);
	return rc;
}

// ---- in this process ----

static void progress(void *ctx, const char *phase, long done, long total)
{
	(void)ctx;
	if (done == 0 && !strcmp(phase, "reference"))
		fprintf(stderr, "kld: computing the reference of %ld tokens\n", total);
	else if (done > 0 && isatty(STDERR_FILENO))
		fprintf(stderr, "\rkld: %s %ld/%ld tokens%s", phase, done, total,
			done == total ? "\n" : "");
}

static int run_local(const struct kld_opts *o, const char *text_path, const char *calib_path,
		     cJSON **result, struct bb_error *err)
{
	struct recipe recipe;
	char *text = NULL, *calib = NULL;
	bool has_recipe = false;
	struct kld_job j = {.model_dir = o->model, .model_label = o->model,
			    .recipe_label = o->recipe, .text_label = text_path,
			    .calib_label = calib_path, .context = (int)o->context,
			    .cache_dir = o->cache, .progress = progress};
	int rc = 0;
	if (o->recipe && !o->force)
		rc = cli_check_recipe_model(o->recipe, o->model, err);
	if (!rc && o->recipe && !(rc = recipe_read(&recipe, o->recipe, err)))
		has_recipe = true;
	if (!rc && !(rc = read_text_file(text_path, &text, err)) &&
	    !(rc = read_text_file(calib_path, &calib, err))) {
		j.recipe = has_recipe ? &recipe : NULL;
		j.text = text;
		j.calib_text = calib;
		rc = kld_job_run(&j, result, err);
	}
	if (has_recipe)
		recipe_free(&recipe);
	free(text);
	free(calib);
	return rc;
}

// ---- on an endpoint ----

/* The kld job (docs/endpoint.md): the model as named (relative to the endpoint's models
 * root), the recipe and the text read here and sent inline; without --text the endpoint's
 * own evaluation text. */
static int job_json(cJSON **out, const struct kld_opts *o, struct bb_error *err)
{
	struct job_spec s = {.kind = JOB_KLD, .model = (char *)o->model,
			     .context = (int)o->context};
	int rc = 0;
	if (o->recipe && !(rc = recipe_read(&s.recipe, o->recipe, err)))
		s.has_recipe = true;
	if (!rc && o->text)
		rc = read_text_file(o->text, &s.eval_text, err);
	if (!rc && !(*out = job_spec_to_json(&s)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (s.has_recipe)
		recipe_free(&s.recipe);
	free(s.eval_text);
	return rc;
}

static int run_remote(const struct kld_opts *o, cJSON **result, struct bb_error *err)
{
	struct client cl = {0};
	const char *token = o->token ? o->token : getenv("BB_TOKEN");
	struct client_config cc = {.base_url = o->endpoint,
				   .token = token && *token ? token : NULL};
	cJSON *job = NULL;
	int rc = cc.token ? server_check_token(cc.token, err) : 0;
	if (!rc && !(rc = job_json(&job, o, err)) && !(rc = client_init(&cl, &cc, err)))
		rc = client_run_job(&cl, job, NULL, NULL, result, err);
	cJSON_Delete(job);
	client_free(&cl);
	return rc;
}

// ---- the command ----

/* The summary's main figures, for a person; the JSON has every one at full precision. */
static void print_summary(const cJSON *root)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "summary");
	double v[6];
	const char *const keys[] = {"mean_kld", "se_kld", "se_kld_documents",
				    "top1_agreement_pct", "ref_perplexity", "perplexity"};
	for (int i = 0; i < 6; i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(s, keys[i]);
		v[i] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
	}
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "n_tokens");
	fprintf(stderr, "kld: %.0f tokens, mean KLD %.4f (se %.4f, by document %.4f), "
		"top-1 %.1f%%, perplexity %.2f -> %.2f\n", cJSON_IsNumber(n) ? n->valuedouble : 0,
		v[0], v[1], v[2], v[3], v[4], v[5]);
}

int cmd_kld(int argc, char **argv)
{
	struct kld_opts o = {.cache = "results/reference"};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	cJSON *result = NULL;
	bool remote = o.endpoint && strcmp(o.endpoint, "local");
	char *text_path = o.text ? strdup(o.text) : build_path("experiments/eval/default.txt");
	char *calib_path = o.calib ? strdup(o.calib)
				   : build_path("experiments/calibration/default.txt");
	int rc = o.out && strcmp(o.out, "-") ? output_check_file(o.out, &err) : 0;
	if (!rc && remote) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = run_remote(&o, &result, &err);
		curl_global_cleanup();
	} else if (!rc)
		rc = run_local(&o, text_path, calib_path, &result, &err);
	if (!rc)
		rc = write_answer(result, o.out, &err);
	if (!rc)
		print_summary(result);
	cJSON_Delete(result);
	free(text_path);
	free(calib_path);
	return rc ? cli_print_error(&err) : 0;
}
