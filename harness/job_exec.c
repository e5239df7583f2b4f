/*
 * job_exec.c: a job request carried out on an endpoint, in this process for "local",
 * through the client otherwise (job_exec.h).
 *
 * A local job is checked and run by the server's own code (endpoint/job_spec.c) under the
 * settings `bitbudget eval --endpoint local` gives its server, so the two ways through
 * accept the same jobs and answer the same results. Never writes a file, never exits.
 */
#include "harness/job_exec.h"

#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/cli.h"
#include "harness/client.h"

bool job_limits_from_env(struct job_limits *l)
{
	const char *t = getenv("BB_EVAL_TIMEOUT"), *r = getenv("BB_EVAL_RETRY_FOR"),
		   *n = getenv("BB_EVAL_TRIES"), *d = getenv("BB_EVAL_DEADLINE"),
		   *m = getenv("BB_EVAL_MAX_ANSWER_MB");
	return (!t || !*t || cli_parse_long("BB_EVAL_TIMEOUT", t, 1, 86400, &l->timeout_s)) &&
	       (!r || !*r || cli_parse_double("BB_EVAL_RETRY_FOR", r, 0, 1e7, &l->retry_for_s)) &&
	       (!n || !*n || cli_parse_long("BB_EVAL_TRIES", n, 1, 1000000, &l->tries)) &&
	       (!d || !*d || cli_parse_double("BB_EVAL_DEADLINE", d, 1, 1e7, &l->deadline_s)) &&
	       (!m || !*m ||
		cli_parse_long("BB_EVAL_MAX_ANSWER_MB", m, 1, 1 << 20, &l->max_answer_mb));
}

int job_exec_tasks_root(char *const *tasks, int n_tasks, char *root, size_t n,
			struct bb_error *err)
{
	char real[PATH_MAX];
	root[0] = 0;
	for (int i = 0; i < n_tasks; i++) {
		size_t len = strlen(tasks[i]);
		if (len < 6 || strcmp(tasks[i] + len - 5, ".json") || !realpath(tasks[i], real))
			continue; /* a built-in task, or a missing file the job check will name */
		char *dir = dirname(real);
		if (!root[0] && !fmt_fits(root, n, "%s", dir))
			return bb_fail(err, BB_EINVAL, "'%s': the folder's path is longer than %zu "
				       "bytes", dir, n - 1);
		size_t k = 0; /* the common prefix, cut back to whole folder names */
		while (root[k] && root[k] == dir[k])
			k++;
		if (root[k] || (dir[k] && dir[k] != '/'))
			while (k > 0 && root[k] != '/')
				k--;
		root[k] = 0;
		if (!root[0] || !strcmp(root, "/"))
			return bb_fail(err, BB_EINVAL, "eval: the custom task descriptors share no "
				       "folder but '/' (put them in one folder)");
	}
	return 0;
}

/* The tables' score is the plain mean of acc, so a perplexity-only task is left out. */
void job_exec_print_scores(const cJSON *r, char *const *tasks, int n_tasks, FILE *out)
{
	double sum = 0;
	int n = 0;
	for (int i = 0; i < n_tasks; i++) {
		const cJSON *acc = client_task_metric(r, tasks[i], "acc,none");
		const cJSON *ppl = client_task_metric(r, tasks[i], "word_perplexity,none");
		if (acc) {
			fprintf(out, "%s acc %.4f\n", tasks[i], acc->valuedouble);
			sum += acc->valuedouble, n++;
		} else if (ppl) {
			fprintf(out, "%s word_perplexity %.4f\n", tasks[i], ppl->valuedouble);
		}
	}
	if (n)
		fprintf(out, "mean acc %.4f\n", sum / n);
}

// ---- in this process ----

/* The job as the local evaluator checks it: its own copies of what the check may
 * replace (the tasks, the model's name), the rest borrowed from the caller's job. */
struct local_job {
	struct server_settings set;
	struct job_spec spec;
	char *tasks[64];
};

static void local_job_free(struct local_job *l)
{
	for (int i = 0; i < l->spec.n_tasks; i++)
		free(l->tasks[i]);
	free(l->spec.model);
	free(l->spec.model_dir);
	free(l->set.models_root);
	free(l->set.data_dir);
	free(l->set.tasks_root);
}

/* The models root is the model folder's parent and the job names the folder, as
 * `bitbudget eval --endpoint local` has it; the task data is the default folder. */
static int local_settings(struct local_job *l, const struct job_spec *job, struct bb_error *err)
{
	char real[PATH_MAX], root[PATH_MAX], tasks_root[PATH_MAX]; /* realpath's answers fit */
	if (!realpath(job->model, real))
		return bb_fail(err, BB_EIO, "'%s': no such model folder", job->model);
	snprintf(root, sizeof root, "%s", real);
	int rc = job_exec_tasks_root(job->tasks, job->n_tasks, tasks_root, sizeof tasks_root, err);
	if (rc)
		return rc;
	l->set.models_root = strdup(dirname(root));
	l->spec.model = strdup(basename(real));
	l->set.tasks_root = tasks_root[0] ? strdup(tasks_root) : NULL;
	l->set.data_dir = realpath(JOB_EXEC_DATA_DIR, NULL); /* NULL: evaluate jobs refused */
	bool ok = l->set.models_root && l->spec.model && (!tasks_root[0] || l->set.tasks_root);
	return ok ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

static int local_job_init(struct local_job *l, const struct job_spec *job, struct bb_error *err)
{
	memset(l, 0, sizeof *l);
	l->spec = *job;
	l->spec.model = NULL, l->spec.model_dir = NULL, l->spec.n_tasks = 0;
	l->spec.tasks = l->tasks;
	int max_tasks = (int)(sizeof l->tasks / sizeof *l->tasks);
	if (job->n_tasks > max_tasks)
		return bb_fail(err, BB_EINVAL, "tasks: more than %d", max_tasks);
	for (int i = 0; i < job->n_tasks; i++, l->spec.n_tasks++)
		if (!(l->tasks[i] = strdup(job->tasks[i])))
			return bb_fail(err, BB_ENOMEM, "out of memory");
	int rc = local_settings(l, job, err);
	return rc ? rc : job_spec_check(&l->spec, &l->set, err) ? BB_EINVAL : 0;
}

/* Set by SIGALRM when an in-process job's deadline passes; the evaluator polls it
 * between batches, as the server's queue polls a job's cancel flag. */
static volatile sig_atomic_t deadline_passed;

static void on_deadline(int sig)
{
	(void)sig;
	deadline_passed = 1;
}

static int run_local(const struct job_spec *job, const struct job_limits *lim,
		     cJSON **result, struct bb_error *err)
{
	struct local_job l;
	deadline_passed = 0;
	int rc = local_job_init(&l, job, err);
	double deadline = lim->deadline_s > 0 ? lim->deadline_s : CLIENT_DEADLINE_S;
	if (!rc) {
		struct sigaction sa = {.sa_handler = on_deadline};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		alarm((unsigned)ceil(deadline));
		rc = job_spec_run_json(&l.spec, &l.set, &deadline_passed, NULL, NULL, result, err);
		alarm(0);
	}
	if (rc && deadline_passed)
		rc = bb_fail(err, BB_EIO, "endpoint 'local': the job did not finish within the "
			     "deadline of %g s (--deadline)", deadline);
	local_job_free(&l);
	return rc;
}

// ---- through the client ----

static int run_remote(const struct job_spec *job, const char *endpoint,
		      const struct job_limits *lim, cJSON **result, struct bb_error *err)
{
	struct client_config cfg = {
		.base_url = endpoint, .timeout_s = lim->timeout_s, .retry_for_s = lim->retry_for_s,
		.max_tries = (int)lim->tries, .deadline_s = lim->deadline_s,
		.max_answer = (size_t)lim->max_answer_mb << 20, .token = lim->token};
	struct client cl = {0};
	cJSON *request = job_spec_to_json(job);
	int rc = request ? client_init(&cl, &cfg, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = client_run_job(&cl, request, NULL, NULL, result, err);
	client_free(&cl);
	cJSON_Delete(request);
	return rc;
}

int job_exec(const struct job_spec *job, const char *endpoint, const struct job_limits *l,
	     cJSON **result, struct bb_error *err)
{
	*result = NULL;
	int rc = strcmp(endpoint, "local") == 0 ? run_local(job, l, result, err)
						: run_remote(job, endpoint, l, result, err);
	if (!rc && job->kind == JOB_EVALUATE)
		rc = client_check_results(*result, (const char *const *)job->tasks, job->n_tasks,
					  err);
	if (rc) {
		cJSON_Delete(*result);
		*result = NULL;
	}
	return rc;
}
