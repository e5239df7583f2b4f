/*
 * pattern.h: tokenizer.json's patterns ({"String": s} or {"Regex": r}), compiled when a
 * stage is parsed and matched when it is applied (pattern.c), for the normalizer's
 * Replace and the pre-tokenizer's splits.
 *
 * Private to engine/tokenizer/: never included outside it.
 */
#ifndef BB_TOKENIZER_PATTERN_H
#define BB_TOKENIZER_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/tokenizer/fields.h"

// ---- compiling ----

int tk_compile_re(struct tk_ctx *c, const char *pat, size_t len, uint32_t extra,
		  pcre2_code **out, const char *where);
/* pattern: {"String": s} or {"Regex": r}; sets exactly one of *lit and *re. */
int tk_get_pattern(struct tk_ctx *c, const cJSON *o, const char *where, char **lit,
		   size_t *lit_len, pcre2_code **re);

// ---- matching ----

/* Next non-empty match of re in s[0, n) starting at or after pos: 1 and [*ms, *me), 0
 * when there is none, or a negative bb_err (what names the pattern's owner). */
int tk_re_next(pcre2_match_data *md, const pcre2_code *re, const char *s, size_t n,
	       size_t pos, size_t *ms, size_t *me, const char *what, struct bb_error *err);
/* The same for a literal. */
int tk_lit_next(const char *lit, size_t lit_len, const char *s, size_t n, size_t pos,
		size_t *ms, size_t *me);

#endif
