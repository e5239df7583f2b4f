/*
 * cmd_loglik.c: `bitbudget loglik`: lm-eval's two log-likelihood requests from the
 * command line, printed as one JSON object.
 *   --context C --continuation X   loglikelihood: {"logprob", "is_greedy", "n_tokens"}
 *   --rolling TEXT                 loglikelihood_rolling: logprob, token and word
 *                                  perplexity, bits per byte (wikitext's metrics)
 * Tokenized as the evaluator tokenizes a request (engine/tasks/encode_pair.h: lm-eval's
 * _encode_pair, BOS, the empty-context prefix). Never writes a file.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "engine/model/loglik.h"
#include "engine/model/model.h"
#include "engine/tasks/encode_pair.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/cli.h"
#include "harness/commands.h"

struct loglik_opts {
	const char *model;
	const char *recipe;
	const char *context;
	const char *continuation;
	const char *rolling;
	int add_bos;      /* -1 the tokenizer's default, 0 no, 1 yes */
	bool truncate;    /* drop the oldest context tokens past the model's length, as lm-eval */
	bool force;       /* apply a recipe whose manifest names another model */
};

static const char usage[] =
	"usage: bitbudget loglik --model M [--recipe R] [--add-bos | --no-add-bos]\n"
	"                        (--context C --continuation X | --rolling TEXT)\n"
	"  --model M           a Hugging Face folder with weights and tokenizer.json\n"
	"  --recipe R          evaluate M quantized by recipe R (weights and activations)\n"
	"  --force             apply R even if its manifest names another model\n"
	"  --context C         with --continuation X: log P(X | C) summed over X's tokens, and\n"
	"                      whether X is the greedy continuation, as lm-eval's loglikelihood\n"
	"  --rolling TEXT      log P(TEXT) over lm-eval's rolling windows, with perplexities\n"
	"                      and bits per byte, as lm-eval's loglikelihood_rolling\n"
	"  --add-bos           with --context: put BOS first; --no-add-bos: never (default: the\n"
	"                      tokenizer's choice); --rolling always starts from BOS alone\n"
	"  --truncate          with --context: drop the oldest context tokens when context and\n"
	"                      continuation exceed the model's length, as lm-eval does (default:\n"
	"                      an error, so a too-long input is never scored silently)\n";

static int parse_args(struct loglik_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},
		{"recipe", required_argument, NULL, 'r'},
		{"context", required_argument, NULL, 'c'},
		{"continuation", required_argument, NULL, 'x'},
		{"rolling", required_argument, NULL, 'R'},
		{"add-bos", no_argument, NULL, 'b'},
		{"no-add-bos", no_argument, NULL, 'B'},
		{"truncate", no_argument, NULL, 't'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char **dst[128] = {['m'] = &o->model, ['r'] = &o->recipe, ['c'] = &o->context,
				 ['x'] = &o->continuation, ['R'] = &o->rolling};
	int c;
	optind = 1;
	opterr = 0; /* one error line, ours */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), 0;
		if (c == 'b' || c == 'B')
			o->add_bos = c == 'b';
		else if (c == 't' || c == 'f')
			*(c == 't' ? &o->truncate : &o->force) = true;
		else if (c > 0 && c < 128 && dst[c])
			*dst[c] = optarg;
		else
			return cli_usage_error("loglik: bad option '%s' (see --help)", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("loglik: unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->model)
		return cli_usage_error("loglik: --model is required (see --help)");
	if (!o->rolling == !(o->context || o->continuation) || !o->context != !o->continuation)
		return cli_usage_error("loglik: give --context with --continuation, or --rolling "
				       "alone (see --help)");
	return -1;
}

// ---- the two modes ----

static void print_json(cJSON *root)
{
	char *text = cJSON_PrintUnformatted(root);
	puts(text);
	free(text);
	cJSON_Delete(root);
}

static int run_pair(const struct loglik_opts *o, const struct model *m,
		    const struct tokenizer *tok, struct bb_error *err)
{
	struct encode_policy policy;
	struct pair_tokens pt = {0};
	double lp = 0;
	bool greedy = false;
	int rc = encode_policy_for(tok, o->add_bos, &policy, err);
	if (!rc)
		rc = encode_pair(tok, &policy, o->context, o->continuation, NULL, &pt, err);
	int limit = model_max_length(m) + 1; /* lm-eval feeds (ctx + cont)[-(L + 1):][:-1] */
	if (!rc && !o->truncate && pt.n_ctx + pt.n_cont > limit)
		rc = bb_fail(err, BB_EINVAL,
			     "loglik: context and continuation are %d tokens, longer than the model's %d (use --truncate to drop the oldest, as lm-eval does)",
			     pt.n_ctx + pt.n_cont, limit - 1);
	if (!rc)
		rc = model_loglik(m, pt.ctx, pt.n_ctx, pt.cont, pt.n_cont, &lp, &greedy, err);
	if (!rc) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "logprob", lp);
		cJSON_AddBoolToObject(root, "is_greedy", greedy);
		cJSON_AddNumberToObject(root, "n_tokens", pt.n_cont);
		print_json(root);
	}
	pair_tokens_free(&pt);
	return rc;
}

/* Words as lm-eval's wikitext counts them: len(re.split(r"\s+", text)). */
static long count_words(const char *s)
{
	long n = 1;
	for (; *s; s++)
		if (strchr(" \t\n\r\v\f", *s) && !(s[1] && strchr(" \t\n\r\v\f", s[1])))
			n++;
	return n;
}

static int run_rolling(const struct loglik_opts *o, const struct model *m,
		       const struct tokenizer *tok, struct bb_error *err)
{
	int *ids = NULL, n = 0;
	size_t bytes = strlen(o->rolling);
	double lp = 0;
	int prefix = tokenizer_bos(tok) >= 0 ? tokenizer_bos(tok) : tokenizer_eos(tok);
	int rc = tokenizer_encode(tok, o->rolling, bytes, 0, &ids, &n, err);
	if (!rc)
		rc = model_loglik_rolling(m, ids, n, prefix, &lp, err);
	if (!rc) {
		long words = count_words(o->rolling);
		cJSON *root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "logprob", lp);
		cJSON_AddNumberToObject(root, "n_tokens", n);
		cJSON_AddNumberToObject(root, "n_words", (double)words);
		cJSON_AddNumberToObject(root, "n_bytes", (double)bytes);
		cJSON_AddNumberToObject(root, "token_perplexity", exp(-lp / n));
		cJSON_AddNumberToObject(root, "word_perplexity", exp(-lp / (double)words));
		cJSON_AddNumberToObject(root, "bits_per_byte", -lp / (double)bytes / log(2.0));
		print_json(root);
	}
	free(ids);
	return rc;
}

int cmd_loglik(int argc, char **argv)
{
	struct loglik_opts o = {.add_bos = -1};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct model *m;
	struct tokenizer *tok;
	if (cli_open_model(o.model, o.recipe, o.force, &m, &tok, &err))
		return cli_print_error(&err);
	int rc = o.rolling ? run_rolling(&o, m, tok, &err) : run_pair(&o, m, tok, &err);
	model_free(m);
	tokenizer_free(tok);
	return rc ? cli_print_error(&err) : 0;
}
