/*
 * kld_job.c: one KLD measurement, from the texts to the answer's JSON (kld_job.h). Moved
 * here from `bitbudget kld` so that the endpoint's kld jobs run the very same code.
 *
 * The text is split into documents on blank lines; each is scored in lm-eval's rolling
 * windows (engine/model/kld_reference.c). The unquantized side is read from a reference
 * file under its content key in the cache folder, computed and written there first when
 * absent ("reference": "computed", else "cached"). The answer also counts the 13-grams
 * the text shares with the calibration text. Never prints, never exits.
 */
#include "endpoint/kld_job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "engine/model/kld.h"
#include "engine/model/model.h"
#include "engine/model/overlap.h"
#include "engine/tokenizer/tokenizer.h"

#define OVERLAP_ORDER 13 /* the n of the n-grams compared (GPT-3's contamination check) */

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

/* The documents of text and their tokens; label names the text in errors. */
static int read_documents(const char *text, const char *label, const struct tokenizer *tok,
			  struct documents *d, struct bb_error *err)
{
	int rc = split_documents(text, d, err);
	if (!rc && d->n == 0)
		rc = bb_fail(err, BB_EINVAL, "'%s': no documents (only blank lines)", label);
	if (!rc) {
		d->ids = calloc((size_t)d->n, sizeof *d->ids);
		d->n_ids = calloc((size_t)d->n, sizeof *d->n_ids);
		rc = d->ids && d->n_ids ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	}
	for (int i = 0; !rc && i < d->n; i++)
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

static int count_overlap(const struct kld_job *j, const struct tokenizer *tok,
			 const struct documents *text, struct overlap *ov, struct bb_error *err)
{
	struct documents calib = {0};
	struct ngram_set ct, cw, tt, tw;
	ngram_set_init(&ct, OVERLAP_ORDER);
	ngram_set_init(&cw, OVERLAP_ORDER);
	ngram_set_init(&tt, OVERLAP_ORDER);
	ngram_set_init(&tw, OVERLAP_ORDER);
	int rc = read_documents(j->calib_text, j->calib_label, tok, &calib, err);
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

struct phase {
	const struct kld_job *j;
	const char *name;
};

static void on_progress(void *ctx, long done, long total)
{
	const struct phase *p = ctx;
	if (p->j->progress)
		p->j->progress(p->j->progress_ctx, p->name, done, total);
}

/* Open the cached reference of key, computing it first when there is none; self, when
 * not NULL, is the unquantized model already loaded. */
static int ensure_reference(const struct kld_job *j, struct model *self,
			    const struct kld_text *t, const char *key, const char *path, int V,
			    bool *cached, struct kld_reference **ref, struct bb_error *err)
{
	long n = kld_text_positions(t);
	struct phase ph = {j, "reference"};
	*cached = file_exists(path);
	if (*cached)
		return kld_reference_open(ref, path, key, n, V, err);
	if (make_dirs(j->cache_dir) != 0)
		return bb_fail(err, BB_EIO, "'%s': cannot create the cache folder", j->cache_dir);
	on_progress(&ph, 0, n);
	struct model *m = self;
	int rc = m ? 0 : model_load(&m, j->model_dir, NULL, err);
	if (!rc)
		rc = kld_reference_write(m, t, key, path, on_progress, &ph, err);
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
			 struct bb_error *err)
{
	long *start = malloc((size_t)(t->n_docs + 1) * sizeof *start);
	struct kld_summary s;
	if (!start)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	start[0] = 0;
	for (int d = 0; d < t->n_docs; d++)
		start[d + 1] = start[d] + t->n_ids[d];
	int rc = kld_summarize(pos, start[t->n_docs], start, t->n_docs, &s, err);
	if (!rc)
		cJSON_AddItemToObject(root, "summary", summary_json(&s));
	cJSON *docs = cJSON_AddArrayToObject(root, "documents");
	for (int d = 0; !rc && d < t->n_docs; d++)
		if (!(rc = kld_summarize(pos + start[d], t->n_ids[d], NULL, 1, &s, err)))
			cJSON_AddItemToArray(docs, summary_json(&s));
	free(start);
	return rc;
}

static cJSON *overlap_json(const struct kld_job *j, const struct overlap *ov)
{
	if (!j->calib_text)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "calibration", j->calib_label);
	cJSON_AddNumberToObject(o, "n", OVERLAP_ORDER);
	cJSON_AddNumberToObject(o, "shared_token_ngrams", (double)ov->shared_tokens);
	cJSON_AddNumberToObject(o, "text_token_ngrams", (double)ov->text_tokens);
	cJSON_AddNumberToObject(o, "shared_word_ngrams", (double)ov->shared_words);
	cJSON_AddNumberToObject(o, "text_word_ngrams", (double)ov->text_words);
	return o;
}

// ---- the measurement ----

struct run {
	const struct kld_job *j;
	char *ref_path;
	struct model *q;           /* the measured model: quantized by the recipe when given */
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
	const struct kld_job *j = r->j;
	struct checkpoint ck;
	char model_id[SHA256_HEX_LEN];
	if (checkpoint_open(&ck, j->model_dir, err))
		return -1;
	checkpoint_identity(&ck, model_id);
	checkpoint_close(&ck);
	if (model_load(&r->q, j->model_dir, j->recipe, err) ||
	    tokenizer_load(&r->tok, j->model_dir, err) ||
	    read_documents(j->text, j->text_label, r->tok, &r->docs, err))
		return -1;
	int L = model_max_length(r->q), bos = tokenizer_bos(r->tok);
	if (j->context > L)
		return bb_fail(err, BB_EINVAL, "context %d: longer than the model's %d tokens",
			       j->context, L);
	r->t = (struct kld_text){.n_docs = r->docs.n, .ids = r->docs.ids, .n_ids = r->docs.n_ids,
				 .prefix_id = bos >= 0 ? bos : tokenizer_eos(r->tok),
				 .context = j->context ? j->context : L};
	kld_reference_key(model_id, &r->t, r->key);
	char name[SHA256_HEX_LEN + 8];
	snprintf(name, sizeof name, "%s.bin", r->key);
	if (!(r->ref_path = path_join(j->cache_dir, name)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	return j->calib_text ? count_overlap(j, r->tok, &r->docs, &r->ov, err) : 0;
}

static cJSON *header_json(const struct run *r)
{
	const struct kld_job *j = r->j;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "model", j->model_label);
	cJSON_AddItemToObject(root, "recipe", j->recipe_label ? cJSON_CreateString(j->recipe_label)
							      : cJSON_CreateNull());
	cJSON_AddStringToObject(root, "text", j->text_label);
	cJSON_AddNumberToObject(root, "context", r->t.context);
	cJSON_AddNumberToObject(root, "n_documents", r->t.n_docs);
	cJSON_AddNumberToObject(root, "n_tokens", (double)kld_text_positions(&r->t));
	cJSON_AddStringToObject(root, "reference", r->cached ? "cached" : "computed");
	cJSON_AddStringToObject(root, "reference_key", r->key);
	cJSON_AddStringToObject(root, "reference_file", r->ref_path);
	cJSON_AddItemToObject(root, "overlap", overlap_json(j, &r->ov));
	return root;
}

/* The reference (cached or computed), the measuring pass, the answer. Without a recipe
 * the measured model is the reference model itself, which also computes the reference. */
static int measure(struct run *r, cJSON **result, struct bb_error *err)
{
	int V = model_config(r->q)->vocab_size;
	long n = kld_text_positions(&r->t);
	struct phase ph = {r->j, "measured"};
	int rc = ensure_reference(r->j, r->j->recipe ? NULL : r->q, &r->t, r->key, r->ref_path,
				  V, &r->cached, &r->ref, err);
	if (!rc && !(r->pos = calloc((size_t)n, sizeof *r->pos)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = kld_measure(r->q, &r->t, r->ref, r->pos, on_progress, &ph, err);
	if (rc)
		return rc;
	cJSON *root = header_json(r);
	if ((rc = add_summaries(root, r->pos, &r->t, err)))
		cJSON_Delete(root);
	else
		*result = root;
	return rc;
}

int kld_job_run(const struct kld_job *j, cJSON **result, struct bb_error *err)
{
	struct run r = {.j = j};
	*result = NULL;
	int rc = load_inputs(&r, err);
	if (!rc)
		rc = measure(&r, result, err);
	kld_reference_close(r.ref);
	free(r.pos);
	documents_free(&r.docs);
	model_free(r.q);
	tokenizer_free(r.tok);
	free(r.ref_path);
	return rc;
}
