/*
 * evaluate.c: one evaluation job from start to results: load the tasks' documents, open
 * the model (with the job's recipe) and its tokenizer, turn every request into tokens the
 * way lm-eval does, run them through the model in batches (progress reported, cancel
 * polled between batches), score, and assemble lm-eval's results object.
 *
 * Everything a job touches hangs off its own struct eval_run, so jobs run concurrently
 * from different threads. Never prints, never exits, never writes files.
 */
#include "engine/evaluate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "engine/model/loglik.h"
#include "engine/model/model.h"
#include "engine/tasks/encode_pair.h"
#include "engine/tasks/registry.h"
#include "engine/tasks/results.h"
#include "engine/tasks/tasks.h"
#include "engine/tokenizer/tokenizer.h"

#define DEFAULT_BATCH 64
/* Seconds between two progress reports. */
#define PROGRESS_INTERVAL 0.25

struct eval_run {
	cJSON *merged;          /* task -> requests scored past a merged continuation */
	const struct eval_job *job;
	struct model *model;
	struct tokenizer *tok;
	struct encode_policy policy;
	int batch;
	volatile sig_atomic_t *cancel;
	eval_progress_fn progress;
	void *progress_ctx;
	long done, total;
	double last_progress;
};

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

cJSON *evaluate_task_names(void)
{
	return task_builtin_names();
}

// ---- progress and cancel ----

static void advance_progress(struct eval_run *run, long advance)
{
	run->done += advance;
	double t = clock_seconds(CLOCK_MONOTONIC);
	if (!run->progress || (run->done < run->total && advance &&
			       t - run->last_progress < PROGRESS_INTERVAL))
		return;
	run->last_progress = t;
	run->progress(run->progress_ctx, run->done, run->total);
}

static int check_cancel(const struct eval_run *run, struct bb_error *err)
{
	return run->cancel && *run->cancel ? bb_fail(err, BB_EINVAL, "cancelled") : 0;
}

// ---- running one task ----

static int doc_of_request(const struct task *t, int request)
{
	for (int d = 0; d < t->n_docs; d++)
		if (request < t->docs[d].first + t->docs[d].n)
			return d;
	return -1;
}

static void count_merged(struct eval_run *run, const char *task)
{
	if (!run->merged)
		run->merged = cJSON_CreateObject();
	cJSON *n = cJSON_GetObjectItemCaseSensitive(run->merged, task);
	if (n)
		cJSON_SetNumberValue(n, n->valuedouble + 1);
	else
		cJSON_AddNumberToObject(run->merged, task, 1);
}

/* Every (context, continuation) request of t in tokens; reqs[i] points into toks[i]. */
static int encode_requests(struct eval_run *run, const struct task *t,
			   struct pair_tokens *toks, struct loglik_request *reqs,
			   struct bb_error *err)
{
	struct encode_memo memo = {0};
	struct bb_error e = {0};
	struct encode_policy policy = run->policy;
	policy.keep_context_space = t->keep_context_space;
	int rc = 0;
	for (int i = 0; i < t->n_reqs && !rc; i++) {
		const struct task_request *r = &t->reqs[i];
		rc = encode_pair(run->tok, &policy, r->context, r->continuation, &memo, &toks[i],
				 &e);
		if (rc)
			bb_fail(err, rc, "task '%s' document %d: %s", t->name, doc_of_request(t, i),
				e.msg);
		reqs[i] = (struct loglik_request){.ctx = toks[i].ctx, .n_ctx = toks[i].n_ctx,
						  .cont = toks[i].cont, .n_cont = toks[i].n_cont};
		if (!rc && toks[i].merged)
			count_merged(run, t->name);
	}
	encode_memo_free(&memo);
	return rc;
}

/* reqs through the model, batch by batch; answers go back into t. */
static int run_batches(struct eval_run *run, struct task *t, struct loglik_request *reqs,
		       struct bb_error *err)
{
	struct bb_error e = {0};
	for (int b = 0; b < t->n_reqs; b += run->batch) {
		int n = t->n_reqs - b < run->batch ? t->n_reqs - b : run->batch, rc;
		if ((rc = check_cancel(run, err)))
			return rc;
		if ((rc = model_loglik_batch(run->model, reqs + b, n, &e)))
			return bb_fail(err, rc, "task '%s', requests %d..%d: %s", t->name, b,
				       b + n - 1, e.msg);
		for (int i = b; i < b + n; i++) {
			t->reqs[i].logprob = reqs[i].logprob;
			t->reqs[i].is_greedy = reqs[i].is_greedy;
		}
		advance_progress(run, n);
	}
	return 0;
}

static int run_pairs(struct eval_run *run, struct task *t, struct bb_error *err)
{
	struct pair_tokens *toks = calloc((size_t)t->n_reqs + 1, sizeof *toks);
	struct loglik_request *reqs = calloc((size_t)t->n_reqs + 1, sizeof *reqs);
	int rc = toks && reqs ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = encode_requests(run, t, toks, reqs, err);
	if (!rc)
		rc = run_batches(run, t, reqs, err);
	for (int i = 0; toks && i < t->n_reqs; i++)
		pair_tokens_free(&toks[i]);
	free(toks);
	free(reqs);
	return rc;
}

/* One rolling request: the whole text, no BOS, windows predicted from the prefix token. */
static int run_one_rolling(struct eval_run *run, const struct task *t, int i,
			   struct task_request *r, struct bb_error *err)
{
	struct bb_error e = {0};
	int *ids = NULL, n = 0;
	int rc = tokenizer_encode(run->tok, r->continuation, strlen(r->continuation), 0, &ids, &n,
				  &e);
	if (!rc && n == 0)
		rc = bb_fail(&e, BB_EINVAL, "the text encodes to no tokens");
	if (!rc && run->policy.prefix_id < 0)
		rc = bb_fail(&e, BB_EINVAL, "the tokenizer has no BOS or EOS token for the rolling "
			     "windows' prefix");
	if (!rc)
		rc = model_loglik_rolling(run->model, ids, n, run->policy.prefix_id, &r->logprob, &e);
	free(ids);
	r->is_greedy = false;
	return rc ? bb_fail(err, rc, "task '%s' document %d: %s", t->name, doc_of_request(t, i),
			    e.msg) : 0;
}

static int run_rolling(struct eval_run *run, struct task *t, struct bb_error *err)
{
	for (int i = 0; i < t->n_reqs; i++) {
		int rc = check_cancel(run, err);
		if (!rc)
			rc = run_one_rolling(run, t, i, &t->reqs[i], err);
		if (rc)
			return rc;
		advance_progress(run, 1);
	}
	return 0;
}

// ---- the job ----

static int check_job(const struct eval_job *job, struct bb_error *err)
{
	if (!job || !job->model_dir || !*job->model_dir)
		return bb_fail(err, BB_EINVAL, "evaluate: no model folder given");
	if (job->n_tasks < 1 || !job->tasks)
		return bb_fail(err, BB_EINVAL, "evaluate: no tasks given");
	for (int i = 0; i < job->n_tasks; i++)
		if (!job->tasks[i] || !*job->tasks[i])
			return bb_fail(err, BB_EINVAL, "evaluate: task %d has no name", i);
	if (job->limit < 0)
		return bb_fail(err, BB_EINVAL, "evaluate: limit %d is negative", job->limit);
	if (job->batch_size < 0)
		return bb_fail(err, BB_EINVAL, "evaluate: batch size %d is negative", job->batch_size);
	if (job->add_bos_token < -1 || job->add_bos_token > 1)
		return bb_fail(err, BB_EINVAL, "evaluate: add_bos_token %d is not -1, 0 or 1",
			       job->add_bos_token);
	return 0;
}

static int load_tasks(const struct eval_job *job, struct task_list *tl, struct bb_error *err)
{
	for (int i = 0; i < job->n_tasks; i++) {
		int rc = tasks_load(tl, job->tasks[i], job->data_dir, job->limit, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int open_model(struct eval_run *run, struct bb_error *err)
{
	const struct eval_job *job = run->job;
	int rc = model_load(&run->model, job->model_dir, job->recipe, err);
	if (!rc)
		rc = tokenizer_load(&run->tok, job->model_dir, err);
	if (!rc)
		rc = encode_policy_for(run->tok, job->add_bos_token, &run->policy, err);
	return rc;
}

static int run_tasks(struct eval_run *run, struct task_list *tl, struct bb_error *err)
{
	for (int i = 0; i < tl->n; i++)
		run->total += tl->tasks[i].n_reqs;
	advance_progress(run, 0);
	for (int i = 0; i < tl->n; i++) {
		struct task *t = &tl->tasks[i];
		int rc = t->output == TASK_ROLLING ? run_rolling(run, t, err)
						   : run_pairs(run, t, err);
		if (rc)
			return rc;
		task_score(t);
	}
	return 0;
}

/* lm-eval's model_args string: "pretrained=<dir>[,recipe=...][,add_bos_token=...]",
 * malloc'd; NULL when out of memory. */
static char *model_args(const struct eval_job *job)
{
	struct strbuf b = {0};
	strbuf_addf(&b, "pretrained=%s", job->model_dir);
	if (job->recipe)
		strbuf_addf(&b, ",recipe=%s,recipe_avg_bits=%.4g",
			    job->recipe->strategy[0] ? job->recipe->strategy : "custom",
			    job->recipe->achieved_avg_bits);
	if (job->add_bos_token >= 0)
		strbuf_addf(&b, ",add_bos_token=%s", job->add_bos_token ? "True" : "False");
	return strbuf_take(&b);
}

static int build_results(const struct eval_run *run, const struct task_list *tl,
			 double start, double t0, cJSON **results, struct bb_error *err)
{
	const struct eval_job *job = run->job;
	char *args = model_args(job);
	if (!args)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	int bos = tokenizer_bos(run->tok), eos = tokenizer_eos(run->tok);
	struct results_meta meta = {
		.model_dir = job->model_dir,
		.model_args = args,
		.limit = job->limit,
		.batch_size = run->batch,
		.seed = job->seed,
		.bootstrap_iters = EVAL_BOOTSTRAP_ITERS,
		.start_time = start,
		.elapsed_s = clock_seconds(CLOCK_MONOTONIC) - t0,
		.max_length = model_max_length(run->model),
		.bos_token = bos >= 0 ? tokenizer_piece(run->tok, bos) : NULL,
		.eos_token = eos >= 0 ? tokenizer_piece(run->tok, eos) : NULL,
		.eot_token_id = eos,
		.log_samples = job->log_samples,
	};
	int rc = results_build(tl, &meta, results, err);
	free(args);
	return rc;
}

int evaluate(const struct eval_job *job, volatile sig_atomic_t *cancel,
	     eval_progress_fn progress, void *progress_ctx, cJSON **results,
	     struct bb_error *err)
{
	double start = clock_seconds(CLOCK_REALTIME), t0 = clock_seconds(CLOCK_MONOTONIC);
	struct task_list tl = {0};
	struct eval_run run = {.job = job, .cancel = cancel, .progress = progress,
			       .progress_ctx = progress_ctx};
	*results = NULL;
	int rc = check_job(job, err);
	if (!rc) {
		run.batch = job->batch_size ? job->batch_size : DEFAULT_BATCH;
		rc = load_tasks(job, &tl, err);
	}
	if (!rc)
		rc = check_cancel(&run, err);
	if (!rc)
		rc = open_model(&run, err);
	if (!rc)
		rc = run_tasks(&run, &tl, err);
	if (!rc)
		rc = build_results(&run, &tl, start, t0, results, err);
	if (!rc && run.merged) { /* an honest note beside lm-eval's schema, see tasks/encode_pair.c */
		cJSON_AddItemToObject(*results, "bitbudget_merged_continuations", run.merged);
		run.merged = NULL;
	}
	cJSON_Delete(run.merged);
	task_list_free(&tl);
	tokenizer_free(run.tok);
	model_free(run.model);
	return rc;
}

bool evaluate_task_result_name(const char *task, char *out, size_t n)
{
	char *text = NULL;
	struct bb_error ignored;
	size_t len = strlen(task);
	if (len < 6 || strcmp(task + len - 5, ".json") != 0 || read_file(task, &text, NULL, &ignored))
		return fmt_fits(out, n, "%s", task);
	cJSON *d = cJSON_Parse(text);
	free(text);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
	bool fits = fmt_fits(out, n, "%s", cJSON_IsString(name) ? name->valuestring : task);
	cJSON_Delete(d);
	return fits;
}
