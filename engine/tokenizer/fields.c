/*
 * fields.c: what every stage's parser stands on while tokenizer.json is read: the file
 * and its JSON, typed field readers that name the field in every error, a stage's
 * "Sequence" of steps, a stage's growing list of steps, and the id-indexed arrays.
 *
 * It knows no stage: a stage's parser calls down into it, and load.c (above the stages)
 * runs them in order. Never prints, never exits.
 */
#include "engine/tokenizer/fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TK_MAX_ID (1 << 24) /* far above any real vocabulary; keeps id arrays sane */

int tk_fail_field(struct tk_ctx *c, const char *where, const char *what)
{
	return bb_fail(c->err, BB_EFORMAT, "'%s': %s %s", c->path, where, what);
}

int tk_fail_key(struct tk_ctx *c, const char *where, const char *key, const char *what)
{
	return bb_fail(c->err, BB_EFORMAT, "'%s': %s.%s %s", c->path, where, key, what);
}

int tk_load_oom(struct tk_ctx *c)
{
	return bb_fail(c->err, BB_ENOMEM, "'%s': out of memory", c->path);
}

char *tk_dup_str(struct tk_ctx *c, const char *s, size_t n)
{
	char *p = tk_arena_dup(&c->t->arena, s, n);
	if (!p)
		tk_load_oom(c);
	return p;
}

// ---- reading files ----

static int read_file(const char *path, char **data, size_t *len, struct bb_error *err)
{
	FILE *f = fopen(path, "rb");
	struct strbuf b = {0};
	char chunk[65536];
	size_t n;
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': cannot open: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (strbuf_add(&b, chunk, n)) {
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
	if (strbuf_add(&b, "", 0)) {
		free(b.p);
		return bb_fail(err, BB_ENOMEM, "'%s': out of memory", path);
	}
	b.p[b.len] = '\0';
	*data = b.p;
	*len = b.len;
	return 0;
}

/* Parse len bytes of JSON text (named path in errors) into an object. */
int tk_parse_json_text(const char *path, const char *data, size_t len, cJSON **out,
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

int tk_parse_json(const char *path, cJSON **out, struct bb_error *err)
{
	char *data;
	size_t len;
	int rc = read_file(path, &data, &len, err);
	if (rc)
		return rc;
	rc = tk_parse_json_text(path, data, len, out, err);
	free(data);
	return rc;
}

// ---- small JSON accessors ----

/* Boolean field: def when absent or null; -1 (error set) when of another type. */
int tk_get_bool(struct tk_ctx *c, const cJSON *o, const char *key, int def, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v || cJSON_IsNull(v))
		return def;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	tk_fail_key(c, where, key, "is not a boolean");
	return -1;
}

/* String field or NULL; *bad set when present but not a string (or null). */
const char *tk_get_str(struct tk_ctx *c, const cJSON *o, const char *key, const char *where,
		       int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*bad = 0;
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return v->valuestring;
	tk_fail_key(c, where, key, "is not a string");
	*bad = 1;
	return NULL;
}

const char *tk_type_of(const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "type");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A non-negative integral JSON number below TK_MAX_ID, else -1. */
int tk_as_id(const cJSON *v)
{
	double d;
	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (d < 0 || d >= TK_MAX_ID || d != (double)(int)d)
		return -1;
	return (int)d;
}

/* A one-character string field (Strip content, Metaspace replacement). */
int tk_get_char(struct tk_ctx *c, const cJSON *o, const char *key, const char *def,
		const char *where, uint32_t *cp, char *utf8, size_t *utf8_len)
{
	int bad;
	const char *s = tk_get_str(c, o, key, where, &bad);
	size_t n, used;
	if (bad)
		return BB_EFORMAT;
	if (!s)
		s = def;
	n = strlen(s);
	if (!n || tk_utf8_check(s, n) != n || tk_utf8_len((unsigned char)s[0]) != n)
		return tk_fail_key(c, where, key, "is not a single character");
	*cp = tk_utf8_decode(s, n, &used);
	if (utf8) {
		memcpy(utf8, s, n);
		*utf8_len = n;
	}
	return 0;
}

int tk_unsupported(struct tk_ctx *c, const char *where, const char *type)
{
	return bb_fail(c->err, BB_EUNSUPPORTED, "'%s': %s.type '%s' is not supported", c->path,
		       where, type ? type : "(missing)");
}

void *tk_new_step(struct tk_ctx *c, void **steps, int *n, size_t size)
{
	char *p = realloc(*steps, ((size_t)*n + 1) * size);
	if (!p) {
		tk_load_oom(c);
		return NULL;
	}
	*steps = p;
	p += (size_t)(*n)++ * size;
	memset(p, 0, size);
	return p;
}

// ---- steps ----

/*
 * A pipeline stage as tokenizer.json writes it: absent or null (no step), one step, or a
 * "Sequence" whose list_key ("normalizers", "pretokenizers", "decoders", "processors")
 * holds steps, nested sequences included. Every stage reads its Sequence here, once.
 */
int tk_parse_steps(struct tk_ctx *c, const cJSON *o, const char *where, const char *list_key,
		   tk_step_fn parse_step, void *arg)
{
	const char *type = tk_type_of(o);
	const cJSON *e;
	int i = 0, rc = 0;
	if (!o || cJSON_IsNull(o))
		return 0;
	if (!type || strcmp(type, "Sequence"))
		return parse_step(c, o, type, where, arg);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, list_key)) {
		char *w = str_printf(c->err, "%s.%s[%d]", where, list_key, i++);
		rc = w ? tk_parse_steps(c, e, w, list_key, parse_step, arg) : BB_ENOMEM;
		free(w);
		if (rc)
			return rc;
	}
	return 0;
}

// ---- the tokenizer being filled ----

/* Grow the id-indexed arrays so that id fits. */
int tk_reserve_ids(struct tk_ctx *c, int n)
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
		return tk_load_oom(c);
	memset(p + t->n_ids, 0, (size_t)(n - t->n_ids) * sizeof *p);
	memset(l + t->n_ids, 0, (size_t)(n - t->n_ids) * sizeof *l);
	memset(f + t->n_ids, 0, (size_t)(n - t->n_ids));
	t->n_ids = n;
	return 0;
}

/* Metaspace's prepend_scheme, read alike by the pre-tokenizer and the decoder. */
int tk_parse_prepend_scheme(struct tk_ctx *c, const cJSON *o, const char *where,
			    enum tk_prepend *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "prepend_scheme");
	int aps;
	if (cJSON_IsString(v)) {
		if (!strcmp(v->valuestring, "always"))
			*out = TK_PREPEND_ALWAYS;
		else if (!strcmp(v->valuestring, "first"))
			*out = TK_PREPEND_FIRST;
		else if (!strcmp(v->valuestring, "never"))
			*out = TK_PREPEND_NEVER;
		else
			return tk_fail_key(c, where, "prepend_scheme",
					   "is not always, first or never");
		return 0;
	}
	/* older files: add_prefix_space true means "always" */
	if ((aps = tk_get_bool(c, o, "add_prefix_space", 1, where)) < 0)
		return BB_EFORMAT;
	*out = aps ? TK_PREPEND_ALWAYS : TK_PREPEND_NEVER;
	return 0;
}

