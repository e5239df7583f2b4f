/*
 * tokenizer_encode.c: text -> ids, in HF's order: split out added tokens on the raw
 * text, normalize each remaining part, split out normalized added tokens, pre-tokenize
 * (regex split, byte-level map, metaspace), run BPE on every piece, add BOS/EOS.
 *
 * It must never write to the tokenizer: all scratch memory belongs to the call (struct
 * scratch), which is what lets server threads share one const tokenizer. It never
 * prints or exits; failures come back as a negative enum bb_err with a message.
 */
#define _GNU_SOURCE /* memmem */
#include "engine/tokenizer/internal.h"

#include <stdlib.h>
#include <string.h>

/* One part of a text after added-token splitting; id -1 for plain text. */
struct split {
	size_t off, len;
	int id;
};

struct splits {
	struct split *p;
	size_t n, cap;
};

/* A piece of a pre-tokenizer split: [s, e), and whether it matched the pattern. */
struct seg {
	size_t s, e;
	int m;
};

/* BPE symbols form a linked list inside an array; merged-away ones are dead. */
struct sym {
	int id, prev, next, alive;
};

struct merge {
	uint64_t key; /* rank << 32 | position of the left symbol */
	int id;
};

struct scratch {
	const struct tokenizer *t;
	struct bb_error *err;
	struct tk_ivec out;
	struct splits raw, norm;
	struct tk_buf nbuf, ntmp, tmp, map;
	struct tk_pieces pa, pb;
	struct seg *seg;
	size_t nseg, segcap;
	struct seg *sub;
	size_t nsub, subcap;
	struct sym *sym;
	size_t symcap;
	struct merge *heap;
	size_t nheap, heapcap;
	struct tk_buf key;
	pcre2_match_data *md;
};

static int oom(struct scratch *sc)
{
	return bb_fail(sc->err, BB_ENOMEM, "tokenizer: out of memory while encoding");
}

static int push_split(struct splits *v, size_t off, size_t len, int id)
{
	struct split s = {off, len, id};
	if (tk_grow((void **)&v->p, &v->cap, v->n + 1, sizeof *v->p))
		return -1;
	v->p[v->n++] = s;
	return 0;
}

static int push_seg(struct seg **v, size_t *n, size_t *cap, size_t s, size_t e, int m)
{
	struct seg g = {s, e, m};
	if (tk_grow((void **)v, cap, *n + 1, sizeof **v))
		return -1;
	(*v)[(*n)++] = g;
	return 0;
}

/* ---- regex matching ---- */

/*
 * Next non-empty match of re in s[0, n) starting at or after pos: 1 and [*ms, *me),
 * 0 when there is none, or a negative bb_err. Empty matches are stepped over one
 * character at a time, as the Oniguruma iterator HF uses does; they would only
 * produce empty pieces, which HF drops.
 */
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

static int re_next(pcre2_match_data *md, const pcre2_code *re, const char *s, size_t n,
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

static int lit_next(const char *lit, size_t lit_len, const char *s, size_t n, size_t pos,
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

/* ---- normalization ---- */

static int normalize_oom(struct bb_error *err)
{
	return bb_fail(err, BB_ENOMEM, "tokenizer: out of memory while normalizing");
}

static int norm_replace(const struct tk_norm *nm, const char *s, size_t n, struct tk_buf *dst,
			pcre2_match_data *md, struct bb_error *err)
{
	size_t pos = 0, ms, me;
	int rc;
	for (;;) {
		if (nm->re)
			rc = re_next(md, nm->re, s, n, pos, &ms, &me, "normalizer Replace", err);
		else
			rc = lit_next(nm->a, nm->alen, s, n, pos, &ms, &me);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
		if (tk_buf_put(dst, s + pos, ms - pos) || tk_buf_put(dst, nm->b, nm->blen))
			return normalize_oom(err);
		pos = me;
	}
	return tk_buf_put(dst, s + pos, n - pos) ? normalize_oom(err) : 0;
}

static int norm_strip(const struct tk_norm *nm, const char *s, size_t n, struct tk_buf *dst)
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
	return tk_buf_put(dst, s + a, b - a);
}

/* One normalizer step: 0, or a negative bb_err with err filled. */
static int norm_step(const struct tk_norm *nm, const char *s, size_t n, struct tk_buf *dst,
		     pcre2_match_data *md, struct bb_error *err)
{
	int rc;
	switch (nm->kind) {
	case TK_NORM_PREPEND:
		/* HF prepends only to a non-empty string */
		rc = (n && tk_buf_put(dst, nm->a, nm->alen)) || tk_buf_put(dst, s, n);
		break;
	case TK_NORM_REPLACE:
	case TK_NORM_REPLACE_RE:
		return norm_replace(nm, s, n, dst, md, err);
	case TK_NORM_STRIP:
		rc = norm_strip(nm, s, n, dst);
		break;
	default: /* NFC: the text is kept as it is */
		rc = tk_buf_put(dst, s, n);
		break;
	}
	return rc ? normalize_oom(err) : 0;
}

int tk_normalize(const struct tokenizer *t, const char *s, size_t n, struct tk_buf *out,
		 struct tk_buf *tmp, struct bb_error *err)
{
	struct tk_buf *bufs[2] = {out, tmp};
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int cur = -1, i, rc = 0;
	if (!md)
		return normalize_oom(err);
	for (i = 0; i < t->n_norm && !rc; i++) {
		/* steps alternate between the two buffers, starting from the caller's text */
		struct tk_buf *dst = bufs[cur == 0];
		dst->len = 0;
		rc = norm_step(&t->norm[i], s, n, dst, md, err);
		cur = cur == 0;
		s = dst->p ? dst->p : "";
		n = dst->len;
	}
	pcre2_match_data_free(md);
	if (!rc && cur != 0) {
		out->len = 0;
		rc = tk_buf_put(out, s, n) ? normalize_oom(err) : 0;
	}
	return rc;
}

/* ---- added tokens ---- */

static int is_word_at(const struct scratch *sc, const char *s, size_t n, size_t off)
{
	return pcre2_match(sc->t->word_re, (PCRE2_SPTR)s, n, off, PCRE2_NO_UTF_CHECK, sc->md,
			   NULL) >= 0;
}

/* HF's single_word: no word character right before or right after the match. */
static int single_word_ok(const struct scratch *sc, const char *s, size_t n, size_t a, size_t b)
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
static int split_added(struct scratch *sc, const struct tk_matcher *m, const char *s, size_t n,
		       struct splits *out)
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
			return oom(sc);
		if (push_split(out, start, stop - start, a->id))
			return oom(sc);
		done = pos = stop;
	}
	if (done < n && push_split(out, done, n - done, -1))
		return oom(sc);
	return 0;
}

/* ---- pre-tokenization ---- */

/* Cover s with matched and unmatched segments of a regex or literal pattern. */
static int find_segs(struct scratch *sc, const pcre2_code *re, const char *lit, size_t lit_len,
		     int invert, const char *s, size_t n, const char *what)
{
	size_t prev = 0, ms, me;
	int rc;
	sc->nseg = 0;
	for (;;) {
		rc = re ? re_next(sc->md, re, s, n, prev, &ms, &me, what, sc->err)
			: lit_next(lit, lit_len, s, n, prev, &ms, &me);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
		if (ms > prev && push_seg(&sc->seg, &sc->nseg, &sc->segcap, prev, ms, invert))
			return oom(sc);
		if (push_seg(&sc->seg, &sc->nseg, &sc->segcap, ms, me, !invert))
			return oom(sc);
		prev = me;
	}
	if (prev < n && push_seg(&sc->seg, &sc->nseg, &sc->segcap, prev, n, invert))
		return oom(sc);
	return 0;
}

/* Turn sc->seg into the pieces a split behavior keeps (sc->sub), as HF's
 * NormalizedString::split folds them. */
static int apply_behavior(struct scratch *sc, enum tk_split_behavior b)
{
	size_t i, k;
	int prev = 0;
	sc->nsub = 0;
	for (k = 0; k < sc->nseg; k++) {
		/* MergedWithNext folds from the right, so walk backwards for it */
		const struct seg *g = &sc->seg[b == TK_MERGED_NEXT ? sc->nseg - 1 - k : k];
		struct seg *last = sc->nsub ? &sc->sub[sc->nsub - 1] : NULL;
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
			return oom(sc);
	}
	for (i = 0; b == TK_MERGED_NEXT && i < sc->nsub / 2; i++) {
		struct seg x = sc->sub[i];
		sc->sub[i] = sc->sub[sc->nsub - 1 - i];
		sc->sub[sc->nsub - 1 - i] = x;
	}
	return 0;
}

static int emit_subs(struct scratch *sc, const char *s, int origin, struct tk_pieces *out)
{
	size_t i;
	for (i = 0; i < sc->nsub; i++) {
		const struct seg *g = &sc->sub[i];
		if (g->e > g->s && tk_pieces_add(out, s + g->s, g->e - g->s, origin && g->s == 0))
			return oom(sc);
	}
	return 0;
}

static int pre_split(struct scratch *sc, const struct tk_pre *p, const char *s, size_t n,
		     int origin, struct tk_pieces *out)
{
	int rc = find_segs(sc, p->re, p->lit, p->lit_len, p->invert, s, n,
			   "pre-tokenizer Split");
	if (!rc)
		rc = apply_behavior(sc, p->behavior);
	return rc ? rc : emit_subs(sc, s, origin, out);
}

static int pre_bytelevel(struct scratch *sc, const struct tk_pre *p, const char *s, size_t n,
			 int origin, struct tk_pieces *out)
{
	const struct tokenizer *t = sc->t;
	size_t i, j;
	int rc;
	if (p->add_prefix_space && s[0] != ' ') {
		sc->tmp.len = 0;
		if (tk_buf_putc(&sc->tmp, ' ') || tk_buf_put(&sc->tmp, s, n))
			return oom(sc);
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
			return oom(sc);
	}
	for (i = 0; i < sc->nsub; i++) {
		/* every byte becomes the printable stand-in that the vocabulary spells */
		sc->map.len = 0;
		for (j = sc->sub[i].s; j < sc->sub[i].e; j++)
			if (tk_buf_put_cp(&sc->map, t->byte_cp[(unsigned char)s[j]]))
				return oom(sc);
		if (tk_pieces_add(out, sc->map.p, sc->map.len, origin && sc->sub[i].s == 0))
			return oom(sc);
	}
	return 0;
}

static int pre_metaspace(struct scratch *sc, const struct tk_pre *p, const char *s, size_t n,
			 int origin, struct tk_pieces *out)
{
	size_t i;
	int rc;
	sc->tmp.len = 0;
	for (i = 0; i < n; i++) {
		rc = s[i] == ' ' ? tk_buf_put(&sc->tmp, p->repl, p->repl_len)
				 : tk_buf_putc(&sc->tmp, s[i]);
		if (rc)
			return oom(sc);
	}
	if ((p->prepend == TK_PREPEND_ALWAYS || (p->prepend == TK_PREPEND_FIRST && origin)) &&
	    (sc->tmp.len < p->repl_len || memcmp(sc->tmp.p, p->repl, p->repl_len))) {
		sc->map.len = 0;
		if (tk_buf_put(&sc->map, p->repl, p->repl_len) ||
		    tk_buf_put(&sc->map, sc->tmp.p, sc->tmp.len))
			return oom(sc);
		sc->tmp.len = 0;
		if (tk_buf_put(&sc->tmp, sc->map.p, sc->map.len))
			return oom(sc);
	}
	if (!p->split)
		return tk_pieces_add(out, sc->tmp.p, sc->tmp.len, origin) ? oom(sc) : 0;
	if ((rc = find_segs(sc, NULL, p->repl, p->repl_len, 0, sc->tmp.p, sc->tmp.len,
			      "pre-tokenizer Metaspace")) ||
	    (rc = apply_behavior(sc, TK_MERGED_NEXT)))
		return rc;
	return emit_subs(sc, sc->tmp.p, origin, out);
}

/* Run the pre-tokenizer steps over s; the pieces end up in *res. */
static int pretokenize(struct scratch *sc, const char *s, size_t n, int origin,
		       struct tk_pieces **res)
{
	const struct tokenizer *t = sc->t;
	struct tk_pieces *in = &sc->pa, *out = &sc->pb, *x;
	int i, rc = 0;
	size_t k;
	tk_pieces_clear(in);
	if (tk_pieces_add(in, s, n, origin))
		return oom(sc);
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

/* ---- BPE ---- */

/* Heap order: lowest rank first, then leftmost; both packed into one 64-bit key. */
static uint64_t merge_key(int rank, int pos)
{
	return (uint64_t)(uint32_t)rank << 32 | (uint32_t)pos;
}

static void sift_down(struct merge *h, size_t n, size_t i)
{
	struct merge x = h[i];
	size_t c;
	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && h[c + 1].key < h[c].key)
			c++;
		if (h[c].key >= x.key)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static int heap_push(struct scratch *sc, int rank, int pos, int id)
{
	struct merge m = {merge_key(rank, pos), id};
	size_t i;
	if (tk_grow((void **)&sc->heap, &sc->heapcap, sc->nheap + 1, sizeof *sc->heap))
		return -1;
	for (i = sc->nheap++; i > 0 && m.key < sc->heap[(i - 1) / 2].key; i = (i - 1) / 2)
		sc->heap[i] = sc->heap[(i - 1) / 2];
	sc->heap[i] = m;
	return 0;
}

static struct merge heap_pop(struct scratch *sc)
{
	struct merge top = sc->heap[0];
	sc->heap[0] = sc->heap[--sc->nheap];
	if (sc->nheap)
		sift_down(sc->heap, sc->nheap, 0);
	return top;
}

static int add_sym(struct scratch *sc, int *nsym, int id)
{
	struct sym s = {id, *nsym - 1, *nsym + 1, 1};
	if (tk_grow((void **)&sc->sym, &sc->symcap, (size_t)*nsym + 1, sizeof *sc->sym))
		return -1;
	sc->sym[(*nsym)++] = s;
	return 0;
}

/* The vocabulary key of one character: with the subword prefix/suffix when set. */
static int char_key(struct scratch *sc, const char *c, size_t k, int first, int last,
		    const char **key, size_t *klen)
{
	const struct tokenizer *t = sc->t;
	if (!t->cont_prefix && !t->eow_suffix) {
		*key = c;
		*klen = k;
		return 0;
	}
	sc->key.len = 0;
	if (!first && t->cont_prefix &&
	    tk_buf_put(&sc->key, t->cont_prefix, t->cont_prefix_len))
		return -1;
	if (tk_buf_put(&sc->key, c, k))
		return -1;
	if (last && t->eow_suffix && tk_buf_put(&sc->key, t->eow_suffix, t->eow_suffix_len))
		return -1;
	*key = sc->key.p;
	*klen = sc->key.len;
	return 0;
}

/* HF's byte fallback: every byte of the key as <0xNN>, or nothing if one is missing. */
static int byte_fallback(struct scratch *sc, const char *key, size_t klen, int *nsym)
{
	const struct tokenizer *t = sc->t;
	size_t i;
	for (i = 0; i < klen; i++)
		if (t->byte_id[(unsigned char)key[i]] < 0)
			return 0;
	for (i = 0; i < klen; i++)
		if (add_sym(sc, nsym, t->byte_id[(unsigned char)key[i]]))
			return -1;
	return 1;
}

/* Split a word into initial symbols: known chars, byte fallback, or (fused) unk. */
static int initial_symbols(struct scratch *sc, const char *w, size_t n, int *nsym)
{
	const struct tokenizer *t = sc->t;
	size_t i, k;
	int pending_unk = 0, rc;
	*nsym = 0;
	for (i = 0; i < n; i += k) {
		const char *key;
		size_t klen;
		int id;
		k = tk_utf8_len((unsigned char)w[i]);
		if (k > n - i)
			k = n - i;
		if (char_key(sc, w + i, k, i == 0, i + k == n, &key, &klen))
			return oom(sc);
		id = tk_strmap_get(&t->vocab, key, klen);
		if (id >= 0) {
			if ((pending_unk && add_sym(sc, nsym, t->unk_id)) || add_sym(sc, nsym, id))
				return oom(sc);
			pending_unk = 0;
			continue;
		}
		/* as in HF, a pending unk is not flushed before fallback bytes */
		if (t->byte_fallback && (rc = byte_fallback(sc, key, klen, nsym)) != 0) {
			if (rc < 0)
				return oom(sc);
			continue;
		}
		if (!t->unk_named)
			continue; /* HF drops the character when there is no unk token */
		if (t->unk_id < 0)
			return bb_fail(sc->err, BB_EFORMAT,
				       "tokenizer: model.unk_token is not in model.vocab");
		if (pending_unk && !t->fuse_unk && add_sym(sc, nsym, t->unk_id))
			return oom(sc);
		pending_unk = 1;
	}
	if (pending_unk && add_sym(sc, nsym, t->unk_id))
		return oom(sc);
	if (*nsym)
		sc->sym[*nsym - 1].next = -1;
	return 0;
}

/* Lowest-rank merge first, leftmost among equals (HF's Word::merge_all). */
static int merge_all(struct scratch *sc, int nsym)
{
	const struct tokenizer *t = sc->t;
	const struct tk_pair_slot *m;
	struct sym *s = sc->sym;
	int i;
	/* all the initial pairs at once, then heapify: O(n) instead of n pushes */
	sc->nheap = 0;
	if (nsym > 1 && tk_grow((void **)&sc->heap, &sc->heapcap, (size_t)nsym, sizeof *sc->heap))
		return oom(sc);
	for (i = 0; i + 1 < nsym; i++)
		if ((m = tk_pairmap_get(&t->merges, s[i].id, s[i + 1].id))) {
			struct merge e = {merge_key(m->rank, i), m->id};
			sc->heap[sc->nheap++] = e;
		}
	for (i = (int)(sc->nheap / 2) - 1; i >= 0; i--)
		sift_down(sc->heap, sc->nheap, (size_t)i);
	while (sc->nheap) {
		struct merge top = heap_pop(sc);
		int pos = (int)(uint32_t)top.key, nx = s[pos].next;
		/* entries go stale when a neighbour merged first; skip those */
		if (!s[pos].alive || nx < 0)
			continue;
		m = tk_pairmap_get(&t->merges, s[pos].id, s[nx].id);
		if (!m || m->id != top.id)
			continue;
		s[pos].id = top.id;
		s[pos].next = s[nx].next;
		s[nx].alive = 0;
		if (s[pos].next >= 0)
			s[s[pos].next].prev = pos;
		/* the merged symbol forms new pairs with both neighbours */
		if (s[pos].prev >= 0 &&
		    (m = tk_pairmap_get(&t->merges, s[s[pos].prev].id, s[pos].id)) &&
		    heap_push(sc, m->rank, s[pos].prev, m->id))
			return oom(sc);
		if (s[pos].next >= 0 &&
		    (m = tk_pairmap_get(&t->merges, s[pos].id, s[s[pos].next].id)) &&
		    heap_push(sc, m->rank, pos, m->id))
			return oom(sc);
	}
	return 0;
}

static int bpe(struct scratch *sc, const char *w, size_t n)
{
	const struct tokenizer *t = sc->t;
	int nsym, i, rc;
	if (t->ignore_merges) {
		int id = tk_strmap_get(&t->vocab, w, n);
		if (id >= 0)
			return tk_ivec_push(&sc->out, id) ? oom(sc) : 0;
	}
	if ((rc = initial_symbols(sc, w, n, &nsym)) || (rc = merge_all(sc, nsym)))
		return rc;
	/* symbol 0 always survives: merges only ever remove the right-hand symbol */
	for (i = nsym ? 0 : -1; i >= 0; i = sc->sym[i].next)
		if (tk_ivec_push(&sc->out, sc->sym[i].id))
			return oom(sc);
	return 0;
}

/* ---- the pipeline ---- */

static int encode_normalized(struct scratch *sc, const char *s, size_t n, int origin)
{
	struct tk_pieces *pieces = NULL;
	size_t k;
	int rc;
	if (!n)
		return 0;
	if (!sc->t->n_pre)
		return bpe(sc, s, n); /* no pre-tokenizer: the whole string is one word */
	if ((rc = pretokenize(sc, s, n, origin, &pieces)))
		return rc;
	for (k = 0; k < pieces->n; k++)
		if ((rc = bpe(sc, pieces->buf.p + pieces->sp[k].off, pieces->sp[k].len)))
			return rc;
	return 0;
}

static int encode_segment(struct scratch *sc, const char *s, size_t n, int origin)
{
	const struct tokenizer *t = sc->t;
	size_t k;
	int rc;
	if (t->n_norm) {
		if ((rc = tk_normalize(t, s, n, &sc->nbuf, &sc->ntmp, sc->err)))
			return rc;
		s = sc->nbuf.p ? sc->nbuf.p : "";
		n = sc->nbuf.len;
	}
	if ((rc = split_added(sc, &t->norm_matcher, s, n, &sc->norm)))
		return rc;
	for (k = 0; k < sc->norm.n; k++) {
		const struct split *p = &sc->norm.p[k];
		if (p->id >= 0)
			rc = tk_ivec_push(&sc->out, p->id) ? oom(sc) : 0;
		else
			rc = encode_normalized(sc, s + p->off, p->len, origin && p->off == 0);
		if (rc)
			return rc;
	}
	return 0;
}

static int encode_text(struct scratch *sc, const char *text, size_t len)
{
	size_t k;
	int rc;
	if ((rc = split_added(sc, &sc->t->raw_matcher, text, len, &sc->raw)))
		return rc;
	for (k = 0; k < sc->raw.n; k++) {
		const struct split *p = &sc->raw.p[k];
		if (p->id >= 0)
			rc = tk_ivec_push(&sc->out, p->id) ? oom(sc) : 0;
		else
			rc = encode_segment(sc, text + p->off, p->len, p->off == 0);
		if (rc)
			return rc;
	}
	return 0;
}

static void scratch_free(struct scratch *sc)
{
	free(sc->out.p);
	free(sc->raw.p);
	free(sc->norm.p);
	free(sc->nbuf.p);
	free(sc->ntmp.p);
	free(sc->tmp.p);
	free(sc->map.p);
	free(sc->key.p);
	tk_pieces_free(&sc->pa);
	tk_pieces_free(&sc->pb);
	free(sc->seg);
	free(sc->sub);
	free(sc->sym);
	free(sc->heap);
	pcre2_match_data_free(sc->md);
}

/* BOS (when forced) and the template's leading ids. */
static int encode_prefix(struct scratch *sc, int add_bos)
{
	const struct tokenizer *t = sc->t;
	if (!add_bos)
		return 0;
	if (add_bos == 1 && !tokenizer_adds_bos(t)) {
		if (t->bos_id < 0)
			return bb_fail(sc->err, BB_EINVAL,
				       "tokenizer: add_bos is 1 but there is no bos token");
		if (tk_ivec_push(&sc->out, t->bos_id))
			return oom(sc);
	}
	return tk_ivec_append(&sc->out, t->prefix, (size_t)t->n_prefix) ? oom(sc) : 0;
}

int tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, int add_bos,
		     int **ids, int *n_ids, struct bb_error *err)
{
	struct scratch sc;
	size_t bad;
	int rc;
	if (ids)
		*ids = NULL;
	if (n_ids)
		*n_ids = 0;
	if (!t || !ids || !n_ids || (!text && len) || add_bos < -1 || add_bos > 1)
		return bb_fail(err, BB_EINVAL, "tokenizer_encode: bad arguments");
	if ((bad = tk_utf8_check(text ? text : "", len)) < len)
		return bb_fail(err, BB_EINVAL,
			       "tokenizer_encode: text is not valid utf-8 at byte %zu", bad);
	memset(&sc, 0, sizeof sc);
	sc.t = t;
	sc.err = err;
	if (!(sc.md = pcre2_match_data_create(1, NULL)))
		rc = oom(&sc);
	else if (!(rc = encode_prefix(&sc, add_bos)) &&
		 !(rc = encode_text(&sc, text ? text : "", len)) && add_bos &&
		 tk_ivec_append(&sc.out, t->suffix, (size_t)t->n_suffix))
		rc = oom(&sc);
	if (!rc && sc.out.len > 0x7fffffff)
		rc = bb_fail(err, BB_EINVAL, "tokenizer_encode: text too long");
	if (!rc) {
		*ids = sc.out.p;
		*n_ids = (int)sc.out.len;
		sc.out.p = NULL;
	}
	scratch_free(&sc);
	return rc;
}
