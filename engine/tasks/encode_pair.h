/*
 * encode_pair.h: a request's text to tokens, as lm-eval's loglikelihood() encodes a
 * (context, continuation) pair: the whitespace move, BOS, the empty-context prefix, and
 * the memo that lets the choices of one document share their context's encoding.
 *
 * Calls the tokenizer only (encode_pair.c); it must never print or exit.
 */
#ifndef BB_ENCODE_PAIR_H
#define BB_ENCODE_PAIR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct tokenizer;

/* How contexts get their first token: bos_id >= 0 is prepended to every non-empty
 * context; prefix_id is the whole context of an empty one (BOS, else EOS). */
struct encode_policy {
	int bos_id;             /* -1: no BOS */
	int prefix_id;
	bool keep_context_space; /* skip _encode_pair's whitespace move */
};

/* The policy for add_bos_token (-1 the tokenizer's default, 0 never, 1 always).
 * Errors: add_bos_token 1 with no BOS token, or no BOS nor EOS for the prefix. */
int encode_policy_for(const struct tokenizer *tok, int add_bos_token,
		      struct encode_policy *p, struct bb_error *err);

/* lm-eval's _encode_pair text step: the length of context once its trailing whitespace
 * (str.rstrip) has moved to the continuation's start. */
size_t encode_pair_split(const char *context, size_t len);

struct pair_tokens {
	int *ctx, n_ctx;        /* malloc'd */
	int *cont, n_cont;      /* malloc'd */
	bool merged;            /* the continuation merged into the context's last token(s):
				 * scored from the first token where the two encodings differ */
};
void pair_tokens_free(struct pair_tokens *p);

/* The last context encode_pair encoded, reused when the next request has the same one
 * (the choices of a document). Zero-initialize; free with encode_memo_free. */
struct encode_memo {
	char *text;
	int *ids, n;
};
void encode_memo_free(struct encode_memo *m);

/* lm-eval's loglikelihood(): an empty context becomes [prefix_id] with the continuation
 * encoded alone; otherwise the whitespace move, whole = encode(context + continuation),
 * ctx = encode(context) (both without special tokens), cont = whole[len(ctx):], and the
 * policy's BOS before ctx (a context of only whitespace, with no BOS, gets the prefix).
 * An empty cont is an error (lm-eval asserts on it). memo may be NULL. */
int encode_pair(const struct tokenizer *tok, const struct encode_policy *p,
		const char *context, const char *continuation, struct encode_memo *memo,
		struct pair_tokens *out, struct bb_error *err);

#endif
