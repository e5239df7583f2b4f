/*
 * tokenizer_load.c: reads tokenizer.json (and tokenizer_config.json) into a struct
 * tokenizer: the BPE vocabulary and merges, added tokens, and the normalizer,
 * pre-tokenizer, post-processor and decoder steps.
 *
 * It must reject what it cannot reproduce exactly (Unigram, WordPiece, unknown step
 * types) with BB_EUNSUPPORTED rather than tokenize differently from HF, and every
 * error names the file and the JSON field. It never prints and never exits.
 */
#define _GNU_SOURCE /* qsort_r */
#include "engine/tokenizer/internal.h"

#include <cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What every parse step needs: the tokenizer being filled and where to complain. */
struct ctx {
	struct tokenizer *t;
	const char *path;
	struct bb_error *err;
};

#define MAX_ID (1 << 24) /* far above any real vocabulary; keeps id arrays sane */

static int fail_field(struct ctx *c, const char *where, const char *what)
{
	return bb_fail(c->err, BB_EFORMAT, "'%s': %s %s", c->path, where, what);
}

static int oom(struct ctx *c)
{
	return bb_fail(c->err, BB_ENOMEM, "'%s': out of memory", c->path);
}

static char *dup_str(struct ctx *c, const char *s, size_t n)
{
	char *p = tk_arena_dup(&c->t->arena, s, n);
	if (!p)
		oom(c);
	return p;
}

/* ---- reading files ---- */

static int read_file(const char *path, char **data, size_t *len, struct bb_error *err)
{
	FILE *f = fopen(path, "rb");
	struct tk_buf b = {0};
	char chunk[65536];
	size_t n;
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': cannot open: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (tk_buf_put(&b, chunk, n)) {
			fclose(f);
			free(b.p);
			return bb_fail(err, BB_ENOMEM, "'%s': out of memory", path);
		}
	}
	if (ferror(f)) {
		fclose(f);
		free(b.p);
		return bb_fail(err, BB_EIO, "'%s': read error", path);
	}
	fclose(f);
	if (tk_buf_put(&b, "", 0)) {
		free(b.p);
		return bb_fail(err, BB_ENOMEM, "'%s': out of memory", path);
	}
	b.p[b.len] = '\0';
	*data = b.p;
	*len = b.len;
	return 0;
}

/* Parse len bytes of JSON text (named path in errors) into an object. */
static int parse_json_text(const char *path, const char *data, size_t len, cJSON **out,
			   struct bb_error *err)
{
	const char *end = NULL;
	/* the _Opts form reports the error position through our own pointer */
	*out = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!*out) {
		size_t at = end && end >= data && end <= data + len ? (size_t)(end - data) : 0;
		return bb_fail(err, BB_EFORMAT, "'%s': invalid json near byte %zu", path, at);
	}
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return bb_fail(err, BB_EFORMAT, "'%s': top level is not a json object", path);
	}
	return 0;
}

static int parse_json(const char *path, cJSON **out, struct bb_error *err)
{
	char *data;
	size_t len;
	int rc = read_file(path, &data, &len, err);
	if (rc)
		return rc;
	rc = parse_json_text(path, data, len, out, err);
	free(data);
	return rc;
}

/* ---- small JSON accessors ---- */

/* Boolean field: def when absent or null; -1 (error set) when of another type. */
static int get_bool(struct ctx *c, const cJSON *o, const char *key, int def, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char w[256];
	if (!v || cJSON_IsNull(v))
		return def;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	snprintf(w, sizeof w, "%s.%s", where, key);
	fail_field(c, w, "is not a boolean");
	return -1;
}

/* String field or NULL; *bad set when present but not a string (or null). */
static const char *get_str(struct ctx *c, const cJSON *o, const char *key, const char *where,
			   int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char w[256];
	*bad = 0;
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return v->valuestring;
	snprintf(w, sizeof w, "%s.%s", where, key);
	fail_field(c, w, "is not a string");
	*bad = 1;
	return NULL;
}

static const char *type_of(const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "type");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A non-negative integral JSON number below MAX_ID, else -1. */
static int as_id(const cJSON *v)
{
	double d;
	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (d < 0 || d >= MAX_ID || d != (double)(int)d)
		return -1;
	return (int)d;
}

static int compile_re(struct ctx *c, const char *pat, size_t len, uint32_t extra,
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
static int get_pattern(struct ctx *c, const cJSON *o, const char *where, char **lit,
		       size_t *lit_len, pcre2_code **re)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pattern");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "String");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(p, "Regex");
	char w[256];
	*lit = NULL;
	*re = NULL;
	snprintf(w, sizeof w, "%s.pattern", where);
	if (cJSON_IsString(s)) {
		*lit_len = strlen(s->valuestring);
		*lit = dup_str(c, s->valuestring, *lit_len);
		return *lit ? 0 : BB_ENOMEM;
	}
	if (cJSON_IsString(r))
		return compile_re(c, r->valuestring, strlen(r->valuestring), 0, re, w);
	return fail_field(c, w, "is not {\"String\": ...} or {\"Regex\": ...}");
}

/* A one-character string field (Strip content, Metaspace replacement). */
static int get_char(struct ctx *c, const cJSON *o, const char *key, const char *def,
		    const char *where, uint32_t *cp, char *utf8, size_t *utf8_len)
{
	int bad;
	const char *s = get_str(c, o, key, where, &bad);
	size_t n, used;
	char w[256];
	if (bad)
		return BB_EFORMAT;
	if (!s)
		s = def;
	n = strlen(s);
	snprintf(w, sizeof w, "%s.%s", where, key);
	if (!n || tk_utf8_check(s, n) != n || tk_utf8_len((unsigned char)s[0]) != n)
		return fail_field(c, w, "is not a single character");
	*cp = tk_utf8_decode(s, n, &used);
	if (utf8) {
		memcpy(utf8, s, n);
		*utf8_len = n;
	}
	return 0;
}

/* ---- model ---- */

static int set_piece(struct ctx *c, int id, const char *s, size_t n)
{
	struct tokenizer *t = c->t;
	char *p = dup_str(c, s, n);
	if (!p)
		return BB_ENOMEM;
	t->piece[id] = p;
	t->piece_len[id] = (uint32_t)n;
	return 0;
}

/* Grow the id-indexed arrays so that id fits. */
static int reserve_ids(struct ctx *c, int n)
{
	struct tokenizer *t = c->t;
	char **p;
	uint32_t *l;
	unsigned char *f;
	if (n <= t->n_ids)
		return 0;
	p = realloc(t->piece, (size_t)n * sizeof *p);
	if (p)
		t->piece = p;
	l = realloc(t->piece_len, (size_t)n * sizeof *l);
	if (l)
		t->piece_len = l;
	f = realloc(t->id_flags, (size_t)n);
	if (f)
		t->id_flags = f;
	if (!p || !l || !f)
		return oom(c);
	memset(p + t->n_ids, 0, (size_t)(n - t->n_ids) * sizeof *p);
	memset(l + t->n_ids, 0, (size_t)(n - t->n_ids) * sizeof *l);
	memset(f + t->n_ids, 0, (size_t)(n - t->n_ids));
	t->n_ids = n;
	return 0;
}

static int parse_vocab(struct ctx *c, const cJSON *vocab)
{
	struct tokenizer *t = c->t;
	const cJSON *e;
	int max = -1, rc;
	char w[320];
	if (!cJSON_IsObject(vocab))
		return fail_field(c, "model.vocab", "is missing or not an object");
	cJSON_ArrayForEach(e, vocab) {
		int id = as_id(e);
		if (id < 0) {
			snprintf(w, sizeof w, "model.vocab['%.200s']", e->string);
			return fail_field(c, w, "is not a valid id");
		}
		if (id > max)
			max = id;
	}
	if ((rc = reserve_ids(c, max + 1)))
		return rc;
	if (tk_strmap_init(&t->vocab, (size_t)cJSON_GetArraySize(vocab)))
		return oom(c);
	cJSON_ArrayForEach(e, vocab) {
		int id = as_id(e);
		size_t n = strlen(e->string);
		if (!t->piece[id] && (rc = set_piece(c, id, e->string, n)))
			return rc;
		/* the map borrows the arena copy of the piece when it is this id's own */
		if (t->piece_len[id] == n && !memcmp(t->piece[id], e->string, n)) {
			if (tk_strmap_put(&t->vocab, t->piece[id], n, id))
				return oom(c);
		} else {
			char *k = dup_str(c, e->string, n);
			if (!k || tk_strmap_put(&t->vocab, k, n, id))
				return oom(c);
		}
	}
	return 0;
}

static int merge_fail(struct ctx *c, int i, const char *what)
{
	char w[64];
	snprintf(w, sizeof w, "model.merges[%d]", i);
	return fail_field(c, w, what);
}

/* One merge as "a b" or ["a", "b"]; the parts point into the JSON. */
static int merge_parts(struct ctx *c, const cJSON *m, int i, const char **a, size_t *alen,
		       const char **b, size_t *blen)
{
	if (cJSON_IsString(m)) {
		/* split at the first space, as HF's legacy "a b" reader does */
		const char *sp = strchr(m->valuestring, ' ');
		if (!sp)
			return merge_fail(c, i, "has no space between its two pieces");
		*a = m->valuestring;
		*alen = (size_t)(sp - m->valuestring);
		*b = sp + 1;
		*blen = strlen(sp + 1);
		return 0;
	}
	if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 &&
	    cJSON_IsString(cJSON_GetArrayItem(m, 0)) && cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
		*a = cJSON_GetArrayItem(m, 0)->valuestring;
		*alen = strlen(*a);
		*b = cJSON_GetArrayItem(m, 1)->valuestring;
		*blen = strlen(*b);
		return 0;
	}
	return merge_fail(c, i, "is not a string or a pair of strings");
}

static int parse_merges(struct ctx *c, const cJSON *merges)
{
	struct tokenizer *t = c->t;
	struct tk_buf joined = {0};
	const cJSON *m;
	int i = 0, rc = 0;
	if (merges && !cJSON_IsArray(merges))
		return fail_field(c, "model.merges", "is not an array");
	if (tk_pairmap_init(&t->merges, (size_t)cJSON_GetArraySize(merges)))
		return oom(c);
	cJSON_ArrayForEach(m, merges) {
		const char *a = NULL, *b = NULL;
		size_t alen = 0, blen = 0, skip = t->cont_prefix_len;
		int ia, ib, im;
		if ((rc = merge_parts(c, m, i, &a, &alen, &b, &blen)))
			break;
		ia = tk_strmap_get(&t->vocab, a, alen);
		ib = tk_strmap_get(&t->vocab, b, blen);
		/* the merged piece drops the right part's continuing-subword prefix */
		if (blen < skip || memcmp(b, t->cont_prefix ? t->cont_prefix : "", skip))
			skip = 0;
		joined.len = 0;
		if (tk_buf_put(&joined, a, alen) || tk_buf_put(&joined, b + skip, blen - skip)) {
			rc = oom(c);
			break;
		}
		im = tk_strmap_get(&t->vocab, joined.p, joined.len);
		if (ia < 0 || ib < 0 || im < 0) {
			rc = merge_fail(c, i, "names a piece that is not in model.vocab");
			break;
		}
		if (tk_pairmap_put(&t->merges, ia, ib, i, im)) {
			rc = oom(c);
			break;
		}
		i++;
	}
	free(joined.p);
	return rc;
}

static int parse_model(struct ctx *c, const cJSON *model)
{
	struct tokenizer *t = c->t;
	const char *type = type_of(model), *unk, *s;
	int bad, rc, b;
	if (!cJSON_IsObject(model))
		return fail_field(c, "model", "is missing or not an object");
	/* HF accepts an untagged model; only a BPE model has merges */
	if (type && strcmp(type, "BPE"))
		return bb_fail(c->err, BB_EUNSUPPORTED,
			       "'%s': model.type '%s' is not supported (only BPE)", c->path, type);
	if (!type && !cJSON_GetObjectItemCaseSensitive(model, "merges"))
		return fail_field(c, "model.type", "is missing and the model has no merges");
	if ((t->fuse_unk = get_bool(c, model, "fuse_unk", 0, "model")) < 0 ||
	    (t->byte_fallback = get_bool(c, model, "byte_fallback", 0, "model")) < 0 ||
	    (t->ignore_merges = get_bool(c, model, "ignore_merges", 0, "model")) < 0)
		return BB_EFORMAT;
	s = get_str(c, model, "continuing_subword_prefix", "model", &bad);
	if (bad)
		return BB_EFORMAT;
	/* an empty prefix or suffix (as Qwen writes them) is the same as none */
	if (s && *s && !(t->cont_prefix = dup_str(c, s, t->cont_prefix_len = strlen(s))))
		return BB_ENOMEM;
	s = get_str(c, model, "end_of_word_suffix", "model", &bad);
	if (bad)
		return BB_EFORMAT;
	if (s && *s && !(t->eow_suffix = dup_str(c, s, t->eow_suffix_len = strlen(s))))
		return BB_ENOMEM;
	if ((rc = parse_vocab(c, cJSON_GetObjectItemCaseSensitive(model, "vocab"))) ||
	    (rc = parse_merges(c, cJSON_GetObjectItemCaseSensitive(model, "merges"))))
		return rc;
	unk = get_str(c, model, "unk_token", "model", &bad);
	if (bad)
		return BB_EFORMAT;
	t->unk_named = unk != NULL;
	t->unk_id = unk ? tk_strmap_get(&t->vocab, unk, strlen(unk)) : -1;
	for (b = 0; b < 256; b++) {
		char name[8];
		snprintf(name, sizeof name, "<0x%02X>", b);
		t->byte_id[b] = tk_strmap_get(&t->vocab, name, 6);
	}
	return 0;
}

/* ---- added tokens ---- */

/* Rust regex's \\w (HF tests single_word with it): narrower than PCRE2's UCP \\w, which
 * also takes every \\p{N} such as superscript digits. */
static const char word_class[] = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]";

static int parse_added(struct ctx *c, const cJSON *arr)
{
	struct tokenizer *t = c->t;
	const cJSON *e;
	int i = 0, n = cJSON_GetArraySize(arr), rc;
	char w[64];
	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return fail_field(c, "added_tokens", "is not an array");
	t->added = calloc((size_t)n + 1, sizeof *t->added);
	if (!t->added)
		return oom(c);
	cJSON_ArrayForEach(e, arr) {
		struct tk_added *a = &t->added[i];
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(e, "content");
		int id = as_id(cJSON_GetObjectItemCaseSensitive(e, "id"));
		int sw, ls, rs, nm, sp;
		snprintf(w, sizeof w, "added_tokens[%d]", i);
		if (id < 0)
			return fail_field(c, w, "has no valid id");
		if (!cJSON_IsString(content))
			return fail_field(c, w, "has no string content");
		if ((sw = get_bool(c, e, "single_word", 0, w)) < 0 ||
		    (ls = get_bool(c, e, "lstrip", 0, w)) < 0 ||
		    (rs = get_bool(c, e, "rstrip", 0, w)) < 0 ||
		    (nm = get_bool(c, e, "normalized", 1, w)) < 0 ||
		    (sp = get_bool(c, e, "special", 0, w)) < 0)
			return BB_EFORMAT;
		a->len = strlen(content->valuestring);
		if (!(a->content = dup_str(c, content->valuestring, a->len)))
			return BB_ENOMEM;
		a->id = id;
		a->single_word = sw;
		a->lstrip = ls;
		a->rstrip = rs;
		a->normalized = nm;
		a->special = sp;
		if ((rc = reserve_ids(c, id + 1)))
			return rc;
		/* HF's id_to_token looks at the added tokens before the model */
		t->piece[id] = a->content;
		t->piece_len[id] = (uint32_t)a->len;
		t->id_flags[id] = TK_ID_ADDED | (sp ? TK_ID_SPECIAL : 0);
		if (tk_strmap_put(&t->added_map, a->content, a->len, id))
			return oom(c);
		if (sw && !t->word_re && (rc = compile_re(c, word_class, sizeof word_class - 1,
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

static int build_matcher(struct ctx *c, struct tk_matcher *m, int normalized)
{
	struct tokenizer *t = c->t;
	int i, k;
	m->idx = malloc(((size_t)t->n_added + 1) * sizeof *m->idx);
	if (!m->idx)
		return oom(c);
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
static int prepare_added(struct ctx *c)
{
	struct tokenizer *t = c->t;
	struct tk_buf out = {0}, tmp = {0};
	int i, rc = 0;
	for (i = 0; i < t->n_added && !rc; i++) {
		struct tk_added *a = &t->added[i];
		a->match = a->content;
		a->match_len = a->len;
		if (!a->normalized || !t->n_norm)
			continue;
		out.len = 0;
		if ((rc = tk_normalize(t, a->content, a->len, &out, &tmp, c->err)))
			break;
		else if (!(a->match = dup_str(c, out.p ? out.p : "", out.len)))
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

/* ---- normalizer ---- */

static int unsupported(struct ctx *c, const char *where, const char *type)
{
	return bb_fail(c->err, BB_EUNSUPPORTED, "'%s': %s.type '%s' is not supported", c->path,
		       where, type ? type : "(missing)");
}

static struct tk_norm *new_norm(struct ctx *c)
{
	struct tokenizer *t = c->t;
	struct tk_norm *n = realloc(t->norm, ((size_t)t->n_norm + 1) * sizeof *n);
	if (!n) {
		oom(c);
		return NULL;
	}
	t->norm = n;
	n = &t->norm[t->n_norm++];
	memset(n, 0, sizeof *n);
	return n;
}

static int parse_normalizer(struct ctx *c, const cJSON *o, const char *where)
{
	const char *type = type_of(o);
	struct tk_norm *n;
	char w[256];
	int bad, rc;
	if (!o || cJSON_IsNull(o))
		return 0;
	if (type && !strcmp(type, "Sequence")) {
		const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(o, "normalizers");
		int i = 0;
		cJSON_ArrayForEach(e, list) {
			snprintf(w, sizeof w, "%s.normalizers[%d]", where, i++);
			if ((rc = parse_normalizer(c, e, w)))
				return rc;
		}
		return 0;
	}
	if (!type || (strcmp(type, "Prepend") && strcmp(type, "Replace") && strcmp(type, "Strip") &&
		      strcmp(type, "NFC")))
		return unsupported(c, where, type);
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
		if ((n->left = get_bool(c, o, "strip_left", 1, where)) < 0 ||
		    (n->right = get_bool(c, o, "strip_right", 1, where)) < 0)
			return BB_EFORMAT;
		return 0;
	}
	if (!strcmp(type, "Prepend")) {
		const char *s = get_str(c, o, "prepend", where, &bad);
		n->kind = TK_NORM_PREPEND;
		if (bad)
			return BB_EFORMAT;
		if (!s) {
			snprintf(w, sizeof w, "%s.prepend", where);
			return fail_field(c, w, "is missing");
		}
		n->a = dup_str(c, s, n->alen = strlen(s));
		return n->a ? 0 : BB_ENOMEM;
	}
	{
		const char *s = get_str(c, o, "content", where, &bad);
		if (bad)
			return BB_EFORMAT;
		if (!s) {
			snprintf(w, sizeof w, "%s.content", where);
			return fail_field(c, w, "is missing");
		}
		if (!(n->b = dup_str(c, s, n->blen = strlen(s))))
			return BB_ENOMEM;
		if ((rc = get_pattern(c, o, where, &n->a, &n->alen, &n->re)))
			return rc;
		n->kind = n->re ? TK_NORM_REPLACE_RE : TK_NORM_REPLACE;
		return 0;
	}
}

/* ---- pre-tokenizer ---- */

/* GPT-2's own split, used by ByteLevel when use_regex is true. */
static const char gpt2_pattern[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static struct tk_pre *new_pre(struct ctx *c)
{
	struct tokenizer *t = c->t;
	struct tk_pre *p = realloc(t->pre, ((size_t)t->n_pre + 1) * sizeof *p);
	if (!p) {
		oom(c);
		return NULL;
	}
	t->pre = p;
	p = &t->pre[t->n_pre++];
	memset(p, 0, sizeof *p);
	return p;
}

static int parse_behavior(struct ctx *c, const cJSON *o, const char *where,
			  enum tk_split_behavior *b)
{
	static const char *const names[] = {"Isolated", "Removed", "MergedWithPrevious",
					    "MergedWithNext", "Contiguous"};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "behavior");
	char w[256];
	int i;
	for (i = 0; i < 5; i++)
		if (cJSON_IsString(v) && !strcmp(v->valuestring, names[i])) {
			*b = (enum tk_split_behavior)i;
			return 0;
		}
	snprintf(w, sizeof w, "%s.behavior", where);
	return fail_field(c, w, "is not a known split behavior");
}

static int parse_prepend_scheme(struct ctx *c, const cJSON *o, const char *where,
				enum tk_prepend *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "prepend_scheme");
	int aps;
	char w[256];
	if (cJSON_IsString(v)) {
		if (!strcmp(v->valuestring, "always"))
			*out = TK_PREPEND_ALWAYS;
		else if (!strcmp(v->valuestring, "first"))
			*out = TK_PREPEND_FIRST;
		else if (!strcmp(v->valuestring, "never"))
			*out = TK_PREPEND_NEVER;
		else {
			snprintf(w, sizeof w, "%s.prepend_scheme", where);
			return fail_field(c, w, "is not always, first or never");
		}
		return 0;
	}
	/* older files: add_prefix_space true means "always" */
	if ((aps = get_bool(c, o, "add_prefix_space", 1, where)) < 0)
		return BB_EFORMAT;
	*out = aps ? TK_PREPEND_ALWAYS : TK_PREPEND_NEVER;
	return 0;
}

static int parse_pre_simple(struct ctx *c, const cJSON *o, const char *type, const char *where)
{
	struct tk_pre *p = new_pre(c);
	uint32_t cp;
	int rc, v;
	if (!p)
		return BB_ENOMEM;
	if (!strcmp(type, "Split")) {
		p->kind = TK_PRE_SPLIT;
		if ((rc = get_pattern(c, o, where, &p->lit, &p->lit_len, &p->re)) ||
		    (rc = parse_behavior(c, o, where, &p->behavior)))
			return rc;
		return (p->invert = get_bool(c, o, "invert", 0, where)) < 0 ? BB_EFORMAT : 0;
	}
	if (!strcmp(type, "ByteLevel")) {
		p->kind = TK_PRE_BYTELEVEL;
		if ((p->add_prefix_space = get_bool(c, o, "add_prefix_space", 1, where)) < 0 ||
		    (v = get_bool(c, o, "use_regex", 1, where)) < 0)
			return BB_EFORMAT;
		if (!v)
			return 0;
		return compile_re(c, gpt2_pattern, sizeof gpt2_pattern - 1, 0, &p->re, where);
	}
	if (!strcmp(type, "Metaspace")) {
		p->kind = TK_PRE_METASPACE;
		if ((rc = get_char(c, o, "replacement", "\xE2\x96\x81", where, &cp, p->repl,
				   &p->repl_len)) ||
		    (rc = parse_prepend_scheme(c, o, where, &p->prepend)))
			return rc;
		return (p->split = get_bool(c, o, "split", 1, where)) < 0 ? BB_EFORMAT : 0;
	}
	p->kind = TK_PRE_SPLIT;
	if (!strcmp(type, "Digits")) {
		/* HF splits on char::is_numeric: each digit alone, or runs of them */
		if ((v = get_bool(c, o, "individual_digits", 0, where)) < 0)
			return BB_EFORMAT;
		p->behavior = v ? TK_ISOLATED : TK_CONTIGUOUS;
		return compile_re(c, "\\p{N}", 5, 0, &p->re, where);
	}
	if (!strcmp(type, "WhitespaceSplit")) {
		p->behavior = TK_REMOVED;
		return compile_re(c, "\\s", 2, 0, &p->re, where);
	}
	/* Whitespace: keep runs of word chars and runs of other non-space chars */
	p->behavior = TK_REMOVED;
	p->invert = 1;
	return compile_re(c, "\\w+|[^\\w\\s]+", 12, 0, &p->re, where);
}

static int parse_pre(struct ctx *c, const cJSON *o, const char *where)
{
	const char *type = type_of(o);
	char w[256];
	int rc;
	if (!o || cJSON_IsNull(o))
		return 0;
	if (type && !strcmp(type, "Sequence")) {
		const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(o, "pretokenizers");
		int i = 0;
		cJSON_ArrayForEach(e, list) {
			snprintf(w, sizeof w, "%s.pretokenizers[%d]", where, i++);
			if ((rc = parse_pre(c, e, w)))
				return rc;
		}
		return 0;
	}
	if (type && (!strcmp(type, "Split") || !strcmp(type, "ByteLevel") ||
		     !strcmp(type, "Metaspace") || !strcmp(type, "Digits") ||
		     !strcmp(type, "WhitespaceSplit") || !strcmp(type, "Whitespace")))
		return parse_pre_simple(c, o, type, where);
	return unsupported(c, where, type);
}

/* ---- decoder ---- */

static struct tk_dec *new_dec(struct ctx *c)
{
	struct tokenizer *t = c->t;
	struct tk_dec *d = realloc(t->dec, ((size_t)t->n_dec + 1) * sizeof *d);
	if (!d) {
		oom(c);
		return NULL;
	}
	t->dec = d;
	d = &t->dec[t->n_dec++];
	memset(d, 0, sizeof *d);
	return d;
}

static int get_count(struct ctx *c, const cJSON *o, const char *key, const char *where, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char w[256];
	if (!v) {
		*out = 0;
		return 0;
	}
	if ((*out = as_id(v)) < 0) {
		snprintf(w, sizeof w, "%s.%s", where, key);
		return fail_field(c, w, "is not a non-negative integer");
	}
	return 0;
}

static int parse_dec_simple(struct ctx *c, const cJSON *o, const char *type, const char *where)
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
		if ((rc = get_char(c, o, "content", " ", where, &d->cp, NULL, NULL)) ||
		    (rc = get_count(c, o, "start", where, &d->start)) ||
		    (rc = get_count(c, o, "stop", where, &d->stop)))
			return rc;
	} else if (!strcmp(type, "Metaspace")) {
		enum tk_prepend scheme;
		d->kind = TK_DEC_METASPACE;
		if ((rc = get_char(c, o, "replacement", "\xE2\x96\x81", where, &d->cp, NULL,
				   NULL)) ||
		    (rc = parse_prepend_scheme(c, o, where, &scheme)))
			return rc;
		d->prepend = scheme != TK_PREPEND_NEVER;
	} else {
		const char *s = get_str(c, o, "content", where, &bad);
		char w[256];
		d->kind = TK_DEC_REPLACE;
		if (bad)
			return BB_EFORMAT;
		snprintf(w, sizeof w, "%s.content", where);
		if (!s)
			return fail_field(c, w, "is missing");
		if (!(d->to = dup_str(c, s, d->to_len = strlen(s))))
			return BB_ENOMEM;
		if ((rc = get_pattern(c, o, where, &d->from, &d->from_len, &re)))
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

static int parse_decoder(struct ctx *c, const cJSON *o, const char *where)
{
	const char *type = type_of(o);
	char w[256];
	int rc;
	if (!o || cJSON_IsNull(o))
		return 0;
	c->t->has_decoder = 1;
	if (type && !strcmp(type, "Sequence")) {
		const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(o, "decoders");
		int i = 0;
		cJSON_ArrayForEach(e, list) {
			snprintf(w, sizeof w, "%s.decoders[%d]", where, i++);
			if ((rc = parse_decoder(c, e, w)))
				return rc;
		}
		return 0;
	}
	if (type && (!strcmp(type, "ByteFallback") || !strcmp(type, "Fuse") ||
		     !strcmp(type, "ByteLevel") || !strcmp(type, "Strip") ||
		     !strcmp(type, "Metaspace") || !strcmp(type, "Replace")))
		return parse_dec_simple(c, o, type, where);
	return unsupported(c, where, type);
}

/* ---- post-processor: the ids put before and after the text ---- */

struct ids {
	int *p;
	int n;
};

static int ids_push(struct ctx *c, struct ids *v, int id)
{
	int *p = realloc(v->p, ((size_t)v->n + 1) * sizeof *p);
	if (!p)
		return oom(c);
	p[v->n++] = id;
	v->p = p;
	return 0;
}

static int ids_concat(struct ctx *c, struct ids *dst, const struct ids *src)
{
	int k, rc = 0;
	for (k = 0; k < src->n && !rc; k++)
		rc = ids_push(c, dst, src->p[k]);
	return rc;
}

/* The ids of one SpecialToken in a template, from the template's special_tokens map. */
static int template_special(struct ctx *c, const cJSON *o, const cJSON *item, const char *where,
			    struct ids *v)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "id");
	const cJSON *specials = cJSON_GetObjectItemCaseSensitive(o, "special_tokens");
	const cJSON *sp, *ids, *e;
	char w[320];
	int rc;
	if (!cJSON_IsString(name))
		return fail_field(c, where, "has a SpecialToken without a string id");
	sp = cJSON_GetObjectItemCaseSensitive(specials, name->valuestring);
	ids = cJSON_GetObjectItemCaseSensitive(sp, "ids");
	snprintf(w, sizeof w, "%s.special_tokens['%.200s'].ids", where, name->valuestring);
	if (!cJSON_IsArray(ids))
		return fail_field(c, w, "is missing");
	cJSON_ArrayForEach(e, ids) {
		int id = as_id(e);
		if (id < 0)
			return fail_field(c, w, "holds an invalid id");
		if ((rc = ids_push(c, v, id)))
			return rc;
	}
	return 0;
}

static int parse_template(struct ctx *c, const cJSON *o, const char *where, struct ids *pre,
			  struct ids *post)
{
	const cJSON *single = cJSON_GetObjectItemCaseSensitive(o, "single"), *item;
	char w[256];
	int seen_a = 0, rc;
	snprintf(w, sizeof w, "%s.single", where);
	if (!cJSON_IsArray(single))
		return fail_field(c, w, "is not a list of pieces");
	cJSON_ArrayForEach(item, single) {
		const cJSON *sp = cJSON_GetObjectItemCaseSensitive(item, "SpecialToken");
		if (cJSON_GetObjectItemCaseSensitive(item, "Sequence")) {
			seen_a = 1;
			continue;
		}
		if (!sp)
			return fail_field(c, w, "holds neither a SpecialToken nor a Sequence");
		if ((rc = template_special(c, o, sp, where, seen_a ? post : pre)))
			return rc;
	}
	return 0;
}

/* [content, id] as Bert/RobertaProcessing store cls and sep. */
static int pair_id(struct ctx *c, const cJSON *o, const char *key, const char *where,
		   struct ids *v)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, key);
	char w[256];
	int id = as_id(cJSON_GetArrayItem(p, 1));
	snprintf(w, sizeof w, "%s.%s", where, key);
	if (!cJSON_IsArray(p) || id < 0)
		return fail_field(c, w, "is not a [token, id] pair");
	return ids_push(c, v, id);
}

static int parse_post(struct ctx *c, const cJSON *o, const char *where, struct ids *pre,
		      struct ids *post)
{
	const char *type = type_of(o);
	char w[256];
	int rc;
	if (!o || cJSON_IsNull(o))
		return 0;
	if (type && !strcmp(type, "Sequence")) {
		const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(o, "processors");
		int i = 0;
		cJSON_ArrayForEach(e, list) {
			/* a later processor wraps what the earlier ones produced */
			struct ids p2 = {0}, s2 = {0};
			snprintf(w, sizeof w, "%s.processors[%d]", where, i++);
			rc = parse_post(c, e, w, &p2, &s2);
			if (!rc)
				rc = ids_concat(c, &p2, pre);
			if (!rc)
				rc = ids_concat(c, post, &s2);
			free(s2.p);
			free(pre->p);
			*pre = p2;
			if (rc)
				return rc;
		}
		return 0;
	}
	if (type && !strcmp(type, "ByteLevel"))
		return 0; /* only adjusts offsets */
	if (type && !strcmp(type, "TemplateProcessing"))
		return parse_template(c, o, where, pre, post);
	if (type && (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing"))) {
		if ((rc = pair_id(c, o, "cls", where, pre)))
			return rc;
		return pair_id(c, o, "sep", where, post);
	}
	return unsupported(c, where, type);
}

/* ---- tokenizer_config.json and the BOS/EOS decision ---- */

#define ABSENT 2 /* get_bool default: the key is not in the file */

/* bos_token/eos_token/pad_token: "text", {"content": "text"} or null; *id -2 when not
 * given. A value of another type or a name outside the vocabulary fails unless optional
 * (then *id is -2): the pad token is only reported (/tokenizer_info), so it must not stop
 * a model from loading. */
static int config_token_ex(struct ctx *c, const cJSON *cfg, const char *key, bool optional,
			   int *id)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
	const char *name;
	*id = -2;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsObject(v))
		v = cJSON_GetObjectItemCaseSensitive(v, "content");
	if (!cJSON_IsString(v))
		return optional ? 0 : fail_field(c, key, "is not a string or {\"content\": ...}");
	name = v->valuestring;
	*id = tk_strmap_get(&c->t->added_map, name, strlen(name));
	if (*id < 0)
		*id = tk_strmap_get(&c->t->vocab, name, strlen(name));
	if (*id < 0 && optional)
		*id = -2;
	else if (*id < 0)
		return bb_fail(c->err, BB_EFORMAT, "'%s': %s '%.200s' is not in the vocabulary",
			       c->path, key, name);
	return 0;
}

static int config_token(struct ctx *c, const cJSON *cfg, const char *key, int *id)
{
	return config_token_ex(c, cfg, key, false, id);
}

static int check_ids(struct ctx *c, const struct ids *v, const char *what)
{
	int k;
	for (k = 0; k < v->n; k++)
		if (v->p[k] >= c->t->n_ids || !c->t->piece[v->p[k]])
			return bb_fail(c->err, BB_EFORMAT,
				       "'%s': %s id %d is not in the vocabulary", c->path, what,
				       v->p[k]);
	return 0;
}

/* Where tokenizer_config.json comes from: a file (absent is fine) or memory (text NULL:
 * none). */
struct config_source {
	const char *name;
	bool from_file;
	const char *text;
	size_t len;
};

/*
 * tokenizer_config.json's add_bos_token/add_eos_token, when present, decide (as
 * transformers' Llama fast tokenizer rebuilds its template from them); otherwise the
 * post-processor's template does.
 */
static int settle_specials(struct ctx *c, const struct config_source *src, struct ids *pre,
			   struct ids *post)
{
	struct tokenizer *t = c->t;
	struct bb_error *err = c->err;
	const char *config_path = src->name;
	cJSON *cfg = NULL;
	int rc = 0, bos = -2, eos = -2, pad = -2, add_bos = ABSENT, add_eos = ABSENT;
	FILE *f = src->from_file ? fopen(config_path, "rb") : NULL;
	if (src->from_file && !f && errno != ENOENT)
		return bb_fail(err, BB_EIO, "'%s': cannot open: %s", config_path, strerror(errno));
	if ((rc = check_ids(c, pre, "post_processor")) ||
	    (rc = check_ids(c, post, "post_processor")))
		return rc;
	if (f || src->text) {
		struct ctx cc = {t, config_path, err};
		if (f)
			fclose(f);
		if ((rc = f ? parse_json(config_path, &cfg, err)
			    : parse_json_text(config_path, src->text, src->len, &cfg, err)))
			return rc;
		if ((rc = config_token(&cc, cfg, "bos_token", &bos)) ||
		    (rc = config_token(&cc, cfg, "eos_token", &eos)) ||
		    (rc = config_token_ex(&cc, cfg, "pad_token", true, &pad)) ||
		    (add_bos = get_bool(&cc, cfg, "add_bos_token", ABSENT, "config")) < 0 ||
		    (add_eos = get_bool(&cc, cfg, "add_eos_token", ABSENT, "config")) < 0) {
			cJSON_Delete(cfg);
			return rc ? rc : BB_EFORMAT;
		}
		cJSON_Delete(cfg);
	}
	t->bos_id = bos >= 0 ? bos : pre->n ? pre->p[0] : -1;
	t->eos_id = eos >= 0 ? eos : -1;
	t->pad_id = pad >= 0 ? pad : -1;
	if ((add_bos == 1 && t->bos_id < 0) || (add_eos == 1 && t->eos_id < 0))
		return bb_fail(err, BB_EFORMAT,
			       "'%s': add_%s_token is true but there is no %s_token", config_path,
			       add_bos == 1 && t->bos_id < 0 ? "bos" : "eos",
			       add_bos == 1 && t->bos_id < 0 ? "bos" : "eos");
	if (add_bos != ABSENT) {
		pre->n = 0;
		if (add_bos && (rc = ids_push(c, pre, t->bos_id)))
			return rc;
	}
	if (add_eos != ABSENT) {
		post->n = 0;
		if (add_eos && (rc = ids_push(c, post, t->eos_id)))
			return rc;
	}
	t->prefix = pre->p;
	t->n_prefix = pre->n;
	t->suffix = post->p;
	t->n_suffix = post->n;
	pre->p = post->p = NULL;
	return 0;
}

static void byte_map_init(struct tokenizer *t)
{
	int b, n = 0;
	for (b = 0; b < 324; b++)
		t->cp_byte[b] = -1;
	/* GPT-2: printable Latin-1 bytes stand for themselves, the rest get 256, 257, ... */
	for (b = 0; b < 256; b++) {
		int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
		t->byte_cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
		t->cp_byte[t->byte_cp[b]] = (int16_t)b;
	}
}

static int load_json(struct ctx *c, const cJSON *root, const struct config_source *config)
{
	struct tokenizer *t = c->t;
	struct ids pre = {0}, post = {0};
	int rc;
	if (tk_strmap_init(&t->added_map, 16))
		return oom(c);
	if ((rc = parse_model(c, cJSON_GetObjectItemCaseSensitive(root, "model"))) ||
	    (rc = parse_added(c, cJSON_GetObjectItemCaseSensitive(root, "added_tokens"))) ||
	    (rc = parse_normalizer(c, cJSON_GetObjectItemCaseSensitive(root, "normalizer"),
				   "normalizer")) ||
	    (rc = parse_pre(c, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"),
			    "pre_tokenizer")) ||
	    (rc = parse_decoder(c, cJSON_GetObjectItemCaseSensitive(root, "decoder"), "decoder")) ||
	    (rc = prepare_added(c)) ||
	    (rc = parse_post(c, cJSON_GetObjectItemCaseSensitive(root, "post_processor"),
			     "post_processor", &pre, &post)) ||
	    (rc = settle_specials(c, config, &pre, &post))) {
		free(pre.p);
		free(post.p);
		return rc;
	}
	return 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int load_root(struct tokenizer *t, const char *path, const cJSON *root,
		     const struct config_source *config, struct bb_error *err)
{
	struct ctx c = {t, path, err};
	t->unk_id = t->bos_id = t->eos_id = t->pad_id = -1;
	byte_map_init(t);
	return load_json(&c, root, config);
}

int tokenizer_load(struct tokenizer **out, const char *dir, struct bb_error *err)
{
	struct tokenizer *t;
	char *path, *config_path;
	cJSON *root = NULL;
	int rc;
	*out = NULL;
	if (!dir)
		return bb_fail(err, BB_EINVAL, "tokenizer_load: no directory given");
	path = join_path(dir, "tokenizer.json");
	config_path = join_path(dir, "tokenizer_config.json");
	t = calloc(1, sizeof *t);
	if (!path || !config_path || !t) {
		rc = bb_fail(err, BB_ENOMEM, "'%s': out of memory", dir);
	} else if (!(rc = parse_json(path, &root, err))) {
		struct config_source config = {.name = config_path, .from_file = true};
		rc = load_root(t, path, root, &config, err);
		cJSON_Delete(root);
	}
	free(path);
	free(config_path);
	if (rc) {
		tokenizer_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int tokenizer_load_json(struct tokenizer **out, const char *json, size_t len,
			const char *config_json, size_t config_len, const char *name,
			struct bb_error *err)
{
	struct config_source config = {.name = "tokenizer_config.json", .text = config_json,
				       .len = config_len};
	struct tokenizer *t = calloc(1, sizeof *t);
	cJSON *root = NULL;
	int rc;
	*out = NULL;
	if (!t)
		return bb_fail(err, BB_ENOMEM, "'%s': out of memory", name);
	if (!(rc = parse_json_text(name, json, len, &root, err))) {
		rc = load_root(t, name, root, &config, err);
		cJSON_Delete(root);
	}
	if (rc) {
		tokenizer_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
