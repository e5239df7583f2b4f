/*
 * plan.c: from an experiment to the list of jobs, their keys and their recipes.
 * It never runs a job and never writes a result: it only decides what there is to do,
 * writing the recipes (content-named, atomically) the jobs will quantize with.
 */
#include "harness/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/alloc_recipe.h"
#include "baselines/registry.h"
#include "core/allocate.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/strbuf.h"
#include "core/version.h"

// ---- keys ----

/* SHA-256 of a file's bytes, or of the string "missing:<path>". */
static void file_hash(const char *path, char *hex)
{
	char *text;
	size_t len;
	struct bb_error ignored;
	if (read_file(path, &text, &len, &ignored) == 0) {
		sha256_hex(text, len, hex);
		free(text);
	} else {
		struct strbuf missing = {0};
		strbuf_addf(&missing, "missing:%s", path);
		/* out of memory: the hash of "" marks the file as unreadable all the same */
		sha256_hex(missing.p ? missing.p : "", missing.p ? missing.len : 0, hex);
		strbuf_release(&missing);
	}
}

/* A task is its name; a custom task (a descriptor path) is also its files' contents. */
static cJSON *task_identity(const char *task)
{
	if (!strchr(task, '/') && !strstr(task, ".json"))
		return cJSON_CreateString(task);
	char hex[SHA256_HEX_LEN], data_hex[SHA256_HEX_LEN];
	struct strbuf data_path = {0};
	file_hash(task, hex);
	char *text;
	struct bb_error ignored;
	if (read_file(task, &text, NULL, &ignored) == 0) {
		cJSON *d = cJSON_Parse(text);
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(d, "data");
		const char *slash = strrchr(task, '/');
		if (cJSON_IsString(data))
			strbuf_addf(&data_path, "%.*s%s", slash ? (int)(slash - task + 1) : 0, task,
				    data->valuestring);
		cJSON_Delete(d);
		free(text);
	}
	file_hash(data_path.p ? data_path.p : "", data_hex);
	strbuf_release(&data_path);
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "descriptor", hex);
	cJSON_AddStringToObject(t, "data", data_hex);
	return t;
}

static void key_of(cJSON *fields, char *hex)
{
	cJSON_AddStringToObject(fields, "bitbudget", BITBUDGET_VERSION);
	char *text = cJSON_PrintUnformatted(fields);
	sha256_hex(text, strlen(text), hex);
	free(text);
	cJSON_Delete(fields);
}

static void eval_key(const struct experiment *e, int m, const char *model_id,
		     const char *recipe_hash, const struct plan_settings *s, char *hex)
{
	cJSON *k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "kind", "eval");
	cJSON_AddStringToObject(k, "model", model_id);
	cJSON_AddStringToObject(k, "recipe", recipe_hash);
	cJSON *tasks = cJSON_AddArrayToObject(k, "tasks");
	for (int t = 0; t < e->n_tasks; t++)
		cJSON_AddItemToArray(tasks, task_identity(e->tasks[t]));
	cJSON_AddNumberToObject(k, "limit", s->limit);
	cJSON_AddBoolToObject(k, "add_bos_token", e->models[m].add_bos_token);
	cJSON_AddNumberToObject(k, "num_fewshot", 0);
	cJSON_AddBoolToObject(k, "log_samples", true);
	cJSON_AddStringToObject(k, "endpoint", s->endpoint_version);
	key_of(k, hex);
}

static void scores_key(const struct experiment *e, const char *model_id,
		       const struct plan_settings *s, char *hex)
{
	char calib_hex[SHA256_HEX_LEN];
	file_hash(s->calib, calib_hex);
	cJSON *k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "kind", "scores");
	cJSON_AddStringToObject(k, "model", model_id);
	cJSON *opts = cJSON_AddArrayToObject(k, "options");
	for (int i = 0; i < e->n_options; i++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(e->options[i].name));
	cJSON_AddStringToObject(k, "method", s->score_method);
	cJSON_AddNumberToObject(k, "nsamples", s->nsamples);
	cJSON_AddNumberToObject(k, "seqlen", s->seqlen);
	cJSON_AddStringToObject(k, "calib", calib_hex);
	cJSON_AddNumberToObject(k, "schema", 2); /* 2: the file records calib_sha256 and batch */
	key_of(k, hex);
}

/* The kld result depends on the model, the recipe, the evaluation text (and the default
 * context: the model's length), and reports the overlap with the calibration text. */
static void kld_key(const char *model_id, const char *recipe_hash, const char *text_hex,
		    const struct plan_settings *s, char *hex)
{
	char calib_hex[SHA256_HEX_LEN];
	file_hash(s->calib, calib_hex);
	cJSON *k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "kind", "kld");
	cJSON_AddStringToObject(k, "model", model_id);
	cJSON_AddStringToObject(k, "recipe", recipe_hash);
	cJSON_AddStringToObject(k, "text", text_hex);
	cJSON_AddStringToObject(k, "calib", calib_hex);
	cJSON_AddNumberToObject(k, "context", 0);
	cJSON_AddStringToObject(k, "endpoint", s->endpoint_version);
	key_of(k, hex);
}

// ---- recipes ----

static double predicted_loss(const struct recipe *r, const struct scores *sc)
{
	double total = 0;
	for (int i = 0; sc && i < r->n_layers; i++) {
		if (r->layers[i].fixed)
			continue;
		double v = scores_get(sc, r->layers[i].name, &r->layers[i].weight);
		if (v < 0)
			return -1;
		total += v;
	}
	return sc ? total : -1;
}

struct model_ctx {
	struct checkpoint ck;
	struct inventory inv;
	char id[SHA256_HEX_LEN];
	struct scores sc;
	bool have_scores;
	double reach_lo, reach_hi;  /* the average bits the options can reach on this model */
};

/* Write a recipe under a name that carries its content: "<row slug>-<first 16 hex digits
 * of its SHA-256>.json". Two rows whose labels slugify alike ("Head 5", "head-5") then
 * never share a file, and a job's recipe file cannot change under its key. */
static int write_recipe_by_content(const struct recipe *r, const char *dir, const char *slug,
				   struct plan_item *it, struct bb_error *err)
{
	size_t n;
	char *text = recipe_to_text(r, &n);
	if (!text)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	sha256_hex(text, n, it->recipe_hash);
	free(it->recipe);
	it->recipe = str_printf(err, "%s/%s-%.16s.json", dir, slug, it->recipe_hash);
	int rc = it->recipe ? write_file_atomic(it->recipe, text, n, err) : BB_ENOMEM;
	free(text);
	return rc;
}

/* Compute the recipe of (model, row) and write it into dir as <row_slug>-<hash>.json;
 * fills the item's recipe path, bits, loss and hash. */
static int make_recipe_in(struct plan_item *it, const struct experiment *e,
			  const struct model_ctx *mc, const char *dir, const char *row_slug,
			  struct bb_error *err)
{
	const struct exp_row *row = &e->rows[it->row];
	struct alloc_request req = {
		.inv = &mc->inv, .ck = &mc->ck, .model = e->models[it->model].name,
		.options = e->options, .n_options = e->n_options, .accounting = ACCOUNT_WEIGHTS,
		.target_avg_bits = row->avg_bits, .scores = mc->have_scores ? &mc->sc : NULL,
		.strategy = row->strategy};
	struct recipe r;
	int rc = alloc_recipe(&req, &r, err);
	if (rc) {
		char why[sizeof err->msg]; /* bb_fail writes into err->msg */
		snprintf(why, sizeof why, "%s", err->msg);
		return bb_fail(err, rc, "%s, row '%s': %.400s", e->models[it->model].name, row->label,
			       why);
	}
	it->achieved_avg_bits = r.achieved_avg_bits;
	memcpy(it->avg_bits, r.avg_bits, sizeof it->avg_bits);
	it->predicted_loss = predicted_loss(&r, mc->have_scores ? &mc->sc : NULL);
	rc = write_recipe_by_content(&r, dir, row_slug, it, err);
	recipe_free(&r);
	return rc;
}

/* Compute and write the recipe of (model, row); fills recipe path, bits, loss and hash. */
static int make_recipe(struct plan_item *it, const struct experiment *e, struct model_ctx *mc,
		       const struct plan_settings *s, struct bb_error *err)
{
	const struct exp_row *row = &e->rows[it->row];
	char model_slug[96], row_slug[128]; /* slugify keeps within them: a label is bounded */
	slugify(e->models[it->model].name, model_slug, sizeof model_slug);
	slugify(row->label, row_slug, sizeof row_slug);
	char *dir = str_printf(err, "%s/recipes/%s/%s", s->results_dir, e->name, model_slug);
	if (!dir)
		return BB_ENOMEM;
	int rc = make_dirs(dir) < 0 ? bb_fail(err, BB_EIO, "'%s': cannot create the folder", dir)
				    : make_recipe_in(it, e, mc, dir, row_slug, err);
	free(dir);
	return rc;
}

// ---- the plan ----

/* Free what an item holds (its paths). */
static void item_release(struct plan_item *it)
{
	free(it->result);
	free(it->recipe);
	memset(it, 0, sizeof *it);
}

/* The next item, grown into when the slots are full; NULL when out of memory. A slot
 * reused by plan_add_scores is released first. Slots past n are kept zeroed or released. */
static struct plan_item *add_item(struct plan *p, enum plan_kind kind, int model, int row)
{
	if (p->n == p->cap) {
		int cap = p->cap ? 2 * p->cap : 16;
		struct plan_item *items = realloc(p->items, (size_t)cap * sizeof *items);
		if (!items)
			return NULL;
		memset(items + p->cap, 0, (size_t)(cap - p->cap) * sizeof *items);
		p->items = items;
		p->cap = cap;
	}
	struct plan_item *it = &p->items[p->n++];
	item_release(it);
	it->kind = kind;
	it->model = model;
	it->row = row;
	it->achieved_avg_bits = -1;
	for (int a = 0; a < ACCOUNT_COUNT; a++)
		it->avg_bits[a] = -1;
	it->predicted_loss = -1;
	return it;
}

static bool row_unreachable(const struct experiment *e, int r, const struct model_ctx *mc);

/* A sensitivity row the model can reach needs its scores. */
static bool needs_scores(const struct experiment *e, const struct model_ctx *mc)
{
	for (int r = 0; r < e->n_rows; r++)
		if (strcmp(e->rows[r].strategy, "sensitivity") == 0 && !row_unreachable(e, r, mc))
			return true;
	return false;
}

static int plan_scores(struct plan *p, const struct experiment *e, int m, struct model_ctx *mc,
		       const struct plan_settings *s, struct bb_error *err)
{
	struct plan_item *it = add_item(p, PLAN_SCORES, m, -1);
	if (!it)
		return bb_fail(err, BB_ENOMEM, "out of memory while planning");
	char key[SHA256_HEX_LEN];
	scores_key(e, mc->id, s, key);
	memcpy(it->key, key, sizeof key);
	if (!(it->result = str_printf(err, "%s/scores/%s.json", s->results_dir, key)))
		return BB_ENOMEM;
	it->done = file_exists(it->result);
	if (it->done && scores_read(&mc->sc, it->result, err) == 0)
		mc->have_scores = true;
	return 0;
}

/* A quantized row's budget outside the model's range (beyond the 1e-3 the allocator
 * snaps), e.g. 5 bits on stories260k, whose down_proj stays BF16. */
static bool row_unreachable(const struct experiment *e, int r, const struct model_ctx *mc)
{
	double bits = e->rows[r].avg_bits;
	return strcmp(e->rows[r].strategy, "bf16") != 0 &&
	       (bits < mc->reach_lo - 1e-3 || bits > mc->reach_hi + 1e-3);
}

static int plan_row(struct plan *p, const struct experiment *e, int m, int r,
		    struct model_ctx *mc, const struct plan_settings *s, struct bb_error *err)
{
	struct plan_item *it = add_item(p, PLAN_EVAL, m, r);
	if (!it)
		return bb_fail(err, BB_ENOMEM, "out of memory while planning");
	snprintf(it->recipe_hash, sizeof it->recipe_hash, "bf16");
	bool sensitivity = strcmp(e->rows[r].strategy, "sensitivity") == 0;
	if (row_unreachable(e, r, mc)) {
		it->unreachable = true;
		return 0;
	} else if (strcmp(e->rows[r].strategy, "bf16") == 0) {
		it->achieved_avg_bits = 16;
		for (int a = 0; a < ACCOUNT_COUNT; a++)
			it->avg_bits[a] = 16;
	} else if (sensitivity && !mc->have_scores) {
		return 0; /* the recipe waits for the scores job */
	} else {
		int rc = make_recipe(it, e, mc, s, err);
		if (rc)
			return rc;
	}
	char key[SHA256_HEX_LEN];
	eval_key(e, m, mc->id, it->recipe_hash, s, key);
	memcpy(it->key, key, sizeof key);
	if (!(it->result = str_printf(err, "%s/cache/%s.json", s->results_dir, key)))
		return BB_ENOMEM;
	it->done = file_exists(it->result);
	return 0;
}

/* The KLD job of the evaluation item at index of: the same recipe, measured against the
 * BF16 model. Waits with it for the scores; none for BF16 (0 by definition) or an
 * unreachable row. */
static int plan_kld(struct plan *p, int of, const struct model_ctx *mc, const char *text_hex,
		    const struct plan_settings *s, struct bb_error *err)
{
	if (!p->items[of].recipe && (p->items[of].key[0] || p->items[of].unreachable))
		return 0;
	struct plan_item *it = add_item(p, PLAN_KLD, p->items[of].model, p->items[of].row);
	if (!it)
		return bb_fail(err, BB_ENOMEM, "out of memory while planning");
	const struct plan_item *ev = &p->items[of]; /* after add_item: it may have moved */
	it->of = of;
	it->achieved_avg_bits = ev->achieved_avg_bits;
	memcpy(it->avg_bits, ev->avg_bits, sizeof it->avg_bits);
	it->predicted_loss = ev->predicted_loss;
	memcpy(it->recipe_hash, ev->recipe_hash, sizeof it->recipe_hash);
	if (!ev->recipe)
		return 0; /* a sensitivity recipe waiting for its scores */
	char key[SHA256_HEX_LEN];
	kld_key(mc->id, ev->recipe_hash, text_hex, s, key);
	memcpy(it->key, key, sizeof key);
	if (!(it->result = str_printf(err, "%s/cache/%s.json", s->results_dir, key)))
		return BB_ENOMEM;
	it->done = file_exists(it->result);
	return 0;
}

/* The lowest and highest average bits the experiment's options reach on the model. */
static int reach_range(struct model_ctx *mc, const struct experiment *e, struct bb_error *err)
{
	struct alloc_request req = {.inv = &mc->inv, .options = e->options,
				    .n_options = e->n_options, .accounting = ACCOUNT_WEIGHTS,
				    .lowest = true};
	struct alloc_problem range;
	int rc = alloc_problem_setup(&range, &req, err);
	if (rc)
		return rc;
	mc->reach_lo = (double)range.min_bits / (double)mc->inv.total_params;
	mc->reach_hi = (double)range.max_bits / (double)mc->inv.total_params;
	alloc_problem_free(&range);
	return 0;
}

/* The model's rows, then (measuring kld) the KLD job of each quantized one. */
static int plan_rows(struct plan *p, const struct experiment *e, int m, struct model_ctx *mc,
		     const struct plan_settings *s, struct bb_error *err)
{
	int first = p->n, rc = 0;
	for (int r = 0; !rc && r < e->n_rows; r++)
		rc = plan_row(p, e, m, r, mc, s, err);
	if (rc || !e->measure_kld)
		return rc;
	char text_hex[SHA256_HEX_LEN];
	file_hash(e->eval_text, text_hex);
	for (int i = first, end = p->n; !rc && i < end; i++)
		rc = plan_kld(p, i, mc, text_hex, s, err);
	return rc;
}

static int plan_model(struct plan *p, const struct experiment *e, int m,
		      const struct plan_settings *s, struct bb_error *err)
{
	struct model_ctx mc = {0};
	int rc = checkpoint_open(&mc.ck, e->models[m].path, err);
	if (!rc)
		rc = inventory_build(&mc.inv, &mc.ck, false, err);
	if (!rc)
		rc = reach_range(&mc, e, err);
	if (!rc) {
		checkpoint_identity(&mc.ck, mc.id);
		p->reach_lo[m] = mc.reach_lo, p->reach_hi[m] = mc.reach_hi;
		if (needs_scores(e, &mc))
			rc = plan_scores(p, e, m, &mc, s, err);
		if (!rc)
			rc = plan_rows(p, e, m, &mc, s, err);
	}
	scores_free(&mc.sc);
	inventory_free(&mc.inv);
	checkpoint_close(&mc.ck);
	return rc;
}

int plan_build(struct plan *p, const struct experiment *e, const struct plan_settings *s,
	       struct bb_error *err)
{
	plan_free(p);
	p->reach_lo = calloc((size_t)e->n_models + 1, sizeof *p->reach_lo);
	p->reach_hi = calloc((size_t)e->n_models + 1, sizeof *p->reach_hi);
	if (!p->reach_lo || !p->reach_hi)
		return bb_fail(err, BB_ENOMEM, "out of memory while planning");
	const char *const subdirs[] = {"cache", "scores", e->name};
	for (int i = 0; i < 3; i++) {
		char *dir = str_printf(err, "%s/%s", s->results_dir, subdirs[i]);
		if (!dir)
			return BB_ENOMEM;
		int rc = make_dirs(dir) < 0 ? bb_fail(err, errno == ENOTDIR ? BB_EINVAL : BB_EIO,
						      "'%s': cannot create the folder: %s", dir,
						      strerror(errno))
					    : 0;
		free(dir);
		if (rc)
			return rc;
	}
	for (int m = 0; m < e->n_models; m++) {
		int rc = plan_model(p, e, m, s, err);
		if (rc)
			return rc;
	}
	return 0;
}

int plan_add_scores(struct plan *p, const struct experiment *e, const struct plan_settings *s,
		    struct bb_error *err)
{
	for (int i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		if (it->kind != PLAN_SCORES || it->done || !file_exists(it->result))
			continue;
		/* A model's items lie together, its scores job first, and are as many whatever
		 * the scores: plan the model again over its own items. */
		int end = p->n, rc;
		p->n = i;
		rc = plan_model(p, e, it->model, s, err);
		p->n = end;
		if (rc)
			return rc;
	}
	return 0;
}

void plan_free(struct plan *p)
{
	for (int i = 0; i < p->cap; i++)
		item_release(&p->items[i]);
	free(p->items);
	free(p->reach_lo);
	free(p->reach_hi);
	memset(p, 0, sizeof *p);
}

void plan_collect(struct plan *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->items[i].key[0])
			p->items[i].done = file_exists(p->items[i].result);
}

// ---- the sensitivity frontier ----

/* The knapsack's optimum at one target; *bits the achieved average. */
static int frontier_point(const struct alloc_request *req, double *bits, double *loss,
			  struct bb_error *err)
{
	const char *arg;
	const struct strategy *st = strategy_find("sensitivity", &arg);
	struct alloc_problem p;
	int rc = alloc_problem_setup(&p, req, err);
	if (rc)
		return rc;
	int *choice = calloc((size_t)req->inv->n + 1, sizeof *choice);
	rc = choice ? st->allocate(&p, choice, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc) {
		*bits = (double)alloc_total_bits(&p, choice) / (double)req->inv->total_params;
		*loss = alloc_total_loss(&p, choice);
	}
	free(choice);
	alloc_problem_free(&p);
	return rc;
}

int plan_frontier(const struct experiment *e, int m, const char *scores_path, int n,
		  double *bits, double *loss, struct bb_error *err)
{
	struct model_ctx mc = {0};
	int rc = checkpoint_open(&mc.ck, e->models[m].path, err);
	if (!rc)
		rc = inventory_build(&mc.inv, &mc.ck, false, err);
	if (!rc)
		rc = scores_read(&mc.sc, scores_path, err);
	if (!rc)
		rc = reach_range(&mc, e, err);
	struct alloc_request req = {.inv = &mc.inv, .options = e->options,
				    .n_options = e->n_options, .accounting = ACCOUNT_WEIGHTS,
				    .scores = &mc.sc};
	double lo = mc.reach_lo, hi = mc.reach_hi;
	for (int i = 0; !rc && i < n; i++) {
		req.target_avg_bits = n > 1 ? lo + (hi - lo) * i / (n - 1) : lo;
		rc = frontier_point(&req, &bits[i], &loss[i], err);
	}
	scores_free(&mc.sc);
	inventory_free(&mc.inv);
	checkpoint_close(&mc.ck);
	return rc;
}

int plan_pending(const struct plan *p, enum plan_kind kind)
{
	int n = 0;
	for (int i = 0; i < p->n; i++)
		n += p->items[i].kind == kind && !p->items[i].done && !p->items[i].unreachable;
	return n;
}

/* The job column of the plan's table. */
static const char *job_name(const struct plan_item *it, const struct experiment *e)
{
	if (it->kind == PLAN_SCORES)
		return "scores";
	if (it->kind == PLAN_KLD)
		return "kld";
	return strcmp(e->rows[it->row].strategy, "bf16") == 0 ? "eval" : "quantize+eval";
}

static const char *status_of(const struct plan_item *it)
{
	return it->unreachable ? "unreachable" : it->done ? "cached" : it->key[0] ? "to do"
										 : "waits for scores";
}

void plan_print(const struct plan *p, const struct experiment *e, FILE *out)
{
	fprintf(out, "%s\n%s\n", e->title, e->set_note);
	fprintf(out, "%-18s %-22s %-14s %9s  %-12s %s\n", "model", "row", "job", "avg bits", "key",
		"status");
	for (int i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		char bits[32] = "-";
		if (it->kind != PLAN_SCORES && it->achieved_avg_bits >= 0)
			snprintf(bits, sizeof bits, "%.4f", it->achieved_avg_bits);
		else if (it->kind != PLAN_SCORES)
			snprintf(bits, sizeof bits, "<=%.4f", e->rows[it->row].avg_bits);
		fprintf(out, "%-18s %-22s %-14s %9s  %-12.12s %s\n", e->models[it->model].name,
			it->kind == PLAN_SCORES ? "(sensitivity)" : e->rows[it->row].label,
			job_name(it, e), bits, it->key[0] ? it->key : "-", status_of(it));
	}
	for (int m = 0; m < e->n_models && p->reach_lo; m++)
		for (int i = 0; i < p->n; i++)
			if (p->items[i].model == m && p->items[i].unreachable) {
				fprintf(out, "%s reaches %.2f-%.2f average bits with these options: its "
					"unreachable rows get no job\n", e->models[m].name,
					p->reach_lo[m], p->reach_hi[m]);
				break;
			}
}
