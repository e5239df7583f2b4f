/*
 * test_report.c: the planner's cache keys and the report's arithmetic and rendering.
 *
 * A small experiment (tests/fixtures/experiments/mini.json: two paper models planned from
 * their configs, BF16 + head + tail) is planned into a temporary results folder, fake
 * lm-eval results with hand-picked accuracies are written where the plan expects them, and
 * the report is checked cell by cell against hand arithmetic (random:SEED rows folded
 * into one row too), then rendered and compared with golden files
 * (tests/golden/mini.{md,csv,tex}; UPDATE_GOLDEN=1 rewrites them).
 * Never writes outside its own mkdtemp folder, except the golden files with UPDATE_GOLDEN=1
 * (refused inside tests/run.sh).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tests/unit/report_fixture.h"
#include "core/fileio.h"
#include "harness/plan.h"
#include "harness/report_collect.h"
#include "harness/report_stats.h"
#include "harness/report_write.h"
#include "harness/stats.h"

static char results_dir[64];

static struct plan_settings settings(int limit, const char *endpoint)
{
	struct plan_settings s = {results_dir, limit, endpoint, "deltaloss", 16, 256,
				  "experiments/calibration/default.txt"};
	return s;
}

static int load(struct experiment *e)
{
	struct bb_error err;
	int rc = experiment_load(e, "tests/fixtures/experiments/mini.json", MODEL_SET_PAPER, NULL,
				 NULL, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	return rc;
}

/* accuracies per (model, row) for lambada, piqa, mmlu; NULL row: no result file */
static const double accs[2][3][3] = {
	{{0.70, 0.80, 0.60}, {0.60, 0.70, 0.50}, {0.65, 0.75, 0.55}},
	{{0.50, 0.60, 0.40}, {0.45, 0.55, 0.35}, {-1, -1, -1}},
};

/* lm-eval "samples" of n documents, the first `right` of them right (acc 1). */
static cJSON *fake_samples(int first_id, int n, int right)
{
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "doc_id", first_id + i);
		cJSON_AddStringToObject(s, "filter", "none");
		cJSON_AddNumberToObject(s, "acc", i < right);
		cJSON_AddItemToArray(list, s);
	}
	return list;
}

/* Results with acc as in accs[][][] and per-document samples behind them: 20 documents a
 * task, the first 20 acc of them right, so rows are nested (a lower acc gets a subset of
 * a higher one's documents right) and McNemar's counts are the acc differences times 20.
 * mmlu is a group of two subtasks of 10 documents, nested one level deeper as lm-eval
 * nests its category groups (mmlu -> mmlu_x -> mmlu_b, mmlu_a) and pooled in the order of
 * their names, so the golden reports are those of the flat group written before. */
static void write_fake_results(const struct plan *p)
{
	static const char *tasks[3] = {"lambada_openai", "piqa", "mmlu"};
	for (int i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		const double *a = accs[it->model][it->row];
		if (a[0] < 0)
			continue;
		cJSON *root = cJSON_CreateObject(), *lm = cJSON_AddObjectToObject(root, "lm_eval");
		cJSON *res = cJSON_AddObjectToObject(lm, "results");
		cJSON *samples = cJSON_AddObjectToObject(lm, "samples");
		cJSON_AddStringToObject(lm, "lm_eval_version", "fake-0");
		cJSON_AddStringToObject(root, "endpoint", "http://test");
		for (int t = 0; t < 3; t++) {
			cJSON *task = cJSON_AddObjectToObject(res, tasks[t]);
			cJSON_AddNumberToObject(task, "acc,none", a[t]);
			/* lm-eval's stderr of a mean of 0/1 over 20 documents */
			cJSON_AddNumberToObject(task, "acc_stderr,none", sqrt(a[t] * (1 - a[t]) / 19));
		}
		int right[3];
		for (int t = 0; t < 3; t++)
			right[t] = (int)(a[t] * 20 + 0.5);
		cJSON_AddItemToObject(samples, "lambada_openai", fake_samples(0, 20, right[0]));
		cJSON_AddItemToObject(samples, "piqa", fake_samples(0, 20, right[1]));
		cJSON_AddItemToObject(samples, "mmlu_a", fake_samples(0, 10, right[2]));
		cJSON_AddItemToObject(samples, "mmlu_b", fake_samples(0, 10, right[2] - 10));
		cJSON *groups = cJSON_AddObjectToObject(lm, "group_subtasks");
		cJSON *mmlu = cJSON_AddArrayToObject(groups, "mmlu");
		cJSON *category = cJSON_AddArrayToObject(groups, "mmlu_x");
		cJSON_AddItemToArray(mmlu, cJSON_CreateString("mmlu_x"));
		cJSON_AddItemToArray(category, cJSON_CreateString("mmlu_b"));
		cJSON_AddItemToArray(category, cJSON_CreateString("mmlu_a"));
		char *text = cJSON_Print(root);
		struct bb_error err;
		CHECK(write_file_atomic(it->result, text, strlen(text), &err) == 0);
		free(text);
		cJSON_Delete(root);
	}
}

TEST(plan_should_give_stable_keys_that_follow_every_setting)
{
	struct experiment e;
	struct plan a = {0}, b = {0}, c = {0}, d = {0};
	struct bb_error err;
	if (load(&e)) {
		CHECK(0);
		return;
	}
	struct plan_settings s = settings(0, "engine 1"), s_limit = settings(5, "engine 1"),
			     s_endpoint = settings(0, "engine 2");
	CHECK(plan_build(&a, &e, &s, &err) == 0);
	CHECK(plan_build(&b, &e, &s, &err) == 0);
	CHECK(plan_build(&c, &e, &s_limit, &err) == 0);
	CHECK(plan_build(&d, &e, &s_endpoint, &err) == 0);
	CHECK(a.n == 6); /* 2 models x 3 rows, no scores (no sensitivity row) */
	for (int i = 0; i < a.n; i++) {
		CHECK_STR(a.items[i].key, b.items[i].key);
		CHECK(strcmp(a.items[i].key, c.items[i].key) != 0);
		CHECK(strcmp(a.items[i].key, d.items[i].key) != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(a.items[i].key, a.items[j].key) != 0);
	}
	/* Head at 5 bits on the Llama config: exactly 5.0; BF16 is 16 and has no recipe. */
	CHECK_NEAR(a.items[1].achieved_avg_bits, 5.0, 0);
	CHECK_NEAR(a.items[0].achieved_avg_bits, 16.0, 0);
	CHECK(a.items[0].recipe == NULL && a.items[1].recipe != NULL);
	plan_free(&a);
	plan_free(&b);
	plan_free(&c);
	plan_free(&d);
	experiment_free(&e);
}

TEST(plan_should_mark_cached_results_done)
{
	struct experiment e;
	struct plan p = {0};
	struct bb_error err;
	if (load(&e)) {
		CHECK(0);
		return;
	}
	struct plan_settings s = settings(0, "engine 1");
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	CHECK(plan_pending(&p, PLAN_EVAL) == 6);
	write_fake_results(&p);
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	CHECK(plan_pending(&p, PLAN_EVAL) == 1); /* Qwen3-8B tail has no result */
	plan_free(&p);
	experiment_free(&e);
}

TEST(report_should_compute_means_and_ratios_and_match_golden_files)
{
	struct experiment e;
	struct plan p = {0};
	static struct report r;
	struct bb_error err;
	if (load(&e)) {
		CHECK(0);
		return;
	}
	struct plan_settings s = settings(0, "engine 1");
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	write_fake_results(&p);
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	CHECK(report_collect(&r, &e, &p, 0, &err) == 0);
	snprintf(r.date, sizeof r.date, "2026-01-01 00:00 UTC");
	CHECK(r.bf16_row == 0);
	CHECK_NEAR(r.cells[0][0].mean_acc, 0.70, 1e-12);     /* (0.7 + 0.8 + 0.6) / 3 */
	/* the tasks' standard errors combined: sqrt((0.21 + 0.16 + 0.24) / 19) / 3 */
	CHECK_NEAR(r.cells[0][0].mean_acc_se, sqrt(0.61 / 19) / 3, 1e-12);
	CHECK_NEAR(r.cells[1][0].mean_acc, 0.60, 1e-12);
	CHECK_NEAR(report_ratio(&r, 1, 0), 0.6 / 0.7, 1e-12); /* 85.7% */
	CHECK_NEAR(report_ratio(&r, 2, 0), 0.65 / 0.7, 1e-12);
	CHECK_NEAR(report_ratio(&r, 1, 1), 0.9, 1e-12);
	CHECK(!r.cells[2][1].have && report_ratio(&r, 2, 1) < 0);
	/* Head - BF16 on Llama: every task has exactly 2 documents BF16 gets right and Head
	 * wrong, none the other way: McNemar b = 0, c = 2, exact p = 2 (1/2)^2 = 0.5; the
	 * difference is -0.1 exactly, and a resample reaches 0 only by missing all 6 of them,
	 * with probability (18/20)^60 = 0.0018 < 0.025: significant, p about 2 x 0.0018. */
	const struct report_test *t = report_test_of(&r, 0, 1, 0);
	CHECK(t == &r.tests[0][0][1] && t->have && t->n_tasks == 3);
	CHECK_NEAR(t->boot.diff, -0.1, 1e-12);
	for (int k = 0; k < 3; k++)
		CHECK(t->mc[k].b == 0 && t->mc[k].c == 2 && t->mc[k].exact && t->mc[k].p == 0.5);
	CHECK(stats_significant(&t->boot) && t->boot.hi < 0);
	CHECK_NEAR(t->boot.p, 2 * pow(0.9, 60), 0.003);
	const struct report_test *untested = report_test_of(&r, 1, 1, 2);
	CHECK(!untested || !untested->have); /* Qwen3-8B's tail has no result */
	char *md = render_report(report_markdown, &r), *csv = render_report(report_csv, &r),
	     *tex = render_report(report_latex, &r);
	CHECK(strstr(md, "| Head layers 8-bit | 0.6000 (85.7%) | 0.4500 (90.0%) |") != NULL);
	CHECK(strstr(md, "0.6657 / 0.6000 (-0.0657)") != NULL);
	CHECK(strstr(tex, "Tail \\& more\\_8") != NULL);
	check_golden("tests/golden/mini.md", md);
	check_golden("tests/golden/mini.csv", csv);
	check_golden("tests/golden/mini.tex", tex);
	free(md), free(csv), free(tex);
	report_free(&r);
	plan_free(&p);
	experiment_free(&e);
}

TEST(report_should_dagger_cells_not_significantly_different_from_ours)
{
	struct experiment e;
	struct plan p = {0};
	static struct report r;
	struct bb_error err;
	if (load(&e)) {
		CHECK(0);
		return;
	}
	struct plan_settings s = settings(0, "engine 1");
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	write_fake_results(&p);
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	/* Call the tail row "Ours" now that its results exist, and give the Llama recipes
	 * predicted losses: head 3, tail 1. */
	snprintf(e.rows[2].strategy, sizeof e.rows[2].strategy, "sensitivity");
	for (int i = 0; i < p.n; i++)
		if (p.items[i].model == 0 && p.items[i].row > 0)
			p.items[i].predicted_loss = p.items[i].row == 1 ? 3 : 1;
	CHECK(report_collect(&r, &e, &p, 0, &err) == 0);
	snprintf(r.date, sizeof r.date, "2026-01-01 00:00 UTC");
	CHECK(report_reference_row(&r, 0) == 2 && report_reference_row(&r, 1) == 2);
	CHECK(report_reference_row(&r, 2) == -1);
	/* Tail - Head = +0.05: one document per task that only the tail gets right. A resample
	 * misses all three with probability (19/20)^60 = 0.0461 > 0.025, so the interval starts
	 * at 0: not significant, p about 2 x 0.0461. */
	const struct report_test *t = report_test_of(&r, 0, 2, 1);
	CHECK(t && t->have);
	CHECK_NEAR(t->boot.diff, 0.05, 1e-12);
	CHECK(t->boot.lo == 0 && t->boot.hi > 0);
	CHECK_NEAR(t->boot.p, 2 * pow(0.95, 60), 0.015);
	CHECK(report_not_significant(&r, 1, 0) && report_not_significant(&r, 0, 0));
	CHECK(!report_not_significant(&r, 2, 0)); /* Ours itself */
	CHECK(!report_not_significant(&r, 1, 1)); /* Qwen3-8B: no Ours result, no test */
	char *md = render_report(report_markdown, &r), *tex = render_report(report_latex, &r),
	     *csv = render_report(report_csv, &r);
	CHECK(strstr(md, "| Head layers 8-bit | 0.6000 (85.7%)\u2020 | 0.4500 (90.0%) |") != NULL);
	CHECK(strstr(md, "\u2020 not significantly different from Ours") != NULL);
	CHECK(strstr(tex, "0.6000 (85.7\\%)$^\\dagger$") != NULL);
	CHECK(strstr(csv, "\"Tail & more_8\",-0.050000,") != NULL); /* Head's row: Head - Ours */
	/* The proxy: predicted 3 and 1 against measured 0.10 and 0.05: the same order, rho 1. */
	CHECK(r.proxy_n[0] == 2 && r.proxy_n[1] == 0);
	CHECK_NEAR(r.proxy_rho[0], 1.0, 1e-12);
	CHECK(strstr(md, "Spearman \u03c1 = 1.0000 over 2 recipes") != NULL);
	CHECK(strstr(md, "| Head layers 8-bit | 5.0000 | 3 | +0.1000 |") != NULL);
	free(md), free(tex), free(csv);
	report_free(&r);
	plan_free(&p);
	experiment_free(&e);
}

TEST(report_should_fold_random_seeds_into_one_row_with_their_spread)
{
	struct experiment e;
	static struct plan p;
	static struct report r;
	struct bb_error err;
	if (load(&e)) {
		CHECK(0);
		return;
	}
	struct plan_settings s = settings(0, "engine 1");
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	write_fake_results(&p);
	CHECK(plan_build(&p, &e, &s, &err) == 0);
	/* Call head and tail two seeds of random at one budget now that their results exist. */
	snprintf(e.rows[1].strategy, sizeof e.rows[1].strategy, "random:1");
	snprintf(e.rows[2].strategy, sizeof e.rows[2].strategy, "random:2");
	e.rows[2].avg_bits = e.rows[1].avg_bits;
	CHECK(report_collect(&r, &e, &p, 0, &err) == 0);
	CHECK(r.n_seed_groups == 1 && report_seed_group_of(&r, 0) == NULL);
	const struct report_seed_group *g = report_seed_group_of(&r, 2);
	CHECK(g == report_seed_group_of(&r, 1) && g->first == 1 && g->n_rows == 2);
	/* Llama: 0.60 and 0.65: mean 0.625, sd sqrt(2 x 0.025^2 / 1) = 0.035355, ratio
	 * 0.625 / 0.70 = 89.3%; Qwen3-8B: only the first seed has a result. */
	CHECK(g->n_have[0] == 2 && g->n_have[1] == 1);
	CHECK_NEAR(g->mean[0], 0.625, 1e-12);
	CHECK_NEAR(g->sd[0], 0.025 * sqrt(2), 1e-12);
	CHECK(g->min[0] == 0.60 && g->max[0] == 0.65);
	CHECK_NEAR(g->ratio[0], 0.625 / 0.7, 1e-12);
	char *md = render_report(report_markdown, &r), *tex = render_report(report_latex, &r);
	CHECK(strstr(md, "| Random (2 seeds) | 0.6250 (89.3%) \u00b1 0.0354 [0.6000, 0.6500] | "
			 "0.4500 (90.0%), 1 seed |\n") != NULL);
	CHECK(strstr(md, "\n| Head layers 8-bit | 0.6000 (") == NULL); /* folded away */
	CHECK(strstr(md, "| Llama3.1-8B-I | Head layers 8-bit |") != NULL); /* still per seed */
	CHECK(strstr(md, "Random (N seeds): the random:SEED rows") != NULL);
	CHECK(strstr(tex, "Random (2 seeds) & 0.6250 (89.3\\%) \u00b1 0.0354") != NULL);
	free(md), free(tex);
	report_free(&r);
	plan_free(&p);
	experiment_free(&e);
}

TEST(experiment_should_reject_bad_files_with_a_message)
{
	static const struct {
		const char *json, *message;
	} cases[] = {
		{"{\"name\": \"x\"", "not a JSON object"},
		{"{\"name\": \"x\", \"title\": \"t\", \"options\": [\"MXFP5\"]}", "unknown format"},
		{"{\"name\": \"x\", \"title\": \"t\", \"options\": [\"MXFP4\"], \"rows\": [{\"label\": \"a\", \"strategy\": \"head\"}]}",
		 "'avg_bits' must be a number"},
		{"{\"name\": \"x\", \"title\": \"t\", \"options\": [\"MXFP4\"], \"rows\": [{\"label\": \"a\", \"strategy\": \"bf16\"}, {\"label\": \"a\", \"strategy\": \"bf16\"}]}",
		 "label 'a' is used twice"},
		{"{\"name\": \"x\", \"title\": \"t\", \"options\": [\"MXFP4\"], \"rows\": [{\"label\": \"a\", \"strategy\": \"bf16\"}], \"tasks\": [\"piqa\"], \"models\": [{\"name\": \"m\", \"hf_id\": \"h\", \"dir\": \"../etc\"}]}",
		 "'dir' must be a plain folder name"},
	};
	char path[128];
	snprintf(path, sizeof path, "%s/bad.json", results_dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bb_error err = {0};
		struct experiment e;
		write_file_atomic(path, cases[i].json, strlen(cases[i].json), &err);
		CHECK(experiment_load(&e, path, MODEL_SET_PAPER, NULL, NULL, &err) != 0);
		if (!strstr(err.msg, cases[i].message)) {
			fprintf(stderr, "  case %zu: '%s' lacks '%s'\n", i, err.msg, cases[i].message);
			CHECK(0);
		}
	}
}

int main(void)
{
	snprintf(results_dir, sizeof results_dir, "/tmp/bb-test-report-XXXXXX");
	if (!mkdtemp(results_dir))
		return 1;
	RUN(plan_should_give_stable_keys_that_follow_every_setting);
	RUN(plan_should_mark_cached_results_done);
	RUN(report_should_compute_means_and_ratios_and_match_golden_files);
	RUN(report_should_dagger_cells_not_significantly_different_from_ours);
	RUN(report_should_fold_random_seeds_into_one_row_with_their_spread);
	RUN(experiment_should_reject_bad_files_with_a_message);
	if (check_remove_tree(results_dir) != 0)
		return 1;
	END_TESTS();
}
