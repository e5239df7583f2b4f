/*
 * decoder.c: the decoder stage, ids -> text: its steps (Replace, ByteFallback, Fuse,
 * Strip, ByteLevel, Metaspace) parsed from tokenizer.json, and HF's decoder chain applied:
 * each step maps a list of token strings to a new list, and the final list is
 * concatenated.
 *
 * It must produce valid UTF-8 exactly where HF does (U+FFFD for broken byte runs) and
 * never write to the tokenizer: several threads may decode with one tokenizer at once.
 * It never prints or exits.
 */
#define _GNU_SOURCE /* memmem */
#include "engine/tokenizer/stages.h"
#include "engine/tokenizer/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- parsing ----

static struct tk_dec *new_dec(struct tk_ctx *c)
{
	return tk_new_step(c, (void **)&c->t->dec, &c->t->n_dec, sizeof *c->t->dec);
}

static int get_count(struct tk_ctx *c, const cJSON *o, const char *key, const char *where, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v) {
		*out = 0;
		return 0;
	}
	if ((*out = tk_as_id(v)) < 0)
		return tk_fail_key(c, where, key, "is not a non-negative integer");
	return 0;
}

static int parse_dec_simple(struct tk_ctx *c, const cJSON *o, const char *type, const char *where)
{
	struct tk_dec *d = new_dec(c);
	pcre2_code *re = NULL;
	int bad, rc;
	if (!d)
		return BB_ENOMEM;
	if (!strcmp(type, "ByteFallback")) {
		d->kind = TK_DEC_BYTEFALLBACK;
	} else if (!strcmp(type, "Fuse")) {
		d->kind = TK_DEC_FUSE;
	} else if (!strcmp(type, "ByteLevel")) {
		d->kind = TK_DEC_BYTELEVEL;
	} else if (!strcmp(type, "Strip")) {
		d->kind = TK_DEC_STRIP;
		if ((rc = tk_get_char(c, o, "content", " ", where, &d->cp, NULL, NULL)) ||
		    (rc = get_count(c, o, "start", where, &d->start)) ||
		    (rc = get_count(c, o, "stop", where, &d->stop)))
			return rc;
	} else if (!strcmp(type, "Metaspace")) {
		enum tk_prepend scheme;
		d->kind = TK_DEC_METASPACE;
		if ((rc = tk_get_char(c, o, "replacement", "\xE2\x96\x81", where, &d->cp, NULL,
				      NULL)) ||
		    (rc = tk_parse_prepend_scheme(c, o, where, &scheme)))
			return rc;
		d->prepend = scheme != TK_PREPEND_NEVER;
	} else {
		const char *s = tk_get_str(c, o, "content", where, &bad);
		d->kind = TK_DEC_REPLACE;
		if (bad)
			return BB_EFORMAT;
		if (!s)
			return tk_fail_key(c, where, "content", "is missing");
		if (!(d->to = tk_dup_str(c, s, d->to_len = strlen(s))))
			return BB_ENOMEM;
		if ((rc = tk_get_pattern(c, o, where, &d->from, &d->from_len, &re)))
			return rc;
		if (re) {
			pcre2_code_free(re);
			return bb_fail(c->err, BB_EUNSUPPORTED,
				       "'%s': %s.pattern: a Regex Replace decoder is not supported",
				       c->path, where);
		}
	}
	return 0;
}

static int parse_dec_step(struct tk_ctx *c, const cJSON *o, const char *type, const char *where,
			  void *unused)
{
	(void)unused;
	if (type && (!strcmp(type, "ByteFallback") || !strcmp(type, "Fuse") ||
		     !strcmp(type, "ByteLevel") || !strcmp(type, "Strip") ||
		     !strcmp(type, "Metaspace") || !strcmp(type, "Replace")))
		return parse_dec_simple(c, o, type, where);
	return tk_unsupported(c, where, type);
}

int tk_parse_decoder(struct tk_ctx *c, const cJSON *o)
{
	if (o && !cJSON_IsNull(o))
		c->t->has_decoder = 1; /* even an empty Sequence replaces the default join */
	return tk_parse_steps(c, o, "decoder", "decoders", parse_dec_step, NULL);
}

// ---- applying ----

static const char replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte of a "<0xNN>" token, or -1. */
static int byte_token(const char *s, size_t n)
{
	int hi, lo;
	if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>')
		return -1;
	hi = hexval(s[3]);
	lo = hexval(s[4]);
	return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

static int dec_replace(const struct tk_dec *d, const char *s, size_t n, struct tk_pieces *out)
{
	size_t start = out->buf.len, pos = 0;
	const char *hit;
	while (d->from_len && pos < n && (hit = memmem(s + pos, n - pos, d->from, d->from_len))) {
		if (strbuf_add(&out->buf, s + pos, (size_t)(hit - s) - pos) ||
		    strbuf_add(&out->buf, d->to, d->to_len))
			return -1;
		pos = (size_t)(hit - s) + d->from_len;
	}
	if (strbuf_add(&out->buf, s + pos, n - pos))
		return -1;
	return tk_pieces_close(out, start, 0);
}

/* Flush collected fallback bytes: one token if they are UTF-8, else U+FFFD per byte. */
static int flush_bytes(struct strbuf *bytes, struct tk_pieces *out)
{
	size_t i;
	int rc = 0;
	if (!bytes->len)
		return 0;
	if (tk_utf8_check(bytes->p, bytes->len) == bytes->len)
		rc = tk_pieces_add(out, bytes->p, bytes->len, 0);
	else
		for (i = 0; i < bytes->len && !rc; i++)
			rc = tk_pieces_add(out, replacement_char, 3, 0);
	strbuf_reset(bytes);
	return rc;
}

static int dec_bytefallback(const struct tk_pieces *in, struct tk_pieces *out)
{
	struct strbuf bytes = {0};
	size_t k;
	int rc = 0;
	for (k = 0; k < in->n && !rc; k++) {
		const char *s = in->buf.p + in->sp[k].off;
		int b = byte_token(s, in->sp[k].len);
		char c = (char)b;
		if (b >= 0)
			rc = strbuf_add(&bytes, &c, 1);
		else if (!(rc = flush_bytes(&bytes, out)))
			rc = tk_pieces_add(out, s, in->sp[k].len, 0);
	}
	if (!rc)
		rc = flush_bytes(&bytes, out);
	free(bytes.p);
	return rc;
}

static int dec_fuse(const struct tk_pieces *in, struct tk_pieces *out)
{
	struct strbuf all = {0};
	size_t k;
	int rc = 0;
	for (k = 0; k < in->n && !rc; k++)
		rc = strbuf_add(&all, in->buf.p + in->sp[k].off, in->sp[k].len);
	if (!rc)
		rc = tk_pieces_add(out, all.p ? all.p : "", all.len, 0);
	free(all.p);
	return rc;
}

/* Strip: drop up to start leading and up to stop trailing copies of one character. */
static int dec_strip(const struct tk_dec *d, const char *s, size_t n, struct tk_pieces *out)
{
	size_t a = 0, b = n, used;
	int i;
	for (i = 0; i < d->start && a < n && tk_utf8_decode(s + a, n - a, &used) == d->cp; i++)
		a += used;
	for (i = 0; i < d->stop && b > a; i++) {
		size_t p = b - 1;
		while (p > a && ((unsigned char)s[p] & 0xC0) == 0x80)
			p--;
		if (tk_utf8_decode(s + p, b - p, &used) != d->cp)
			break;
		b = p;
	}
	return tk_pieces_add(out, s + a, b - a, 0);
}

/* ByteLevel: map each token's characters back to bytes (a token with a character
 * outside the map, like a non-ASCII added token, is kept as it is), then read all the
 * bytes as UTF-8 with U+FFFD for bad runs. */
static int dec_bytelevel(const struct tokenizer *t, const struct tk_pieces *in,
			 struct tk_pieces *out)
{
	struct strbuf bytes = {0}, text = {0};
	size_t k, i, used;
	int rc = 0;
	for (k = 0; k < in->n && !rc; k++) {
		const char *s = in->buf.p + in->sp[k].off;
		size_t n = in->sp[k].len, mark = bytes.len;
		for (i = 0; i < n && !rc; i += used) {
			uint32_t cp = tk_utf8_decode(s + i, n - i, &used);
			char b;
			if (cp >= 324 || t->cp_byte[cp] < 0)
				break;
			b = (char)t->cp_byte[cp];
			rc = strbuf_add(&bytes, &b, 1);
		}
		if (!rc && i < n) {
			bytes.len = mark;
			rc = strbuf_add(&bytes, s, n);
		}
	}
	if (!rc)
		rc = tk_put_lossy(&text, bytes.p, bytes.len);
	if (!rc)
		rc = tk_pieces_add(out, text.p ? text.p : "", text.len, 0);
	free(bytes.p);
	free(text.p);
	return rc;
}

/* Metaspace: the replacement becomes a space, except in the first token when a prefix
 * was added at encode time (HF drops it there). */
static int dec_metaspace(const struct tk_dec *d, const char *s, size_t n, int first,
			 struct tk_pieces *out)
{
	struct strbuf b = {0};
	size_t i, used;
	int rc = 0;
	for (i = 0; i < n && !rc; i += used) {
		uint32_t cp = tk_utf8_decode(s + i, n - i, &used);
		if (cp != d->cp)
			rc = strbuf_add(&b, s + i, used);
		else if (!(first && d->prepend))
			rc = strbuf_addc(&b, ' ');
	}
	if (!rc)
		rc = tk_pieces_add(out, b.p ? b.p : "", b.len, 0);
	free(b.p);
	return rc;
}

static int dec_step(const struct tokenizer *t, const struct tk_dec *d, const struct tk_pieces *in,
		    struct tk_pieces *out)
{
	size_t k;
	int rc = 0;
	switch (d->kind) {
	case TK_DEC_BYTEFALLBACK:
		return dec_bytefallback(in, out);
	case TK_DEC_FUSE:
		return dec_fuse(in, out);
	case TK_DEC_BYTELEVEL:
		return dec_bytelevel(t, in, out);
	default:
		break;
	}
	for (k = 0; k < in->n && !rc; k++) {
		const char *s = in->buf.p + in->sp[k].off;
		size_t n = in->sp[k].len;
		if (d->kind == TK_DEC_REPLACE)
			rc = dec_replace(d, s, n, out);
		else if (d->kind == TK_DEC_STRIP)
			rc = dec_strip(d, s, n, out);
		else
			rc = dec_metaspace(d, s, n, k == 0, out);
	}
	return rc;
}

/* The tokens of ids, as HF's decode collects them. */
static int collect(const struct tokenizer *t, const int *ids, int n_ids, int flags,
		   struct tk_pieces *out)
{
	int i;
	for (i = 0; i < n_ids; i++) {
		int id = ids[i];
		if (id < 0 || id >= t->n_ids || !t->piece[id])
			continue;
		if ((flags & TOKENIZER_SKIP_SPECIAL) && (t->id_flags[id] & TK_ID_SPECIAL))
			continue;
		if (tk_pieces_add(out, t->piece[id], t->piece_len[id], 0))
			return -1;
	}
	return 0;
}

/* Concatenate the final tokens; with no decoder HF joins them with spaces. */
static int join(const struct tokenizer *t, const struct tk_pieces *in, struct strbuf *res)
{
	size_t k;
	for (k = 0; k < in->n; k++) {
		if (!t->has_decoder && k && strbuf_addc(res, ' '))
			return -1;
		if (strbuf_add(res, in->buf.p + in->sp[k].off, in->sp[k].len))
			return -1;
	}
	return strbuf_add(res, "", 0);
}

int tokenizer_decode_ex(const struct tokenizer *t, const int *ids, int n_ids, int flags,
			char **text, size_t *len, struct bb_error *err)
{
	struct tk_pieces a = {0}, b = {0}, *in = &a, *out = &b, *x;
	struct strbuf res = {0};
	int i, rc;
	if (text)
		*text = NULL;
	if (len)
		*len = 0;
	if (!t || !text || n_ids < 0 || (!ids && n_ids))
		return bb_fail(err, BB_EINVAL, "tokenizer_decode: bad arguments");
	rc = collect(t, ids, n_ids, flags, in);
	for (i = 0; i < t->n_dec && !rc; i++) {
		tk_pieces_clear(out);
		rc = dec_step(t, &t->dec[i], in, out);
		x = in;
		in = out;
		out = x;
	}
	if (!rc)
		rc = join(t, in, &res);
	tk_pieces_free(&a);
	tk_pieces_free(&b);
	if (rc) {
		free(res.p);
		return bb_fail(err, BB_ENOMEM, "tokenizer_decode: out of memory");
	}
	res.p[res.len] = '\0';
	*text = res.p;
	if (len)
		*len = res.len;
	return 0;
}

int tokenizer_decode(const struct tokenizer *t, const int *ids, int n_ids, char **text,
		     struct bb_error *err)
{
	return tokenizer_decode_ex(t, ids, n_ids, 0, text, NULL, err);
}
