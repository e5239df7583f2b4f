/*
 * task_common.c: what every task family shares: a task's documents and requests, the
 * .jsonl reader that names file and line on any bad row, typed row fields, and a task
 * made from a family's spec. The dispatch by name sits above the families (registry.c).
 *
 * Every row goes through cJSON. Never prints, never exits, keeps no global state.
 */
#include "engine/tasks/tasks.h"
#include "engine/tasks/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

// ---- a task ----

int task_init(struct task *t, const char *name, enum task_output output,
	      const enum metric *metrics, int n_metrics, struct bb_error *err)
{
	*t = (struct task){.output = output};
	if (strlen(name) >= sizeof t->name)
		return bb_fail(err, BB_EINVAL, "task name '%.64s...' is too long", name);
	if (n_metrics < 1 || n_metrics > TASK_MAX_METRICS)
		return bb_fail(err, BB_EINVAL, "task '%s': %d metrics", name, n_metrics);
	strcpy(t->name, name);
	strcpy(t->alias, name);
	t->n_metrics = n_metrics;
	memcpy(t->metrics, metrics, (size_t)n_metrics * sizeof *metrics);
	t->config.version = 1.0;
	return 0;
}

static void task_config_free(struct task_config *c)
{
	free(c->dataset_path);
	free(c->dataset_name);
	free(c->split_key);
	free(c->split);
	free(c->doc_to_text);
	free(c->doc_to_target);
	free(c->doc_to_choice);
	free(c->description);
	free(c->target_delimiter);
}

void task_doc_free(struct task_doc *d)
{
	cJSON_Delete(d->doc);
	free(d->target);
	d->doc = NULL;
	d->target = NULL;
}

void task_free(struct task *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_docs; i++)
		task_doc_free(&t->docs[i]);
	for (int i = 0; i < t->n_reqs; i++) {
		free(t->reqs[i].context);
		free(t->reqs[i].continuation);
	}
	free(t->reqs);
	free(t->docs);
	task_config_free(&t->config);
	*t = (struct task){0};
}

struct task *task_list_add(struct task_list *tl)
{
	if (tl->n == tl->cap) {
		int cap = tl->cap ? 2 * tl->cap : 8;
		struct task *p = realloc(tl->tasks, (size_t)cap * sizeof *p);
		if (!p)
			return NULL;
		tl->tasks = p;
		tl->cap = cap;
	}
	struct task *t = &tl->tasks[tl->n++];
	*t = (struct task){0};
	return t;
}

void task_list_free(struct task_list *tl)
{
	for (int i = 0; i < tl->n; i++)
		task_free(&tl->tasks[i]);
	free(tl->tasks);
	*tl = (struct task_list){0};
}

int task_config_set(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
	return value && !*field ? -1 : 0;
}

// ---- documents and requests ----

static int grow(void **p, int *cap, int need, size_t elem)
{
	if (need <= *cap)
		return 0;
	int c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, (size_t)c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

int task_begin_doc(struct task *t, int gold, struct bb_error *err)
{
	if (grow((void **)&t->docs, &t->cap_docs, t->n_docs + 1, sizeof *t->docs))
		return bb_fail(err, BB_ENOMEM, "task '%s': out of memory", t->name);
	t->docs[t->n_docs++] = (struct task_doc){.first = t->n_reqs, .gold = gold};
	return 0;
}

int task_add_request(struct task *t, const char *context, const char *continuation,
		     const char *choice, struct bb_error *err)
{
	if (grow((void **)&t->reqs, &t->cap_reqs, t->n_reqs + 1, sizeof *t->reqs))
		return bb_fail(err, BB_ENOMEM, "task '%s': out of memory", t->name);
	struct task_request r = {
		.context = context ? strdup(context) : NULL,
		.continuation = strdup(continuation),
		.choice_chars = choice ? py_len(choice, strlen(choice)) : 0,
	};
	if ((context && !r.context) || !r.continuation) {
		free(r.context);
		free(r.continuation);
		return bb_fail(err, BB_ENOMEM, "task '%s': out of memory", t->name);
	}
	t->reqs[t->n_reqs++] = r;
	t->docs[t->n_docs - 1].n++;
	return 0;
}

int task_add_choice(struct task *t, const char *context, const char *delimiter,
		    const char *choice, struct bb_error *err)
{
	struct strbuf b = {0};
	strbuf_adds(&b, delimiter);
	strbuf_adds(&b, choice);
	char *cont = strbuf_take(&b);
	int rc = cont ? task_add_request(t, context, cont, choice, err)
		      : bb_fail(err, BB_ENOMEM, "task '%s': out of memory", t->name);
	free(cont);
	return rc;
}

void task_pop_doc(struct task *t)
{
	if (t->n_docs == 0)
		return;
	struct task_doc *d = &t->docs[--t->n_docs];
	task_doc_free(d);
	for (int i = d->first; i < d->first + d->n; i++) {
		free(t->reqs[i].context);
		free(t->reqs[i].continuation);
	}
	t->n_reqs = d->first;
}

// ---- rows ----

const char *row_string(const cJSON *row, const char *field, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field);
	if (!cJSON_IsString(v)) {
		bb_fail(err, BB_EFORMAT, "field '%s' is missing or not a string", field);
		return NULL;
	}
	return v->valuestring;
}

static bool digits_only(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int row_int(const cJSON *row, const char *field, int lo, int hi, bool digits_ok, int *out,
	    struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, field);
	double x;
	if (cJSON_IsNumber(v))
		x = v->valuedouble;
	else if (digits_ok && cJSON_IsString(v) && digits_only(v->valuestring) &&
		 strlen(v->valuestring) < 10)
		x = atoi(v->valuestring);
	else
		return bb_fail(err, BB_EFORMAT, "field '%s' is missing or not %s", field,
			       digits_ok ? "an integer or a string of digits" : "an integer");
	if (!(x >= lo && x <= hi) || x != floor(x)) /* range first: (int)1e98 is undefined */
		return bb_fail(err, BB_EFORMAT, "field '%s' is %g, not an integer in [%d, %d]",
			       field, x, lo, hi);
	*out = (int)x;
	return 0;
}

/* Parse one line; on failure err names the file and line. */
static int read_row(const char *path, int line, const char *text, size_t len,
		    task_row_fn fn, void *ctx, struct bb_error *err)
{
	struct bb_error row_err = {0};
	const char *end = NULL;
	cJSON *row = cJSON_ParseWithLengthOpts(text, len, &end, false);
	int rc;
	if (row && py_lstrip_off(end, len - (size_t)(end - text)) < len - (size_t)(end - text))
		rc = bb_fail(&row_err, BB_EFORMAT, "text after the JSON object");
	else if (!cJSON_IsObject(row))
		rc = bb_fail(&row_err, BB_EFORMAT, "%s", row ? "not a JSON object" : "malformed JSON");
	else
		rc = fn(ctx, row, &row_err);
	cJSON_Delete(row);
	if (rc)
		bb_fail(err, rc, "'%s' line %d: %s", path, line, row_err.msg);
	return rc;
}

int task_read_jsonl(const char *path, task_row_fn fn, void *ctx, int *n_rows,
		    struct bb_error *err)
{
	char *buf;
	size_t len;
	int rc = read_file(path, &buf, &len, err), rows = 0, line = 0;
	if (rc)
		return rc;
	for (size_t pos = 0; pos < len && !rc;) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		line++;
		if (py_lstrip_off(buf + pos, end - pos) < end - pos) {
			rc = read_row(path, line, buf + pos, end - pos, fn, ctx, err);
			rows++;
		}
		pos = end + 1;
	}
	free(buf);
	if (!rc && n_rows)
		*n_rows = rows;
	return rc;
}

int task_keep_row(struct task *t, const cJSON *row, struct bb_error *err)
{
	struct task_doc *d = t->n_docs ? &t->docs[t->n_docs - 1] : NULL;
	if (d && !d->doc && !(d->doc = cJSON_Duplicate(row, true)))
		return bb_fail(err, BB_ENOMEM, "task '%s': out of memory", t->name);
	return 0;
}

struct rows_ctx {
	struct task *t;
	int limit;
	task_add_doc_fn add_doc;
};

static int add_row(void *ctx, const cJSON *row, struct bb_error *err)
{
	struct rows_ctx *c = ctx;
	int rc = c->add_doc(c->t, row, err);
	if (!rc)
		rc = task_keep_row(c->t, row, err);
	if (!rc && c->limit && c->t->n_docs > c->limit)
		task_pop_doc(c->t);
	return rc;
}

int task_load_rows(struct task *t, const char *path, int limit, task_add_doc_fn add_doc,
		   struct bb_error *err)
{
	struct rows_ctx c = {t, limit, add_doc};
	return task_read_jsonl(path, add_row, &c, &t->n_original, err);
}

int task_new(struct task_list *tl, const struct task_spec *spec,
	     struct task **out, struct bb_error *err)
{
	struct task *t = task_list_add(tl);
	if (!t)
		return bb_fail(err, BB_ENOMEM, "task '%s': out of memory", spec->name);
	int rc = task_init(t, spec->name, spec->output, spec->metrics, spec->n_metrics, err);
	if (rc)
		return rc;
	struct task_config *c = &t->config;
	if (task_config_set(&c->dataset_path, spec->dataset_path) ||
	    task_config_set(&c->dataset_name, spec->dataset_name) ||
	    task_config_set(&c->split_key, spec->split_key) ||
	    task_config_set(&c->split, spec->split) ||
	    task_config_set(&c->doc_to_text, spec->doc_to_text) ||
	    task_config_set(&c->doc_to_target, spec->doc_to_target) ||
	    task_config_set(&c->doc_to_choice, spec->doc_to_choice))
		return bb_fail(err, BB_ENOMEM, "task '%s': out of memory", spec->name);
	*out = t;
	return 0;
}

int task_load_spec(struct task_list *tl, const struct task_spec *spec, const char *data_dir,
		   int limit, struct bb_error *err)
{
	char *path = path_join(data_dir, spec->file);
	if (!path)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	struct task *t;
	int rc = task_new(tl, spec, &t, err);
	if (!rc)
		rc = task_load_rows(t, path, limit, spec->add_doc, err);
	free(path);
	return rc;
}
