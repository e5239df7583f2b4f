/*
 * runner.c: GNU Parallel over job specs: the fan-out of `bitbudget run`.
 *
 * The porcelain (`bitbudget run`) writes one spec per pending job and calls parallel,
 * which starts `bitbudget run-job SPEC` (harness/run_job.c) once per job, each in a
 * process of its own: a job that crashes or is killed fails alone, its key lock goes with
 * its process, and a stop signal reaches every job's process group. This file never runs
 * a job itself; it reports progress from parallel's joblog and passes a stop signal on.
 */
#include "harness/runner.h"

#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/spawn.h"
#include "core/strbuf.h"
#include "endpoint/run_spec.h"
#include "harness/endpoints.h"

// ---- this program ----

int runner_self_path(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len < 0)
		return -1;
	buf[len] = 0;
	return 0;
}

// ---- stopping a run ----

/* The signal that asked this run to stop (SIGINT or SIGTERM), 0 while none did. */
static volatile sig_atomic_t stop_signal;

static void note_stop(int sig) { stop_signal = sig; }

void runner_catch_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = note_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: a sleep or wait ends at once */
	sigaction(SIGTERM, &sa, NULL);
}

int runner_stop_signal(void) { return stop_signal; }

/* Seconds GNU Parallel gets to stop its jobs (it sends each job's process group TERM,
 * then KILL within a second) before its own group is killed. */
#define PARALLEL_STOP_S 60

/* Pass the stop signal on to GNU Parallel (its own process group) and reap it. */
static int stop_parallel(struct spawn_child *c)
{
	spawn_signal(c, stop_signal);
	int status = -1;
	for (int tick = 0; tick < PARALLEL_STOP_S * 10; tick++) {
		if (spawn_poll(c, &status) != 0)
			return status;
		struct timespec wait = {0, 100 * 1000 * 1000};
		nanosleep(&wait, NULL);
	}
	spawn_signal(c, SIGKILL);
	struct spawn_opts none = {0};
	struct spawn_result r;
	struct bb_error ignored;
	return spawn_finish(c, &none, &r, &ignored) == 0 ? r.status : -1;
}

/* Lines in a file (the joblog), or 0 when it does not exist yet. */
static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;
	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* Wait for GNU Parallel, printing "done/total" and the time left from its joblog. A stop
 * signal is passed on to it, and it is reaped before this returns. */
static int wait_with_progress(struct spawn_child *c, const char *joblog, int total)
{
	int before = count_lines(joblog), last = 0, status = -1;
	time_t start = time(NULL);
	for (bool running = true; running;) {
		if (stop_signal)
			return stop_parallel(c);
		int r = spawn_poll(c, &status);
		if (r < 0)
			return -1;
		running = r == 0;
		/* The joblog gains a header line on first use, then one line per finished try. */
		int done = count_lines(joblog) - before - (before == 0);
		done = done < 0 ? 0 : done > total ? total : done;
		if (done != last) {
			long elapsed = (long)(time(NULL) - start);
			fprintf(stderr, "run: %d/%d jobs done, %lds elapsed, about %lds left\n", done,
				total, elapsed, elapsed * (total - done) / done);
			last = done;
		}
		if (running)
			sleep(1);
	}
	return status;
}

// ---- job specs ----

/* A kld item's spec: the recipe of its evaluation item, the texts, where the reference
 * goes. */
static void kld_spec_of(struct run_spec *j, const struct plan *p, const struct plan_item *it,
			const struct experiment *e, const struct plan_settings *s,
			char *reference_dir)
{
	j->row = (char *)e->rows[it->row].label, j->strategy = (char *)e->rows[it->row].strategy;
	j->recipe = p->items[it->of].recipe, j->recipe_sha256 = (char *)it->recipe_hash;
	j->achieved_avg_bits = it->achieved_avg_bits, j->predicted_loss = it->predicted_loss;
	j->job.kind = JOB_KLD;
	j->eval_text_file = e->eval_text, j->calib = (char *)s->calib;
	j->reference_dir = reference_dir;
	j->endpoint_version = (char *)s->endpoint_version;
}

/* The run spec of a plan item. Its strings are borrowed from the plan, the experiment and
 * the options (never freed here); tmp_dir, reference_dir and tasks are the caller's. */
static void spec_of(struct run_spec *j, const struct plan *p, const struct plan_item *it,
		    const struct experiment *e, const struct plan_settings *s,
		    const struct run_opts *o, char *tmp_dir, char *reference_dir, char **tasks)
{
	const struct exp_model *m = &e->models[it->model];
	*j = (struct run_spec){
		.key = (char *)it->key, .experiment = (char *)e->name,
		.model_name = (char *)m->name, .result = (char *)it->result, .tmp_dir = tmp_dir};
	j->job.model = (char *)m->path;
	if (it->kind == PLAN_SCORES) {
		j->job.kind = JOB_SCORES, j->job.n_options = e->n_options;
		memcpy(j->job.options, e->options, sizeof j->job.options);
		j->job.method = strcmp(s->score_method, "proxy") ? SCORE_DELTALOSS : SCORE_PROXY;
		j->job.nsamples = s->nsamples, j->job.seqlen = s->seqlen;
		j->calib = (char *)s->calib;
		return;
	}
	if (it->kind == PLAN_KLD) {
		kld_spec_of(j, p, it, e, s, reference_dir);
		return;
	}
	for (int t = 0; t < e->n_tasks; t++)
		tasks[t] = (char *)e->tasks[t];
	j->row = (char *)e->rows[it->row].label, j->strategy = (char *)e->rows[it->row].strategy;
	j->recipe = it->recipe ? it->recipe : "", j->recipe_sha256 = (char *)it->recipe_hash;
	j->achieved_avg_bits = it->achieved_avg_bits, j->predicted_loss = it->predicted_loss;
	j->job.kind = JOB_EVALUATE, j->job.n_tasks = e->n_tasks, j->job.tasks = tasks;
	j->job.limit = s->limit;
	j->job.add_bos_token = m->add_bos_token ? 1 : -1;
	j->job.log_samples = true; /* per-document outcomes, for paired tests */
	j->endpoint_version = (char *)s->endpoint_version;
	j->scratch = (char *)o->scratch, j->keep_checkpoint = o->keep_checkpoints;
}

int runner_write_json(const char *path, const cJSON *json, struct bb_error *err)
{
	char *text = cJSON_Print(json);
	int rc = text ? write_file_atomic(path, text, strlen(text), err)
		      : bb_fail(err, BB_ENOMEM, "out of memory");
	free(text);
	return rc;
}

/* The items run with kind: the kld jobs go with the evaluations, in one list, so that
 * parallel keeps every endpoint busy until both are done. */
static bool runs_with(enum plan_kind item, enum plan_kind kind)
{
	return item == kind || (kind == PLAN_EVAL && item == PLAN_KLD);
}

/* Write the specs of the pending items of a kind and the list parallel reads. */
static int write_specs(const struct plan *p, enum plan_kind kind, const struct experiment *e,
		       const struct plan_settings *s, const struct run_opts *o, const char *list,
		       int *count, struct bb_error *err)
{
	char *dir = str_printf(err, "%s/%s/jobs", s->results_dir, e->name);
	char *tmp_dir = str_printf(err, "%s/tmp", s->results_dir);
	char *reference_dir = str_printf(err, "%s/%s", s->results_dir, PLAN_KLD_REFERENCE_DIR);
	FILE *f = dir && tmp_dir && reference_dir ? fopen(list, "w") : NULL;
	int rc = !dir || !tmp_dir || !reference_dir ? BB_ENOMEM
		 : !f		  ? bb_fail(err, BB_EIO, "'%s': %s", list, strerror(errno))
				  : 0;
	if (!rc)
		mkdir(dir, 0755);
	*count = 0;
	for (int i = 0; i < p->n && !rc; i++) {
		const struct plan_item *it = &p->items[i];
		if (!runs_with(it->kind, kind) || it->done || !it->key[0])
			continue;
		char *path = str_printf(err, "%s/%s.json", dir, it->key);
		if (!path) {
			rc = BB_ENOMEM;
			break;
		}
		struct run_spec spec;
		char *tasks[RUN_SPEC_MAX_TASKS];
		spec_of(&spec, p, it, e, s, o, tmp_dir, reference_dir, tasks);
		cJSON *json = run_spec_to_json(&spec);
		rc = json ? runner_write_json(path, json, err)
			  : bb_fail(err, BB_ENOMEM, "out of memory");
		cJSON_Delete(json);
		fprintf(f, "%s\n", path);
		free(path);
		(*count)++;
	}
	if (f && fclose(f) != 0 && !rc)
		rc = bb_fail(err, BB_EIO, "'%s': write failed", list);
	free(reference_dir);
	free(tmp_dir);
	free(dir);
	return rc;
}

/* The environment a job reads: its endpoints and the settings of the eval it starts. */
static const char *const job_environment[] = {"BB_ENDPOINTS", "BB_EVAL_TIMEOUT",
	"BB_EVAL_RETRY_FOR", "BB_EVAL_TRIES", "BB_EVAL_DEADLINE", "BB_EVAL_MAX_ANSWER_MB", NULL};

/* runner_run once its job list and joblog are named. */
static int run_listed(const struct plan *p, enum plan_kind kind, const struct experiment *e,
		      const struct plan_settings *s, const struct run_opts *o, const char *list,
		      const char *joblog, struct bb_error *err)
{
	/* self: readlink fills at most PATH_MAX, as the kernel allows; jobs and retries: an
	 * int's digits */
	char self[PATH_MAX], jobs[16], retries[16];
	int count = 0, rc = write_specs(p, kind, e, s, o, list, &count, err);
	if (rc || count == 0)
		return rc;
	if (runner_self_path(self, sizeof self) < 0)
		return bb_fail(err, BB_EIO, "cannot find this program's own path");
	struct endpoint_list endpoints;
	if ((rc = endpoint_list_parse(&endpoints, o->endpoints, "--endpoints", err)))
		return rc;
	snprintf(jobs, sizeof jobs, "%d", o->jobs > 0 ? o->jobs : endpoints.n);
	endpoint_list_free(&endpoints);
	/* parallel's --retries N counts tries (and 0 tries for ever): ours counts retries */
	snprintf(retries, sizeof retries, "%d", o->retries + 1);
	setenv("BB_ENDPOINTS", o->endpoints, 1);
	/* The job's command is separate arguments after -q (--quote): parallel shell-quotes
	 * each one, so this program's path reaches the job as one word, whatever it holds. */
	char *argv[40];
	int a = 0;
	argv[a++] = "/usr/bin/parallel";
	argv[a++] = "--will-cite";
	argv[a++] = "--quote";
	argv[a++] = "--joblog", argv[a++] = (char *)joblog;
	argv[a++] = "--retries", argv[a++] = retries;
	argv[a++] = "-j", argv[a++] = jobs;
	char cwd[PATH_MAX];
	if (o->sshloginfile) {
		/* On another login the job starts in its home folder with ssh's environment:
		 * run it in this folder (the same path there) with the settings jobs read. */
		if (!getcwd(cwd, sizeof cwd))
			return bb_fail(err, BB_EIO, "cannot find the current folder: %s", strerror(errno));
		argv[a++] = "--sshloginfile", argv[a++] = (char *)o->sshloginfile;
		argv[a++] = "--workdir", argv[a++] = cwd;
		for (const char *const *v = job_environment; *v; v++)
			argv[a++] = "--env", argv[a++] = (char *)*v;
	}
	argv[a++] = self, argv[a++] = "run-job", argv[a++] = "{}";
	argv[a++] = "--slot", argv[a++] = "{%}";
	argv[a++] = "::::", argv[a++] = (char *)list;
	argv[a] = NULL;
	fprintf(stderr, "run: %d %s job%s on %s (%s at a time; joblog %s)\n", count,
		kind == PLAN_SCORES ? "scores" : "evaluation", count == 1 ? "" : "s", o->endpoints,
		jobs, joblog);
	/* Its own process group: a stop signal reaches parallel once, from us (stop_parallel),
	 * and parallel stops its jobs, each in a process group of its own. */
	struct spawn_opts so = {.own_group = true};
	struct spawn_child child;
	struct bb_error ignored;
	int status = !stop_signal && spawn_start(&child, argv, &so, &ignored) == 0
			     ? wait_with_progress(&child, joblog, count)
			     : -1;
	if (stop_signal)
		return bb_fail(err, BB_EIO, "stopped by %s; finished jobs are cached, rerun to resume",
			       stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	if (status < 0)
		return bb_fail(err, BB_EIO, "cannot run GNU parallel (/usr/bin/parallel; make deps installs it)");
	if (status != 0)
		return bb_fail(err, BB_EIO, "%d %s job%s failed; see %s and rerun to resume",
			       status, kind == PLAN_SCORES ? "scores" : "evaluation",
			       status == 1 ? "" : "s", joblog);
	return 0;
}

int runner_run(const struct plan *p, enum plan_kind kind, const struct experiment *e,
	       const struct plan_settings *s, const struct run_opts *o, struct bb_error *err)
{
	char *list = str_printf(err, "%s/%s/%s-jobs.txt", s->results_dir, e->name,
				kind == PLAN_SCORES ? "scores" : "eval");
	char *joblog = str_printf(err, "%s/%s/joblog.txt", s->results_dir, e->name);
	int rc = list && joblog ? run_listed(p, kind, e, s, o, list, joblog, err) : BB_ENOMEM;
	free(joblog);
	free(list);
	return rc;
}
