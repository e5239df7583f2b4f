/*
 * pre_tokenizer.c: the pre-tokenizer stage: its steps (Split, ByteLevel, Metaspace,
 * Digits, WhitespaceSplit, Whitespace) parsed from tokenizer.json, and applied to a
 * normalized text, cutting it into the pieces BPE runs on, with HF's split behaviors.
 *
 * Applying works in the call's scratch (scratch.h) and must never write to the tokenizer.
 * Never prints, never exits.
 */
#include "engine/tokenizer/stages.h"
#include "engine/tokenizer/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- parsing ----

/* GPT-2's own split, used by ByteLevel when use_regex is true. */
static const char gpt2_pattern[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static struct tk_pre *new_pre(struct tk_ctx *c)
{
	return tk_new_step(c, (void **)&c->t->pre, &c->t->n_pre, sizeof *c->t->pre);
}

static int parse_behavior(struct tk_ctx *c, const cJSON *o, const char *where,
			  enum tk_split_behavior *b)
{
	static const char *const names[] = {"Isolated", "Removed", "MergedWithPrevious",
					    "MergedWithNext", "Contiguous"};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "behavior");
	int i;
	for (i = 0; i < 5; i++)
		if (cJSON_IsString(v) && !strcmp(v->valuestring, names[i])) {
			*b = (enum tk_split_behavior)i;
			return 0;
		}
	return tk_fail_key(c, where, "behavior", "is not a known split behavior");
}

static int parse_pre_simple(struct tk_ctx *c, const cJSON *o, const char *type, const char *where)
{
	struct tk_pre *p = new_pre(c);
	uint32_t cp;
	int rc, v;
	if (!p)
		return BB_ENOMEM;
	if (!strcmp(type, "Split")) {
		p->kind = TK_PRE_SPLIT;
		if ((rc = tk_get_pattern(c, o, where, &p->lit, &p->lit_len, &p->re)) ||
		    (rc = parse_behavior(c, o, where, &p->behavior)))
			return rc;
		return (p->invert = tk_get_bool(c, o, "invert", 0, where)) < 0 ? BB_EFORMAT : 0;
	}
	if (!strcmp(type, "ByteLevel")) {
		p->kind = TK_PRE_BYTELEVEL;
		if ((p->add_prefix_space = tk_get_bool(c, o, "add_prefix_space", 1, where)) < 0 ||
		    (v = tk_get_bool(c, o, "use_regex", 1, where)) < 0)
			return BB_EFORMAT;
		if (!v)
			return 0;
		return tk_compile_re(c, gpt2_pattern, sizeof gpt2_pattern - 1, 0, &p->re, where);
	}
	if (!strcmp(type, "Metaspace")) {
		p->kind = TK_PRE_METASPACE;
		if ((rc = tk_get_char(c, o, "replacement", "\xE2\x96\x81", where, &cp, p->repl,
				      &p->repl_len)) ||
		    (rc = tk_parse_prepend_scheme(c, o, where, &p->prepend)))
			return rc;
		return (p->split = tk_get_bool(c, o, "split", 1, where)) < 0 ? BB_EFORMAT : 0;
	}
	p->kind = TK_PRE_SPLIT;
	if (!strcmp(type, "Digits")) {
		/* HF splits on char::is_numeric: each digit alone, or runs of them */
		if ((v = tk_get_bool(c, o, "individual_digits", 0, where)) < 0)
			return BB_EFORMAT;
		p->behavior = v ? TK_ISOLATED : TK_CONTIGUOUS;
		return tk_compile_re(c, "\\p{N}", 5, 0, &p->re, where);
	}
	if (!strcmp(type, "WhitespaceSplit")) {
		p->behavior = TK_REMOVED;
		return tk_compile_re(c, "\\s", 2, 0, &p->re, where);
	}
	/* Whitespace: keep runs of word chars and runs of other non-space chars */
	p->behavior = TK_REMOVED;
	p->invert = 1;
	return tk_compile_re(c, "\\w+|[^\\w\\s]+", 12, 0, &p->re, where);
}

static int parse_pre_step(struct tk_ctx *c, const cJSON *o, const char *type, const char *where,
			  void *unused)
{
	(void)unused;
	if (type && (!strcmp(type, "Split") || !strcmp(type, "ByteLevel") ||
		     !strcmp(type, "Metaspace") || !strcmp(type, "Digits") ||
		     !strcmp(type, "WhitespaceSplit") || !strcmp(type, "Whitespace")))
		return parse_pre_simple(c, o, type, where);
	return tk_unsupported(c, where, type);
}

int tk_parse_pre_tokenizer(struct tk_ctx *c, const cJSON *o)
{
	return tk_parse_steps(c, o, "pre_tokenizer", "pretokenizers", parse_pre_step, NULL);
}

// ---- applying ----

static int push_seg(struct tk_seg **v, size_t *n, size_t *cap, size_t s, size_t e, int m)
{
	struct tk_seg g = {s, e, m};
	if (tk_grow((void **)v, cap, *n + 1, sizeof **v))
		return -1;
	(*v)[(*n)++] = g;
	return 0;
}

/* Cover s with matched and unmatched segments of a regex or literal pattern. */
static int find_segs(struct tk_scratch *sc, const pcre2_code *re, const char *lit, size_t lit_len,
		     int invert, const char *s, size_t n, const char *what)
{
	size_t prev = 0, ms, me;
	int rc;
	sc->nseg = 0;
	for (;;) {
		rc = re ? tk_re_next(sc->md, re, s, n, prev, &ms, &me, what, sc->err)
			: tk_lit_next(lit, lit_len, s, n, prev, &ms, &me);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
		if (ms > prev && push_seg(&sc->seg, &sc->nseg, &sc->segcap, prev, ms, invert))
			return tk_encode_oom(sc);
		if (push_seg(&sc->seg, &sc->nseg, &sc->segcap, ms, me, !invert))
			return tk_encode_oom(sc);
		prev = me;
	}
	if (prev < n && push_seg(&sc->seg, &sc->nseg, &sc->segcap, prev, n, invert))
		return tk_encode_oom(sc);
	return 0;
}

/* Turn sc->seg into the pieces a split behavior keeps (sc->sub), as HF's
 * NormalizedString::split folds them. */
static int apply_behavior(struct tk_scratch *sc, enum tk_split_behavior b)
{
	size_t i, k;
	int prev = 0;
	sc->nsub = 0;
	for (k = 0; k < sc->nseg; k++) {
		/* MergedWithNext folds from the right, so walk backwards for it */
		const struct tk_seg *g = &sc->seg[b == TK_MERGED_NEXT ? sc->nseg - 1 - k : k];
		struct tk_seg *last = sc->nsub ? &sc->sub[sc->nsub - 1] : NULL;
		int fold = 0;
		if (b == TK_REMOVED && g->m)
			continue;
		if (b == TK_CONTIGUOUS)
			fold = g->m == prev && last;
		else if (b == TK_MERGED_PREV || b == TK_MERGED_NEXT)
			fold = g->m && !prev && last;
		prev = g->m;
		if (fold && b == TK_MERGED_NEXT)
			last->s = g->s;
		else if (fold)
			last->e = g->e;
		else if (push_seg(&sc->sub, &sc->nsub, &sc->subcap, g->s, g->e, 0))
			return tk_encode_oom(sc);
	}
	for (i = 0; b == TK_MERGED_NEXT && i < sc->nsub / 2; i++) {
		struct tk_seg x = sc->sub[i];
		sc->sub[i] = sc->sub[sc->nsub - 1 - i];
		sc->sub[sc->nsub - 1 - i] = x;
	}
	return 0;
}

static int emit_subs(struct tk_scratch *sc, const char *s, int origin, struct tk_pieces *out)
{
	size_t i;
	for (i = 0; i < sc->nsub; i++) {
		const struct tk_seg *g = &sc->sub[i];
		if (g->e > g->s && tk_pieces_add(out, s + g->s, g->e - g->s, origin && g->s == 0))
			return tk_encode_oom(sc);
	}
	return 0;
}

static int pre_split(struct tk_scratch *sc, const struct tk_pre *p, const char *s, size_t n,
		     int origin, struct tk_pieces *out)
{
	int rc = find_segs(sc, p->re, p->lit, p->lit_len, p->invert, s, n,
			   "pre-tokenizer Split");
	if (!rc)
		rc = apply_behavior(sc, p->behavior);
	return rc ? rc : emit_subs(sc, s, origin, out);
}

static int pre_bytelevel(struct tk_scratch *sc, const struct tk_pre *p, const char *s, size_t n,
			 int origin, struct tk_pieces *out)
{
	const struct tokenizer *t = sc->t;
	size_t i, j;
	int rc;
	if (p->add_prefix_space && s[0] != ' ') {
		strbuf_reset(&sc->tmp);
		if (strbuf_addc(&sc->tmp, ' ') || strbuf_add(&sc->tmp, s, n))
			return tk_encode_oom(sc);
		s = sc->tmp.p;
		n = sc->tmp.len;
	}
	if (p->re) {
		if ((rc = find_segs(sc, p->re, NULL, 0, 0, s, n, "pre-tokenizer ByteLevel")) ||
		    (rc = apply_behavior(sc, TK_ISOLATED)))
			return rc;
	} else {
		sc->nsub = 0;
		if (push_seg(&sc->sub, &sc->nsub, &sc->subcap, 0, n, 0))
			return tk_encode_oom(sc);
	}
	for (i = 0; i < sc->nsub; i++) {
		/* every byte becomes the printable stand-in that the vocabulary spells */
		strbuf_reset(&sc->map);
		for (j = sc->sub[i].s; j < sc->sub[i].e; j++)
			if (strbuf_add_cp(&sc->map, t->byte_cp[(unsigned char)s[j]]))
				return tk_encode_oom(sc);
		if (tk_pieces_add(out, sc->map.p, sc->map.len, origin && sc->sub[i].s == 0))
			return tk_encode_oom(sc);
	}
	return 0;
}

static int pre_metaspace(struct tk_scratch *sc, const struct tk_pre *p, const char *s, size_t n,
			 int origin, struct tk_pieces *out)
{
	size_t i;
	int rc;
	strbuf_reset(&sc->tmp);
	for (i = 0; i < n; i++) {
		rc = s[i] == ' ' ? strbuf_add(&sc->tmp, p->repl, p->repl_len)
				 : strbuf_addc(&sc->tmp, s[i]);
		if (rc)
			return tk_encode_oom(sc);
	}
	if ((p->prepend == TK_PREPEND_ALWAYS || (p->prepend == TK_PREPEND_FIRST && origin)) &&
	    (sc->tmp.len < p->repl_len || memcmp(sc->tmp.p, p->repl, p->repl_len))) {
		strbuf_reset(&sc->map);
		if (strbuf_add(&sc->map, p->repl, p->repl_len) ||
		    strbuf_add(&sc->map, sc->tmp.p, sc->tmp.len))
			return tk_encode_oom(sc);
		strbuf_reset(&sc->tmp);
		if (strbuf_add(&sc->tmp, sc->map.p, sc->map.len))
			return tk_encode_oom(sc);
	}
	if (!p->split)
		return tk_pieces_add(out, sc->tmp.p, sc->tmp.len, origin) ? tk_encode_oom(sc) : 0;
	if ((rc = find_segs(sc, NULL, p->repl, p->repl_len, 0, sc->tmp.p, sc->tmp.len,
			      "pre-tokenizer Metaspace")) ||
	    (rc = apply_behavior(sc, TK_MERGED_NEXT)))
		return rc;
	return emit_subs(sc, sc->tmp.p, origin, out);
}

/* Run the pre-tokenizer steps over s; the pieces end up in *res. */
int tk_pretokenize(struct tk_scratch *sc, const char *s, size_t n, int origin,
		   struct tk_pieces **res)
{
	const struct tokenizer *t = sc->t;
	struct tk_pieces *in = &sc->pa, *out = &sc->pb, *x;
	int i, rc = 0;
	size_t k;
	tk_pieces_clear(in);
	if (tk_pieces_add(in, s, n, origin))
		return tk_encode_oom(sc);
	for (i = 0; i < t->n_pre; i++) {
		const struct tk_pre *p = &t->pre[i];
		tk_pieces_clear(out);
		for (k = 0; k < in->n && !rc; k++) {
			const char *ps = in->buf.p + in->sp[k].off;
			size_t pn = in->sp[k].len;
			int po = in->sp[k].origin;
			if (p->kind == TK_PRE_SPLIT)
				rc = pre_split(sc, p, ps, pn, po, out);
			else if (p->kind == TK_PRE_BYTELEVEL)
				rc = pre_bytelevel(sc, p, ps, pn, po, out);
			else
				rc = pre_metaspace(sc, p, ps, pn, po, out);
		}
		if (rc)
			return rc;
		x = in;
		in = out;
		out = x;
	}
	*res = in;
	return 0;
}
