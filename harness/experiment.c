/*
 * experiment.c: reading experiments/tableN.json and resolving where its models live.
 * Never writes a file and never runs anything: it reads and checks.
 */
#include "harness/experiment.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/strbuf.h"

static int copy_str(char *dst, size_t n, const cJSON *obj, const char *key, const char *what,
		    struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return bb_fail(err, BB_EFORMAT, "%s: '%s' must be a non-empty string", what, key);
	size_t len = strlen(v->valuestring);
	if (len >= n)
		return bb_fail(err, BB_EFORMAT, "%s: '%s' is %zu bytes long, more than %zu", what,
			       key, len, n - 1);
	memcpy(dst, v->valuestring, len + 1);
	return 0;
}

/* The number of entries of a JSON array, checked to be at least 1, for an error naming
 * key; -1 (err set) when it is not an array or empty. */
static int array_size(const cJSON *a, const char *path, const char *key, struct bb_error *err)
{
	if (cJSON_IsArray(a) && cJSON_GetArraySize(a) >= 1)
		return cJSON_GetArraySize(a);
	bb_fail(err, BB_EFORMAT, "'%s': '%s' must be a non-empty list", path, key);
	return -1;
}

/* The experiment's name becomes a file name under results/, reports/ and plots/ (and the
 * lock's folder): one path component of a portable character set, so that no name ("..",
 * "a/b", "../../x") can write outside those folders. */
static int check_name(const char *name, const char *path, struct bb_error *err)
{
	size_t i = 0;
	if (name[0] != '.')
		while (name[i] && (isalnum((unsigned char)name[i]) || strchr("._-", name[i])))
			i++;
	if (!name[i])
		return 0;
	char shown[8]; /* the culprit, printable: a newline must not split the error line */
	snprintf(shown, sizeof shown, isprint((unsigned char)name[i]) ? "%c" : "\\x%02x",
		 (unsigned char)name[i]);
	return bb_fail(err, BB_EINVAL, "'%s': 'name' must be one file name of letters, digits, "
		       "'.', '_' and '-', not starting with '.' (character %zu is '%s')", path,
		       i + 1, shown);
}

static int read_options(struct experiment *e, const cJSON *opts, struct bb_error *err)
{
	const cJSON *o;
	if (!cJSON_IsArray(opts) || cJSON_GetArraySize(opts) < 1 ||
	    cJSON_GetArraySize(opts) > RECIPE_MAX_OPTIONS)
		return bb_fail(err, BB_EFORMAT, "'%s': 'options' must list 1 to %d formats", e->path,
			       RECIPE_MAX_OPTIONS);
	cJSON_ArrayForEach(o, opts)
	{
		struct bb_error inner;
		if (!cJSON_IsString(o) || format_parse(&e->options[e->n_options++], o->valuestring, &inner))
			return bb_fail(err, BB_EFORMAT, "'%s': options: %s", e->path,
				       cJSON_IsString(o) ? inner.msg : "not a string");
	}
	return 0;
}

static int read_tasks(struct experiment *e, const cJSON *tasks, struct bb_error *err)
{
	const cJSON *t;
	int n = array_size(tasks, e->path, "tasks", err);
	if (n < 0)
		return BB_EFORMAT;
	if (!(e->tasks = calloc((size_t)n, sizeof *e->tasks)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	e->n_tasks = 0;
	cJSON_ArrayForEach(t, tasks)
	{
		if (!cJSON_IsString(t))
			return bb_fail(err, BB_EFORMAT, "'%s': tasks[%d] is not a string", e->path,
				       e->n_tasks);
		size_t len = strlen(t->valuestring);
		if (len >= sizeof e->tasks[0])
			return bb_fail(err, BB_EFORMAT, "'%s': tasks[%d] is %zu bytes long, more than %zu",
				       e->path, e->n_tasks, len, sizeof e->tasks[0] - 1);
		memcpy(e->tasks[e->n_tasks++], t->valuestring, len + 1);
	}
	return 0;
}

/* The next row from r; what ("'<file>': rows[<i>]") starts its error messages. */
static int read_row(struct experiment *e, const cJSON *r, const char *what,
		    struct bb_error *err)
{
	struct exp_row *row = &e->rows[e->n_rows];
	int rc = copy_str(row->label, sizeof row->label, r, "label", what, err);
	if (!rc)
		rc = copy_str(row->strategy, sizeof row->strategy, r, "strategy", what, err);
	if (rc)
		return rc;
	for (int i = 0; i < e->n_rows; i++)
		if (strcmp(e->rows[i].label, row->label) == 0)
			return bb_fail(err, BB_EFORMAT, "%s: label '%s' is used twice", what,
				       row->label);
	const cJSON *bits = cJSON_GetObjectItemCaseSensitive(r, "avg_bits");
	bool bf16 = strcmp(row->strategy, "bf16") == 0;
	if (!bf16 && (!cJSON_IsNumber(bits) || bits->valuedouble <= 0 || bits->valuedouble > 16))
		return bb_fail(err, BB_EFORMAT, "%s: 'avg_bits' must be a number in (0, 16]", what);
	row->avg_bits = bf16 ? 16 : bits->valuedouble;
	e->n_rows++;
	return 0;
}

/* Append the rows of the list rows; where ("rows" or "demo: rows") names it in errors. */
static int read_rows(struct experiment *e, const cJSON *rows, const char *where,
		     struct bb_error *err)
{
	const cJSON *r;
	int n = array_size(rows, e->path, where, err), first = e->n_rows;
	if (n < 0)
		return BB_EFORMAT;
	struct exp_row *grown = realloc(e->rows, (size_t)(first + n) * sizeof *e->rows);
	if (!grown)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	e->rows = grown;
	memset(e->rows + first, 0, (size_t)n * sizeof *e->rows);
	cJSON_ArrayForEach(r, rows)
	{
		char *what = str_printf(err, "'%s': %s[%d]", e->path, where, e->n_rows - first);
		int rc = what ? read_row(e, r, what, err) : BB_ENOMEM;
		free(what);
		if (rc)
			return rc;
	}
	return 0;
}

/* The measures every row gets: "acc", and "kld" where asked for, each once; absent: acc,
 * with kld when kld_default. acc is required: the accuracy jobs carry the recipes the KLD
 * jobs measure, and the tables lead with a measure every experiment has. */
static int read_measures(struct experiment *e, const cJSON *list, bool kld_default,
			 const char *what, struct bb_error *err)
{
	bool acc = false, kld = false;
	int i = 0;
	const cJSON *m;
	e->measure_acc = true, e->measure_kld = kld_default;
	if (!list)
		return 0;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1)
		return bb_fail(err, BB_EFORMAT, "%s: 'measures' must be a list of \"acc\" and \"kld\"",
			       what);
	cJSON_ArrayForEach(m, list)
	{
		bool *seen = !cJSON_IsString(m)		      ? NULL
			     : strcmp(m->valuestring, "acc") == 0 ? &acc
			     : strcmp(m->valuestring, "kld") == 0 ? &kld
								  : NULL;
		if (!seen || *seen)
			return bb_fail(err, BB_EFORMAT, "%s: measures[%d]: expected \"acc\" or \"kld\", "
				       "each at most once", what, i);
		*seen = true;
		i++;
	}
	if (!acc)
		return bb_fail(err, BB_EFORMAT, "%s: 'measures' must include \"acc\" (KLD is "
			       "measured beside accuracy, on the same recipes)", what);
	e->measure_kld = kld;
	return 0;
}

/* "eval_text": the held-out text file KLD is measured on, a path as the demo tasks are
 * (relative to the folder the run starts in); absent: experiments/eval/default.txt. */
static int read_eval_text(struct experiment *e, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->json, "eval_text");
	if (v && (!cJSON_IsString(v) || !v->valuestring[0]))
		return bb_fail(err, BB_EFORMAT, "'%s': 'eval_text' must be a non-empty string (a "
			       "text file)", e->path);
	return experiment_set_eval_text(e, v ? v->valuestring : "experiments/eval/default.txt",
					err);
}

/* The top level's "measures", checked whichever model set is used. */
static int read_top_measures(struct experiment *e, struct bb_error *err)
{
	char *what = str_printf(err, "'%s'", e->path);
	int rc = what ? read_measures(e, cJSON_GetObjectItemCaseSensitive(e->json, "measures"),
				      false, what, err)
		      : BB_ENOMEM;
	free(what);
	return rc;
}

/* "paired_tests": "all" (the default: every pair of rows but random seeds) or "budget"
 * (pairs within one budget, with BF16 and with Ours: a frontier's rows). */
static int read_paired_tests(struct experiment *e, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e->json, "paired_tests");
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || (strcmp(v->valuestring, "all") && strcmp(v->valuestring, "budget")))
		return bb_fail(err, BB_EFORMAT, "'%s': 'paired_tests' must be \"all\" or \"budget\"",
			       e->path);
	e->tests_by_budget = strcmp(v->valuestring, "budget") == 0;
	return 0;
}

int experiment_set_eval_text(struct experiment *e, const char *path, struct bb_error *err)
{
	char *copy = str_printf(err, "%s", path);
	if (!copy)
		return BB_ENOMEM;
	free(e->eval_text);
	e->eval_text = copy;
	return 0;
}

/* The next paper model from m; what ("'<file>': models[<i>]") starts its error messages. */
static int read_paper_model(struct experiment *e, const cJSON *m, const char *model_root,
			    const char *what, struct bb_error *err)
{
	struct exp_model *x = &e->models[e->n_models];
	char dir[256];
	int rc = copy_str(x->name, sizeof x->name, m, "name", what, err);
	if (!rc)
		rc = copy_str(x->hf_id, sizeof x->hf_id, m, "hf_id", what, err);
	if (!rc)
		rc = copy_str(dir, sizeof dir, m, "dir", what, err);
	if (rc)
		return rc;
	if (strstr(dir, "..") || dir[0] == '/')
		return bb_fail(err, BB_EFORMAT, "%s: 'dir' must be a plain folder name", what);
	x->add_bos_token = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "add_bos_token"));
	x->path = model_root ? str_printf(err, "%s/%s", model_root, dir)
			     : str_printf(err, "experiments/models/%s", dir);
	if (!x->path)
		return BB_ENOMEM;
	e->n_models++;
	return 0;
}

/* A paper model: MODEL_ROOT/<dir> when a model root is given, else the shipped config. */
static int read_paper_models(struct experiment *e, const cJSON *models, const char *model_root,
			     struct bb_error *err)
{
	const cJSON *m;
	int n = array_size(models, e->path, "models", err);
	if (n < 0)
		return BB_EFORMAT;
	if (!(e->models = calloc((size_t)n, sizeof *e->models)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_ArrayForEach(m, models)
	{
		char *what = str_printf(err, "'%s': models[%d]", e->path, e->n_models);
		int rc = what ? read_paper_model(e, m, model_root, what, err) : BB_ENOMEM;
		free(what);
		if (rc)
			return rc;
	}
	e->set_note = str_printf(err, "%s", model_root
			? "model set: the paper's models (from MODEL_ROOT) and tasks"
			: "model set: the paper's models, planned from their configs only");
	e->set_label = str_printf(err, "paper models and tasks");
	return e->set_note && e->set_label ? 0 : BB_ENOMEM;
}

/* The first of roots[0..3) (a NULL one skipped) holding <root>[/models]/<dir>/config.json:
 * the folder, malloc'd; NULL when none does, or out of memory. */
static char *find_demo_model(const char *const roots[3], const char *dir)
{
	for (int i = 0; i < 3; i++) {
		if (!roots[i])
			continue;
		char *folder = str_printf(NULL, "%s%s/%s", roots[i], i == 2 ? "/models" : "", dir);
		char *config = folder ? str_printf(NULL, "%s/config.json", folder) : NULL;
		bool found = config && file_exists(config);
		free(config);
		if (found)
			return folder;
		free(folder);
	}
	return NULL;
}

/* One demo model from m ({"model": folder, "name", "hf_id"}; the old single-model demo
 * section has the same keys), looked for under roots; what starts its error messages. */
static int read_demo_model(struct experiment *e, const cJSON *m, const char *const roots[3],
			   const char *what, struct bb_error *err)
{
	char dir[256];
	struct exp_model *x = &e->models[e->n_models];
	int rc = cJSON_IsObject(m) ? copy_str(dir, sizeof dir, m, "model", what, err)
				   : bb_fail(err, BB_EFORMAT, "%s: expected an object", what);
	if (!rc)
		rc = copy_str(x->name, sizeof x->name, m, "name", what, err);
	if (!rc)
		rc = copy_str(x->hf_id, sizeof x->hf_id, m, "hf_id", what, err);
	if (rc)
		return rc;
	if (strstr(dir, "..") || dir[0] == '/')
		return bb_fail(err, BB_EFORMAT, "%s: 'model' must be a plain folder name", what);
	for (int i = 0; i < e->n_models; i++)
		if (strcmp(e->models[i].name, x->name) == 0)
			return bb_fail(err, BB_EFORMAT, "%s: name '%s' is used twice", what, x->name);
	x->path = find_demo_model(roots, dir);
	if (!x->path)
		return bb_fail(err, BB_EIO,
			       "demo model '%s' not found in MODEL_ROOT, models/ or %s/models; download %s into models/%s",
			       dir, roots[2], x->hf_id, dir);
	e->n_models++;
	return 0;
}

/* The demo models: "models" (a list), or the older single "model" of the section. */
static int read_demo_models(struct experiment *e, const cJSON *demo, const char *const roots[3],
			    const char *what, struct bb_error *err)
{
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(demo, "models"), *m;
	if (models && (!cJSON_IsArray(models) || cJSON_GetArraySize(models) < 1))
		return bb_fail(err, BB_EFORMAT, "%s: 'models' must list at least one model", what);
	int n = models ? cJSON_GetArraySize(models) : 1;
	if (!(e->models = calloc((size_t)n, sizeof *e->models)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	if (!models)
		return read_demo_model(e, demo, roots, what, err);
	cJSON_ArrayForEach(m, models)
	{
		char *each = str_printf(err, "%s: models[%d]", what, e->n_models);
		int rc = each ? read_demo_model(e, m, roots, each, err) : BB_ENOMEM;
		free(each);
		if (rc)
			return rc;
	}
	return 0;
}

/* "model set: DEMO (A at PATH, B at PATH); NOTE" and its few-word form for plot titles. */
static int demo_notes(struct experiment *e, const char *note, struct bb_error *err)
{
	struct strbuf b = {0}, names = {0};
	strbuf_addf(&b, "model set: DEMO (");
	for (int m = 0; m < e->n_models; m++) {
		strbuf_addf(&b, "%s%s at %s", m ? ", " : "", e->models[m].name, e->models[m].path);
		strbuf_addf(&names, "%s%s", m ? ", " : "", e->models[m].name);
	}
	strbuf_addf(&b, "); %s", note);
	e->set_note = strbuf_take_or_fail(&b, err);
	e->set_label = str_printf(err, "DEMO set: %s on the project's demo tasks",
				  names.p ? names.p : "");
	strbuf_release(&names);
	return e->set_note && e->set_label ? 0 : BB_ENOMEM;
}

/* read_demo, what ("'<file>': demo") starting its error messages. */
static int read_demo_in(struct experiment *e, const cJSON *demo, const char *model_root,
			const char *shared_dir, const char *what, struct bb_error *err)
{
	char note[256];
	const char *const roots[3] = {model_root, "models", shared_dir ? shared_dir : "../shared"};
	int rc = cJSON_IsObject(demo) ? copy_str(note, sizeof note, demo, "note", what, err)
				      : bb_fail(err, BB_EFORMAT, "%s: expected an object", what);
	if (!rc)
		rc = read_tasks(e, cJSON_GetObjectItemCaseSensitive(demo, "tasks"), err);
	if (!rc)
		rc = read_measures(e, cJSON_GetObjectItemCaseSensitive(demo, "measures"), true, what,
				   err);
	if (!rc)
		rc = read_demo_models(e, demo, roots, what, err);
	if (!rc && cJSON_HasObjectItem(demo, "rows")) /* e.g. the null baseline, random seeds */
		rc = read_rows(e, cJSON_GetObjectItemCaseSensitive(demo, "rows"), "demo: rows", err);
	if (!rc)
		rc = demo_notes(e, note, err);
	return rc;
}

/* The demo model: looked for in MODEL_ROOT, then models/, then the shared folder. */
static int read_demo(struct experiment *e, const cJSON *demo, const char *model_root,
		     const char *shared_dir, struct bb_error *err)
{
	char *what = str_printf(err, "'%s': demo", e->path);
	int rc = what ? read_demo_in(e, demo, model_root, shared_dir, what, err) : BB_ENOMEM;
	free(what);
	return rc;
}

int experiment_load(struct experiment *e, const char *path, enum model_set set,
		    const char *model_root, const char *shared_dir, struct bb_error *err)
{
	memset(e, 0, sizeof *e);
	e->set = set;
	if (!(e->path = str_printf(err, "%s", path)))
		return BB_ENOMEM;
	char *text;
	int rc = read_file(path, &text, NULL, err);
	if (rc) {
		experiment_free(e);
		return rc;
	}
	e->json = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(e->json))
		rc = bb_fail(err, BB_EFORMAT, "'%s': not a JSON object", path);
	if (!rc)
		rc = copy_str(e->name, sizeof e->name, e->json, "name", path, err);
	if (!rc)
		rc = check_name(e->name, path, err);
	if (!rc)
		rc = copy_str(e->title, sizeof e->title, e->json, "title", path, err);
	if (!rc)
		rc = read_options(e, cJSON_GetObjectItemCaseSensitive(e->json, "options"), err);
	if (!rc)
		rc = read_rows(e, cJSON_GetObjectItemCaseSensitive(e->json, "rows"), "rows", err);
	if (!rc && set == MODEL_SET_PAPER)
		rc = read_tasks(e, cJSON_GetObjectItemCaseSensitive(e->json, "tasks"), err);
	if (!rc) /* the paper's; a demo section has its own, read with it */
		rc = read_top_measures(e, err);
	if (!rc)
		rc = read_paired_tests(e, err);
	if (!rc)
		rc = read_eval_text(e, err);
	if (!rc && set == MODEL_SET_PAPER)
		rc = read_paper_models(e, cJSON_GetObjectItemCaseSensitive(e->json, "models"),
				       model_root, err);
	if (!rc && set == MODEL_SET_DEMO)
		rc = read_demo(e, cJSON_GetObjectItemCaseSensitive(e->json, "demo"), model_root,
			       shared_dir, err);
	if (rc)
		experiment_free(e);
	return rc;
}

void experiment_free(struct experiment *e)
{
	cJSON_Delete(e->json);
	e->json = NULL;
	for (int m = 0; e->models && m < e->n_models; m++)
		free(e->models[m].path);
	free(e->models);
	e->models = NULL;
	e->n_models = 0;
	free(e->rows);
	e->rows = NULL;
	e->n_rows = 0;
	free(e->tasks);
	e->tasks = NULL;
	e->n_tasks = 0;
	free(e->path);
	e->path = NULL;
	free(e->eval_text);
	e->eval_text = NULL;
	free(e->set_note);
	free(e->set_label);
	e->set_note = e->set_label = NULL;
}

int experiment_alloc(struct experiment *e, int n_rows, int n_models, int n_tasks,
		     struct bb_error *err)
{
	e->rows = calloc((size_t)n_rows + 1, sizeof *e->rows);
	e->models = calloc((size_t)n_models + 1, sizeof *e->models);
	e->tasks = calloc((size_t)n_tasks + 1, sizeof *e->tasks);
	e->set_note = calloc(1, 1);
	e->set_label = calloc(1, 1);
	if (e->rows && e->models && e->tasks && e->set_note && e->set_label)
		return 0;
	experiment_free(e);
	return bb_fail(err, BB_ENOMEM, "out of memory");
}

double experiment_published(const struct experiment *e, int row, int model)
{
	if (e->set != MODEL_SET_PAPER)
		return -1;
	const cJSON *pub = cJSON_GetObjectItemCaseSensitive(e->json, "published");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(pub, e->rows[row].label);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, e->models[model].name);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

void slugify(const char *in, char *out, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; in[i] && j + 1 < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isalnum(c) || c == '.')
			out[j++] = (char)tolower(c);
		else if (j && out[j - 1] != '-')
			out[j++] = '-';
	}
	while (j && out[j - 1] == '-')
		j--;
	out[j] = 0;
}
