/*
 * spec_fields.c: the typed field readers of the endpoint's JSON specs (spec_fields.h).
 * Never prints, never exits.
 */
#include "endpoint/spec_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool in_list(const char *const *list, const char *key)
{
	for (; list && *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

static bool is_control(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if (is_control(*s))
			return true;
	return false;
}

/* text as it may appear inside a one-line error: control characters become '?', and
 * at most n - 1 bytes are kept. */
static const char *printable(const char *text, char *buf, size_t n)
{
	size_t i = 0;
	for (; text[i] && i + 1 < n; i++)
		buf[i] = is_control(text[i]) ? '?' : text[i];
	buf[i] = 0;
	return buf;
}

int spec_check_keys(const cJSON *obj, const char *const *keys, const char *const *more,
		    const char *what, struct bb_error *err)
{
	char shown[64];
	for (const cJSON *it = obj->child; it; it = it->next)
		if (!in_list(keys, it->string) && !in_list(more, it->string))
			return bb_fail(err, BB_EINVAL, "unknown field '%s' for %s",
				       printable(it->string, shown, sizeof shown), what);
	return 0;
}

/* The field, or NULL when it is absent or null; a required one is then an error (rc). */
static const cJSON *field(const cJSON *obj, const char *key, bool required, int *rc,
			  struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	*rc = 0;
	if (v && !cJSON_IsNull(v))
		return v;
	if (required)
		*rc = bb_fail(err, BB_EINVAL, "%s: required but missing", key);
	return NULL;
}

int spec_get_int(const cJSON *obj, const char *key, bool required, long min, long max,
		 long *out, struct bb_error *err)
{
	int rc;
	const cJSON *v = field(obj, key, required, &rc, err);
	if (!v)
		return rc;
	double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	/* 0x1p63 is one past LONG_MAX: (double)LONG_MAX rounds up to it, so compare strictly. */
	bool ok = d >= (double)min && d <= (double)max && d < 0x1p63 && d == floor(d);
	if (!ok)
		return bb_fail(err, BB_EINVAL, "%s: expected an integer in [%ld, %ld]", key, min, max);
	*out = (long)d;
	return 0;
}

int spec_get_number(const cJSON *obj, const char *key, bool required, double min, double max,
		    double *out, struct bb_error *err)
{
	int rc;
	const cJSON *v = field(obj, key, required, &rc, err);
	if (!v)
		return rc;
	double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	if (!(d >= min && d <= max))
		return bb_fail(err, BB_EINVAL, "%s: expected a number in [%g, %g]", key, min, max);
	*out = d;
	return 0;
}

int spec_get_bool(const cJSON *obj, const char *key, bool required, int *out,
		  struct bb_error *err)
{
	int rc;
	const cJSON *v = field(obj, key, required, &rc, err);
	if (!v)
		return rc;
	if (!cJSON_IsBool(v))
		return bb_fail(err, BB_EINVAL, "%s: expected true or false", key);
	*out = cJSON_IsTrue(v);
	return 0;
}

int spec_get_string(const cJSON *obj, const char *key, bool required, bool non_empty,
		    char **out, struct bb_error *err)
{
	int rc;
	const cJSON *v = field(obj, key, required, &rc, err);
	if (!v)
		return rc;
	if (!cJSON_IsString(v) || (non_empty && !*v->valuestring))
		return bb_fail(err, BB_EINVAL, "%s: expected a%s string", key,
			       non_empty ? " non-empty" : "");
	char *copy = strdup(v->valuestring);
	if (!copy)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	free(*out);
	*out = copy;
	return 0;
}

void spec_free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The names of v joined by commas into *out (an array of strings, or a string as it is). */
static int join_names(const cJSON *v, const char *key, char **out, struct bb_error *err)
{
	const cJSON *it;
	size_t len = 1;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it))
			return bb_fail(err, BB_EINVAL, "%s: expected strings", key);
		len += strlen(it->valuestring) + 1;
	}
	char *joined = cJSON_IsString(v) ? strdup(v->valuestring) : calloc(1, len);
	if (joined && cJSON_IsArray(v))
		cJSON_ArrayForEach(it, v) {
			strcat(joined, it->valuestring);
			strcat(joined, ",");
		}
	*out = joined;
	return joined ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

/* Split joined at commas into distinct names (at most max, at least one). */
static int split_names(char *joined, const char *key, int max, char **names, int *n,
		       struct bb_error *err)
{
	int rc = 0;
	for (char *save, *t = strtok_r(joined, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		if (has_control(t))
			rc = bb_fail(err, BB_EINVAL, "%s: a name holds a control character", key);
		for (int i = 0; i < *n && !rc; i++)
			if (!strcmp(names[i], t))
				rc = bb_fail(err, BB_EINVAL, "%s: '%s' is given twice", key, t);
		if (!rc && *n == max)
			rc = bb_fail(err, BB_EINVAL, "%s: more than %d names", key, max);
		if (!rc && !(names[(*n)++] = strdup(t)))
			rc = bb_fail(err, BB_ENOMEM, "out of memory");
	}
	if (!rc && *n == 0)
		rc = bb_fail(err, BB_EINVAL, "%s: the list is empty", key);
	return rc;
}

int spec_get_names(const cJSON *obj, const char *key, bool required, int max, char ***names,
		   int *n, struct bb_error *err)
{
	int rc;
	const cJSON *v = field(obj, key, required, &rc, err);
	*names = NULL;
	*n = 0;
	if (!v)
		return rc;
	if (!cJSON_IsString(v) && !cJSON_IsArray(v))
		return bb_fail(err, BB_EINVAL, "%s: expected a list of names", key);
	char *joined = NULL;
	if ((rc = join_names(v, key, &joined, err)))
		return rc;
	*names = calloc((size_t)max, sizeof(char *));
	rc = *names ? split_names(joined, key, max, *names, n, err)
		    : bb_fail(err, BB_ENOMEM, "out of memory");
	free(joined);
	if (rc) {
		spec_free_names(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return rc;
}
