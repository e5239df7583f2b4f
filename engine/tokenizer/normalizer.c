/*
 * normalizer.c: the normalizer stage, the first of the pipeline: its steps (Prepend,
 * Replace, Strip, NFC) parsed from tokenizer.json, and applied to a text in order.
 *
 * Applying must never write to the tokenizer: the buffers belong to the caller, which is
 * what lets server threads share one const tokenizer. Never prints, never exits.
 */
#include "engine/tokenizer/stages.h"
#include "engine/tokenizer/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


// ---- parsing ----

static struct tk_norm *new_norm(struct tk_ctx *c)
{
	return tk_new_step(c, (void **)&c->t->norm, &c->t->n_norm, sizeof *c->t->norm);
}

static int parse_norm_step(struct tk_ctx *c, const cJSON *o, const char *type,
			   const char *where, void *unused)
{
	struct tk_norm *n;
	int bad, rc;
	(void)unused;
	if (!type || (strcmp(type, "Prepend") && strcmp(type, "Replace") && strcmp(type, "Strip") &&
		      strcmp(type, "NFC")))
		return tk_unsupported(c, where, type);
	if (!(n = new_norm(c)))
		return BB_ENOMEM;
	if (!strcmp(type, "NFC")) {
		/* No Unicode composition tables here: text is taken as already NFC, which
		 * holds for almost all real input (composed é, not e + U+0301). */
		n->kind = TK_NORM_NFC;
		return 0;
	}
	if (!strcmp(type, "Strip")) {
		n->kind = TK_NORM_STRIP;
		if ((n->left = tk_get_bool(c, o, "strip_left", 1, where)) < 0 ||
		    (n->right = tk_get_bool(c, o, "strip_right", 1, where)) < 0)
			return BB_EFORMAT;
		return 0;
	}
	if (!strcmp(type, "Prepend")) {
		const char *s = tk_get_str(c, o, "prepend", where, &bad);
		n->kind = TK_NORM_PREPEND;
		if (bad)
			return BB_EFORMAT;
		if (!s)
			return tk_fail_key(c, where, "prepend", "is missing");
		n->a = tk_dup_str(c, s, n->alen = strlen(s));
		return n->a ? 0 : BB_ENOMEM;
	}
	{
		const char *s = tk_get_str(c, o, "content", where, &bad);
		if (bad)
			return BB_EFORMAT;
		if (!s)
			return tk_fail_key(c, where, "content", "is missing");
		if (!(n->b = tk_dup_str(c, s, n->blen = strlen(s))))
			return BB_ENOMEM;
		if ((rc = tk_get_pattern(c, o, where, &n->a, &n->alen, &n->re)))
			return rc;
		n->kind = n->re ? TK_NORM_REPLACE_RE : TK_NORM_REPLACE;
		return 0;
	}
}

int tk_parse_normalizer(struct tk_ctx *c, const cJSON *o)
{
	return tk_parse_steps(c, o, "normalizer", "normalizers", parse_norm_step, NULL);
}

// ---- applying ----

static int normalize_oom(struct bb_error *err)
{
	return bb_fail(err, BB_ENOMEM, "tokenizer: out of memory while normalizing");
}

static int norm_replace(const struct tk_norm *nm, const char *s, size_t n, struct strbuf *dst,
			pcre2_match_data *md, struct bb_error *err)
{
	size_t pos = 0, ms, me;
	int rc;
	for (;;) {
		if (nm->re)
			rc = tk_re_next(md, nm->re, s, n, pos, &ms, &me, "normalizer Replace", err);
		else
			rc = tk_lit_next(nm->a, nm->alen, s, n, pos, &ms, &me);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
		if (strbuf_add(dst, s + pos, ms - pos) || strbuf_add(dst, nm->b, nm->blen))
			return normalize_oom(err);
		pos = me;
	}
	return strbuf_add(dst, s + pos, n - pos) ? normalize_oom(err) : 0;
}

static int norm_strip(const struct tk_norm *nm, const char *s, size_t n, struct strbuf *dst)
{
	size_t a = 0, b = n, used;
	while (nm->left && a < b && tk_is_space(tk_utf8_decode(s + a, b - a, &used)))
		a += used;
	while (nm->right && b > a) {
		size_t p = b - 1;
		while (p > a && ((unsigned char)s[p] & 0xC0) == 0x80)
			p--;
		if (!tk_is_space(tk_utf8_decode(s + p, b - p, &used)))
			break;
		b = p;
	}
	return strbuf_add(dst, s + a, b - a);
}

/* One normalizer step: 0, or a negative bb_err with err filled. */
static int norm_step(const struct tk_norm *nm, const char *s, size_t n, struct strbuf *dst,
		     pcre2_match_data *md, struct bb_error *err)
{
	int rc;
	switch (nm->kind) {
	case TK_NORM_PREPEND:
		/* HF prepends only to a non-empty string */
		rc = (n && strbuf_add(dst, nm->a, nm->alen)) || strbuf_add(dst, s, n);
		break;
	case TK_NORM_REPLACE:
	case TK_NORM_REPLACE_RE:
		return norm_replace(nm, s, n, dst, md, err);
	case TK_NORM_STRIP:
		rc = norm_strip(nm, s, n, dst);
		break;
	default: /* NFC: the text is kept as it is */
		rc = strbuf_add(dst, s, n);
		break;
	}
	return rc ? normalize_oom(err) : 0;
}

int tk_normalize(const struct tokenizer *t, const char *s, size_t n, struct strbuf *out,
		 struct strbuf *tmp, struct bb_error *err)
{
	struct strbuf *bufs[2] = {out, tmp};
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int cur = -1, i, rc = 0;
	if (!md)
		return normalize_oom(err);
	for (i = 0; i < t->n_norm && !rc; i++) {
		/* steps alternate between the two buffers, starting from the caller's text */
		struct strbuf *dst = bufs[cur == 0];
		strbuf_reset(dst);
		rc = norm_step(&t->norm[i], s, n, dst, md, err);
		cur = cur == 0;
		s = dst->p ? dst->p : "";
		n = dst->len;
	}
	pcre2_match_data_free(md);
	if (!rc && cur != 0) {
		strbuf_reset(out);
		rc = strbuf_add(out, s, n) ? normalize_oom(err) : 0;
	}
	return rc;
}
