/*
 * cmd_scores.c: `bitbudget scores --model M --options MXFP4,MXFP8 -o scores.json`:
 * per-layer sensitivity of every budget Linear to every option, the input of
 * `bitbudget recipe --scores` (core/scores.h reads the file).
 *   --method deltaloss (default): AutoRound's DeltaLoss on calibration text: the text is
 *     tokenized once (JSONL "text" fields joined by blank lines), cut into sequences of
 *     BOS + seqlen-1 tokens (no BOS if the tokenizer adds none), and nsamples of them
 *     are picked with --seed; too little text uses what there is, with a warning.
 *   --method proxy: data-free sum (W - Q(W))^2, a stand-in when no forward is affordable.
 * Progress goes to stderr. The file is written atomically, and never on error.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core/fileio.h"
#include "core/hash.h"
#include "core/version.h"
#include "engine/model/calib.h"
#include "engine/model/deltaloss.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/cli.h"
#include "harness/commands.h"

struct scores_opts {
	const char *model;
	const char *options;
	const char *calib;     /* NULL: experiments/calibration/default.txt beside bin/ */
	const char *out;
	enum score_method method;
	long nsamples, seqlen, batch, seed;
};

static const char usage[] =
	"usage: bitbudget scores --model M --options F1,F2,... -o OUT.json\n"
	"                        [--method deltaloss|proxy] [--calib FILE] [--nsamples N]\n"
	"                        [--seqlen N] [--batch N] [--seed N]\n"
	"  --model M        a Hugging Face folder with weights and tokenizer.json\n"
	"  --options LIST   formats to score, e.g. MXFP4,MXFP8 or W2G128,W4G128,BF16\n"
	"  -o, --output F   the scores file to write\n"
	"  --method M       deltaloss (default): first-order loss change on calibration text;\n"
	"                   proxy: data-free sum of squared weight quantization error\n"
	"  --calib FILE     plain text, or JSONL with a \"text\" field per line (default:\n"
	"                   experiments/calibration/default.txt of this build)\n"
	"  --nsamples N     calibration sequences (default 16)\n"
	"  --seqlen N       tokens per sequence (default 256)\n"
	"  --batch N        sequences per forward+backward (default 8, as AutoRound)\n"
	"  --seed N         which sequences are picked when the text has more (default 42)\n";

static int parse_number(int c, struct scores_opts *o)
{
	switch (c) {
	case 'n': return cli_parse_long("--nsamples", optarg, 1, 100000, &o->nsamples);
	case 's': return cli_parse_long("--seqlen", optarg, 2, 1 << 20, &o->seqlen);
	case 'b': return cli_parse_long("--batch", optarg, 1, 4096, &o->batch);
	default: return cli_parse_long("--seed", optarg, 0, LONG_MAX, &o->seed);
	}
}

static int parse_args(struct scores_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},  {"options", required_argument, NULL, 'O'},
		{"output", required_argument, NULL, 'o'}, {"method", required_argument, NULL, 'M'},
		{"calib", required_argument, NULL, 'c'},  {"nsamples", required_argument, NULL, 'n'},
		{"seqlen", required_argument, NULL, 's'}, {"batch", required_argument, NULL, 'b'},
		{"seed", required_argument, NULL, 'S'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char **dst[128] = {['m'] = &o->model, ['O'] = &o->options, ['o'] = &o->out,
				 ['c'] = &o->calib};
	int c;
	optind = 1;
	opterr = 0; /* one error line, ours */
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), 0;
		else if (c > 0 && c < 128 && dst[c])
			*dst[c] = optarg;
		else if (c == 'M' && (!strcmp(optarg, "deltaloss") || !strcmp(optarg, "proxy")))
			o->method = strcmp(optarg, "proxy") ? SCORE_DELTALOSS : SCORE_PROXY;
		else if (c == 'M')
			return cli_usage_error("scores: --method '%s' is not deltaloss or proxy", optarg);
		else if (c == 'n' || c == 's' || c == 'b' || c == 'S') {
			if (!parse_number(c, o))
				return 2;
		} else
			return cli_usage_error("scores: bad option '%s' (see --help)", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error("scores: unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->model || !o->options || !o->out)
		return cli_usage_error("scores: --model, --options and -o are required (see --help)");
	return -1;
}

/* One format of the list into cfg's options: known, not a repeat, not one too many. */
static int add_option(struct score_config *cfg, const char *name, struct bb_error *err)
{
	struct format f;
	if (cfg->n_options == RECIPE_MAX_OPTIONS)
		return bb_fail(err, BB_EINVAL, "--options: more than %d formats", RECIPE_MAX_OPTIONS);
	if (format_parse(&f, name, err))
		return BB_EINVAL;
	for (int k = 0; k < cfg->n_options; k++)
		if (!strcmp(cfg->options[k].name, f.name))
			return bb_fail(err, BB_EINVAL, "--options: '%s' is given twice", f.name);
	cfg->options[cfg->n_options++] = f;
	return 0;
}

/* "MXFP4,MXFP8" into cfg's options: known formats, no repeats. */
static int parse_options(struct score_config *cfg, const char *list, struct bb_error *err)
{
	char *copy = strdup(list), *save;
	int rc = copy ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	cfg->n_options = 0;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
	     tok = strtok_r(NULL, ",", &save))
		rc = add_option(cfg, tok, err);
	free(copy);
	if (!rc && !cfg->n_options)
		rc = bb_fail(err, BB_EINVAL, "--options: no format given");
	return rc;
}

// ---- calibration text ----

/* experiments/calibration/default.txt of the build this binary belongs to (bin/..). */
static char *default_calib_path(void)
{
	char *path = cli_build_path("experiments/calibration/default.txt");
	return path ? path : strdup("experiments/calibration/default.txt");
}

/* A JSONL file's "text" fields joined by blank lines, in place of its content. Each
 * decoded text plus its separator is shorter than its line, so the output fits. */
static int jsonl_text(char **text, const char *path, struct bb_error *err)
{
	char *out = malloc(strlen(*text) + 1), *save = NULL;
	size_t len = 0;
	int line = 0;
	if (!out)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (char *l = strtok_r(*text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(l);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
		line++;
		if (!cJSON_IsString(t)) {
			cJSON_Delete(j);
			free(out);
			return bb_fail(err, BB_EFORMAT, "'%s': line %d has no \"text\" string", path, line);
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? "\n\n" : "", t->valuestring);
		cJSON_Delete(j);
	}
	free(*text);
	*text = out;
	return 0;
}

struct calib {
	struct calib_set set;
	char *path;        /* malloc'd: the calibration file, as read */
	char sha256[65];   /* of its bytes, for provenance */
};

/* The sequences scored (engine/model/calib.c), with a warning when the text is short. */
static int calib_sequences(struct calib *c, const struct scores_opts *o, const int *ids,
			   int n, int bos, const char *path, struct bb_error *err)
{
	struct bb_error inner;
	int rc = calib_cut(&c->set, ids, n, bos, (int)o->nsamples, (int)o->seqlen,
			   (uint64_t)o->seed, &inner);
	if (rc)
		return bb_fail(err, rc, "'%s': %s", path, inner.msg);
	if (c->set.available < o->nsamples)
		fprintf(stderr, "warning: '%s' gives only %d sequences of %ld tokens (asked for %ld); "
			"using %d\n", path, c->set.available, o->seqlen, o->nsamples, c->set.nseq);
	return 0;
}

static int load_calib(struct calib *c, const struct scores_opts *o, const struct tokenizer *tok,
		      struct bb_error *err)
{
	char *path = o->calib ? strdup(o->calib) : default_calib_path(), *text = NULL;
	size_t len = 0;
	int *ids = NULL, n = 0, rc = path ? read_file(path, &text, &len, err)
					  : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc) {
		sha256_hex(text, len, c->sha256);
		c->path = strdup(path);
		if (!c->path)
			rc = bb_fail(err, BB_ENOMEM, "out of memory");
	}
	const char *first = text ? text + strspn(text, " \t\r\n") : NULL;
	if (!rc && !*first)
		rc = bb_fail(err, BB_EINVAL, "'%s': the calibration text is empty", path);
	if (!rc && *first == '{')
		rc = jsonl_text(&text, path, err);
	if (!rc)
		rc = tokenizer_encode(tok, text, strlen(text), 0, &ids, &n, err);
	int bos = tokenizer_adds_bos(tok) ? tokenizer_bos(tok) : -1;
	if (!rc)
		rc = calib_sequences(c, o, ids, n, bos, path, err);
	if (!rc)
		fprintf(stderr, "scores: %d sequences of %ld tokens from '%s'\n", c->set.nseq, o->seqlen,
			path);
	free(ids);
	free(text);
	free(path);
	return rc;
}

// ---- output ----

static void progress(void *ctx, int option, int batch, int n_batches, double loss)
{
	const struct score_config *cfg = ctx;
	fprintf(stderr, "scores: %s batch %d/%d: loss %.4f\n", cfg->options[option].name, batch + 1,
		n_batches, loss);
}

static cJSON *result_json(const struct scores_opts *o, const struct score_config *cfg,
			  const struct score_result *res, const struct calib *c)
{
	int nseq = c->set.nseq;
	cJSON *root = cJSON_CreateObject(), *opts = cJSON_AddArrayToObject(root, "options");
	for (int k = 0; k < cfg->n_options; k++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(cfg->options[k].name));
	bool dl = cfg->method == SCORE_DELTALOSS;
	cJSON_AddStringToObject(root, "method", dl ? "deltaloss" : "proxy");
	cJSON_AddStringToObject(root, "model", o->model);
	cJSON_AddStringToObject(root, "bitbudget", BITBUDGET_VERSION);
	if (dl) {
		cJSON_AddNumberToObject(root, "nsamples", nseq);
		cJSON_AddNumberToObject(root, "seqlen", (double)o->seqlen);
		cJSON_AddNumberToObject(root, "seed", (double)o->seed);
		cJSON_AddNumberToObject(root, "batch", (double)o->batch);
		cJSON_AddStringToObject(root, "calib", c->path);
		cJSON_AddStringToObject(root, "calib_sha256", c->sha256);
		cJSON *loss = cJSON_AddObjectToObject(root, "loss");
		for (int k = 0; k < cfg->n_options; k++)
			if (cfg->options[k].kind != FMT_KEEP)
				cJSON_AddNumberToObject(loss, cfg->options[k].name, res->loss[k]);
	}
	score_result_add_json(root, res, cfg->options, cfg->n_options);
	return root;
}

static int write_scores_file(const struct scores_opts *o, const struct score_config *cfg,
			     const struct score_result *res, const struct calib *c, struct bb_error *err)
{
	for (int i = 0; i < res->n_layers; i++)
		for (int k = 0; k < cfg->n_options; k++)
			if (!isfinite(res->layers[i].score[k]))
				return bb_fail(err, BB_EINVAL, "layer '%s': %s score is not finite (the "
					       "quantized model diverges)", res->layers[i].name,
					       cfg->options[k].name);
	cJSON *root = result_json(o, cfg, res, c);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	size_t len = strlen(text);
	text[len] = '\n';
	int rc = write_file_atomic(o->out, text, len + 1, err);
	free(text);
	return rc;
}

// ---- the command ----

static int run(const struct scores_opts *o, struct score_config *cfg, struct bb_error *err)
{
	struct model *m = NULL;
	struct tokenizer *tok = NULL;
	struct calib c = {0};
	struct score_result res = {0};
	bool dl = cfg->method == SCORE_DELTALOSS;
	int rc = output_check_file(o->out, err); /* before the work, not after it */
	if (!rc)
		rc = model_open(&m, dl ? &tok : NULL, o->model, NULL, err);
	if (!rc && dl)
		rc = load_calib(&c, o, tok, err);
	if (!rc)
		rc = model_scores(m, cfg, c.set.tokens, c.set.nseq, (int)o->seqlen, &res, err);
	if (!rc)
		rc = write_scores_file(o, cfg, &res, &c, err);
	if (!rc)
		fprintf(stderr, "scores: wrote '%s'\n", o->out);
	score_result_free(&res);
	calib_free(&c.set);
	free(c.path);
	tokenizer_free(tok);
	model_free(m);
	return rc;
}

int cmd_scores(int argc, char **argv)
{
	struct scores_opts o = {.method = SCORE_DELTALOSS, .nsamples = 16, .seqlen = 256,
				.batch = 8, .seed = 42};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct score_config cfg = {.method = o.method, .batch = (int)o.batch};
	cfg.progress = progress;
	cfg.progress_ctx = &cfg;
	if (parse_options(&cfg, o.options, &err) || run(&o, &cfg, &err))
		return cli_print_error(&err);
	return 0;
}
