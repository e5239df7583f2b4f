/*
 * stages.h: the tokenizer's pipeline, one file a stage: model (bpe.c), added tokens
 * (added_tokens.c), normalizer (normalizer.c), pre-tokenizer (pre_tokenizer.c), decoder
 * (decoder.c) and post-processor (post_processor.c). Each stage parses its part of
 * tokenizer.json and applies it; load.c runs the parsers in order, encode.c (and
 * tokenizer_decode) the appliers.
 *
 * Private to engine/tokenizer/: nothing outside it may include this. A stage stands on
 * fields.h, pattern.h and scratch.h below it, never on load.c or encode.c above it.
 */
#ifndef BB_TOKENIZER_STAGES_H
#define BB_TOKENIZER_STAGES_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "engine/tokenizer/fields.h"
#include "engine/tokenizer/scratch.h"

// ---- parsing, called by load.c in this order ----

/* tokenizer.json's "model" (bpe.c). */
int tk_parse_model(struct tk_ctx *c, const cJSON *model);
/* "added_tokens", then (once the normalizer is known) their matchers (added_tokens.c). */
int tk_parse_added(struct tk_ctx *c, const cJSON *arr);
int tk_prepare_added(struct tk_ctx *c);
/* "normalizer" (normalizer.c), "pre_tokenizer" (pre_tokenizer.c), "decoder" (decoder.c). */
int tk_parse_normalizer(struct tk_ctx *c, const cJSON *o);
int tk_parse_pre_tokenizer(struct tk_ctx *c, const cJSON *o);
int tk_parse_decoder(struct tk_ctx *c, const cJSON *o);

/* A growing list of ids: what the post-processor puts before and after the text. */
struct tk_ids {
	int *p;
	int n;
};

/* Where tokenizer_config.json comes from: a file (absent is fine) or memory (text NULL:
 * none). */
struct tk_config_source {
	const char *name;
	bool from_file;
	const char *text;
	size_t len;
};

/* "post_processor" into pre and post (post_processor.c); then tokenizer_config.json
 * decides BOS and EOS, and pre and post pass to the tokenizer. */
int tk_parse_post_processor(struct tk_ctx *c, const cJSON *o, struct tk_ids *pre,
			    struct tk_ids *post);
int tk_settle_specials(struct tk_ctx *c, const struct tk_config_source *src,
		       struct tk_ids *pre, struct tk_ids *post);

// ---- applying, called by encode.c in this order ----

/* Cut s into text parts and the added tokens of matcher m (added_tokens.c). */
int tk_split_added(struct tk_scratch *sc, const struct tk_matcher *m, const char *s, size_t n,
		   struct tk_splits *out);
/* Apply the normalizer steps to s into out (tmp is scratch); also used at load time for
 * the normalized added tokens. 0, or a negative bb_err with err (may be NULL) saying what
 * failed: memory, or a regex's PCRE2 limit (normalizer.c). */
int tk_normalize(const struct tokenizer *t, const char *s, size_t n, struct strbuf *out,
		 struct strbuf *tmp, struct bb_error *err);

/* Run the pre-tokenizer steps over s; the pieces end up in *res (pre_tokenizer.c). */
int tk_pretokenize(struct tk_scratch *sc, const char *s, size_t n, int origin,
		   struct tk_pieces **res);
/* BPE on one piece, its ids appended to sc->out (bpe.c). */
int tk_bpe(struct tk_scratch *sc, const char *w, size_t n);
/* BOS (when forced) and the post-processor's leading ids (post_processor.c). */
int tk_encode_prefix(struct tk_scratch *sc, int add_bos);

#endif
