/*
 * recipe.c: recipes in memory and as JSON (bitbudget's form and AutoRound's layer_config).
 *
 * Reading is strict: every name, format and number is checked, and the first problem is
 * reported with the layer and key at fault. Writing goes through an atomic file. Layers
 * keep the order they were given (execution order), so recipe files diff cleanly.
 * Never prints, never exits.
 */
#include "core/recipe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/strbuf.h"

void recipe_free(struct recipe *r)
{
	free(r->layers);
	cJSON_Delete(r->manifest);
	memset(r, 0, sizeof *r);
}

const struct recipe_layer *recipe_find(const struct recipe *r, const char *name)
{
	for (int i = 0; i < r->n_layers; i++)
		if (strcmp(r->layers[i].name, name) == 0)
			return &r->layers[i];
	return NULL;
}

// ---- bitbudget's JSON form ----

cJSON *recipe_to_json(const struct recipe *r)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "model", r->model);
	cJSON_AddStringToObject(root, "strategy", r->strategy);
	cJSON *opts = cJSON_AddArrayToObject(root, "options");
	for (int i = 0; i < r->n_options; i++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(r->options[i].name));
	cJSON_AddStringToObject(root, "accounting", accounting_name(r->accounting));
	cJSON_AddNumberToObject(root, "target_avg_bits", r->target_avg_bits);
	cJSON_AddNumberToObject(root, "achieved_avg_bits", r->achieved_avg_bits);
	if (r->have_avg_bits) {
		cJSON *avg = cJSON_AddObjectToObject(root, "avg_bits");
		for (int a = 0; a < ACCOUNT_COUNT; a++)
			if (r->avg_bits[a] >= 0)
				cJSON_AddNumberToObject(avg, accounting_name(a), r->avg_bits[a]);
			else
				cJSON_AddStringToObject(avg, accounting_name(a), "n/a");
	}
	if (r->manifest)
		cJSON_AddItemToObject(root, "manifest", cJSON_Duplicate(r->manifest, 1));
	cJSON *layers = cJSON_AddObjectToObject(root, "layers");
	for (int i = 0; i < r->n_layers; i++) {
		const struct recipe_layer *l = &r->layers[i];
		cJSON *e = cJSON_AddObjectToObject(layers, l->name);
		cJSON_AddStringToObject(e, "weight", l->weight.name);
		cJSON_AddStringToObject(e, "act", l->act.name);
		if (l->fixed)
			cJSON_AddTrueToObject(e, "fixed");
		if (l->pinned)
			cJSON_AddTrueToObject(e, "pinned");
	}
	return root;
}

static int copy_string(char *dst, size_t n, const cJSON *json, const char *key,
		       const char *what, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
	if (!v)
		return (dst[0] = 0);
	if (!cJSON_IsString(v) || !fmt_fits(dst, n, "%s", v->valuestring))
		return bb_fail(err, BB_EFORMAT, "%s: '%s' must be a string of under %zu bytes",
			       what, key, n);
	return 0;
}

static int read_number(double *dst, const cJSON *json, const char *key, const char *what,
		       struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
	if (!v)
		return (*dst = 0, 0);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 64)
		return bb_fail(err, BB_EFORMAT, "%s: '%s' must be a number of bits in [0, 64]",
			       what, key);
	*dst = v->valuedouble;
	return 0;
}

static int read_options(struct recipe *r, const cJSON *json, const char *what,
			struct bb_error *err)
{
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(json, "options"), *o;
	if (!opts)
		return 0;
	if (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) > RECIPE_MAX_OPTIONS)
		return bb_fail(err, BB_EFORMAT, "%s: 'options' must be an array of at most %d formats",
			       what, RECIPE_MAX_OPTIONS);
	cJSON_ArrayForEach(o, opts)
	{
		if (!cJSON_IsString(o))
			return bb_fail(err, BB_EFORMAT, "%s: 'options' holds a non-string", what);
		struct bb_error inner;
		if (format_parse(&r->options[r->n_options], o->valuestring, &inner))
			return bb_fail(err, BB_EFORMAT, "%s: options: %s", what, inner.msg);
		r->n_options++;
	}
	return 0;
}

static int read_layer_format(struct format *f, const cJSON *e, const char *key,
			     const char *what, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
	if (!cJSON_IsString(v))
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s' has no '%s' format", what,
			       e->string, key);
	struct bb_error inner;
	if (format_parse(f, v->valuestring, &inner))
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s': %s", what, e->string, inner.msg);
	return 0;
}

/* The documented pairings (docs/formats.md, "Weight and activation pairings"): an MX weight
 * with the same MX format on its input, as AutoRound's MXFP4 and MXFP8 schemes do; an INT
 * weight (weight-only) or a kept layer with BF16 activations. Anything else (MXFP4 weights
 * with MXFP8 activations, MX weights with BF16 activations) is a scheme neither tool
 * defines, so it is refused rather than evaluated as something nobody asked for. */
static int check_layer(const struct recipe_layer *l, const char *what, struct bb_error *err)
{
	if (l->act.kind == FMT_INT)
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s': act format %s is weight-only",
			       what, l->name, l->act.name);
	if (l->act.kind == FMT_MX && l->weight.kind != FMT_MX)
		return bb_fail(err, BB_EFORMAT,
			       "%s: layer '%s': MX activations need an MX weight (got %s)", what,
			       l->name, l->weight.name);
	const struct format *paired = format_quantizes_activations(&l->weight) ? &l->weight : NULL;
	if (paired ? strcmp(l->act.name, paired->name) != 0 : l->act.kind != FMT_KEEP)
		return bb_fail(err, BB_EFORMAT,
			       "%s: layer '%s': weight %s with activation %s is not a documented "
			       "pairing (%s takes activation %s)", what, l->name, l->weight.name,
			       l->act.name, l->weight.name, paired ? paired->name : "BF16");
	return 0;
}

static int read_layers(struct recipe *r, const cJSON *layers, const char *what,
		       struct bb_error *err)
{
	if (!cJSON_IsObject(layers))
		return bb_fail(err, BB_EFORMAT, "%s: 'layers' must be an object", what);
	int n = cJSON_GetArraySize(layers);
	r->layers = calloc(n ? (size_t)n : 1, sizeof *r->layers);
	if (!r->layers)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	const cJSON *e;
	cJSON_ArrayForEach(e, layers)
	{
		struct recipe_layer *l = &r->layers[r->n_layers];
		if (!cJSON_IsObject(e) || !fmt_fits(l->name, sizeof l->name, "%s", e->string))
			return bb_fail(err, BB_EFORMAT, "%s: layer '%.80s' is not an object", what,
				       e->string);
		if (recipe_find(r, e->string)) /* the layers before l */
			return bb_fail(err, BB_EFORMAT, "%s: layer '%s' appears twice", what,
				       e->string);
		int rc = read_layer_format(&l->weight, e, "weight", what, err);
		if (!rc)
			rc = read_layer_format(&l->act, e, "act", what, err);
		if (!rc)
			rc = check_layer(l, what, err);
		if (rc)
			return rc;
		l->fixed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "fixed"));
		l->pinned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pinned"));
		r->n_layers++;
	}
	return 0;
}

static int read_accounting(struct recipe *r, const cJSON *json, const char *what,
			   struct bb_error *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(json, "accounting");
	int acc = cJSON_IsString(a) ? accounting_parse(a->valuestring) : -1;
	if (!a)
		return (r->accounting = ACCOUNT_WEIGHTS, 0);
	if (acc < 0 || acc == ACCOUNT_GGUF)
		return bb_fail(err, BB_EFORMAT,
			       "%s: 'accounting' must be \"weights\", \"scales\" or \"scales+zp\"", what);
	r->accounting = (enum bit_accounting)acc;
	return 0;
}

/* "avg_bits": {"weights": 5, ..., "gguf": "n/a"}, optional; anything but a number is n/a. */
static int read_avg_bits(struct recipe *r, const cJSON *json, const char *what,
			 struct bb_error *err)
{
	const cJSON *avg = cJSON_GetObjectItemCaseSensitive(json, "avg_bits");
	if (!avg)
		return 0;
	if (!cJSON_IsObject(avg))
		return bb_fail(err, BB_EFORMAT, "%s: 'avg_bits' must be an object", what);
	r->have_avg_bits = true;
	for (int a = 0; a < ACCOUNT_COUNT; a++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(avg, accounting_name(a));
		r->avg_bits[a] = cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
	}
	return 0;
}

/* The manifest is provenance: kept as it is, checked only to be an object. */
static int read_manifest(struct recipe *r, const cJSON *json, const char *what,
			 struct bb_error *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(json, "manifest");
	if (!m)
		return 0;
	if (!cJSON_IsObject(m))
		return bb_fail(err, BB_EFORMAT, "%s: 'manifest' must be an object", what);
	r->manifest = cJSON_Duplicate(m, 1);
	return r->manifest ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

int recipe_from_json(struct recipe *r, const cJSON *json, const char *what, struct bb_error *err)
{
	memset(r, 0, sizeof *r);
	int rc;
	if (!cJSON_IsObject(json))
		rc = bb_fail(err, BB_EFORMAT, "%s: a recipe must be a JSON object", what);
	else if (!cJSON_GetObjectItemCaseSensitive(json, "layers"))
		rc = bb_fail(err, BB_EFORMAT, "%s: missing key 'layers'", what);
	else if (!(rc = copy_string(r->model, sizeof r->model, json, "model", what, err)) &&
		 !(rc = copy_string(r->strategy, sizeof r->strategy, json, "strategy", what, err)) &&
		 !(rc = read_options(r, json, what, err)) &&
		 !(rc = read_accounting(r, json, what, err)) &&
		 !(rc = read_avg_bits(r, json, what, err)) &&
		 !(rc = read_manifest(r, json, what, err)) &&
		 !(rc = read_number(&r->target_avg_bits, json, "target_avg_bits", what, err)) &&
		 !(rc = read_number(&r->achieved_avg_bits, json, "achieved_avg_bits", what, err)))
		rc = read_layers(r, cJSON_GetObjectItemCaseSensitive(json, "layers"), what, err);
	if (rc)
		recipe_free(r);
	return rc;
}

// ---- AutoRound's layer_config form ----

static void add_autoround_scheme(cJSON *dst, const struct format *f, const char *prefix)
{
	char key[32];
	const char *dtype = f->kind == FMT_MX ? "mx_fp" : f->kind == FMT_INT ? "int" : "float";
	snprintf(key, sizeof key, "%sbits", prefix);
	cJSON_AddNumberToObject(dst, key, f->bits);
	snprintf(key, sizeof key, "%sdata_type", prefix);
	cJSON_AddStringToObject(dst, key, dtype);
	if (f->kind == FMT_KEEP)
		return;
	snprintf(key, sizeof key, "%sgroup_size", prefix);
	cJSON_AddNumberToObject(dst, key, f->block);
	snprintf(key, sizeof key, "%ssym", prefix);
	cJSON_AddBoolToObject(dst, key, f->kind == FMT_MX || f->sym);
}

cJSON *recipe_to_autoround(const struct recipe *r)
{
	cJSON *root = cJSON_CreateObject();
	for (int i = 0; i < r->n_layers; i++) {
		cJSON *e = cJSON_AddObjectToObject(root, r->layers[i].name);
		add_autoround_scheme(e, &r->layers[i].weight, "");
		add_autoround_scheme(e, &r->layers[i].act, "act_");
	}
	return root;
}

/* A JSON number that is an integer in int's range: cJSON's valueint would truncate 4.5
 * to 4 and turn a typo into a different format. */
static bool is_whole_number(const cJSON *v)
{
	double d = v->valuedouble;
	return d >= -1e9 && d <= 1e9 && d == floor(d);
}

/* One AutoRound scheme dict -> a bitbudget format, e.g. bits 4 + mx_fp -> MXFP4. */
static int autoround_format(struct format *f, const cJSON *e, const char *prefix,
			    const char *what, struct bb_error *err)
{
	char key[32];
	snprintf(key, sizeof key, "%sbits", prefix);
	const cJSON *bits = cJSON_GetObjectItemCaseSensitive(e, key);
	if (!bits && *prefix)
		return (*f = format_bf16(), 0);
	if (!cJSON_IsNumber(bits))
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s' has no numeric '%s'", what,
			       e->string, key);
	if (!is_whole_number(bits))
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s': '%s' must be an integer, not %g",
			       what, e->string, key, bits->valuedouble);
	if (bits->valueint >= 16)
		return (*f = format_bf16(), 0);
	snprintf(key, sizeof key, "%sdata_type", prefix);
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, key);
	snprintf(key, sizeof key, "%sgroup_size", prefix);
	const cJSON *gs = cJSON_GetObjectItemCaseSensitive(e, key);
	if (gs && !cJSON_IsNull(gs) && (!cJSON_IsNumber(gs) || !is_whole_number(gs)))
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s': '%s' must be an integer", what,
			       e->string, key);
	snprintf(key, sizeof key, "%ssym", prefix);
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(e, key);
	const char *dtype = cJSON_IsString(dt) ? dt->valuestring : "int";
	char name[32]; /* "W%dG%d-asym": two integers within 1e9 (is_whole_number) fit */
	if (strncmp(dtype, "mx_fp", 5) == 0)
		snprintf(name, sizeof name, "MXFP%d", bits->valueint);
	else if (strcmp(dtype, "int") == 0)
		snprintf(name, sizeof name, "W%dG%d%s", bits->valueint,
			 cJSON_IsNumber(gs) ? gs->valueint : 128, cJSON_IsFalse(sym) ? "-asym" : "");
	else
		return bb_fail(err, BB_EUNSUPPORTED, "%s: layer '%s': data_type '%.20s' is not supported",
			       what, e->string, dtype);
	struct bb_error inner;
	if (format_parse(f, name, &inner))
		return bb_fail(err, BB_EFORMAT, "%s: layer '%s': %s", what, e->string, inner.msg);
	return 0;
}

static int recipe_from_autoround(struct recipe *r, const cJSON *json, const char *what,
				 struct bb_error *err)
{
	memset(r, 0, sizeof *r);
	snprintf(r->strategy, sizeof r->strategy, "autoround");
	int n = cJSON_GetArraySize(json), rc = 0;
	r->layers = calloc(n ? (size_t)n : 1, sizeof *r->layers);
	if (!r->layers)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	const cJSON *e;
	cJSON_ArrayForEach(e, json)
	{
		struct recipe_layer *l = &r->layers[r->n_layers];
		if (!cJSON_IsObject(e) || !fmt_fits(l->name, sizeof l->name, "%s", e->string))
			rc = bb_fail(err, BB_EFORMAT, "%s: layer '%.80s' is not an object", what,
				     e->string);
		else if (recipe_find(r, e->string)) /* the layers before l */
			rc = bb_fail(err, BB_EFORMAT, "%s: layer '%s' appears twice", what,
				     e->string);
		if (rc)
			break;
		if ((rc = autoround_format(&l->weight, e, "", what, err)) ||
		    (rc = autoround_format(&l->act, e, "act_", what, err)) ||
		    (rc = check_layer(l, what, err)))
			break;
		r->n_layers++;
	}
	if (rc)
		recipe_free(r);
	return rc;
}

// ---- files ----

int recipe_read(struct recipe *r, const char *path, struct bb_error *err)
{
	memset(r, 0, sizeof *r); /* zeroed on every failure, so recipe_free is always safe */
	char *text;
	int rc = read_file(path, &text, NULL, err);
	if (rc)
		return rc;
	cJSON *json = cJSON_Parse(text);
	free(text);
	char *what = str_printf(err, "'%s'", path);
	if (!what)
		rc = BB_ENOMEM;
	else if (!json)
		rc = bb_fail(err, BB_EFORMAT, "%s: not valid JSON", what);
	else if (cJSON_GetObjectItemCaseSensitive(json, "layers"))
		rc = recipe_from_json(r, json, what, err);
	else if (cJSON_IsObject(json) && json->child)
		rc = recipe_from_autoround(r, json, what, err);
	else
		rc = bb_fail(err, BB_EFORMAT, "%s: neither a recipe nor a layer_config", what);
	free(what);
	cJSON_Delete(json);
	return rc;
}

char *recipe_to_text(const struct recipe *r, size_t *len)
{
	cJSON *json = recipe_to_json(r);
	char *text = cJSON_Print(json);
	cJSON_Delete(json);
	if (!text)
		return NULL;
	*len = strlen(text) + 1;
	text[*len - 1] = '\n'; /* replace the NUL: the file ends with a newline */
	return text;
}

int recipe_write(const struct recipe *r, const char *path, struct bb_error *err)
{
	size_t n;
	char *text = recipe_to_text(r, &n);
	if (!text)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	int rc = write_file_atomic(path, text, n, err);
	free(text);
	return rc;
}

// ---- the model a recipe was made for ----

/* The identity the manifest recorded and how it was computed: over config.json alone in
 * planning mode, over config.json and every shard otherwise (core/hash.c). */
static const char *manifest_identity(const cJSON *manifest, bool *config_only)
{
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(manifest, "model");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(model, "identity");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(model, "mode");
	*config_only = cJSON_IsString(mode) && strcmp(mode->valuestring, "config only") == 0;
	return cJSON_IsString(id) ? id->valuestring : NULL;
}

int recipe_check_model(const struct recipe *r, const struct checkpoint *ck, const char *what,
		       struct bb_error *err)
{
	if (!r->manifest)
		return 0; /* AutoRound's layer_config carries no identity to compare */
	bool config_only;
	const char *want = manifest_identity(r->manifest, &config_only);
	if (!want)
		return bb_fail(err, BB_EFORMAT, "%s: its manifest has no model identity", what);
	/* A recipe planned from config.json alone fits any checkpoint with that config. A
	 * fake-quantized checkpoint is its source's config.json plus quantization_config, with
	 * the source's shard headers and sizes: the same model, so it is compared without that
	 * key (re-quantizing a quantized model with its own recipe is a fixed point). */
	struct checkpoint as_planned = *ck;
	cJSON *source_config = cJSON_Duplicate(ck->config_json, 1);
	if (!source_config)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(source_config, "quantization_config");
	as_planned.config_json = source_config;
	if (config_only)
		as_planned.n_files = 0;
	char have[SHA256_HEX_LEN];
	checkpoint_identity(&as_planned, have);
	cJSON_Delete(source_config);
	if (strcmp(want, have) == 0)
		return 0;
	return bb_fail(err, BB_EINVAL, "%s was made for a model with identity %.12s, but '%s' "
		       "has identity %.12s (%s); --force applies it anyway", what, want, ck->dir,
		       have, config_only ? "config.json differs" : "config.json or a shard differs");
}
