/*
 * cmd_generate.c: `bitbudget generate --model M [--recipe R] [--prompt TEXT]
 * [--max-tokens N] [--add-bos|--no-add-bos]`: greedy decoding, printing the prompt and
 * its continuation as text (special tokens left out), stopping at EOS.
 * Reads the model; never writes a file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/model.h"
#include "engine/model/session.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/cli.h"
#include "harness/commands.h"

struct generate_opts {
	const char *model;
	const char *recipe;
	const char *prompt;
	long max_tokens;
	int add_bos;      /* -1 the tokenizer's default, 0 no, 1 yes */
	bool force;       /* apply a recipe whose manifest names another model */
};

static const char usage[] =
	"usage: bitbudget generate --model M [--recipe R] [--prompt TEXT] [--max-tokens N]\n"
	"                          [--add-bos | --no-add-bos]\n"
	"  --model M        a Hugging Face folder with weights and tokenizer.json\n"
	"  --recipe R       evaluate M quantized by recipe R (weights and activations)\n"
	"  --force          apply R even if its manifest names another model\n"
	"  --prompt TEXT    text to continue (default: empty, i.e. BOS alone)\n"
	"  --max-tokens N   new tokens at most, 1 to 100000 (default 64); EOS stops earlier\n"
	"  --add-bos        put BOS first; --no-add-bos: never (default: the tokenizer's choice)\n";

static int parse_args(struct generate_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},   {"recipe", required_argument, NULL, 'r'},
		{"prompt", required_argument, NULL, 'p'},  {"max-tokens", required_argument, NULL, 'n'},
		{"add-bos", no_argument, NULL, 'b'},       {"no-add-bos", no_argument, NULL, 'B'},
		{"force", no_argument, NULL, 'f'},         {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	opterr = 0; /* one error line, ours */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'm')
			o->model = optarg;
		else if (c == 'r')
			o->recipe = optarg;
		else if (c == 'p')
			o->prompt = optarg;
		else if (c == 'n') {
			if (!cli_parse_long("--max-tokens", optarg, 1, 100000, &o->max_tokens))
				return 2;
		} else if (c == 'b' || c == 'B')
			o->add_bos = c == 'b';
		else if (c == 'f')
			o->force = true;
		else if (c == 'h')
			return fputs(usage, stdout), 0;
		else
			return cli_usage_error("generate: bad option '%s' (see --help)", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("generate: unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->model)
		return cli_usage_error("generate: --model is required (see --help)");
	return -1;
}

/* Encode the prompt, generate, and print the decoded prompt + continuation. */
static int run(const struct generate_opts *o, const struct model *m, const struct tokenizer *tok,
	       struct bb_error *err)
{
	int *ids = NULL, n = 0, n_new = 0;
	char *text = NULL;
	int rc = tokenizer_encode(tok, o->prompt, strlen(o->prompt), o->add_bos, &ids, &n, err);
	if (!rc && n == 0)
		rc = bb_fail(err, BB_EINVAL, "generate: the prompt is empty and no BOS is added "
			     "(nothing to continue)");
	int *all = rc ? NULL : realloc(ids, (size_t)(n + o->max_tokens) * sizeof(int));
	if (!rc && !all)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (all)
		ids = all;
	if (!rc)
		rc = model_generate(m, ids, n, (int)o->max_tokens, tokenizer_eos(tok), ids + n, &n_new,
				    err);
	if (!rc)
		rc = tokenizer_decode_ex(tok, ids, n + n_new, TOKENIZER_SKIP_SPECIAL, &text, NULL, err);
	if (!rc)
		puts(text);
	free(text);
	free(ids);
	return rc;
}

int cmd_generate(int argc, char **argv)
{
	struct generate_opts o = {.prompt = "", .max_tokens = 64, .add_bos = -1};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct model *m;
	struct tokenizer *tok;
	if (cli_open_model(o.model, o.recipe, o.force, &m, &tok, &err))
		return cli_print_error(&err);
	int rc = run(&o, m, tok, &err);
	model_free(m);
	tokenizer_free(tok);
	return rc ? cli_print_error(&err) : 0;
}
