/*
 * load.c: reads tokenizer.json (and tokenizer_config.json) into a struct tokenizer: the
 * files and their JSON, the field readers every stage's parser uses, a stage's Sequence
 * of steps, and the order in which the stages are parsed (model, added tokens,
 * normalizer, pre-tokenizer, decoder, post-processor, then tokenizer_config.json).
 *
 * Each stage parses its own steps in its own file (normalizer.c, pre_tokenizer.c, bpe.c,
 * added_tokens.c, decoder.c, post_processor.c). It must reject what it cannot reproduce
 * exactly (Unigram, WordPiece, unknown step types) with BB_EUNSUPPORTED rather than
 * tokenize differently from HF, and every error names the file and the JSON field. It
 * never prints and never exits.
 */
#include "engine/tokenizer/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TK_MAX_ID (1 << 24) /* far above any real vocabulary; keeps id arrays sane */

int tk_fail_field(struct tk_ctx *c, const char *where, const char *what)
{
	return bb_fail(c->err, BB_EFORMAT, "'%s': %s %s", c->path, where, what);
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

/* ---- small JSON accessors ---- */

/* Boolean field: def when absent or null; -1 (error set) when of another type. */
int tk_get_bool(struct tk_ctx *c, const cJSON *o, const char *key, int def, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char w[256];
	if (!v || cJSON_IsNull(v))
		return def;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	snprintf(w, sizeof w, "%s.%s", where, key);
	tk_fail_field(c, w, "is not a boolean");
	return -1;
}

/* String field or NULL; *bad set when present but not a string (or null). */
const char *tk_get_str(struct tk_ctx *c, const cJSON *o, const char *key, const char *where,
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
	tk_fail_field(c, w, "is not a string");
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
	char w[256];
	if (bad)
		return BB_EFORMAT;
	if (!s)
		s = def;
	n = strlen(s);
	snprintf(w, sizeof w, "%s.%s", where, key);
	if (!n || tk_utf8_check(s, n) != n || tk_utf8_len((unsigned char)s[0]) != n)
		return tk_fail_field(c, w, "is not a single character");
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
	char w[256];
	int i = 0, rc;
	if (!o || cJSON_IsNull(o))
		return 0;
	if (!type || strcmp(type, "Sequence"))
		return parse_step(c, o, type, where, arg);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, list_key)) {
		snprintf(w, sizeof w, "%s.%s[%d]", where, list_key, i++);
		if ((rc = tk_parse_steps(c, e, w, list_key, parse_step, arg)))
			return rc;
	}
	return 0;
}

/* ---- the tokenizer being filled ---- */

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

static const cJSON *field(const cJSON *root, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(root, key);
}

/* The stages in the order they depend on each other: added tokens are matched in their
 * normalized form, and the post-processor's ids must be in the vocabulary. */
static int load_json(struct tk_ctx *c, const cJSON *root, const struct tk_config_source *config)
{
	struct tokenizer *t = c->t;
	struct tk_ids pre = {0}, post = {0};
	int rc;
	if (tk_strmap_init(&t->added_map, 16))
		return tk_load_oom(c);
	if ((rc = tk_parse_model(c, field(root, "model"))) ||
	    (rc = tk_parse_added(c, field(root, "added_tokens"))) ||
	    (rc = tk_parse_normalizer(c, field(root, "normalizer"))) ||
	    (rc = tk_parse_pre_tokenizer(c, field(root, "pre_tokenizer"))) ||
	    (rc = tk_parse_decoder(c, field(root, "decoder"))) ||
	    (rc = tk_prepare_added(c)) ||
	    (rc = tk_parse_post_processor(c, field(root, "post_processor"), &pre, &post)) ||
	    (rc = tk_settle_specials(c, config, &pre, &post))) {
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
		     const struct tk_config_source *config, struct bb_error *err)
{
	struct tk_ctx c = {t, path, err};
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
	} else if (!(rc = tk_parse_json(path, &root, err))) {
		struct tk_config_source config = {.name = config_path, .from_file = true};
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
	struct tk_config_source config = {.name = "tokenizer_config.json", .text = config_json,
				       .len = config_len};
	struct tokenizer *t = calloc(1, sizeof *t);
	cJSON *root = NULL;
	int rc;
	*out = NULL;
	if (!t)
		return bb_fail(err, BB_ENOMEM, "'%s': out of memory", name);
	if (!(rc = tk_parse_json_text(name, json, len, &root, err))) {
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
