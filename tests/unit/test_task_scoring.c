/*
 * test_task_scoring.c: what the tasks make of log-probabilities, without a model: scoring
 * (acc, acc_norm, ties), the metrics and their standard errors (lm-eval's sample variance,
 * perplexity, its bootstrap with Python's random numbers), the mmlu group's size-weighted
 * mean and pooled stderr, and the results schema; made-up log-probabilities, expected
 * numbers worked out in the comments. Run from the repository root. Never writes anywhere.
 */
#include <math.h>

#include "engine/tasks/families.h"
#include "engine/tasks/metrics.h"
#include "engine/tasks/registry.h"
#include "engine/tasks/results.h"
#include "engine/tasks/tasks.h"
#include "tests/unit/check.h"

#define FIX "tests/fixtures/tasks"

/* A task of one output type, as the loaders make them. */
static void start_task(struct task *t, const char *name, enum task_output output)
{
	enum metric m[2] = {METRIC_ACC, METRIC_ACC_NORM};
	struct bb_error err = {0};
	CHECK(task_init(t, name, output, m, output == TASK_MULTIPLE_CHOICE ? 2 : 1, &err) == 0);
}

// ---- scoring ----

static void set_logprobs(struct task *t, const double *lp, const bool *greedy)
{
	for (int i = 0; i < t->n_reqs; i++) {
		t->reqs[i].logprob = lp[i];
		t->reqs[i].is_greedy = greedy ? greedy[i] : false;
	}
}

/* acc takes the largest log-likelihood; acc_norm divides by the choice's characters.
 * Doc 0, gold 0: "He played." (10 chars) -5.0 and "He flew to the moon." (20 chars) -6.0:
 * acc argmax 0 (right); normalized -0.5 vs -0.3, acc_norm argmax 1 (wrong).
 * Characters, not bytes: "caf\xc3\xa9" has 4 characters (5 bytes). */
TEST(score_should_divide_acc_norm_by_characters)
{
	struct task t;
	struct bb_error err = {0};
	start_task(&t, "mc", TASK_MULTIPLE_CHOICE);
	CHECK(task_begin_doc(&t, 0, &err) == 0);
	CHECK(task_add_choice(&t, "Tom went to the park.", " ", "He played.", &err) == 0);
	CHECK(task_add_choice(&t, "Tom went to the park.", " ", "He flew to the moon.", &err) == 0);
	CHECK(task_begin_doc(&t, 1, &err) == 0);
	CHECK(task_add_choice(&t, "Q", " ", "caf\xc3\xa9", &err) == 0); /* 4 chars, 5 bytes */
	CHECK(task_add_choice(&t, "Q", " ", "abcde", &err) == 0);
	CHECK(t.reqs[2].choice_chars == 4);
	/* doc 1: -4.2 / 4 = -1.05 vs -5.1 / 5 = -1.02 -> acc_norm picks 1 (gold); by bytes it
	 * would be -4.2 / 5 = -0.84 and pick 0 */
	double lp[4] = {-5.0, -6.0, -4.2, -5.1};
	set_logprobs(&t, lp, NULL);
	task_score(&t);
	CHECK(t.docs[0].acc == 1.0 && t.docs[0].acc_norm == 0.0);
	CHECK(t.docs[1].acc == 0.0 && t.docs[1].acc_norm == 1.0);
	task_free(&t);
}

/* numpy.argmax: a tie goes to the first; acc for loglikelihood tasks is is_greedy. */
TEST(score_should_break_ties_like_numpy)
{
	struct task t;
	struct bb_error err = {0};
	start_task(&t, "mc", TASK_MULTIPLE_CHOICE);
	CHECK(task_begin_doc(&t, 1, &err) == 0);
	CHECK(task_add_choice(&t, "c", " ", "aa", &err) == 0);
	CHECK(task_add_choice(&t, "c", " ", "bb", &err) == 0);
	double lp[2] = {-2.0, -2.0};
	set_logprobs(&t, lp, NULL);
	task_score(&t);
	CHECK(t.docs[0].acc == 0.0 && t.docs[0].acc_norm == 0.0);
	task_free(&t);
	start_task(&t, "ll", TASK_LOGLIKELIHOOD);
	CHECK(task_begin_doc(&t, -1, &err) == 0 && task_add_request(&t, "a", " b", NULL, &err) == 0);
	CHECK(task_begin_doc(&t, -1, &err) == 0 && task_add_request(&t, "a", " c", NULL, &err) == 0);
	double lp2[2] = {-1.5, -0.5};
	bool greedy[2] = {false, true};
	set_logprobs(&t, lp2, greedy);
	task_score(&t);
	CHECK(t.docs[0].acc == 0.0 && t.docs[1].acc == 1.0 && t.docs[0].loglik == -1.5);
	task_free(&t);
}

// ---- metrics ----

/* 3 of 4 right: acc 0.75; sample variance (0.0625 * 3 + 0.5625) / 3 = 0.25, stderr
 * sqrt(0.25 / 4) = 0.25 (= sqrt(0.75 * 0.25 / 3)). One document: "N/A". */
TEST(metrics_should_give_acc_stderr_with_the_sample_variance)
{
	double x[4] = {1, 1, 0, 1};
	CHECK_NEAR(metric_mean(x, 4), 0.75, 1e-15);
	CHECK_NEAR(metric_mean_stderr(x, 4), 0.25, 1e-15);
	CHECK_NEAR(metric_mean_stderr(x, 4), sqrt(0.75 * 0.25 / 3), 1e-15);
	CHECK(isnan(metric_mean_stderr(x, 1)));
	/* 1 of 3: var = (4/9 + 1/9 + 1/9) / 2 = 1/3, stderr sqrt(1/9) = 1/3 */
	double y[3] = {0, 1, 0};
	CHECK_NEAR(metric_mean_stderr(y, 3), 1.0 / 3, 1e-15);
}

/* perplexity = exp(-mean(ll)): ll -1, -2, -3 -> exp(2). */
TEST(metrics_should_compute_perplexity_from_logprobs)
{
	double ll[3] = {-1, -2, -3};
	CHECK_NEAR(metric_perplexity(ll, 3), exp(2.0), 1e-12);
	/* word perplexity exp(-(-20 - 10) / (9 + 6)) = exp(2); bits per byte 30 / (63 ln 2) */
	double a[2] = {-20, -10}, words[2] = {9, 6}, bytes[2] = {42, 21};
	CHECK_NEAR(exp(-metric_weighted_mean(a, words, 2)), exp(2.0), 1e-12);
	CHECK_NEAR(-metric_weighted_mean(a, bytes, 2) / log(2.0), 30 / (63 * log(2.0)), 1e-12);
}

/* Python: random.Random(0).random() == 0.8444218515250481, Random(1) -> 0.13436424411240122,
 * Random(7) -> 0.32383276483316237, 0.15084917392450192, 0.6509344730398537. */
TEST(metrics_should_draw_python_random_numbers)
{
	struct py_random r;
	py_random_seed(&r, 0);
	CHECK(py_random_random(&r) == 0.8444218515250481);
	py_random_seed(&r, 1);
	CHECK(py_random_random(&r) == 0.13436424411240122);
	py_random_seed(&r, 7);
	CHECK(py_random_random(&r) == 0.32383276483316237);
	CHECK(py_random_random(&r) == 0.15084917392450192);
	CHECK(py_random_random(&r) == 0.6509344730398537);
}

/* lm-eval's bootstrap_stderr(perplexity, x, iters) run in Python 3.11 (the code of
 * lm_eval/api/metrics.py, seeds 0.. per chunk of 1000) gave, for x = [-1, -2.5, -0.3, -4,
 * -1.7]: iters 2000 -> 5.16711200845309, iters 500 -> 5.371092705648349; for the 11
 * values below with the default 100000 -> 42.761187643469746. */
TEST(metrics_should_bootstrap_perplexity_stderr_like_lm_eval)
{
	double x[5] = {-1.0, -2.5, -0.3, -4.0, -1.7}, se;
	struct bb_error err = {0};
	CHECK_NEAR(metric_perplexity(x, 5), 6.6858944422792685, 1e-14);
	CHECK(metric_bootstrap_perplexity_stderr(x, 5, 2000, &se, &err) == 0);
	CHECK_NEAR(se, 5.16711200845309, 1e-12);
	CHECK(metric_bootstrap_perplexity_stderr(x, 5, 500, &se, &err) == 0);
	CHECK_NEAR(se, 5.371092705648349, 1e-12);
	double y[11] = {-0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8, -0.9, -1.0, -12.5};
	CHECK(metric_bootstrap_perplexity_stderr(y, 11, EVAL_BOOTSTRAP_ITERS, &se, &err) == 0);
	CHECK_NEAR(se, 42.761187643469746, 1e-10);
	CHECK(metric_bootstrap_perplexity_stderr(x, 1, 2000, &se, &err) == 0 && isnan(se));
}

// ---- the mmlu group and the results object ----

/* Two subjects with made-up outcomes: A 1 of 2 (0.5, stderr 0.5), B 3 of 4 (0.75, stderr
 * 0.25). Group acc = (0.5 * 2 + 0.75 * 4) / 6 = 2/3 (not the 0.625 of a plain mean); pooled
 * stderr = sqrt(((2-1) * 0.25 * 2 + (4-1) * 0.0625 * 4) / (6 - 2) / 6) = sqrt(0.3125 / 6). */
static void two_subjects(struct task_list *tl)
{
	static const double outcome[2][4] = {{1, 0}, {1, 1, 0, 1}};
	struct bb_error err = {0};
	enum metric acc = METRIC_ACC;
	for (int s = 0; s < 2; s++) {
		struct task *t = task_list_add(tl);
		CHECK(t && task_init(t, s ? "mmlu_b" : "mmlu_a", TASK_MULTIPLE_CHOICE, &acc, 1, &err) == 0);
		strcpy(t->group, "mmlu");
		for (int d = 0; d < (s ? 4 : 2); d++) {
			CHECK(task_begin_doc(t, 0, &err) == 0);
			CHECK(task_add_choice(t, "q", " ", "A", &err) == 0);
			CHECK(task_add_choice(t, "q", " ", "B", &err) == 0);
			t->reqs[t->n_reqs - 2].logprob = outcome[s][d] ? -1 : -2;
			t->reqs[t->n_reqs - 1].logprob = -1.5;
		}
		t->n_original = t->n_docs;
		task_score(t);
	}
}

static double number_at(const cJSON *root, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, a), b);
	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

TEST(group_should_weight_subjects_by_size)
{
	struct task_list tl = {0};
	struct bb_error err = {0};
	cJSON *res = NULL;
	two_subjects(&tl);
	struct results_meta meta = {.model_dir = "m", .bootstrap_iters = 1000};
	CHECK(results_build(&tl, &meta, &res, &err) == 0);
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(res, "results");
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(res, "groups");
	CHECK_NEAR(number_at(results, "mmlu", "acc,none"), 2.0 / 3, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu", "acc_stderr,none"), sqrt(0.3125 / 6), 1e-15);
	CHECK_NEAR(number_at(groups, "mmlu", "acc,none"), 2.0 / 3, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu_a", "acc,none"), 0.5, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu_a", "acc_stderr,none"), 0.5, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu_b", "acc_stderr,none"), 0.25, 1e-15);
	CHECK_NEAR(number_at(results, "mmlu", "sample_len"), 6, 0);
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "group_subtasks"), "mmlu");
	CHECK(cJSON_GetArraySize(sub) == 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "versions"),
					       "mmlu")->valuedouble == 2);
	cJSON_Delete(res);
	task_list_free(&tl);
}

/* The top-level keys and per-task fields of lm-eval's results (note section 1), on the
 * fixture winogrande task with made-up answers; one document leaves stderr "N/A". */
TEST(results_should_follow_lm_eval_schema)
{
	static const char *keys[] = {"results", "group_subtasks", "configs", "versions", "n-shot",
				     "higher_is_better", "n-samples", "config", "date",
				     "lm_eval_version", "samples"};
	struct task_list tl = {0};
	struct bb_error err = {0};
	cJSON *res = NULL;
	CHECK(tasks_load(&tl, "winogrande", FIX, 1, &err) == 0 && tl.n == 1);
	double lp[2] = {-3.0, -4.0};
	set_logprobs(&tl.tasks[0], lp, NULL);
	task_score(&tl.tasks[0]);
	struct results_meta meta = {.model_dir = "models/a b:c", .model_args = "pretrained=x",
				    .limit = 1, .batch_size = 64, .bootstrap_iters = 100000,
				    .log_samples = true};
	CHECK(results_build(&tl, &meta, &res, &err) == 0);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(res, keys[i]) != NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(res, "groups") == NULL);
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "results"), "winogrande");
	CHECK_NEAR(number_at(cJSON_GetObjectItemCaseSensitive(res, "results"), "winogrande",
			     "acc,none"), 1.0, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "acc_stderr,none")), "N/A");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "alias")), "winogrande");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "n-samples"), "winogrande");
	CHECK(cJSON_GetObjectItemCaseSensitive(ns, "original")->valuedouble == 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(ns, "effective")->valuedouble == 1);
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "configs"), "winogrande");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "dataset_name")),
		  "winogrande_xl");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "output_type")),
		  "multiple_choice");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "target_delimiter")), " ");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "model_name_sanitized")),
		  "models__a__b__c");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "lm_eval_version")),
		  "bitbudget-engine");
	const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(res, "samples"), "winogrande"), 0);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "filtered_resps")) == 2);
	CHECK(cJSON_GetObjectItemCaseSensitive(s, "acc")->valuedouble == 1.0);
	cJSON_Delete(res);
	task_list_free(&tl);
}

int main(void)
{
	RUN(score_should_divide_acc_norm_by_characters);
	RUN(score_should_break_ties_like_numpy);
	RUN(metrics_should_give_acc_stderr_with_the_sample_variance);
	RUN(metrics_should_compute_perplexity_from_logprobs);
	RUN(metrics_should_draw_python_random_numbers);
	RUN(metrics_should_bootstrap_perplexity_stderr_like_lm_eval);
	RUN(group_should_weight_subjects_by_size);
	RUN(results_should_follow_lm_eval_schema);
	END_TESTS();
}
