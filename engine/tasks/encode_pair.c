/*
 * encode_pair.c: text requests to token ids exactly as lm-eval's TemplateLM does
 * (lm_eval/api/model.py, loglikelihood and _encode_pair): trailing whitespace of the
 * context moves onto the continuation, the continuation's tokens are whole[len(ctx):]
 * of the joint encoding, BOS per add_bos_token, and an empty context becomes the prefix
 * token. Never prints, never exits; it must never encode the continuation on its own
 * when there is a context (tokenizers merge across the boundary).
 */
#include "engine/tasks/encode_pair.h"
#include "engine/tasks/text.h"

#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer/tokenizer.h"

int encode_policy_for(const struct tokenizer *tok, int add_bos_token,
		      struct encode_policy *p, struct bb_error *err)
{
	int bos = tokenizer_bos(tok), eos = tokenizer_eos(tok);
	if (add_bos_token < -1 || add_bos_token > 1)
		return bb_fail(err, BB_EINVAL, "add_bos_token %d is not -1, 0 or 1", add_bos_token);
	if (add_bos_token == 1 && bos < 0)
		return bb_fail(err, BB_EINVAL, "add_bos_token: the tokenizer has no BOS token");
	bool on = add_bos_token == 1 || (add_bos_token == -1 && tokenizer_adds_bos(tok));
	*p = (struct encode_policy){.bos_id = on ? bos : -1, .prefix_id = bos >= 0 ? bos : eos};
	return 0;
}

size_t encode_pair_split(const char *context, size_t len)
{
	return py_rstrip_len(context, len);
}

void pair_tokens_free(struct pair_tokens *p)
{
	free(p->ctx);
	free(p->cont);
	*p = (struct pair_tokens){0};
}

void encode_memo_free(struct encode_memo *m)
{
	free(m->text);
	free(m->ids);
	*m = (struct encode_memo){0};
}

/* encode(text[0..len)) without special tokens, through memo when it holds that text. */
static int encode_context(const struct tokenizer *tok, const char *text, size_t len,
			  struct encode_memo *memo, int **ids, int *n, struct bb_error *err)
{
	if (memo && memo->text && strlen(memo->text) == len && !memcmp(memo->text, text, len)) {
		*n = memo->n;
		*ids = malloc((size_t)(memo->n ? memo->n : 1) * sizeof(int));
		if (!*ids)
			return bb_fail(err, BB_ENOMEM, "out of memory");
		memcpy(*ids, memo->ids, (size_t)memo->n * sizeof(int));
		return 0;
	}
	int rc = tokenizer_encode(tok, text, len, 0, ids, n, err);
	if (rc || !memo)
		return rc;
	encode_memo_free(memo);
	memo->text = strndup(text, len);
	memo->ids = malloc((size_t)(*n ? *n : 1) * sizeof(int));
	if (!memo->text || !memo->ids) {
		encode_memo_free(memo);
		return 0; /* the memo is only a shortcut */
	}
	if (*n) /* an empty text may come back with no array at all */
		memcpy(memo->ids, *ids, (size_t)*n * sizeof(int));
	memo->n = *n;
	return 0;
}

/* out->ctx = [first] + ids[0..n) (first < 0: none); takes ids. */
static int set_context(struct pair_tokens *out, int first, int *ids, int n, struct bb_error *err)
{
	if (first < 0) {
		out->ctx = ids;
		out->n_ctx = n;
		return 0;
	}
	out->ctx = malloc((size_t)(n + 1) * sizeof(int));
	if (!out->ctx) {
		free(ids);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	out->ctx[0] = first;
	if (n)
		memcpy(out->ctx + 1, ids, (size_t)n * sizeof(int));
	out->n_ctx = n + 1;
	free(ids);
	return 0;
}

/* out->cont = whole[skip:]; takes whole. */
static int set_continuation(struct pair_tokens *out, int *whole, int n_whole, int skip,
			    struct bb_error *err)
{
	int n = n_whole > skip ? n_whole - skip : 0;
	out->cont = malloc((size_t)(n ? n : 1) * sizeof(int));
	if (out->cont && n)
		memcpy(out->cont, whole + skip, (size_t)n * sizeof(int));
	out->n_cont = n;
	free(whole);
	return out->cont ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

static int encode_with_context(const struct tokenizer *tok, const struct encode_policy *p,
			       const char *context, const char *continuation,
			       struct encode_memo *memo, struct pair_tokens *out,
			       struct bb_error *err)
{
	size_t n_text = strlen(context);
	size_t split = p->keep_context_space ? n_text : encode_pair_split(context, n_text);
	size_t n_cont_text = strlen(continuation);
	char *joint = malloc(n_text + n_cont_text + 1);
	int *whole = NULL, *ctx = NULL, n_whole = 0, n_ctx = 0, rc;
	if (!joint)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	memcpy(joint, context, n_text);
	memcpy(joint + n_text, continuation, n_cont_text + 1);
	rc = tokenizer_encode(tok, joint, n_text + n_cont_text, 0, &whole, &n_whole, err);
	free(joint);
	if (!rc)
		rc = encode_context(tok, context, split, memo, &ctx, &n_ctx, err);
	if (rc) {
		free(whole);
		return rc;
	}
	int first = p->bos_id >= 0 ? p->bos_id : n_ctx == 0 ? p->prefix_id : -1;
	if (n_ctx == 0 && first < 0) {
		free(whole);
		free(ctx);
		return bb_fail(err, BB_EINVAL, "the tokenizer has no BOS or EOS token to stand for "
			       "an empty context");
	}
	/* lm-eval takes whole[len(ctx):]. When the tokenizer merged the continuation into the
	 * context's last piece (pieces ending in "▁" do: "named▁Sara"), that is empty and
	 * lm-eval's HF model stops on an assertion. Rather than stop a whole evaluation,
	 * score from the first token where the two encodings differ, and say so. */
	int skip = n_ctx;
	if (n_whole <= n_ctx) {
		skip = 0;
		while (skip < n_ctx && skip < n_whole && ctx[skip] == whole[skip])
			skip++;
		out->merged = skip < n_whole;
	}
	rc = set_context(out, first, ctx, skip, err);
	if (rc) {
		free(whole);
		return rc;
	}
	return set_continuation(out, whole, n_whole, skip, err);
}

static int encode_without_context(const struct tokenizer *tok, const struct encode_policy *p,
				  const char *continuation, struct pair_tokens *out,
				  struct bb_error *err)
{
	int *cont, n_cont, rc;
	if (p->prefix_id < 0)
		return bb_fail(err, BB_EINVAL, "the tokenizer has no BOS or EOS token to stand for "
			       "an empty context");
	rc = tokenizer_encode(tok, continuation, strlen(continuation), 0, &cont, &n_cont, err);
	if (rc)
		return rc;
	rc = set_context(out, p->prefix_id, NULL, 0, err);
	if (rc) {
		free(cont);
		return rc;
	}
	out->cont = cont;
	out->n_cont = n_cont;
	return 0;
}

int encode_pair(const struct tokenizer *tok, const struct encode_policy *p,
		const char *context, const char *continuation, struct encode_memo *memo,
		struct pair_tokens *out, struct bb_error *err)
{
	*out = (struct pair_tokens){0};
	int rc = *context ? encode_with_context(tok, p, context, continuation, memo, out, err)
			  : encode_without_context(tok, p, continuation, out, err);
	if (!rc && out->n_cont == 0)
		rc = bb_fail(err, BB_EINVAL, "the continuation \"%.40s\" leaves no tokens once its "
			     "context's are taken off (the tokenizer merges it into the context; "
			     "lm-eval stops on this)", continuation);
	if (rc)
		pair_tokens_free(out);
	return rc;
}
