/*
 * encode.h: what the stages share while a text is encoded (encode.c): the call's scratch
 * memory, and each stage's apply entry point, called by encode.c in the pipeline's order.
 *
 * Private to engine/tokenizer/: nothing outside it may include this. All of it works on
 * the call's struct tk_scratch and must never write to the tokenizer, which is what lets
 * server threads share one const tokenizer.
 */
#ifndef BB_TOKENIZER_ENCODE_H
#define BB_TOKENIZER_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/tokenizer/internal.h"

/* One part of a text after added-token splitting; id -1 for plain text. */
struct tk_split {
	size_t off, len;
	int id;
};

struct tk_splits {
	struct tk_split *p;
	size_t n, cap;
};

/* A piece of a pre-tokenizer split: [s, e), and whether it matched the pattern. */
struct tk_seg {
	size_t s, e;
	int m;
};

/* BPE symbols form a linked list inside an array; merged-away ones are dead. */
struct tk_sym {
	int id, prev, next, alive;
};

struct tk_merge {
	uint64_t key; /* rank << 32 | position of the left symbol */
	int id;
};

/* Everything one encode call writes: freed when the call returns. */
struct tk_scratch {
	const struct tokenizer *t;
	struct bb_error *err;
	struct tk_ivec out;          /* the ids so far */
	struct tk_splits raw, norm;  /* added-token splits of the raw and normalized text */
	struct tk_buf nbuf, ntmp, tmp, map;
	struct tk_pieces pa, pb;     /* the pre-tokenizer's pieces, in and out of a step */
	struct tk_seg *seg;
	size_t nseg, segcap;
	struct tk_seg *sub;
	size_t nsub, subcap;
	struct tk_sym *sym;          /* BPE */
	size_t symcap;
	struct tk_merge *heap;
	size_t nheap, heapcap;
	struct tk_buf key;
	pcre2_match_data *md;
};

int tk_encode_oom(struct tk_scratch *sc);

/* ---- matching patterns (pattern.c) ---- */

/* Next non-empty match of re in s[0, n) starting at or after pos: 1 and [*ms, *me), 0
 * when there is none, or a negative bb_err (what names the pattern's owner). */
int tk_re_next(pcre2_match_data *md, const pcre2_code *re, const char *s, size_t n,
	       size_t pos, size_t *ms, size_t *me, const char *what, struct bb_error *err);
/* The same for a literal. */
int tk_lit_next(const char *lit, size_t lit_len, const char *s, size_t n, size_t pos,
		size_t *ms, size_t *me);

/* ---- the stages, in the pipeline's order ---- */

/* Cut s into text parts and the added tokens of matcher m (added_tokens.c). */
int tk_split_added(struct tk_scratch *sc, const struct tk_matcher *m, const char *s, size_t n,
		   struct tk_splits *out);
/* (The normalizer, tk_normalize, is in internal.h: loading uses it too.) */
/* Run the pre-tokenizer steps over s; the pieces end up in *res (pre_tokenizer.c). */
int tk_pretokenize(struct tk_scratch *sc, const char *s, size_t n, int origin,
		   struct tk_pieces **res);
/* BPE on one piece, its ids appended to sc->out (bpe.c). */
int tk_bpe(struct tk_scratch *sc, const char *w, size_t n);
/* BOS (when forced) and the post-processor's leading ids (post_processor.c). */
int tk_encode_prefix(struct tk_scratch *sc, int add_bos);

#endif
