/*
 * added_tokens.c: tokenizer.json's added tokens: parsed with their flags (single_word,
 * lstrip, rstrip, normalized, special), indexed for matching, and split out of a text
 * before the rest of the pipeline sees it (HF's AddedVocabulary::find_matches).
 *
 * Matching works in the call's scratch (scratch.h) and must never write to the tokenizer.
 * Never prints, never exits.
 */
#define _GNU_SOURCE /* qsort_r */
#include "engine/tokenizer/stages.h"
#include "engine/tokenizer/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- parsing ----

/* Rust regex's \\w (HF tests single_word with it): narrower than PCRE2's UCP \\w, which
 * also takes every \\p{N} such as superscript digits. */
static const char word_class[] = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]";

int tk_parse_added(struct tk_ctx *c, const cJSON *arr)
{
	struct tokenizer *t = c->t;
	const cJSON *e;
	int i = 0, n = cJSON_GetArraySize(arr), rc;
	char w[64];
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return tk_fail_field(c, "added_tokens", "is not an array");
	t->added = calloc((size_t)n + 1, sizeof *t->added);
	if (!t->added)
		return tk_load_oom(c);
	cJSON_ArrayForEach(e, arr) {
		struct tk_added *a = &t->added[i];
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(e, "content");
		int id = tk_as_id(cJSON_GetObjectItemCaseSensitive(e, "id"));
		int sw, ls, rs, nm, sp;
		snprintf(w, sizeof w, "added_tokens[%d]", i);
		if (id < 0)
			return tk_fail_field(c, w, "has no valid id");
		if (!cJSON_IsString(content))
			return tk_fail_field(c, w, "has no string content");
		if ((sw = tk_get_bool(c, e, "single_word", 0, w)) < 0 ||
		    (ls = tk_get_bool(c, e, "lstrip", 0, w)) < 0 ||
		    (rs = tk_get_bool(c, e, "rstrip", 0, w)) < 0 ||
		    (nm = tk_get_bool(c, e, "normalized", 1, w)) < 0 ||
		    (sp = tk_get_bool(c, e, "special", 0, w)) < 0)
			return BB_EFORMAT;
		a->len = strlen(content->valuestring);
		if (!(a->content = tk_dup_str(c, content->valuestring, a->len)))
			return BB_ENOMEM;
		a->id = id;
		a->single_word = sw;
		a->lstrip = ls;
		a->rstrip = rs;
		a->normalized = nm;
		a->special = sp;
		if ((rc = tk_reserve_ids(c, id + 1)))
			return rc;
		/* HF's id_to_token looks at the added tokens before the model */
		t->piece[id] = a->content;
		t->piece_len[id] = (uint32_t)a->len;
		t->id_flags[id] = TK_ID_ADDED | (sp ? TK_ID_SPECIAL : 0);
		if (tk_strmap_put(&t->added_map, a->content, a->len, id))
			return tk_load_oom(c);
		if (sw && !t->word_re && (rc = tk_compile_re(c, word_class, sizeof word_class - 1,
							     PCRE2_ANCHORED, &t->word_re, w)))
			return rc;
		i++;
	}
	t->n_added = i;
	return 0;
}

static int cmp_by_first_byte_then_longest(const void *x, const void *y, void *arg)
{
	const struct tk_added *ad = arg;
	const struct tk_added *a = &ad[*(const int *)x], *b = &ad[*(const int *)y];
	unsigned char ca = (unsigned char)a->match[0], cb = (unsigned char)b->match[0];
	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (a->match_len != b->match_len)
		return a->match_len > b->match_len ? -1 : 1;
	return *(const int *)x - *(const int *)y;
}

static int build_matcher(struct tk_ctx *c, struct tk_matcher *m, int normalized)
{
	struct tokenizer *t = c->t;
	int i, k;
	m->idx = malloc(((size_t)t->n_added + 1) * sizeof *m->idx);
	if (!m->idx)
		return tk_load_oom(c);
	m->n = 0;
	for (i = 0; i < t->n_added; i++)
		if (t->added[i].normalized == normalized && t->added[i].match_len)
			m->idx[m->n++] = i;
	qsort_r(m->idx, (size_t)m->n, sizeof *m->idx, cmp_by_first_byte_then_longest, t->added);
	for (k = 0, i = 0; k <= 256; k++) {
		while (i < m->n && (unsigned char)t->added[m->idx[i]].match[0] < k)
			i++;
		m->start[k] = i;
	}
	return 0;
}

/* Normalized tokens are searched for in their normalized form, as HF's trie holds. */
int tk_prepare_added(struct tk_ctx *c)
{
	struct tokenizer *t = c->t;
	struct strbuf out = {0}, tmp = {0};
	int i, rc = 0;
	for (i = 0; i < t->n_added && !rc; i++) {
		struct tk_added *a = &t->added[i];
		a->match = a->content;
		a->match_len = a->len;
		if (!a->normalized || !t->n_norm)
			continue;
		strbuf_reset(&out);
		if ((rc = tk_normalize(t, a->content, a->len, &out, &tmp, c->err)))
			break;
		else if (!(a->match = tk_dup_str(c, out.p ? out.p : "", out.len)))
			rc = BB_ENOMEM;
		else
			a->match_len = out.len;
	}
	free(out.p);
	free(tmp.p);
	if (rc)
		return rc;
	if ((rc = build_matcher(c, &t->raw_matcher, 0)))
		return rc;
	return build_matcher(c, &t->norm_matcher, 1);
}

// ---- applying ----

static int push_split(struct tk_splits *v, size_t off, size_t len, int id)
{
	struct tk_split s = {off, len, id};
	if (tk_grow((void **)&v->p, &v->cap, v->n + 1, sizeof *v->p))
		return -1;
	v->p[v->n++] = s;
	return 0;
}

static int is_word_at(const struct tk_scratch *sc, const char *s, size_t n, size_t off)
{
	return pcre2_match(sc->t->word_re, (PCRE2_SPTR)s, n, off, PCRE2_NO_UTF_CHECK, sc->md,
			   NULL) >= 0;
}

/* HF's single_word: no word character right before or right after the match. */
static int single_word_ok(const struct tk_scratch *sc, const char *s, size_t n, size_t a, size_t b)
{
	size_t p = a;
	if (a > 0) {
		do
			p--;
		while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80);
		if (is_word_at(sc, s, n, p))
			return 0;
	}
	return b == n || !is_word_at(sc, s, n, b);
}

/* Leftmost, then longest, added token at or after pos: its index, or -1. */
static int find_added(const struct tokenizer *t, const struct tk_matcher *m, const char *s,
		      size_t n, size_t pos, size_t *at)
{
	size_t i;
	for (i = pos; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int k;
		for (k = m->start[c]; k < m->start[c + 1]; k++) {
			const struct tk_added *a = &t->added[m->idx[k]];
			if (a->match_len <= n - i && !memcmp(s + i, a->match, a->match_len)) {
				*at = i;
				return m->idx[k];
			}
		}
	}
	return -1;
}

/* Widen [*a, *b) over the whitespace that lstrip/rstrip tokens swallow. */
static void strip_around(const struct tk_added *a, const char *s, size_t n, size_t floor,
			 size_t *start, size_t *stop)
{
	size_t used;
	while (a->lstrip && *start > floor) {
		size_t p = *start - 1;
		while (p > floor && ((unsigned char)s[p] & 0xC0) == 0x80)
			p--;
		if (!tk_is_space(tk_utf8_decode(s + p, n - p, &used)))
			break;
		*start = p;
	}
	while (a->rstrip && *stop < n && tk_is_space(tk_utf8_decode(s + *stop, n - *stop, &used)))
		*stop += used;
}

/* Cut s into text parts and added tokens (HF's AddedVocabulary::find_matches). */
int tk_split_added(struct tk_scratch *sc, const struct tk_matcher *m, const char *s, size_t n,
		   struct tk_splits *out)
{
	const struct tokenizer *t = sc->t;
	size_t pos = 0, done = 0, at;
	int k;
	out->n = 0;
	while (m->n && pos < n && (k = find_added(t, m, s, n, pos, &at)) >= 0) {
		const struct tk_added *a = &t->added[k];
		size_t start = at, stop = at + a->match_len;
		pos = stop;
		if (a->single_word && !single_word_ok(sc, s, n, start, stop))
			continue;
		strip_around(a, s, n, done, &start, &stop);
		if (start > done && push_split(out, done, start - done, -1))
			return tk_encode_oom(sc);
		if (push_split(out, start, stop - start, a->id))
			return tk_encode_oom(sc);
		done = pos = stop;
	}
	if (done < n && push_split(out, done, n - done, -1))
		return tk_encode_oom(sc);
	return 0;
}
