/*
 * runner.c: GNU Parallel over job specs, and the execution of one job.
 *
 * The porcelain (`bitbudget run`) writes specs and calls parallel; the plumbing
 * (`bitbudget run-job`) quantizes into the scratch folder and calls `bitbudget eval` (with
 * --log-samples) or `bitbudget scores` as child processes, then wraps the answer with what
 * produced it, the recipe's SHA-256 included.
 */
#include "harness/runner.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "core/fileio.h"
#include "core/hash.h"
#include "core/quantize.h"
#include "core/spawn.h"
#include "endpoint/job_spec.h"
#include "endpoint/run_spec.h"
#include "endpoint/server.h"
#include "harness/client.h"
#include "harness/endpoints.h"

// ---- child processes ----

static int self_path(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len < 0)
		return -1;
	buf[len] = 0;
	return 0;
}

/* Run argv to completion, stdin from /dev/null, stdout and stderr ours; returns its exit
 * status (or -1 if it could not start). */
static int spawn_wait(char *const argv[])
{
	struct spawn_opts o = {0};
	struct spawn_result r;
	struct bb_error ignored;
	return spawn_run(argv, &o, &r, &ignored) == 0 ? r.status : -1;
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

// ---- endpoints ----

// ---- job specs ----

/* The run spec of a plan item. Its strings are borrowed from the plan, the experiment and
 * the options (never freed here); tmp_dir and tasks point into the caller's buffers. */
static void spec_of(struct run_spec *j, const struct plan_item *it, const struct experiment *e,
		    const struct plan_settings *s, const struct run_opts *o, char *tmp_dir,
		    size_t tmp_n, char **tasks)
{
	const struct exp_model *m = &e->models[it->model];
	snprintf(tmp_dir, tmp_n, "%s/tmp", s->results_dir);
	*j = (struct run_spec){
		.kind = it->kind == PLAN_SCORES ? RUN_SCORES : RUN_EVAL, .key = (char *)it->key,
		.experiment = (char *)e->name, .model_name = (char *)m->name, .model = (char *)m->path,
		.result = (char *)it->result, .tmp_dir = tmp_dir};
	if (it->kind == PLAN_SCORES) {
		j->n_options = e->n_options;
		memcpy(j->options, e->options, sizeof j->options);
		j->method = strcmp(s->score_method, "proxy") ? SCORE_DELTALOSS : SCORE_PROXY;
		j->nsamples = s->nsamples, j->seqlen = s->seqlen, j->calib = (char *)s->calib;
		return;
	}
	for (int t = 0; t < e->n_tasks; t++)
		tasks[t] = (char *)e->tasks[t];
	j->row = (char *)e->rows[it->row].label, j->strategy = (char *)e->rows[it->row].strategy;
	j->recipe = (char *)it->recipe, j->recipe_sha256 = (char *)it->recipe_hash;
	j->achieved_avg_bits = it->achieved_avg_bits, j->predicted_loss = it->predicted_loss;
	j->n_tasks = e->n_tasks, j->tasks = tasks, j->limit = s->limit;
	j->add_bos_token = m->add_bos_token;
	j->log_samples = true; /* per-document outcomes, for paired tests */
	j->endpoint_version = (char *)s->endpoint_version;
	j->scratch = (char *)o->scratch, j->keep_checkpoint = o->keep_checkpoints;
}

static int write_json(const char *path, cJSON *json, struct bb_error *err)
{
	char *text = cJSON_Print(json);
	int rc = text ? write_file_atomic(path, text, strlen(text), err)
		      : bb_fail(err, BB_ENOMEM, "out of memory");
	free(text);
	return rc;
}

/* Write the specs of the pending items of a kind and the list parallel reads. */
static int write_specs(const struct plan *p, enum plan_kind kind, const struct experiment *e,
		       const struct plan_settings *s, const struct run_opts *o, const char *list,
		       int *count, struct bb_error *err)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/%s/jobs", s->results_dir, e->name);
	mkdir(dir, 0755);
	FILE *f = fopen(list, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", list, strerror(errno));
	int rc = 0;
	*count = 0;
	for (int i = 0; i < p->n && !rc; i++) {
		const struct plan_item *it = &p->items[i];
		if (it->kind != kind || it->done || !it->key[0])
			continue;
		char path[1300];
		snprintf(path, sizeof path, "%s/%s.json", dir, it->key);
		struct run_spec spec;
		char tmp_dir[1100], *tasks[RUN_SPEC_MAX_TASKS];
		spec_of(&spec, it, e, s, o, tmp_dir, sizeof tmp_dir, tasks);
		cJSON *json = run_spec_to_json(&spec);
		rc = json ? write_json(path, json, err) : bb_fail(err, BB_ENOMEM, "out of memory");
		cJSON_Delete(json);
		fprintf(f, "%s\n", path);
		(*count)++;
	}
	if (fclose(f) != 0 && !rc)
		rc = bb_fail(err, BB_EIO, "'%s': write failed", list);
	return rc;
}

void runner_clean_tmp(const char *results_dir)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/tmp", results_dir);
	make_dirs(dir);
	DIR *d = opendir(dir);
	struct dirent *ent;
	while (d && (ent = readdir(d))) {
		/* <key>.<pid>.json: remove it when that process is gone (a killed job's). */
		const char *dot = strchr(ent->d_name, '.');
		int pid = dot ? atoi(dot + 1) : 0;
		if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH) {
			char path[1400];
			snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

/* The environment a job reads: its endpoints and the settings of the eval it starts. */
static const char *const job_environment[] = {"BB_ENDPOINTS", "BB_EVAL_TIMEOUT",
	"BB_EVAL_RETRY_FOR", "BB_EVAL_TRIES", "BB_EVAL_DEADLINE", "BB_EVAL_MAX_ANSWER_MB", NULL};

int runner_run(const struct plan *p, enum plan_kind kind, const struct experiment *e,
	       const struct plan_settings *s, const struct run_opts *o, struct bb_error *err)
{
	char list[1100], joblog[1100], self[PATH_MAX], jobs[16], retries[16];
	snprintf(list, sizeof list, "%s/%s/%s-jobs.txt", s->results_dir, e->name,
		 kind == PLAN_SCORES ? "scores" : "eval");
	snprintf(joblog, sizeof joblog, "%s/%s/joblog.txt", s->results_dir, e->name);
	int count = 0, rc = write_specs(p, kind, e, s, o, list, &count, err);
	if (rc || count == 0)
		return rc;
	if (self_path(self, sizeof self) < 0)
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
	argv[a++] = "--joblog", argv[a++] = joblog;
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
	argv[a++] = "::::", argv[a++] = list;
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

// ---- one job ----

/* The recipe a job's key was built from: the file's bytes must still hash to the planned
 * SHA-256, and the recipe quantized is parsed from those very bytes, so a result never
 * records one recipe's hash for another recipe's evaluation. */
static int read_planned_recipe(struct recipe *r, const char *path, const char *sha256,
			       struct bb_error *err)
{
	char *text, hex[SHA256_HEX_LEN];
	size_t len;
	int rc = read_file(path, &text, &len, err);
	if (rc)
		return rc;
	sha256_hex(text, len, hex);
	cJSON *json = strcmp(hex, sha256) == 0 ? cJSON_Parse(text) : NULL;
	free(text);
	if (strcmp(hex, sha256) != 0)
		rc = bb_fail(err, BB_EINVAL, "recipe '%s' has SHA-256 %.16s..., not the %.16s... its "
			     "job was planned with: not evaluated (rerun to plan again)", path, hex,
			     sha256);
	else
		rc = json ? recipe_from_json(r, json, path, err)
			  : bb_fail(err, BB_EFORMAT, "'%s': not valid JSON", path);
	cJSON_Delete(json);
	return rc;
}

static int quantize_into(const char *model, const char *recipe_path, const char *sha256,
			 const char *out, struct bb_error *err)
{
	struct checkpoint ck;
	struct inventory inv = {0};
	struct recipe r = {0};
	int rc = checkpoint_open(&ck, model, err);
	if (rc)
		return rc;
	rc = inventory_build(&inv, &ck, false, err);
	if (!rc)
		rc = read_planned_recipe(&r, recipe_path, sha256, err);
	struct quantize_opts qo = {0};
	if (!rc)
		rc = quantize_checkpoint(&ck, &inv, &r, out, &qo, err);
	recipe_free(&r);
	inventory_free(&inv);
	checkpoint_close(&ck);
	return rc;
}

static void remove_checkpoint(const char *dir)
{
	char *argv[] = {"/bin/rm", "-rf", (char *)dir, NULL};
	spawn_wait(argv);
}

/* names joined by commas (caller frees), or NULL when out of memory. */
static char *join_names(char *const *names, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	char *s = calloc(len, 1);
	for (int i = 0; i < n && s; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, names[i]);
	}
	return s;
}

/* `bitbudget eval` on the endpoint; the lm-eval results come back in tmp. */
static int evaluate_on(const struct run_spec *spec, const char *model, const char *endpoint,
		       const char *tmp, struct bb_error *err)
{
	char self[PATH_MAX], limit[32];
	if (self_path(self, sizeof self) < 0)
		return bb_fail(err, BB_EIO, "cannot find this program's own path");
	char *tasks = join_names(spec->tasks, spec->n_tasks);
	if (!tasks)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	snprintf(limit, sizeof limit, "%d", spec->limit);
	char *argv[16];
	int a = 0;
	argv[a++] = self, argv[a++] = "eval";
	argv[a++] = "--endpoint", argv[a++] = (char *)endpoint;
	argv[a++] = "--model", argv[a++] = (char *)model;
	argv[a++] = "--tasks", argv[a++] = tasks;
	argv[a++] = "--limit", argv[a++] = limit;
	if (spec->add_bos_token)
		argv[a++] = "--add-bos-token";
	if (spec->log_samples)
		argv[a++] = "--log-samples";
	argv[a++] = "-o", argv[a++] = (char *)tmp;
	argv[a] = NULL;
	int status = spawn_wait(argv);
	free(tasks);
	return status == 0 ? 0
			   : bb_fail(err, BB_EIO, "bitbudget eval on %s failed (exit %d)", endpoint,
				     status);
}

/* The result file: the lm-eval results (with their per-document "samples") plus everything
 * that produced them (the spec less its working folders), the recipe's SHA-256 included. */
static int write_result(const struct run_spec *spec, const char *endpoint, const char *tmp,
			struct bb_error *err)
{
	char *text;
	int rc = read_file(tmp, &text, NULL, err);
	if (rc)
		return rc;
	cJSON *results = cJSON_Parse(text);
	free(text);
	if (!results)
		return bb_fail(err, BB_EFORMAT, "'%s': not valid JSON", tmp);
	cJSON *out = run_spec_to_json(spec);
	if (!out) {
		cJSON_Delete(results);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(out, "scratch");
	cJSON_DeleteItemFromObjectCaseSensitive(out, "tmp_dir");
	cJSON_DeleteItemFromObjectCaseSensitive(out, "keep_checkpoint");
	cJSON_AddStringToObject(out, "endpoint", endpoint);
	cJSON_AddNumberToObject(out, "finished", (double)time(NULL));
	cJSON_AddItemToObject(out, "lm_eval", results);
	rc = write_json(spec->result, out, err);
	cJSON_Delete(out);
	return rc;
}

/* A remote endpoint confines models to its models root and refuses "..": send it the
 * absolute path (the paths must be the same on both machines, e.g. a shared file system). */
static const char *path_for(const char *endpoint, const char *path, char *buf, size_t n)
{
	if (strcmp(endpoint, "local") == 0 || n < PATH_MAX || !realpath(path, buf))
		return path;
	return buf;
}

/* What a job does on one endpoint: evaluate model there and write the result, or score. */
typedef int (*job_step_fn)(const struct run_spec *spec, const char *endpoint,
			   const char *model, struct bb_error *err);

static bool endpoint_answers(const char *endpoint)
{
	char version[256];
	struct bb_error ignored;
	return !strcmp(endpoint, "local") ||
	       endpoint_version(endpoint, version, sizeof version, &ignored) == 0;
}

/* Run step on this slot's endpoint (the slots take BB_ENDPOINTS in turn). An endpoint that
 * does not answer /v1/health, before the step or after it failed, is passed over for the
 * next one, so a job outlives the loss of every endpoint but one; a failure on an endpoint
 * that still answers is the job's own and final. */
static int on_live_endpoint(const struct run_spec *spec, int slot, job_step_fn step,
			    const char *model, struct bb_error *err)
{
	const char *list = getenv("BB_ENDPOINTS");
	struct endpoint_list l;
	list = list && *list ? list : "local";
	int rc = endpoint_list_parse(&l, list, "BB_ENDPOINTS", err);
	if (rc)
		return rc;
	int first = (slot > 0 ? slot - 1 : 0) % l.n;
	rc = bb_fail(err, BB_EIO, "no endpoint of '%s' answers /v1/health", list);
	for (int i = 0; i < l.n; i++) {
		const char *endpoint = l.url[(first + i) % l.n];
		if (!endpoint_answers(endpoint)) {
			fprintf(stderr, "warning: job %s: endpoint %s does not answer; trying the "
				"next one\n", spec->key, endpoint);
			continue;
		}
		rc = step(spec, endpoint, model, err);
		if (!rc || endpoint_answers(endpoint))
			break;
		fprintf(stderr, "warning: job %s: endpoint %s stopped answering (%s); trying the "
			"next one\n", spec->key, endpoint, err->msg);
	}
	endpoint_list_free(&l);
	return rc;
}

static int evaluate_and_write(const struct run_spec *spec, const char *endpoint,
			      const char *model, struct bb_error *err)
{
	char real[PATH_MAX], tmp[1300];
	snprintf(tmp, sizeof tmp, "%s/%s.%d.json", spec->tmp_dir, spec->key, (int)getpid());
	int rc = evaluate_on(spec, path_for(endpoint, model, real, sizeof real), endpoint, tmp, err);
	if (!rc)
		rc = write_result(spec, endpoint, tmp, err);
	unlink(tmp);
	return rc;
}

static int run_eval_job(const struct run_spec *spec, int slot, struct bb_error *err)
{
	const char *model = spec->model;
	char checkpoint[1200] = "";
	int rc = 0;
	if (*spec->recipe) {
		snprintf(checkpoint, sizeof checkpoint, "%s/%s", spec->scratch, spec->key);
		mkdir(spec->scratch, 0755);
		if (!file_exists(checkpoint))
			rc = quantize_into(model, spec->recipe, spec->recipe_sha256, checkpoint, err);
		model = checkpoint;
	}
	if (!rc)
		rc = on_live_endpoint(spec, slot, evaluate_and_write, model, err);
	if (*checkpoint && !spec->keep_checkpoint)
		remove_checkpoint(checkpoint);
	return rc;
}

/* A scores job on a remote endpoint (a GPU machine computes DeltaLoss for a large model):
 * the calibration text travels in the request; the answer is the scores file. */
static int remote_scores(const struct run_spec *spec, const char *endpoint, struct bb_error *err)
{
	char *calib = NULL;
	int rc = read_file(spec->calib, &calib, NULL, err);
	if (rc)
		return rc;
	char real[PATH_MAX];
	/* batch and seed: the defaults of `bitbudget scores`, as a local job gets them */
	struct job_spec request = {
		.kind = JOB_SCORES, .model = (char *)path_for(endpoint, spec->model, real, sizeof real),
		.method = spec->method, .n_options = spec->n_options, .nsamples = spec->nsamples,
		.seqlen = spec->seqlen, .batch = 8, .seed = 42, .calib_text = calib};
	memcpy(request.options, spec->options, sizeof request.options);
	cJSON *job = job_spec_to_json(&request);
	free(calib);
	if (!job)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	/* The endpoint's bearer token, if it has one, as `bitbudget eval` takes it. */
	const char *token = getenv("BB_TOKEN");
	struct client_config cfg = {.base_url = endpoint, .token = token && *token ? token : NULL};
	struct client cl = {0};
	cJSON *result = NULL;
	rc = cfg.token ? server_check_token(cfg.token, err) : 0;
	if (!rc)
		rc = client_init(&cl, &cfg, err);
	if (!rc)
		rc = client_run_job(&cl, job, NULL, NULL, &result, err);
	if (!rc && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(result, "scores")))
		rc = bb_fail(err, BB_EFORMAT, "endpoint %s: the scores job's result has no 'scores'",
			     endpoint);
	if (!rc)
		rc = write_json(spec->result, result, err);
	client_free(&cl);
	cJSON_Delete(result);
	cJSON_Delete(job);
	return rc;
}

static int run_scores_job(const struct run_spec *spec, const char *endpoint,
			  const char *model_unused, struct bb_error *err)
{
	(void)model_unused; /* the spec names the model */
	if (strcmp(endpoint, "local") != 0)
		return remote_scores(spec, endpoint, err);
	char self[PATH_MAX], nsamples[32], seqlen[32], *names[RECIPE_MAX_OPTIONS];
	if (self_path(self, sizeof self) < 0)
		return bb_fail(err, BB_EIO, "cannot find this program's own path");
	for (int k = 0; k < spec->n_options; k++)
		names[k] = (char *)spec->options[k].name;
	char *options = join_names(names, spec->n_options);
	if (!options)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	snprintf(nsamples, sizeof nsamples, "%d", spec->nsamples);
	snprintf(seqlen, sizeof seqlen, "%d", spec->seqlen);
	char *argv[] = {self, "scores", "--model", spec->model, "--options", options,
			"--method", spec->method == SCORE_PROXY ? "proxy" : "deltaloss",
			"--nsamples", nsamples, "--seqlen", seqlen, "--calib", spec->calib,
			"-o", spec->result, NULL};
	int status = spawn_wait(argv);
	free(options);
	return status == 0 ? 0 : bb_fail(err, BB_EIO, "bitbudget scores failed (exit %d)", status);
}

/* One job per key at a time, whichever run started it: a job orphaned by a killed run
 * may still be finishing when the resumed run reaches the same key. Blocks until free. */
static int lock_key(const struct run_spec *spec, struct bb_error *err)
{
	char path[1300];
	snprintf(path, sizeof path, "%s/%s.lock", spec->tmp_dir, spec->key);
	make_dirs(spec->tmp_dir);
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		if (fd >= 0)
			close(fd);
		return bb_fail(err, BB_EIO, "'%s': cannot lock: %s", path, strerror(errno));
	}
	return fd; /* released when the process exits */
}

/* Read the spec file; a bad one is refused before anything is locked or written, with
 * one line naming the file and the field. */
static int read_spec(struct run_spec *spec, const char *spec_path, struct bb_error *err)
{
	char *text;
	size_t len = 0;
	int rc = read_file(spec_path, &text, &len, err);
	if (rc)
		return rc;
	rc = run_spec_parse(spec, text, len, err);
	free(text);
	if (rc) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		bb_fail(err, rc, "'%s': not a valid job spec: %s", spec_path, why);
	}
	return rc;
}

int run_job(const char *spec_path, int slot, struct bb_error *err)
{
	struct run_spec spec;
	int rc = read_spec(&spec, spec_path, err);
	if (rc)
		return rc;
	if ((rc = lock_key(&spec, err)) >= 0 && file_exists(spec.result))
		rc = 0; /* finished before (perhaps just now, by an orphan): nothing to redo */
	else if (rc < 0)
		; /* the lock failed */
	else if (spec.kind == RUN_SCORES)
		rc = on_live_endpoint(&spec, slot, run_scores_job, NULL, err);
	else
		rc = run_eval_job(&spec, slot, err);
	run_spec_free(&spec);
	return rc;
}
