/*
 * scratch.h: the memory one encode call works in (struct tk_scratch): every stage's
 * apply step writes here and only here (scratch.c frees it).
 *
 * Private to engine/tokenizer/: nothing outside it may include this. It belongs to the
 * call, never to the tokenizer, which is what lets server threads share one const
 * tokenizer.
 */
#ifndef BB_TOKENIZER_SCRATCH_H
#define BB_TOKENIZER_SCRATCH_H

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
	struct strbuf nbuf, ntmp, tmp, map;
	struct tk_pieces pa, pb;     /* the pre-tokenizer's pieces, in and out of a step */
	struct tk_seg *seg;
	size_t nseg, segcap;
	struct tk_seg *sub;
	size_t nsub, subcap;
	struct tk_sym *sym;          /* BPE */
	size_t symcap;
	struct tk_merge *heap;
	size_t nheap, heapcap;
	struct strbuf key;
	pcre2_match_data *md;
};

/* BB_ENOMEM, said once for every stage (scratch.c). */
int tk_encode_oom(struct tk_scratch *sc);
/* Free everything sc holds (scratch.c). */
void tk_scratch_free(struct tk_scratch *sc);

#endif
