/*
 * test_evaluate.c: evaluate() end to end on the shared TinyStories-656K checkpoint:
 * lambada_openai and piqa with limit 5 (results schema, acc in [0, 1] and equal to the
 * mean of the per-sample outcomes, perplexity from the samples, progress), one request
 * checked against model_loglik directly (its is_greedy flag too), is_greedy both ways
 * against SOURCE.md's reference values, the mmlu group, custom tasks, cancelling, and
 * a missing data file.
 *
 * The model is tiny, so its scores are near chance; the tests check consistency, not
 * quality. Run from the repository root; $SHARED (../shared) holds model and data.
 * Tests never write anywhere.
 */
#include "engine/evaluate.h"

#include "engine/model/model.h"
#include "engine/tasks/registry.h"
#include "engine/tasks/tasks.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/model/loglik.h"
#include "tests/unit/check.h"

#define FIX "tests/fixtures/tasks"

struct paths {
	char model[1024], data[1024];
};

static void shared_paths(struct paths *p)
{
	snprintf(p->model, sizeof p->model, "%s/models/tinystories-656k", shared_dir());
	snprintf(p->data, sizeof p->data, "%s/data/lm-eval", shared_dir());
}

static struct eval_job job_for(const struct paths *p, const char *const *tasks, int n, int limit)
{
	return (struct eval_job){.model_dir = p->model, .n_tasks = n, .tasks = tasks,
				 .data_dir = p->data, .limit = limit, .add_bos_token = -1,
				 .batch_size = 3, .seed = 1234, .log_samples = true};
}

struct progress_log {
	int calls;
	long last_done, last_total;
	bool monotonic;
	volatile sig_atomic_t *cancel_after_first; /* set on the first progress call */
};

static void on_progress(void *ctx, long done, long total)
{
	struct progress_log *log = ctx;
	log->monotonic = log->monotonic && done >= log->last_done && done <= total;
	log->calls++;
	log->last_done = done;
	log->last_total = total;
	if (log->cancel_after_first) /* the first call comes before any batch runs */
		*log->cancel_after_first = 1;
}

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
	return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static double num(const cJSON *x)
{
	return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* Mean of the samples' per-document metric (a number each). */
static double samples_mean(const cJSON *res, const char *task, const char *metric, int *n)
{
	const cJSON *s;
	double sum = 0;
	*n = 0;
	cJSON_ArrayForEach(s, at(res, "samples", task)) {
		sum += num(cJSON_GetObjectItemCaseSensitive(s, metric));
		(*n)++;
	}
	return *n ? sum / *n : NAN;
}

static cJSON *run_ok(const struct eval_job *job, struct progress_log *log)
{
	cJSON *res = NULL;
	struct bb_error err = {0};
	int rc = evaluate(job, NULL, log ? on_progress : NULL, log, &res, &err);
	if (rc)
		fprintf(stderr, "  evaluate: %s\n", err.msg);
	CHECK(rc == 0 && res != NULL);
	return res;
}

TEST(evaluate_should_score_lambada_and_piqa_on_tinystories)
{
	static const char *const tasks[] = {"lambada_openai", "piqa"};
	static const char *keys[] = {"results", "group_subtasks", "configs", "versions", "n-shot",
				     "higher_is_better", "n-samples", "config", "date",
				     "lm_eval_version", "max_length", "samples"};
	struct paths p;
	struct progress_log log = {.monotonic = true};
	shared_paths(&p);
	struct eval_job job = job_for(&p, tasks, 2, 5);
	cJSON *res = run_ok(&job, &log);
	if (!res)
		return;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(res, keys[i]) != NULL);
	const cJSON *results = at(res, "results", NULL);
	int n;
	/* acc is the mean of the per-sample outcomes, in [0, 1] */
	for (int t = 0; t < 2; t++) {
		double acc = num(at(results, tasks[t], "acc,none"));
		CHECK(acc >= 0 && acc <= 1);
		CHECK_NEAR(acc, samples_mean(res, tasks[t], "acc", &n), 1e-12);
		CHECK(n == 5);
		CHECK(num(at(at(res, "n-samples", tasks[t]), "effective", NULL)) == 5);
		CHECK(at(results, tasks[t], "acc_stderr,none") != NULL);
	}
	CHECK_NEAR(num(at(results, "piqa", "acc_norm,none")), samples_mean(res, "piqa", "acc_norm", &n),
		   1e-12);
	CHECK(num(at(at(res, "n-samples", "lambada_openai"), "original", NULL)) == 5153);
	CHECK(num(at(at(res, "n-samples", "piqa"), "original", NULL)) == 1838);
	/* perplexity = exp(-mean of the per-sample log-likelihoods) */
	double ppl = num(at(results, "lambada_openai", "perplexity,none"));
	CHECK(ppl > 1 && isfinite(ppl));
	CHECK_NEAR(ppl, exp(-samples_mean(res, "lambada_openai", "perplexity", &n)), 1e-9 * ppl);
	CHECK(num(at(results, "lambada_openai", "perplexity_stderr,none")) > 0);
	CHECK(cJSON_IsFalse(at(at(res, "higher_is_better", "lambada_openai"), "perplexity", NULL)));
	CHECK(num(at(res, "config", "limit")) == 5 && num(at(res, "max_length", NULL)) == 512);
	/* 5 lambada requests + 10 piqa requests, reported up to the end */
	CHECK(log.calls >= 2 && log.monotonic && log.last_done == 15 && log.last_total == 15);
	cJSON_Delete(res);
}

/* The first lambada request as the harness sends it equals model_loglik on tokens built
 * by hand: [BOS] + encode(context), encode(context + continuation)[len(ctx):] (TinyStories'
 * tokenizer adds BOS by default). */
TEST(evaluate_should_agree_with_model_loglik_on_one_request)
{
	static const char *const tasks[] = {"lambada_openai"};
	struct paths p;
	struct bb_error err = {0};
	shared_paths(&p);
	struct eval_job job = job_for(&p, tasks, 1, 1);
	cJSON *res = run_ok(&job, NULL);
	struct task_list tl = {0};
	struct model *m = NULL;
	struct tokenizer *tok = NULL;
	CHECK(tasks_load(&tl, "lambada_openai", p.data, 1, &err) == 0);
	CHECK(model_open(&m, &tok, p.model, NULL, &err) == 0);
	if (!res || !m || tl.n != 1)
		goto done;
	const char *ctx = tl.tasks[0].reqs[0].context, *cont = tl.tasks[0].reqs[0].continuation;
	size_t nc = strlen(ctx), nw = strlen(cont);
	char *joint = malloc(nc + nw + 1);
	memcpy(joint, ctx, nc);
	memcpy(joint + nc, cont, nw + 1);
	int *c = NULL, *w = NULL, n_c = 0, n_w = 0;
	CHECK(tokenizer_encode(tok, ctx, nc, 0, &c, &n_c, &err) == 0);
	CHECK(tokenizer_encode(tok, joint, nc + nw, 0, &w, &n_w, &err) == 0);
	int *with_bos = malloc((size_t)(n_c + 1) * sizeof(int));
	with_bos[0] = tokenizer_bos(tok);
	memcpy(with_bos + 1, c, (size_t)n_c * sizeof(int));
	double lp = 0;
	bool greedy = false;
	CHECK(n_w > n_c && model_loglik(m, with_bos, n_c + 1, w + n_c, n_w - n_c, &lp, &greedy,
					&err) == 0);
	const cJSON *pair = cJSON_GetArrayItem(
		at(cJSON_GetArrayItem(at(res, "samples", "lambada_openai"), 0), "filtered_resps",
		   NULL), 0); /* ["logprob", "True"|"False"], stringified as lm-eval writes it */
	CHECK(cJSON_IsString(cJSON_GetArrayItem(pair, 0)));
	CHECK_NEAR(strtod(cJSON_GetStringValue(cJSON_GetArrayItem(pair, 0)), NULL), lp, 1e-4);
	/* The flag, which alone decides lambada's acc: not greedy, in the sample and from
	 * model_loglik, as the float64 reference (tests/ref/llama_ref.py, run by t7600) finds
	 * for this document. */
	CHECK(!greedy);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(pair, 1)), "False");
	free(joint), free(c), free(w), free(with_bos);
done:
	task_list_free(&tl);
	model_free(m);
	tokenizer_free(tok);
	cJSON_Delete(res);
}

/* is_greedy both ways, against SOURCE.md's independent float64 values: after [BOS] the
 * best next token is 147 (logit 14.7817), the second 429 (12.9551), and the greedy ids
 * from BOS begin 147 201 282. So 147 and [147 201 282] are greedy continuations of [BOS];
 * 429 is not, nor [147 201 429] (only its last token is not the argmax). */
TEST(loglik_should_flag_greedy_continuations_as_the_reference_says)
{
	struct paths p;
	struct bb_error err = {0};
	struct model *m = NULL;
	struct tokenizer *tok = NULL;
	shared_paths(&p);
	CHECK(model_open(&m, &tok, p.model, NULL, &err) == 0);
	if (!m)
		return;
	static const int bos[] = {1};
	static const struct {
		int ids[3], n;
		bool greedy;
	} cases[] = {{{147}, 1, true}, {{429}, 1, false}, {{147, 201, 282}, 3, true},
		     {{147, 201, 429}, 3, false}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double lp = 0;
		bool greedy = !cases[i].greedy;
		CHECK(model_loglik(m, bos, 1, cases[i].ids, cases[i].n, &lp, &greedy, &err) == 0);
		CHECK(greedy == cases[i].greedy);
	}
	model_free(m);
	tokenizer_free(tok);
}

/* The mean acc of the subject tasks whose group_subtasks entry is group. */
static double subjects_mean(const cJSON *res, const char *group, int *n)
{
	const cJSON *results = at(res, "results", NULL), *e;
	double sum = 0;
	*n = 0;
	cJSON_ArrayForEach(e, at(res, "group_subtasks", group))
	{
		sum += num(at(results, e->valuestring, "acc,none"));
		++*n;
	}
	return *n ? sum / *n : NAN;
}

/* mmlu with limit 1: 57 subjects of one question; each group is their mean (equal sizes).
 * lm-eval 0.4.13 nests them in four category groups (its _mmlu_<category>.yaml); the
 * sizes are those real lm-eval reports at --limit 1 (stem 19, other 13, social sciences
 * 12, humanities 13), and each category's acc is the mean of its own subjects. */
TEST(evaluate_should_report_the_mmlu_group)
{
	static const char *const tasks[] = {"mmlu"};
	static const struct {
		const char *name, *alias;
		int size;
	} categories[] = {{"mmlu_stem", "stem", 19}, {"mmlu_other", "other", 13},
			  {"mmlu_social_sciences", "social sciences", 12},
			  {"mmlu_humanities", "humanities", 13}};
	struct paths p;
	shared_paths(&p);
	struct eval_job job = job_for(&p, tasks, 1, 1);
	job.batch_size = 0; /* the default */
	job.log_samples = false;
	cJSON *res = run_ok(&job, NULL);
	if (!res)
		return;
	const cJSON *results = at(res, "results", NULL);
	double sum = 0;
	int n;
	for (int c = 0; c < 4; c++) {
		double mean = subjects_mean(res, categories[c].name, &n);
		CHECK(n == categories[c].size);
		CHECK_NEAR(num(at(results, categories[c].name, "acc,none")), mean, 1e-12);
		CHECK_STR(cJSON_GetStringValue(at(results, categories[c].name, "alias")),
			  categories[c].alias);
		CHECK(num(at(results, categories[c].name, "sample_len")) == categories[c].size);
		CHECK(at(res, "groups", categories[c].name) != NULL);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(res, "group_subtasks", "mmlu"),
								  c)),
			  categories[c].name);
		sum += mean * n;
	}
	CHECK(cJSON_GetArraySize(at(res, "group_subtasks", "mmlu")) == 4);
	CHECK_NEAR(num(at(results, "mmlu", "acc,none")), sum / 57, 1e-12);
	CHECK(num(at(results, "mmlu", "sample_len")) == 57);
	CHECK(at(res, "groups", "mmlu") != NULL && at(res, "samples", NULL) == NULL);
	/* one document per subject: the stderrs are "N/A", and so is the group's */
	CHECK_STR(cJSON_GetStringValue(at(results, "mmlu", "acc_stderr,none")), "N/A");
	CHECK(num(at(res, "config", "batch_size")) == 64);
	cJSON_Delete(res);
}

TEST(evaluate_should_run_custom_tasks)
{
	static const char *const tasks[] = {FIX "/custom/story_text.json",
					    FIX "/custom/story_mc.json", FIX "/custom/story_cloze.json"};
	struct paths p;
	shared_paths(&p);
	struct eval_job job = job_for(&p, tasks, 3, 0);
	cJSON *res = run_ok(&job, NULL);
	if (!res)
		return;
	const cJSON *results = at(res, "results", NULL);
	double wp = num(at(results, "story_text", "word_perplexity,none"));
	double bp = num(at(results, "story_text", "byte_perplexity,none"));
	double bpb = num(at(results, "story_text", "bits_per_byte,none"));
	CHECK(wp > 1 && isfinite(wp) && bp > 1 && isfinite(bp));
	CHECK_NEAR(bpb, log2(bp), 1e-12);
	double acc = num(at(results, "story_mc", "acc,none"));
	CHECK(acc == 0 || acc == 0.5 || acc == 1);
	CHECK(num(at(res, "versions", "story_mc")) == 2);
	acc = num(at(results, "story_cloze", "acc,none"));
	CHECK((acc == 0 || acc == 1) && at(results, "story_cloze", "perplexity,none") == NULL);
	cJSON_Delete(res);
}

TEST(evaluate_should_stop_when_cancelled)
{
	static const char *const tasks[] = {"piqa"};
	struct paths p;
	volatile sig_atomic_t cancel = 0;
	struct progress_log log = {.monotonic = true, .cancel_after_first = &cancel};
	struct bb_error err = {0};
	cJSON *res = NULL;
	shared_paths(&p);
	struct eval_job job = job_for(&p, tasks, 1, 20);
	job.batch_size = 4;
	CHECK(evaluate(&job, &cancel, on_progress, &log, &res, &err) == BB_EINVAL);
	CHECK(res == NULL && strstr(err.msg, "cancelled") != NULL);
	CHECK(log.calls > 0 && log.last_done < 40); /* stopped before the end */
}

TEST(evaluate_should_name_a_missing_data_file)
{
	static const char *const tasks[] = {"piqa", "lambada_openai"};
	struct paths p;
	struct bb_error err = {0};
	cJSON *res = NULL;
	shared_paths(&p);
	struct eval_job job = job_for(&p, tasks, 2, 5);
	job.data_dir = FIX;
	CHECK(evaluate(&job, NULL, NULL, NULL, &res, &err) == BB_EIO);
	CHECK(res == NULL && strstr(err.msg, "piqa.validation.jsonl") != NULL);
	job.data_dir = p.data;
	job.add_bos_token = 2;
	CHECK(evaluate(&job, NULL, NULL, NULL, &res, &err) == BB_EINVAL);
	cJSON *names = evaluate_task_names();
	CHECK(cJSON_GetArraySize(names) == 5);
	cJSON_Delete(names);
}

int main(void)
{
	RUN(evaluate_should_score_lambada_and_piqa_on_tinystories);
	RUN(evaluate_should_agree_with_model_loglik_on_one_request);
	RUN(loglik_should_flag_greedy_continuations_as_the_reference_says);
	RUN(evaluate_should_report_the_mmlu_group);
	RUN(evaluate_should_run_custom_tasks);
	RUN(evaluate_should_stop_when_cancelled);
	RUN(evaluate_should_name_a_missing_data_file);
	END_TESTS();
}
