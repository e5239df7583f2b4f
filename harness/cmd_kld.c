/*
 * cmd_kld.c: `bitbudget kld`: how far a model quantized by a recipe is from the model
 * itself over a held-out text: mean KLD with its standard errors, percentiles, top-1
 * agreement and perplexities, overall and per document (engine/model/kld.h), as one JSON object.
 *
 * The text is split into documents on blank lines; each is scored in lm-eval's rolling
 * windows. The unquantized side is read from a reference file under its content key in
 * the cache folder, computed and written there first when absent ("reference":
 * "computed", else "cached"). The report also counts the 13-grams the text shares with
 * the calibration text. Writes nothing but the reference file and -o, both atomically;
 * never writes a partial output (bad input: one line, exit 2, nothing written).
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "engine/model/kld.h"
#include "engine/model/model.h"
#include "engine/model/overlap.h"
#include "engine/tokenizer/tokenizer.h"
#include "harness/cli.h"
#include "harness/commands.h"

#define OVERLAP_ORDER 13 /* the n of the n-grams compared (GPT-3's contamination check) */

struct kld_opts {
	const char *model;
	const char *recipe;     /* NULL: the model against itself */
	const char *text;       /* NULL: experiments/eval/default.txt of this build */
	const char *calib;      /* NULL: experiments/calibration/default.txt of this build */
	const char *cache;
	const char *out;
	long context;           /* 0: the model's length */
	bool force;
};

static const char usage[] =
	"usage: bitbudget kld --model M [--recipe R] [--text FILE] [--context N]\n"
	"                     [--cache DIR] [--calib FILE] [-o OUT]\n"
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
	"  -o OUT          write the JSON to OUT atomically (default: stdout)\n";

static int parse_args(struct kld_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'}, {"recipe", required_argument, NULL, 'r'},
		{"text", required_argument, NULL, 't'},  {"calib", required_argument, NULL, 'C'},
		{"cache", required_argument, NULL, 'c'}, {"context", required_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},       {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char **dst[128] = {['m'] = &o->model, ['r'] = &o->recipe, ['t'] = &o->text,
				 ['C'] = &o->calib, ['c'] = &o->cache, ['o'] = &o->out};
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

/* rel under the folder this binary was built in (bin/..), as scores finds its default
 * calibration text; rel itself when /proc/self/exe cannot be read. */
static char *build_path(const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return strdup(rel);
	exe[n] = 0;
	return path_join(dirname(dirname(exe)), rel);
}

// ---- the text: documents and their tokens ----

struct documents {
	int n;
	char **text;   /* (n) each document's lines, joined by newlines */
	int **ids;     /* (n) its tokens, without BOS */
	int *n_ids;    /* (n) */
};

static void documents_free(struct documents *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->text[i]);
		free(d->ids ? d->ids[i] : NULL);
	}
	free(d->text);
	free(d->ids);
	free(d->n_ids);
	*d = (struct documents){0};
}

static bool blank_line(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\v\f", s[i]))
			return false;
	return true;
}

static int add_document(struct documents *d, const char *s, size_t len, struct bb_error *err)
{
	char **text = realloc(d->text, (size_t)(d->n + 1) * sizeof *text);
	if (!text)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	d->text = text;
	if (!(d->text[d->n] = strndup(s, len)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	d->n++;
	return 0;
}

/* Documents are maximal runs of non-blank lines; a blank line holds only spaces, tabs,
 * carriage returns, vertical tabs and form feeds. */
static int split_documents(const char *text, struct documents *d, struct bb_error *err)
{
	const char *doc = NULL, *end = NULL;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n'), *next = nl ? nl + 1 : line + strlen(line);
		size_t len = (size_t)((nl ? nl : next) - line);
		if (!blank_line(line, len)) {
			doc = doc ? doc : line;
			end = line + len;
		} else if (doc) {
			if (add_document(d, doc, (size_t)(end - doc), err))
				return -1;
			doc = NULL;
		}
		line = next;
	}
	return doc ? add_document(d, doc, (size_t)(end - doc), err) : 0;
}

static int read_documents(const char *path, const struct tokenizer *tok, struct documents *d,
			  struct bb_error *err)
{
	char *text;
	size_t len;
	int rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	if (strlen(text) != len)
		rc = bb_fail(err, BB_EFORMAT, "'%s': holds a NUL byte: not a text file", path);
	if (!rc)
		rc = split_documents(text, d, err);
	free(text);
	if (!rc && d->n == 0)
		rc = bb_fail(err, BB_EINVAL, "'%s': no documents (only blank lines)", path);
	if (!rc && tok) {
		d->ids = calloc((size_t)d->n, sizeof *d->ids);
		d->n_ids = calloc((size_t)d->n, sizeof *d->n_ids);
		rc = d->ids && d->n_ids ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	}
	for (int i = 0; !rc && tok && i < d->n; i++)
		rc = tokenizer_encode(tok, d->text[i], strlen(d->text[i]), 0, &d->ids[i],
				      &d->n_ids[i], err);
	return rc;
}

// ---- overlap with the calibration text ----

struct overlap {
	long shared_tokens, shared_words;  /* distinct 13-grams of the text also in calib */
	long text_tokens, text_words;      /* distinct 13-grams of the text */
};

/* The n-grams of every document of d, of its tokens into ids and of its words into words. */
static int add_ngrams(struct ngram_set *ids, struct ngram_set *words, const struct documents *d,
		      struct bb_error *err)
{
	int rc = 0;
	for (int i = 0; !rc && i < d->n; i++)
		if (!(rc = ngram_add_ids(ids, d->ids[i], d->n_ids[i], err)))
			rc = ngram_add_words(words, d->text[i], strlen(d->text[i]), err);
	ngram_set_finish(ids);
	ngram_set_finish(words);
	return rc;
}

static int count_overlap(const char *calib_path, const struct tokenizer *tok,
			 const struct documents *text, struct overlap *ov, struct bb_error *err)
{
	struct documents calib = {0};
	struct ngram_set ct, cw, tt, tw;
	ngram_set_init(&ct, OVERLAP_ORDER);
	ngram_set_init(&cw, OVERLAP_ORDER);
	ngram_set_init(&tt, OVERLAP_ORDER);
	ngram_set_init(&tw, OVERLAP_ORDER);
	int rc = read_documents(calib_path, tok, &calib, err);
	if (!rc)
		rc = add_ngrams(&ct, &cw, &calib, err);
	if (!rc)
		rc = add_ngrams(&tt, &tw, text, err);
	if (!rc)
		*ov = (struct overlap){.shared_tokens = ngram_shared(&tt, &ct),
				       .shared_words = ngram_shared(&tw, &cw),
				       .text_tokens = tt.n, .text_words = tw.n};
	ngram_set_free(&ct);
	ngram_set_free(&cw);
	ngram_set_free(&tt);
	ngram_set_free(&tw);
	documents_free(&calib);
	return rc;
}

// ---- the reference ----

static void progress(void *ctx, long done, long total)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rkld: %s %ld/%ld tokens%s", (const char *)ctx, done, total,
			done == total ? "\n" : "");
}

/* Open the cached reference of key, computing it first when there is none. */
static int ensure_reference(const struct kld_opts *o, struct model *self,
			    const struct kld_text *t, const char *key, const char *path, int V,
			    bool *cached, struct kld_reference **ref, struct bb_error *err)
{
	long n = kld_text_positions(t);
	*cached = file_exists(path);
	if (*cached)
		return kld_reference_open(ref, path, key, n, V, err);
	if (make_dirs(o->cache) != 0)
		return bb_fail(err, BB_EIO, "'%s': cannot create the cache folder", o->cache);
	fprintf(stderr, "kld: computing the reference of %ld tokens into %s\n", n, path);
	struct model *m = self;
	int rc = m ? 0 : model_open(&m, NULL, o->model, NULL, err);
	if (!rc)
		rc = kld_reference_write(m, t, key, path, progress, "reference", err);
	if (m != self)
		model_free(m);
	return rc ? rc : kld_reference_open(ref, path, key, n, V, err);
}

// ---- the answer ----

static void add_number(cJSON *o, const char *name, double v)
{
	cJSON_AddItemToObject(o, name, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

static cJSON *summary_json(const struct kld_summary *s)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "n_tokens", (double)s->n_tokens);
	add_number(j, "mean_kld", s->mean_kld);
	add_number(j, "se_kld", s->se_kld);
	add_number(j, "se_kld_documents", s->se_kld_documents);
	add_number(j, "median_kld", s->median_kld);
	add_number(j, "p90_kld", s->p90_kld);
	add_number(j, "p99_kld", s->p99_kld);
	add_number(j, "max_kld", s->max_kld);
	add_number(j, "top1_agreement_pct", 100 * s->top1_agreement);
	add_number(j, "ref_perplexity", s->ref_perplexity);
	add_number(j, "perplexity", s->perplexity);
	add_number(j, "perplexity_ratio", s->perplexity_ratio);
	add_number(j, "mean_delta_logprob", s->mean_delta_logprob);
	return j;
}

/* The summary overall and of every document. */
static int add_summaries(cJSON *root, const struct kld_position *pos, const struct kld_text *t,
			 struct kld_summary *overall, struct bb_error *err)
{
	long *start = malloc((size_t)(t->n_docs + 1) * sizeof *start);
	struct kld_summary s;
	if (!start)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	start[0] = 0;
	for (int d = 0; d < t->n_docs; d++)
		start[d + 1] = start[d] + t->n_ids[d];
	int rc = kld_summarize(pos, start[t->n_docs], start, t->n_docs, overall, err);
	if (!rc)
		cJSON_AddItemToObject(root, "summary", summary_json(overall));
	cJSON *docs = cJSON_AddArrayToObject(root, "documents");
	for (int d = 0; !rc && d < t->n_docs; d++)
		if (!(rc = kld_summarize(pos + start[d], t->n_ids[d], NULL, 1, &s, err)))
			cJSON_AddItemToArray(docs, summary_json(&s));
	free(start);
	return rc;
}

static cJSON *header_json(const struct kld_opts *o, const char *text_path,
			  const char *calib_path, const struct kld_text *t, const char *key,
			  const char *ref_path, bool cached, const struct overlap *ov)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "model", o->model);
	cJSON_AddItemToObject(root, "recipe", o->recipe ? cJSON_CreateString(o->recipe)
							  : cJSON_CreateNull());
	cJSON_AddStringToObject(root, "text", text_path);
	cJSON_AddNumberToObject(root, "context", t->context);
	cJSON_AddNumberToObject(root, "n_documents", t->n_docs);
	cJSON_AddNumberToObject(root, "n_tokens", (double)kld_text_positions(t));
	cJSON_AddStringToObject(root, "reference", cached ? "cached" : "computed");
	cJSON_AddStringToObject(root, "reference_key", key);
	cJSON_AddStringToObject(root, "reference_file", ref_path);
	cJSON *ovj = cJSON_AddObjectToObject(root, "overlap");
	cJSON_AddStringToObject(ovj, "calibration", calib_path);
	cJSON_AddNumberToObject(ovj, "n", OVERLAP_ORDER);
	cJSON_AddNumberToObject(ovj, "shared_token_ngrams", (double)ov->shared_tokens);
	cJSON_AddNumberToObject(ovj, "text_token_ngrams", (double)ov->text_tokens);
	cJSON_AddNumberToObject(ovj, "shared_word_ngrams", (double)ov->shared_words);
	cJSON_AddNumberToObject(ovj, "text_word_ngrams", (double)ov->text_words);
	return root;
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

// ---- the command ----

struct run {
	struct kld_opts o;
	char *text_path, *calib_path, *ref_path;
	struct model *q;           /* the measured model: M, quantized by R when given */
	struct tokenizer *tok;
	struct documents docs;
	struct kld_text t;
	struct kld_reference *ref;
	struct kld_position *pos;
	struct overlap ov;
	char key[SHA256_HEX_LEN];
	bool cached;
};

static int load_inputs(struct run *r, struct bb_error *err)
{
	struct checkpoint ck;
	char model_id[SHA256_HEX_LEN];
	if ((r->o.out && strcmp(r->o.out, "-") && output_check_file(r->o.out, err)) ||
	    (r->o.recipe && !r->o.force && cli_check_recipe_model(r->o.recipe, r->o.model, err)) ||
	    checkpoint_open(&ck, r->o.model, err))
		return -1;
	checkpoint_identity(&ck, model_id);
	checkpoint_close(&ck);
	if (model_open(&r->q, &r->tok, r->o.model, r->o.recipe, err) ||
	    read_documents(r->text_path, r->tok, &r->docs, err))
		return -1;
	int L = model_max_length(r->q), bos = tokenizer_bos(r->tok);
	if (r->o.context > L)
		return bb_fail(err, BB_EINVAL, "--context %ld: longer than the model's %d tokens",
			       r->o.context, L);
	r->t = (struct kld_text){.n_docs = r->docs.n, .ids = r->docs.ids, .n_ids = r->docs.n_ids,
				 .prefix_id = bos >= 0 ? bos : tokenizer_eos(r->tok),
				 .context = r->o.context ? (int)r->o.context : L};
	kld_reference_key(model_id, &r->t, r->key);
	char name[SHA256_HEX_LEN + 8];
	snprintf(name, sizeof name, "%s.bin", r->key);
	r->ref_path = path_join(r->o.cache, name);
	return count_overlap(r->calib_path, r->tok, &r->docs, &r->ov, err);
}

/* The reference (cached or computed), the measuring pass, the answer. Without a recipe
 * the measured model is the reference model itself, which also computes the reference. */
static int measure(struct run *r, struct bb_error *err)
{
	int V = model_config(r->q)->vocab_size;
	long n = kld_text_positions(&r->t);
	int rc = ensure_reference(&r->o, r->o.recipe ? NULL : r->q, &r->t, r->key, r->ref_path,
				  V, &r->cached, &r->ref, err);
	if (!rc && !(r->pos = calloc((size_t)n, sizeof *r->pos)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = kld_measure(r->q, &r->t, r->ref, r->pos, progress, "measured", err);
	if (rc)
		return rc;
	cJSON *root = header_json(&r->o, r->text_path, r->calib_path, &r->t, r->key, r->ref_path,
				  r->cached, &r->ov);
	struct kld_summary s;
	rc = add_summaries(root, r->pos, &r->t, &s, err);
	if (!rc)
		rc = write_answer(root, r->o.out, err);
	cJSON_Delete(root);
	if (!rc) /* for a person; the JSON has every figure at full precision */
		fprintf(stderr, "kld: %ld tokens, mean KLD %.4f (se %.4f, by document %.4f), "
			"top-1 %.1f%%, perplexity %.2f -> %.2f\n", s.n_tokens, s.mean_kld, s.se_kld,
			s.se_kld_documents, 100 * s.top1_agreement, s.ref_perplexity, s.perplexity);
	return rc;
}

int cmd_kld(int argc, char **argv)
{
	struct run r = {.o = {.cache = "results/reference"}};
	int status = parse_args(&r.o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	r.text_path = r.o.text ? strdup(r.o.text) : build_path("experiments/eval/default.txt");
	r.calib_path = r.o.calib ? strdup(r.o.calib)
				 : build_path("experiments/calibration/default.txt");
	int rc = load_inputs(&r, &err);
	if (!rc)
		rc = measure(&r, &err);
	kld_reference_close(r.ref);
	free(r.pos);
	documents_free(&r.docs);
	model_free(r.q);
	tokenizer_free(r.tok);
	free(r.text_path);
	free(r.calib_path);
	free(r.ref_path);
	return rc ? cli_print_error(&err) : 0;
}
