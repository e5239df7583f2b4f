/*
 * encode.c: text -> ids, in HF's order: split out added tokens on the raw text, normalize
 * each remaining part, split out normalized added tokens, pre-tokenize, run BPE on every
 * piece, put the post-processor's ids around. Each stage applies itself in its own file;
 * this file only runs them in order.
 *
 * It must never write to the tokenizer: all scratch memory belongs to the call (struct
 * tk_scratch), which is what lets server threads share one const tokenizer. It never
 * prints or exits; failures come back as a negative enum bb_err with a message.
 */
#include "engine/tokenizer/stages.h"

#include <stdlib.h>
#include <string.h>

static int encode_normalized(struct tk_scratch *sc, const char *s, size_t n, int origin)
{
	struct tk_pieces *pieces = NULL;
	size_t k;
	int rc;
	if (!n)
		return 0;
	if (!sc->t->n_pre)
		return tk_bpe(sc, s, n); /* no pre-tokenizer: the whole string is one word */
	if ((rc = tk_pretokenize(sc, s, n, origin, &pieces)))
		return rc;
	for (k = 0; k < pieces->n; k++)
		if ((rc = tk_bpe(sc, pieces->buf.p + pieces->sp[k].off, pieces->sp[k].len)))
			return rc;
	return 0;
}

static int encode_segment(struct tk_scratch *sc, const char *s, size_t n, int origin)
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
	if ((rc = tk_split_added(sc, &t->norm_matcher, s, n, &sc->norm)))
		return rc;
	for (k = 0; k < sc->norm.n; k++) {
		const struct tk_split *p = &sc->norm.p[k];
		if (p->id >= 0)
			rc = tk_ivec_push(&sc->out, p->id) ? tk_encode_oom(sc) : 0;
		else
			rc = encode_normalized(sc, s + p->off, p->len, origin && p->off == 0);
		if (rc)
			return rc;
	}
	return 0;
}

static int encode_text(struct tk_scratch *sc, const char *text, size_t len)
{
	size_t k;
	int rc;
	if ((rc = tk_split_added(sc, &sc->t->raw_matcher, text, len, &sc->raw)))
		return rc;
	for (k = 0; k < sc->raw.n; k++) {
		const struct tk_split *p = &sc->raw.p[k];
		if (p->id >= 0)
			rc = tk_ivec_push(&sc->out, p->id) ? tk_encode_oom(sc) : 0;
		else
			rc = encode_segment(sc, text + p->off, p->len, p->off == 0);
		if (rc)
			return rc;
	}
	return 0;
}

int tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, int add_bos,
		     int **ids, int *n_ids, struct bb_error *err)
{
	struct tk_scratch sc;
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
		rc = tk_encode_oom(&sc);
	else if (!(rc = tk_encode_prefix(&sc, add_bos)) &&
		 !(rc = encode_text(&sc, text ? text : "", len)) && add_bos &&
		 tk_ivec_append(&sc.out, t->suffix, (size_t)t->n_suffix))
		rc = tk_encode_oom(&sc);
	if (!rc && sc.out.len > 0x7fffffff)
		rc = bb_fail(err, BB_EINVAL, "tokenizer_encode: text too long");
	if (!rc) {
		*ids = sc.out.p;
		*n_ids = (int)sc.out.len;
		sc.out.p = NULL;
	}
	tk_scratch_free(&sc);
	return rc;
}
