/*
 * pattern.c: the patterns of tokenizer.json ({"String": s} or {"Regex": r}), compiled
 * with PCRE2 at load time and matched at encode time, for the normalizer's Replace and the
 * pre-tokenizer's splits.
 *
 * A match that hits one of PCRE2's resource limits is an error that says so, never a
 * silent shorter match. Never prints, never exits.
 */
#define _GNU_SOURCE /* memmem */
#include "engine/tokenizer/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

// ---- parsing ----

int tk_compile_re(struct tk_ctx *c, const char *pat, size_t len, uint32_t extra,
		  pcre2_code **out, const char *where)
{
	int code;
	PCRE2_SIZE off;
	*out = pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_UTF | PCRE2_UCP | extra, &code, &off,
			     NULL);
	if (!*out) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(code, msg, sizeof msg);
		return bb_fail(c->err, BB_EFORMAT, "'%s': %s does not compile: %s at offset %zu",
			       c->path, where, (char *)msg, (size_t)off);
	}
	/* JIT is an optimisation only: matching falls back to the interpreter without it */
	pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
	return 0;
}

/* pattern: {"String": s} or {"Regex": r}; sets exactly one of *lit and *re. */
int tk_get_pattern(struct tk_ctx *c, const cJSON *o, const char *where, char **lit,
		   size_t *lit_len, pcre2_code **re)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pattern");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "String");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(p, "Regex");
	*lit = NULL;
	*re = NULL;
	if (cJSON_IsString(s)) {
		*lit_len = strlen(s->valuestring);
		*lit = tk_dup_str(c, s->valuestring, *lit_len);
		return *lit ? 0 : BB_ENOMEM;
	}
	if (!cJSON_IsString(r))
		return tk_fail_key(c, where, "pattern",
				   "is not {\"String\": ...} or {\"Regex\": ...}");
	char *w = str_printf(c->err, "%s.pattern", where);
	int rc = w ? tk_compile_re(c, r->valuestring, strlen(r->valuestring), 0, re, w) : BB_ENOMEM;
	free(w);
	return rc;
}

// ---- matching ----

/* A failed match, said as what it is: PCRE2's resource limits (the default match limit is
 * ten million backtracking steps) are hit by a pattern that backtracks badly on this input,
 * which is no shortage of memory. what names the pattern's owner. */
static int regex_error(struct bb_error *err, int rc, const char *what, size_t pos, size_t n)
{
	const char *limit = rc == PCRE2_ERROR_MATCHLIMIT	? "match"
			    : rc == PCRE2_ERROR_DEPTHLIMIT	? "depth"
			    : rc == PCRE2_ERROR_HEAPLIMIT	? "heap"
			    : rc == PCRE2_ERROR_JIT_STACKLIMIT ? "JIT stack"
								: NULL;
	if (limit)
		return bb_fail(err, BB_EINVAL, "tokenizer: the %s regex hit PCRE2's %s limit at "
			       "byte %zu of a %zu-byte text (the pattern backtracks too much on "
			       "this input)", what, limit, pos, n);
	PCRE2_UCHAR msg[120];
	pcre2_get_error_message(rc, msg, sizeof msg);
	return bb_fail(err, BB_EINVAL, "tokenizer: the %s regex failed at byte %zu: %s", what,
		       pos, (const char *)msg);
}

/*
 * Next non-empty match of re in s[0, n) starting at or after pos: 1 and [*ms, *me),
 * 0 when there is none, or a negative bb_err. Empty matches are stepped over one
 * character at a time, as the Oniguruma iterator HF uses does; they would only
 * produce empty pieces, which HF drops.
 */
int tk_re_next(pcre2_match_data *md, const pcre2_code *re, const char *s, size_t n,
	       size_t pos, size_t *ms, size_t *me, const char *what, struct bb_error *err)
{
	while (pos < n) {
		/* the input was checked once up front; rechecking per call would be O(n^2) */
		int rc = pcre2_match(re, (PCRE2_SPTR)s, n, pos, PCRE2_NO_UTF_CHECK, md, NULL);
		PCRE2_SIZE *ov;
		if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
			rc = pcre2_match(re, (PCRE2_SPTR)s, n, pos,
					 PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return regex_error(err, rc, what, pos, n);
		ov = pcre2_get_ovector_pointer(md);
		if (ov[1] > ov[0]) {
			*ms = ov[0];
			*me = ov[1];
			return 1;
		}
		if (ov[0] >= n)
			return 0;
		pos = ov[0] + tk_utf8_len((unsigned char)s[ov[0]]);
	}
	return 0;
}

int tk_lit_next(const char *lit, size_t lit_len, const char *s, size_t n, size_t pos,
		size_t *ms, size_t *me)
{
	const char *hit;
	if (!lit_len || pos >= n)
		return 0;
	hit = memmem(s + pos, n - pos, lit, lit_len);
	if (!hit)
		return 0;
	*ms = (size_t)(hit - s);
	*me = *ms + lit_len;
	return 1;
}
