/*
 * internal.h: the tokenizer's private structures, shared by the files of
 * engine/tokenizer/ only. Nothing outside engine/tokenizer/ may include it.
 *
 * Everything here is filled once by tokenizer_load and never written again, which is
 * what makes encode/decode thread-safe: per-call scratch lives in the callers' stack
 * frames and heap buffers, never in struct tokenizer.
 */
#ifndef BB_TOKENIZER_INTERNAL_H
#define BB_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "engine/tokenizer/tokenizer.h"

// ---- growable int buffers, string arena (util.c); bytes go in core's struct strbuf ----

/* Bump allocator for the vocabulary's strings: one free for 150k pieces. */
struct tk_arena_block;
struct tk_arena {
	struct tk_arena_block *head;
};

/* NUL-terminated copy of n bytes of s, owned by the arena; NULL on OOM. */
char *tk_arena_dup(struct tk_arena *a, const char *s, size_t n);
void tk_arena_free(struct tk_arena *a);

struct tk_ivec {
	int *p;
	size_t len, cap;
};

int tk_ivec_push(struct tk_ivec *v, int x);
int tk_ivec_append(struct tk_ivec *v, const int *x, size_t n);

/* A list of pieces: spans into one buffer, with a flag HF tracks per piece. */
struct tk_span {
	size_t off, len;
	int origin; /* piece starts at byte 0 of the original text (Metaspace "first") */
};

struct tk_pieces {
	struct strbuf buf;
	struct tk_span *sp;
	size_t n, cap;
};

int tk_pieces_add(struct tk_pieces *p, const char *s, size_t n, int origin);
/* Make the bytes appended to p->buf since offset start one more piece. */
int tk_pieces_close(struct tk_pieces *p, size_t start, int origin);
void tk_pieces_clear(struct tk_pieces *p);
void tk_pieces_free(struct tk_pieces *p);

// ---- UTF-8 ----

/* Length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
size_t tk_utf8_len(unsigned char c);
/* Decode one code point at s (n bytes left); sets *used. Assumes valid UTF-8. */
uint32_t tk_utf8_decode(const char *s, size_t n, size_t *used);
/* Offset of the first invalid byte, or n if s is valid UTF-8. */
size_t tk_utf8_check(const char *s, size_t n);
/* Append s as Rust's String::from_utf8_lossy would: one U+FFFD per bad subpart. */
int tk_put_lossy(struct strbuf *b, const char *s, size_t n);
/* Unicode White_Space, as Rust's char::is_whitespace and regex \s. */
int tk_is_space(uint32_t cp);

// ---- hash maps (util.c) ----

struct tk_str_slot {
	const char *key; /* NULL: empty slot */
	uint32_t len, hash;
	int val;
};

/* Open-addressing string -> int map; keys are borrowed, not copied. */
struct tk_strmap {
	struct tk_str_slot *slots;
	uint32_t mask, count;
};

int tk_strmap_init(struct tk_strmap *m, size_t expect);
void tk_strmap_free(struct tk_strmap *m);
/* Insert or overwrite. Returns 0 or -1 on OOM. */
int tk_strmap_put(struct tk_strmap *m, const char *key, size_t len, int val);
/* Value for key, or -1. */
int tk_strmap_get(const struct tk_strmap *m, const char *key, size_t len);

struct tk_pair_slot {
	uint64_t key; /* (left << 32) | right */
	int rank;     /* -1: empty slot */
	int id;       /* the merged token */
};

/* (left id, right id) -> (merge rank, merged id). */
struct tk_pairmap {
	struct tk_pair_slot *slots;
	uint32_t mask, count;
};

int tk_pairmap_init(struct tk_pairmap *m, size_t expect);
void tk_pairmap_free(struct tk_pairmap *m);
int tk_pairmap_put(struct tk_pairmap *m, int left, int right, int rank, int id);
const struct tk_pair_slot *tk_pairmap_get(const struct tk_pairmap *m, int left, int right);

// ---- pipeline steps, as parsed from tokenizer.json ----

enum tk_norm_kind {
	TK_NORM_PREPEND,   /* a = text put in front of a non-empty string */
	TK_NORM_REPLACE,   /* every a -> b (literal) */
	TK_NORM_REPLACE_RE,/* every match of re -> b */
	TK_NORM_STRIP,     /* trim whitespace: left, right */
	TK_NORM_NFC        /* taken as already composed: see normalizer.c */
};

struct tk_norm {
	enum tk_norm_kind kind;
	char *a, *b;
	size_t alen, blen;
	pcre2_code *re;
	int left, right;
};

enum tk_split_behavior {
	TK_ISOLATED,
	TK_REMOVED,
	TK_MERGED_PREV,
	TK_MERGED_NEXT,
	TK_CONTIGUOUS
};

enum tk_pre_kind {
	TK_PRE_SPLIT,     /* regex or literal split with a behavior */
	TK_PRE_BYTELEVEL, /* optional prefix space, optional regex split, byte -> char map */
	TK_PRE_METASPACE  /* ' ' -> replacement, prefix, optional split */
};

enum tk_prepend { TK_PREPEND_ALWAYS, TK_PREPEND_FIRST, TK_PREPEND_NEVER };

struct tk_pre {
	enum tk_pre_kind kind;
	pcre2_code *re;       /* SPLIT (regex) and BYTELEVEL with use_regex */
	char *lit;            /* SPLIT with a literal pattern */
	size_t lit_len;
	enum tk_split_behavior behavior;
	int invert;
	int add_prefix_space; /* BYTELEVEL */
	char repl[8];         /* METASPACE replacement, UTF-8 */
	size_t repl_len;
	enum tk_prepend prepend;
	int split;
};

enum tk_dec_kind {
	TK_DEC_REPLACE,
	TK_DEC_BYTEFALLBACK,
	TK_DEC_FUSE,
	TK_DEC_STRIP,
	TK_DEC_BYTELEVEL,
	TK_DEC_METASPACE
};

struct tk_dec {
	enum tk_dec_kind kind;
	char *from, *to; /* REPLACE */
	size_t from_len, to_len;
	uint32_t cp;     /* STRIP content, METASPACE replacement */
	int start, stop; /* STRIP counts */
	int prepend;     /* METASPACE: prepend_scheme is not "never" */
};

struct tk_added {
	char *content; /* as written in tokenizer.json */
	size_t len;
	char *match;   /* what is searched for: content, normalized if "normalized" */
	size_t match_len;
	int id;
	unsigned single_word : 1, lstrip : 1, rstrip : 1, normalized : 1, special : 1;
};

/* Added tokens searched on one form of the text (raw or normalized). */
struct tk_matcher {
	int *idx;       /* into t->added, grouped by first byte, longest first */
	int n;
	int start[257]; /* idx[start[c] .. start[c+1]) begin with byte c */
};

enum { TK_ID_ADDED = 1, TK_ID_SPECIAL = 2 };

struct tokenizer {
	struct tk_arena arena; /* every string below */

	/* id -> piece: added content or model vocabulary string */
	char **piece;
	uint32_t *piece_len;
	unsigned char *id_flags; /* TK_ID_* */
	int n_ids;               /* one past the largest id */

	struct tk_strmap vocab;  /* model vocabulary only */
	struct tk_strmap added_map; /* added token content -> id */
	struct tk_pairmap merges;
	int unk_id;              /* -1: none */
	int unk_named;           /* model.unk_token is set (maybe missing from vocab) */
	int fuse_unk, byte_fallback, ignore_merges;
	char *cont_prefix, *eow_suffix;
	size_t cont_prefix_len, eow_suffix_len;
	int byte_id[256];        /* "<0xNN>" ids, -1 where absent */

	struct tk_added *added;
	int n_added;
	struct tk_matcher raw_matcher, norm_matcher;
	pcre2_code *word_re;     /* \w, for single_word added tokens */

	struct tk_norm *norm;
	int n_norm;
	struct tk_pre *pre;
	int n_pre;
	struct tk_dec *dec;
	int n_dec;
	int has_decoder;

	/* ids put around the text for add_bos = -1 */
	int *prefix, n_prefix, *suffix, n_suffix;
	int bos_id, eos_id;
	int pad_id;              /* tokenizer_config.json's pad_token; -1 if none */

	uint32_t byte_cp[256];   /* GPT-2 byte -> code point */
	int16_t cp_byte[324];    /* and back; -1 for code points that are no byte */
};

/* Grow *p (holding *cap elements of elem bytes) to at least need, doubling; -1 when out of
 * memory (then *p is unchanged). */
int tk_grow(void **p, size_t *cap, size_t need, size_t elem);

#endif
