/*
 * test_report_sizes.c: an experiment far larger than the paper's tables (200 rows, 20
 * models, 20 tasks, 25 groups of random seeds) loads, collects and is written as Markdown,
 * CSV and LaTeX, with no fixed limit on rows, models, tasks or seed groups anywhere on the
 * way, and is freed cleanly (run it under ASan: make asan).
 *
 * The experiment file and a handful of fake lm-eval results (with per-document samples)
 * are written into a mkdtemp folder; the plan is built by hand, so no recipe is computed.
 * The figures checked are computed here from the accuracies written, independently of the
 * report's code. Never writes outside its own folder.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tests/unit/report_fixture.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/plan.h"
#include "harness/report_collect.h"
#include "harness/report_stats.h"
#include "harness/report_write.h"

#define N_ROWS 200
#define N_MODELS 20
#define N_TASKS 20
#define FIRST_RANDOM 150 /* rows 150..199: random:SEED rows, two seeds per budget */
#define SENSITIVITY_ROW 100
#define DOCS 10          /* documents per task in a fake result */

static char tmpdir[] = "/tmp/bb-test-report-sizes-XXXXXX";

/* Rows: BF16, then head rows, one sensitivity row, and pairs of random seeds at one
 * budget each. */
static cJSON *rows_json(void)
{
	cJSON *rows = cJSON_CreateArray();
	for (int i = 0; i < N_ROWS; i++) {
		cJSON *row = cJSON_CreateObject();
		char *label = str_printf(NULL, "Row %d", i);
		char *strategy = i == 0 ? str_printf(NULL, "bf16")
				 : i == SENSITIVITY_ROW ? str_printf(NULL, "sensitivity")
				 : i >= FIRST_RANDOM ? str_printf(NULL, "random:%d", i)
						     : str_printf(NULL, "head");
		cJSON_AddStringToObject(row, "label", label);
		cJSON_AddStringToObject(row, "strategy", strategy);
		if (i)
			cJSON_AddNumberToObject(row, "avg_bits",
						i >= FIRST_RANDOM ? 3 + (i - FIRST_RANDOM) / 2 * 0.1
								  : 4 + (i % 8) / 2.0);
		cJSON_AddItemToArray(rows, row);
		free(label), free(strategy);
	}
	return rows;
}

static char *write_experiment(void)
{
	cJSON *root = cJSON_CreateObject(), *models = cJSON_CreateArray();
	cJSON *tasks = cJSON_CreateArray();
	cJSON_AddStringToObject(root, "name", "sizes");
	cJSON_AddStringToObject(root, "title", "Sizes: 200 rows, 20 models, 20 tasks");
	cJSON_AddItemToObject(root, "options", cJSON_CreateStringArray((const char *[]){"MXFP4", "MXFP8"}, 2));
	for (int t = 0; t < N_TASKS; t++) {
		char *name = str_printf(NULL, "task_%02d", t);
		cJSON_AddItemToArray(tasks, cJSON_CreateString(name));
		free(name);
	}
	for (int m = 0; m < N_MODELS; m++) {
		cJSON *model = cJSON_CreateObject();
		char *name = str_printf(NULL, "Model-%02d", m);
		cJSON_AddStringToObject(model, "name", name);
		cJSON_AddStringToObject(model, "hf_id", "meta-llama/Llama-3.1-8B-Instruct");
		cJSON_AddStringToObject(model, "dir", "Llama-3.1-8B-Instruct");
		cJSON_AddItemToArray(models, model);
		free(name);
	}
	cJSON_AddItemToObject(root, "tasks", tasks);
	cJSON_AddItemToObject(root, "models", models);
	cJSON_AddItemToObject(root, "rows", rows_json());
	char *path = str_printf(NULL, "%s/sizes.json", tmpdir), *text = cJSON_Print(root);
	struct bb_error err;
	CHECK(write_file_atomic(path, text, strlen(text), &err) == 0);
	free(text);
	cJSON_Delete(root);
	return path;
}

/* The acc of task t in the result of (row, model): a multiple of 1/DOCS. */
static int right_of(int row, int m, int t)
{
	return 1 + (row + m + t) % (DOCS - 1);
}

static double mean_acc_of(int row, int m)
{
	double sum = 0;
	for (int t = 0; t < N_TASKS; t++)
		sum += right_of(row, m, t) / (double)DOCS;
	return sum / N_TASKS;
}

/* An lm-eval result for (row, model): every task's acc, and DOCS samples per task, the
 * first right_of() of them right. */
static void write_result(const char *path, int row, int m)
{
	cJSON *root = cJSON_CreateObject(), *lm = cJSON_AddObjectToObject(root, "lm_eval");
	cJSON *res = cJSON_AddObjectToObject(lm, "results");
	cJSON *samples = cJSON_AddObjectToObject(lm, "samples");
	for (int t = 0; t < N_TASKS; t++) {
		char *name = str_printf(NULL, "task_%02d", t);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(res, name), "acc,none",
					right_of(row, m, t) / (double)DOCS);
		cJSON *list = cJSON_AddArrayToObject(samples, name);
		for (int d = 0; d < DOCS; d++) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddNumberToObject(s, "doc_id", d);
			cJSON_AddNumberToObject(s, "acc", d < right_of(row, m, t));
			cJSON_AddItemToArray(list, s);
		}
		free(name);
	}
	char *text = cJSON_PrintUnformatted(root);
	struct bb_error err;
	CHECK(write_file_atomic(path, text, strlen(text), &err) == 0);
	free(text);
	cJSON_Delete(root);
}

/* The cells with a result: BF16 and Ours of model 0, the last row of the last model, and
 * both seeds of the first random pair of model 1. */
static const int done_cells[][2] = {{0, 0}, {SENSITIVITY_ROW, 0}, {N_ROWS - 1, N_MODELS - 1},
				    {FIRST_RANDOM, 1}, {FIRST_RANDOM + 1, 1}};
#define N_DONE (int)(sizeof done_cells / sizeof done_cells[0])

/* A plan of one evaluation per cell, done (its result written) for done_cells. */
static void build_plan(struct plan *p)
{
	p->n = p->cap = N_ROWS * N_MODELS;
	p->items = calloc((size_t)p->n, sizeof *p->items);
	for (int i = 0; i < p->n; i++) {
		struct plan_item *it = &p->items[i];
		*it = (struct plan_item){.kind = PLAN_EVAL, .row = i / N_MODELS, .model = i % N_MODELS,
					 .achieved_avg_bits = -1, .predicted_loss = -1};
		for (int a = 0; a < ACCOUNT_COUNT; a++)
			it->avg_bits[a] = -1;
		it->result = str_printf(NULL, "%s/result-%d-%d.json", tmpdir, it->row, it->model);
	}
	for (int k = 0; k < N_DONE; k++) {
		struct plan_item *it = &p->items[done_cells[k][0] * N_MODELS + done_cells[k][1]];
		write_result(it->result, it->row, it->model);
		it->done = true;
	}
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static void check_collected(const struct report *r)
{
	CHECK(r->n_seed_groups == (N_ROWS - FIRST_RANDOM) / 2); /* 25, beyond the old 16 */
	for (int k = 0; k < N_DONE; k++) {
		const struct report_cell *c = &r->cells[done_cells[k][0]][done_cells[k][1]];
		CHECK(c->have && c->samples);
		CHECK_NEAR(c->mean_acc, mean_acc_of(done_cells[k][0], done_cells[k][1]), 1e-12);
	}
	CHECK(!r->cells[N_ROWS - 1][0].have);
	/* Ours minus BF16 on model 0, over the same documents of all 20 tasks */
	const struct report_test *t = report_test_of(r, 0, SENSITIVITY_ROW, 0);
	CHECK(t && t->have && t->n_tasks == N_TASKS);
	CHECK(t && fabs(t->boot.diff - (mean_acc_of(SENSITIVITY_ROW, 0) - mean_acc_of(0, 0))) < 1e-12);
	/* tests are allocated only for rows with per-document outcomes */
	CHECK(r->tests[0][0] != NULL && r->tests[0][1] == NULL && r->tests[2][0] == NULL);
	CHECK(report_test_of(r, 0, 1, 2) == NULL);
	const struct report_seed_group *g = report_seed_group_of(r, FIRST_RANDOM + 1);
	CHECK(g && g->first == FIRST_RANDOM && g->n_rows == 2 && g->n_have[1] == 2);
	CHECK(g && fabs(g->mean[1] - (mean_acc_of(FIRST_RANDOM, 1) + mean_acc_of(FIRST_RANDOM + 1, 1)) / 2) < 1e-12);
}

static void check_written(const struct report *r)
{
	char *md = render_report(report_markdown, r), *csv = render_report(report_csv, r);
	char *tex = render_report(report_latex, r);
	CHECK(count_lines(csv) == 1 + N_ROWS * N_MODELS);
	char *last = str_printf(NULL, "sizes,\"Model-19\",\"Row 199\",\"random:199\",5.4,,%.6f,",
				mean_acc_of(N_ROWS - 1, N_MODELS - 1));
	CHECK(csv && strstr(csv, last) != NULL);
	CHECK(md && strstr(md, "| Row 149 |") && strstr(md, "| Random 3-bit (2 seeds) |") &&
	      strstr(md, "| Random 5.4-bit (2 seeds) |"));
	CHECK(md && strstr(md, "| Model-19 | Row 199 |") != NULL);
	CHECK(md && strstr(md, "| Row 100 \u2212 Row 0 |") != NULL); /* the tested pair */
	CHECK(tex && strstr(tex, "Model-19") && strstr(tex, "Row 149 &"));
	free(last), free(md), free(csv), free(tex);
	struct bb_error err;
	char *dir = str_printf(NULL, "%s/reports", tmpdir);
	CHECK(mkdir(dir, 0755) == 0);
	CHECK(report_write(r, dir, &err) == 0);
	char *md_path = str_printf(NULL, "%s/sizes.md", dir);
	CHECK(file_exists(md_path));
	free(md_path), free(dir);
}

TEST(report_should_hold_an_experiment_of_200_rows_20_models_and_20_tasks)
{
	char *path = write_experiment();
	struct experiment e;
	struct bb_error err;
	int rc = experiment_load(&e, path, MODEL_SET_PAPER, NULL, NULL, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(rc == 0);
	free(path);
	if (rc)
		return;
	CHECK(e.n_rows == N_ROWS && e.n_models == N_MODELS && e.n_tasks == N_TASKS);
	CHECK(strcmp(e.rows[N_ROWS - 1].label, "Row 199") == 0);
	CHECK(strcmp(e.models[N_MODELS - 1].name, "Model-19") == 0);
	CHECK(strcmp(e.tasks[N_TASKS - 1], "task_19") == 0);
	struct plan p = {0};
	build_plan(&p);
	struct report r;
	CHECK(report_collect(&r, &e, &p, 0, &err) == 0);
	check_collected(&r);
	check_written(&r);
	report_free(&r);
	plan_free(&p);
	experiment_free(&e);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(report_should_hold_an_experiment_of_200_rows_20_models_and_20_tasks);
	if (check_remove_tree(tmpdir) != 0)
		return 1;
	END_TESTS();
}
