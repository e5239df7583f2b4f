/*
 * scores.c: reading and validating a scores file (see scores.h for the form).
 * Never prints or exits; a file that fails one check is refused whole.
 */
#include "core/scores.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core/fileio.h"
#include "core/hash.h"
#include "core/strbuf.h"

void scores_free(struct scores *s)
{
	free(s->names);
	free(s->values);
	cJSON_Delete(s->provenance);
	memset(s, 0, sizeof *s);
}

static int read_options(struct scores *s, const cJSON *opts, const char *path,
			struct bb_error *err)
{
	if (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) == 0 ||
	    cJSON_GetArraySize(opts) > RECIPE_MAX_OPTIONS)
		return bb_fail(err, BB_EFORMAT, "'%s': 'options' must be a non-empty array of formats",
			       path);
	const cJSON *o;
	cJSON_ArrayForEach(o, opts)
	{
		if (!cJSON_IsString(o) || format_parse(&s->options[s->n_options], o->valuestring, err))
			return bb_fail(err, BB_EFORMAT, "'%s': options[%d] is not a known format",
				       path, s->n_options);
		s->n_options++;
	}
	return 0;
}

static int read_layer(struct scores *s, const cJSON *e, const char *path, struct bb_error *err)
{
	int i = s->n_layers;
	if (!cJSON_IsObject(e) || !fmt_fits(s->names[i], sizeof s->names[i], "%s", e->string))
		return bb_fail(err, BB_EFORMAT, "'%s': scores for '%.80s' are not an object", path,
			       e->string);
	for (int j = 0; j < i; j++)
		if (strcmp(s->names[j], e->string) == 0)
			return bb_fail(err, BB_EFORMAT, "'%s': layer '%s' appears twice", path,
				       e->string);
	for (int k = 0; k < s->n_options; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, s->options[k].name);
		if (!v && s->options[k].kind == FMT_KEEP) {
			s->values[(size_t)i * s->n_options + k] = 0;
			continue;
		}
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
			return bb_fail(err, BB_EFORMAT,
				       "'%s': layer '%s' needs a finite score >= 0 for %s", path,
				       e->string, s->options[k].name);
		s->values[(size_t)i * s->n_options + k] = v->valuedouble;
	}
	s->n_layers++;
	return 0;
}

static int scores_from_json(struct scores *s, const cJSON *json, const char *path,
			    struct bb_error *err)
{
	if (!cJSON_IsObject(json))
		return bb_fail(err, BB_EFORMAT, "'%s': not a JSON object", path);
	int rc = read_options(s, cJSON_GetObjectItemCaseSensitive(json, "options"), path, err);
	if (rc)
		return rc;
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(json, "scores"), *e;
	if (!cJSON_IsObject(map) || !map->child)
		return bb_fail(err, BB_EFORMAT, "'%s': 'scores' must be a non-empty object", path);
	size_t n = (size_t)cJSON_GetArraySize(map);
	s->names = calloc(n, sizeof *s->names);
	s->values = calloc(n * (size_t)s->n_options, sizeof *s->values);
	if (!s->names || !s->values)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, map) if ((rc = read_layer(s, e, path, err))) return rc;
	return 0;
}

/* The top-level keys that are not the scores themselves. */
static cJSON *provenance_of(const cJSON *json)
{
	cJSON *p = cJSON_CreateObject();
	const cJSON *e;
	cJSON_ArrayForEach(e, json)
	{
		if (strcmp(e->string, "options") && strcmp(e->string, "scores") &&
		    strcmp(e->string, "fixed"))
			cJSON_AddItemToObject(p, e->string, cJSON_Duplicate(e, 1));
	}
	return p;
}

int scores_read(struct scores *s, const char *path, struct bb_error *err)
{
	memset(s, 0, sizeof *s);
	char *text;
	size_t len;
	int rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	sha256_hex(text, len, s->sha256);
	cJSON *json = cJSON_Parse(text);
	free(text);
	rc = json ? scores_from_json(s, json, path, err)
		  : bb_fail(err, BB_EFORMAT, "'%s': not valid JSON", path);
	if (!rc && !(s->provenance = provenance_of(json)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_Delete(json);
	if (rc)
		scores_free(s);
	return rc;
}

double scores_get(const struct scores *s, const char *name, const struct format *f)
{
	if (f->kind == FMT_KEEP)
		return 0;
	for (int k = 0; k < s->n_options; k++) {
		if (strcmp(s->options[k].name, f->name) != 0)
			continue;
		for (int i = 0; i < s->n_layers; i++)
			if (strcmp(s->names[i], name) == 0)
				return s->values[(size_t)i * s->n_options + k];
	}
	return -1;
}

int scores_check_layers(const struct scores *s, const struct inventory *inv, const char *path,
			struct bb_error *err)
{
	for (int i = 0; i < s->n_layers; i++)
		if (inventory_find(inv, s->names[i]) < 0 && strcmp(s->names[i], "lm_head") != 0)
			return bb_fail(err, BB_EINVAL, "'%s': scores name layer '%s', which the model "
				       "does not have", path, s->names[i]);
	return 0;
}
