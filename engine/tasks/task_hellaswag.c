/*
 * task_hellaswag.c: lm-eval's hellaswag (lm_eval/tasks/hellaswag/hellaswag.yaml and
 * utils.py): query = preprocess(activity_label + ": " + ctx_a + " " +
 * ctx_b.capitalize()), choices = preprocess(ending) each, continuations " " + choice,
 * gold = int(label). preprocess is reproduced byte for byte, quirks included (a choice can
 * start with a space, giving a double space after the delimiter). acc and acc_norm.
 * Never prints, never exits; it must never "fix" what preprocess leaves behind.
 */
#include "engine/tasks/families.h"
#include "engine/tasks/text.h"

#include <stdlib.h>
#include <string.h>

static const struct task_spec HELLASWAG = {
	.name = "hellaswag",
	.output = TASK_MULTIPLE_CHOICE,
	.n_metrics = 2,
	.metrics = {METRIC_ACC, METRIC_ACC_NORM},
	.file = "hellaswag.validation.jsonl",
	.dataset_path = "Rowan/hellaswag",
	.split_key = "validation_split",
	.split = "validation",
	.doc_to_text = "{{query}}",
	.doc_to_target = "{{label}}",
	.doc_to_choice = "choices",
	.add_doc = hellaswag_add_doc,
};

// ---- preprocess ----

/* Every "from" in s[0..n) replaced by "to", scanning left to right without overlaps
 * (Python's str.replace). */
static void replace_all(struct strbuf *out, const char *s, size_t n, const char *from,
			const char *to)
{
	size_t k = strlen(from);
	for (size_t i = 0; i < n;) {
		if (n - i >= k && !memcmp(s + i, from, k)) {
			strbuf_adds(out, to);
			i += k;
		} else {
			strbuf_add(out, s + i++, 1);
		}
	}
}

/* re.sub(r"\[.*?\]", "", s): each '[' up to the first ']' with no newline between. */
static void remove_brackets(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (s[i] == '[') {
			size_t j = i + 1;
			while (j < n && s[j] != ']' && s[j] != '\n')
				j++;
			if (j < n && s[j] == ']') {
				i = j + 1;
				continue;
			}
		}
		strbuf_add(out, s + i++, 1);
	}
}

char *hellaswag_preprocess(const char *text, size_t len)
{
	size_t end = py_rstrip_len(text, len), start = py_lstrip_off(text, end);
	struct strbuf titled = {0}, bare = {0}, out = {0};
	replace_all(&titled, text + start, end - start, " [title]", ". ");
	char *a = strbuf_take(&titled);
	if (a)
		remove_brackets(&bare, a, strlen(a));
	char *b = a ? strbuf_take(&bare) : NULL;
	if (b)
		replace_all(&out, b, strlen(b), "  ", " ");
	free(a);
	free(b);
	return b ? strbuf_take(&out) : NULL;
}

// ---- documents ----

/* The query's raw text: activity_label + ": " + ctx_a + " " + ctx_b.capitalize(). */
static char *raw_query(const char *label, const char *ctx_a, const char *ctx_b)
{
	struct strbuf b = {0};
	strbuf_adds(&b, label);
	strbuf_adds(&b, ": ");
	strbuf_adds(&b, ctx_a);
	strbuf_adds(&b, " ");
	py_capitalize(&b, ctx_b, strlen(ctx_b));
	return strbuf_take(&b);
}

/* The endings: an array of at least two strings. */
static const cJSON *row_endings(const cJSON *row, struct bb_error *err)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(row, "endings"), *x;
	if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) < 2 ||
	    cJSON_GetArraySize(e) > TASK_MAX_CHOICES) {
		bb_fail(err, BB_EFORMAT, "field 'endings' is missing or not an array of 2 to %d "
			"strings", TASK_MAX_CHOICES);
		return NULL;
	}
	cJSON_ArrayForEach(x, e) if (!cJSON_IsString(x)) {
		bb_fail(err, BB_EFORMAT, "field 'endings' holds a non-string");
		return NULL;
	}
	return e;
}

static int add_endings(struct task *t, const char *query, const cJSON *endings,
		       struct bb_error *err)
{
	const cJSON *e;
	int rc = 0;
	cJSON_ArrayForEach(e, endings) {
		char *choice = hellaswag_preprocess(e->valuestring, strlen(e->valuestring));
		rc = choice ? task_add_choice(t, query, " ", choice, err)
			    : bb_fail(err, BB_ENOMEM, "out of memory");
		free(choice);
		if (rc)
			break;
	}
	return rc;
}

/* lm-eval's doc after process_docs: the row plus query, choices (the preprocessed
 * endings) and gold, kept for the samples. */
static int keep_processed_doc(struct task *t, const cJSON *row, const char *query,
			      struct bb_error *err)
{
	struct task_doc *d = &t->docs[t->n_docs - 1];
	cJSON *doc = cJSON_Duplicate(row, true), *choices = cJSON_CreateArray();
	for (int i = d->first; doc && choices && i < d->first + d->n; i++)
		cJSON_AddItemToArray(choices, cJSON_CreateString(t->reqs[i].continuation + 1));
	if (!doc || !choices || !cJSON_AddStringToObject(doc, "query", query) ||
	    !cJSON_AddItemToObject(doc, "choices", choices) ||
	    !cJSON_AddNumberToObject(doc, "gold", d->gold)) {
		cJSON_Delete(doc);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	d->doc = doc;
	return 0;
}

int hellaswag_add_doc(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *label = row_string(row, "activity_label", err), *ctx_a = NULL, *ctx_b = NULL;
	const cJSON *endings = NULL;
	int gold, rc;
	if (!label || !(ctx_a = row_string(row, "ctx_a", err)) ||
	    !(ctx_b = row_string(row, "ctx_b", err)) || !(endings = row_endings(row, err)))
		return BB_EFORMAT;
	if ((rc = row_int(row, "label", 0, cJSON_GetArraySize(endings) - 1, true, &gold, err)))
		return rc;
	char *raw = raw_query(label, ctx_a, ctx_b);
	char *query = raw ? hellaswag_preprocess(raw, strlen(raw)) : NULL;
	rc = query ? task_begin_doc(t, gold, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = add_endings(t, query, endings, err);
	if (!rc)
		rc = keep_processed_doc(t, row, query, err);
	free(raw);
	free(query);
	return rc;
}

int hellaswag_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err)
{
	return task_load_spec(tl, &HELLASWAG, data_dir, limit, err);
}
