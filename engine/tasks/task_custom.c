/*
 * task_custom.c: tasks users add themselves, from a small JSON descriptor and a .jsonl of
 * rows: multiple choice, cloze, or perplexity over whole texts, scored the way lm-eval
 * scores its multiple_choice, loglikelihood and loglikelihood_rolling tasks. The format is
 * documented just below (docs/endpoint.md carries a copy). A bad descriptor or row names
 * the file (and line). Never prints, never exits.
 */

/*
 * The descriptor. The task name given to evaluate is the descriptor's path (it contains
 * '/' or ends in ".json"):
 *
 *   {
 *     "name": "story_cloze",        the task's name in the results: letters, digits, _ - .
 *                                   (not a built-in task name, not starting with "mmlu")
 *     "type": "multiple_choice",    "multiple_choice" | "cloze" | "perplexity"
 *     "data": "story_mc.jsonl",     the rows, one JSON object a line; a relative path is
 *                                   taken from the descriptor's folder
 *     "metrics": ["acc"],           optional: some of the type's metrics (default: all)
 *     "description": "...",         optional: text put before every context (lm-eval's
 *                                   description)
 *     "target_delimiter": " ",      optional, multiple_choice only: put between the context
 *                                   and each choice (default " ")
 *     "version": 1,                 optional: the task's version in "versions" (default 1)
 *     "keep_context_space": false   optional, cloze only: move a continuation's leading space
 *                                   to the end of the context and keep it there, instead of
 *                                   lm-eval's move the other way. For tokenizers whose pieces
 *                                   end in "▁" (TinyStories-656K: "the▁" + "ball"), where the
 *                                   lm-eval split cuts every last word off mid-piece and no
 *                                   continuation can be greedy.
 *   }
 *
 * Rows, and how each type is scored:
 *   multiple_choice  {"context": str, "choices": [str, ...] (2 to 64), "gold": index}
 *                    one request per choice, (description + context, delimiter + choice);
 *                    metrics acc and acc_norm (log-likelihood / characters of the choice).
 *   cloze            {"context": str, "continuation": str}
 *                    one request (description + context, continuation), taken verbatim: put
 *                    the leading space in the continuation (" Paris"); metrics acc (the
 *                    whole continuation is the greedy one) and perplexity (exp of minus the
 *                    mean log-likelihood, bootstrapped stderr).
 *   perplexity       {"text": str} (non-empty)
 *                    the text's rolling log-likelihood (windows of the model's length, the
 *                    first predicted from the BOS token, or EOS; no BOS inside the text);
 *                    metrics word_perplexity exp(-sum ll / sum words), byte_perplexity
 *                    exp(-sum ll / sum bytes), bits_per_byte -sum ll / (sum bytes * ln 2),
 *                    with words = len(re.split(r"\s+", text)) and bytes of UTF-8, as
 *                    lm-eval's wikitext; their stderr is "N/A", as in lm-eval.
 * Every context gets lm-eval's request treatment (whitespace move, BOS per add_bos_token,
 * an empty context scored after the BOS/EOS prefix token). limit keeps the first N rows.
 */
#include "engine/tasks/families.h"
#include "engine/tasks/text.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

// ---- rows ----

/* description + context */
static char *full_context(const struct task *t, const char *context)
{
	struct strbuf b = {0};
	strbuf_adds(&b, t->config.description ? t->config.description : "");
	strbuf_adds(&b, context);
	return strbuf_take(&b);
}

static const cJSON *row_choices(const cJSON *row, struct bb_error *err)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(row, "choices"), *x;
	int strings = 0;
	cJSON_ArrayForEach(x, c) strings += cJSON_IsString(x);
	if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) < 2 ||
	    cJSON_GetArraySize(c) > TASK_MAX_CHOICES || strings != cJSON_GetArraySize(c)) {
		bb_fail(err, BB_EFORMAT, "field 'choices' is missing or not an array of 2 to %d "
			"strings", TASK_MAX_CHOICES);
		return NULL;
	}
	return c;
}

static int multiple_choice_row(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *context = row_string(row, "context", err);
	const cJSON *choices = NULL, *c;
	int gold, rc;
	if (!context || !(choices = row_choices(row, err)))
		return BB_EFORMAT;
	if ((rc = row_int(row, "gold", 0, cJSON_GetArraySize(choices) - 1, false, &gold, err)))
		return rc;
	const char *delim = t->config.target_delimiter ? t->config.target_delimiter : " ";
	char *ctx = full_context(t, context);
	rc = ctx ? task_begin_doc(t, gold, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, choices) {
		if (rc)
			break;
		rc = task_add_choice(t, ctx, delim, c->valuestring, err);
	}
	free(ctx);
	return rc;
}

static int cloze_row(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *context = row_string(row, "context", err), *cont = NULL;
	if (!context || !(cont = row_string(row, "continuation", err)))
		return BB_EFORMAT;
	if (!*cont)
		return bb_fail(err, BB_EFORMAT, "field 'continuation' is empty");
	char *ctx = full_context(t, context);
	if (ctx && t->keep_context_space && cont[0] == ' ' && cont[1]) {
		size_t n = strlen(ctx);
		char *spaced = realloc(ctx, n + 2);
		if (spaced)
			memcpy(spaced + n, " ", 2), cont++;
		ctx = spaced;
	}
	int rc = ctx ? task_begin_doc(t, -1, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = task_add_request(t, ctx, cont, NULL, err);
	free(ctx);
	return rc;
}

static int text_row(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *text = row_string(row, "text", err);
	if (!text)
		return BB_EFORMAT;
	if (!*text)
		return bb_fail(err, BB_EFORMAT, "field 'text' is empty");
	int rc = task_begin_doc(t, -1, err);
	if (!rc)
		rc = task_add_request(t, NULL, text, NULL, err);
	if (!rc) {
		t->docs[t->n_docs - 1].words = py_count_words(text, strlen(text));
		t->docs[t->n_docs - 1].bytes = (long)strlen(text);
	}
	return rc;
}

// ---- the descriptor ----

static const struct {
	const char *type;
	enum task_output output;
	int n_metrics;
	enum metric metrics[3];
	task_add_doc_fn add_doc;
} TYPES[] = {
	{"multiple_choice", TASK_MULTIPLE_CHOICE, 2, {METRIC_ACC, METRIC_ACC_NORM},
	 multiple_choice_row},
	{"cloze", TASK_LOGLIKELIHOOD, 2, {METRIC_ACC, METRIC_PERPLEXITY}, cloze_row},
	{"perplexity", TASK_ROLLING, 3,
	 {METRIC_WORD_PERPLEXITY, METRIC_BYTE_PERPLEXITY, METRIC_BITS_PER_BYTE}, text_row},
};
#define N_TYPES ((int)(sizeof TYPES / sizeof TYPES[0]))

static int check_name(const char *path, const char *name, task_name_taken_fn taken,
		      struct bb_error *err)
{
	bool ok = *name && strlen(name) < 100 && strncmp(name, "mmlu", 4) != 0;
	for (const char *s = name; *s && ok; s++)
		ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		     (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.';
	if (ok && !taken(name))
		return 0;
	return bb_fail(err, BB_EFORMAT, "'%s': \"name\" '%.64s' is not a usable task name "
		       "(letters, digits, _ - .; not a built-in name or mmlu*)", path, name);
}

static int find_type(const char *path, const cJSON *desc, int *type, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(desc, "type");
	for (int i = 0; cJSON_IsString(v) && i < N_TYPES; i++)
		if (!strcmp(v->valuestring, TYPES[i].type)) {
			*type = i;
			return 0;
		}
	return bb_fail(err, BB_EFORMAT, "'%s': \"type\" must be \"multiple_choice\", \"cloze\" or "
		       "\"perplexity\"", path);
}

/* The "metrics" subset into spec (the type's metrics when absent). */
static int pick_metrics(const char *path, const cJSON *desc, int type, struct task_spec *spec,
			struct bb_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(desc, "metrics"), *m;
	spec->n_metrics = TYPES[type].n_metrics;
	memcpy(spec->metrics, TYPES[type].metrics, sizeof TYPES[type].metrics);
	if (!list)
		return 0;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1)
		return bb_fail(err, BB_EFORMAT, "'%s': \"metrics\" is not a non-empty array", path);
	spec->n_metrics = 0;
	cJSON_ArrayForEach(m, list) {
		int id = cJSON_IsString(m) ? metric_from_name(m->valuestring) : -1, ok = 0;
		for (int i = 0; i < TYPES[type].n_metrics; i++)
			ok |= id == (int)TYPES[type].metrics[i];
		for (int i = 0; i < spec->n_metrics; i++)
			ok &= id != (int)spec->metrics[i];
		if (!ok)
			return bb_fail(err, BB_EFORMAT, "'%s': \"metrics\": '%s' is not a metric of "
				       "type %s (or is listed twice)", path,
				       cJSON_IsString(m) ? m->valuestring : "?", TYPES[type].type);
		spec->metrics[spec->n_metrics++] = (enum metric)id;
	}
	return 0;
}

/* An optional string field; 0 when absent or a string. */
static int optional_string(const char *path, const cJSON *desc, const char *field,
			   const char **out, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(desc, field);
	*out = cJSON_IsString(v) ? v->valuestring : NULL;
	return !v || *out ? 0 : bb_fail(err, BB_EFORMAT, "'%s': \"%s\" is not a string", path, field);
}

/* The data path: absolute as given, else beside the descriptor. */
static char *data_path(const char *descriptor, const char *data)
{
	if (data[0] == '/')
		return strdup(data);
	char *copy = strdup(descriptor);
	char *path = copy ? path_join(dirname(copy), data) : NULL;
	free(copy);
	return path;
}

/* Descriptor fields that only go into the task's config. */
static int apply_options(const char *path, const cJSON *desc, struct task *t,
			 struct bb_error *err)
{
	const char *description, *delimiter;
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(desc, "version");
	int rc = optional_string(path, desc, "description", &description, err);
	if (!rc)
		rc = optional_string(path, desc, "target_delimiter", &delimiter, err);
	const cJSON *keep = cJSON_GetObjectItemCaseSensitive(desc, "keep_context_space");
	if (!rc && version && !cJSON_IsNumber(version))
		rc = bb_fail(err, BB_EFORMAT, "'%s': \"version\" is not a number", path);
	if (!rc && keep && !cJSON_IsBool(keep))
		rc = bb_fail(err, BB_EFORMAT, "'%s': \"keep_context_space\" is not true or false", path);
	t->keep_context_space = cJSON_IsTrue(keep);
	if (rc)
		return rc;
	if (version)
		t->config.version = version->valuedouble;
	if (task_config_set(&t->config.description, description) ||
	    task_config_set(&t->config.target_delimiter, delimiter))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	return 0;
}

static int load_descriptor(struct task_list *tl, const char *path, const cJSON *desc,
			   int limit, task_name_taken_fn taken, struct bb_error *err)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(desc, "name");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(desc, "data");
	int type = 0, rc = 0;
	if (!cJSON_IsString(name) || !cJSON_IsString(data) || !*data->valuestring)
		return bb_fail(err, BB_EFORMAT, "'%s': \"name\" and \"data\" must be strings", path);
	struct task_spec spec = {.name = name->valuestring, .dataset_path = data->valuestring,
				 .split_key = "test_split", .split = "test"};
	if ((rc = check_name(path, name->valuestring, taken, err)) || (rc = find_type(path, desc, &type, err)) ||
	    (rc = pick_metrics(path, desc, type, &spec, err)))
		return rc;
	spec.output = TYPES[type].output;
	char *rows = data_path(path, data->valuestring);
	struct task *t = NULL;
	rc = rows ? task_new(tl, &spec, &t, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = apply_options(path, desc, t, err);
	if (!rc)
		rc = task_load_rows(t, rows, limit, TYPES[type].add_doc, err);
	free(rows);
	return rc;
}

int custom_load(struct task_list *tl, const char *descriptor_path, int limit,
		task_name_taken_fn taken, struct bb_error *err)
{
	char *text;
	int rc = read_file(descriptor_path, &text, NULL, err);
	if (rc)
		return rc;
	cJSON *desc = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(desc))
		rc = bb_fail(err, BB_EFORMAT, "'%s': not a JSON object (a task descriptor)",
			     descriptor_path);
	else
		rc = load_descriptor(tl, descriptor_path, desc, limit, taken, err);
	cJSON_Delete(desc);
	return rc;
}
