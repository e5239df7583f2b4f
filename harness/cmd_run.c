/*
 * cmd_run.c: `bitbudget run EXPERIMENT`: plan, score, quantize, evaluate, report.
 *
 * The steps: choose the model set (the paper's models under MODEL_ROOT, their configs for
 * a dry run, or the demo set when neither models nor endpoints are configured), take the
 * experiment's lock, plan once, run the scores jobs, complete the plan of the models just
 * scored (now their sensitivity recipes can be made), run the evaluation jobs, collect
 * which results are there, then write reports/ and plots/. Every finished job is cached
 * by content, so a second run, or a run after a crash, redoes nothing done. It never
 * quantizes or evaluates itself: jobs run in `bitbudget run-job` processes (runner.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/endpoints.h"
#include "harness/plots_collect.h"
#include "harness/plots_write.h"
#include "harness/report_collect.h"
#include "harness/report_write.h"
#include "harness/runner.h"

struct run_cli {
	const char *experiment, *results, *reports, *plots, *model_root, *shared;
	bool dry_run, report_only;
	int model_set;        /* -1: choose, else enum model_set */
	long limit, jobs, retries, nsamples, seqlen;
	const char *endpoints_source; /* "--endpoints" or "ENDPOINTS", for errors */
	const char *deadline;         /* --deadline S: each job's, through BB_EVAL_DEADLINE */
	struct run_opts run;
	const char *score_method, *calib;
	const char *eval_text;        /* --eval-text: replaces the experiment's "eval_text" */
};

static const char usage[] =
	"usage: bitbudget run EXPERIMENT [--endpoints URL,URL...] [--jobs N] [--dry-run]\n"
	"                     [--limit N] [--keep-checkpoints] [--demo | --paper]\n"
	"  EXPERIMENT          experiments/tableN.json (or your own)\n"
	"  --endpoints LIST    lm-eval endpoints, comma-separated http(s) URLs, one job each at\n"
	"                      a time (a job moves on when its endpoint stops answering); or\n"
	"                      'local' alone: the embedded C engine (default: $ENDPOINTS, else local)\n"
	"  --jobs N            jobs at once (default: one per endpoint)\n"
	"  --dry-run           print the plan (recipes and their average bits) and stop\n"
	"  --limit N           first N documents of each task (default: $LIMIT, else all)\n"
	"  --demo, --paper     force the model set (default: paper when MODEL_ROOT or remote\n"
	"                      endpoints are set, or for --dry-run; demo otherwise)\n"
	"  --keep-checkpoints  keep quantized checkpoints in --scratch (default scratch/)\n"
	"  --retries N         retries per job (default 2)\n"
	"  --deadline S        give up an evaluation job after S seconds (default 43200: 12 h;\n"
	"                      see bitbudget eval --deadline)\n"
	"  --sshloginfile F    spread jobs over machines with GNU parallel (see README)\n"
	"  --score-method M    deltaloss (default) or proxy; --nsamples N (16), --seqlen N (256)\n"
	"  --calib FILE        calibration text (default experiments/calibration/default.txt)\n"
	"  --eval-text FILE    the held-out text KLD is measured on (default: the experiment's\n"
	"                      \"eval_text\", else experiments/eval/default.txt)\n"
	"  --results DIR, --reports DIR, --plots DIR   output folders\n";

enum { OPT_KEEP = 256, OPT_DEMO, OPT_PAPER, OPT_SSH, OPT_RESULTS, OPT_REPORTS, OPT_PLOTS,
       OPT_RETRIES, OPT_METHOD, OPT_NSAMPLES, OPT_SEQLEN, OPT_CALIB, OPT_SCRATCH,
       OPT_DEADLINE, OPT_EVAL_TEXT };

static int parse_args(struct run_cli *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"endpoints", 1, NULL, 'e'},         {"jobs", 1, NULL, 'j'},
		{"dry-run", 0, NULL, 'n'},           {"limit", 1, NULL, 'l'},
		{"keep-checkpoints", 0, NULL, OPT_KEEP}, {"demo", 0, NULL, OPT_DEMO},
		{"paper", 0, NULL, OPT_PAPER},       {"sshloginfile", 1, NULL, OPT_SSH},
		{"results", 1, NULL, OPT_RESULTS},   {"reports", 1, NULL, OPT_REPORTS},
		{"plots", 1, NULL, OPT_PLOTS},       {"retries", 1, NULL, OPT_RETRIES},
		{"score-method", 1, NULL, OPT_METHOD}, {"nsamples", 1, NULL, OPT_NSAMPLES},
		{"seqlen", 1, NULL, OPT_SEQLEN},     {"calib", 1, NULL, OPT_CALIB},
		{"scratch", 1, NULL, OPT_SCRATCH},   {"help", 0, NULL, 'h'},
		{"deadline", 1, NULL, OPT_DEADLINE}, {"eval-text", 1, NULL, OPT_EVAL_TEXT},
		{NULL, 0, NULL, 0}};
	int c;
	bool ok = true;
	optind = 1;
	while (ok && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o->run.endpoints = optarg, o->endpoints_source = "--endpoints"; break;
		case 'j': ok = cli_parse_long("--jobs", optarg, 1, 1024, &o->jobs); break;
		case 'n': o->dry_run = true; break;
		case 'l': ok = cli_parse_long("--limit", optarg, 0, 100000000, &o->limit); break;
		case OPT_KEEP: o->run.keep_checkpoints = true; break;
		case OPT_DEMO: o->model_set = MODEL_SET_DEMO; break;
		case OPT_PAPER: o->model_set = MODEL_SET_PAPER; break;
		case OPT_SSH: o->run.sshloginfile = optarg; break;
		case OPT_RESULTS: o->results = optarg; break;
		case OPT_REPORTS: o->reports = optarg; break;
		case OPT_PLOTS: o->plots = optarg; break;
		case OPT_RETRIES: ok = cli_parse_long("--retries", optarg, 0, 100, &o->retries); break;
		case OPT_METHOD: o->score_method = optarg; break;
		case OPT_NSAMPLES: ok = cli_parse_long("--nsamples", optarg, 1, 100000, &o->nsamples); break;
		case OPT_SEQLEN: ok = cli_parse_long("--seqlen", optarg, 2, 1 << 20, &o->seqlen); break;
		case OPT_CALIB: o->calib = optarg; break;
		case OPT_SCRATCH: o->run.scratch = optarg; break;
		case OPT_EVAL_TEXT: o->eval_text = optarg; break;
		case OPT_DEADLINE: {
			double seconds;
			ok = cli_parse_double("--deadline", optarg, 1, 1e7, &seconds);
			o->deadline = optarg;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_usage_error("run: bad option (see --help)");
		}
	}
	if (!ok)
		return 2;
	if (optind != argc - 1)
		return cli_usage_error("run: expected one EXPERIMENT file (see --help)");
	if (strcmp(o->score_method, "deltaloss") != 0 && strcmp(o->score_method, "proxy") != 0)
		return cli_usage_error("run: --score-method takes deltaloss or proxy");
	o->experiment = argv[optind];
	return -1;
}

static void defaults(struct run_cli *o)
{
	memset(o, 0, sizeof *o);
	o->results = "results";
	o->reports = "reports";
	o->plots = "plots";
	o->model_set = -1;
	o->retries = 2;
	o->nsamples = 16;
	o->seqlen = 256;
	o->score_method = "deltaloss";
	o->calib = "experiments/calibration/default.txt";
	o->run.scratch = "scratch";
	o->model_root = getenv("MODEL_ROOT");
	o->shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	const char *env = getenv("ENDPOINTS"), *limit = getenv("LIMIT");
	o->run.endpoints = env && *env ? env : NULL;
	o->endpoints_source = "ENDPOINTS";
	o->limit = limit ? atol(limit) : 0;
}

/* The paper's models when there is somewhere to run them (or only a plan is wanted). */
static enum model_set choose_set(const struct run_cli *o)
{
	if (o->model_set >= 0)
		return (enum model_set)o->model_set;
	bool remote = o->run.endpoints && strcmp(o->run.endpoints, "local") != 0;
	return (o->model_root && *o->model_root) || remote || o->dry_run ? MODEL_SET_PAPER
									 : MODEL_SET_DEMO;
}

/* One run of an experiment at a time: a lock file under results/<name>/. Close-on-exec:
 * GNU Parallel runs each job in its own process group, so the jobs of a run killed with
 * its group live on as orphans; had they inherited the lock, no run could resume until
 * they ended. They are kept from racing the resumed run by their per-key job lock
 * (runner.c) instead. */
static int take_lock(const char *results, const char *name, int *fd, struct bb_error *err)
{
	*fd = -1;
	char *path = str_printf(err, "%s/%s/.lock", results, name);
	if (!path)
		return BB_ENOMEM;
	int rc = 0;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		rc = bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	else if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		rc = bb_fail(err, BB_EINVAL, "another 'bitbudget run' of %s is in progress (%s)",
			     name, path);
	free(path);
	return rc;
}

static int report(const struct run_cli *o, const struct experiment *e, const struct plan *p,
		  struct bb_error *err)
{
	struct report *r = calloc(1, sizeof *r);
	struct plot_data *d = calloc(1, sizeof *d);
	int rc = r && d ? report_collect(r, e, p, (int)o->limit, err)
			: bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc) /* everything the pictures show, before anything is written */
		rc = plots_collect(d, r, p, o->plots, err);
	if (!rc) {
		rc = make_dirs(o->reports) == 0
			     ? report_write(r, o->reports, err)
			     : bb_fail(err, errno == ENOTDIR ? BB_EINVAL : BB_EIO,
				       "--reports '%s': cannot create the folder: %s", o->reports,
				       strerror(errno));
	}
	if (!rc)
		rc = plots_write(r, d, o->plots, err);
	if (!rc) {
		fprintf(stderr, "run: wrote %s/%s.{md,csv,tex} and plots under %s/\n", o->reports,
			e->name, o->plots);
		report_markdown(r, stdout);
	}
	plot_data_free(d);
	free(d);
	report_free(r);
	free(r);
	return rc;
}

static int execute(struct run_cli *o, struct experiment *e, struct plan_settings *s,
		   struct plan *p, struct bb_error *err)
{
	int rc = plan_build(p, e, s, err);
	if (rc || o->dry_run) {
		if (!rc)
			plan_print(p, e, stdout);
		return rc;
	}
	if (o->report_only)
		return report(o, e, p, err);
	plan_print(p, e, stderr);
	runner_catch_signals(); /* Ctrl-C: stop the jobs, release the lock, exit 130 */
	int lock = -1;
	rc = take_lock(o->results, e->name, &lock, err);
	bool scoring = plan_pending(p, PLAN_SCORES) > 0;
	if (!rc && scoring)
		rc = runner_run(p, PLAN_SCORES, e, s, &o->run, err);
	if (!rc && scoring)
		rc = plan_add_scores(p, e, s, err); /* the sensitivity recipes, now they can be */
	if (!rc && plan_pending(p, PLAN_EVAL) + plan_pending(p, PLAN_KLD))
		rc = runner_run(p, PLAN_EVAL, e, s, &o->run, err); /* the kld jobs with them */
	if (!rc)
		plan_collect(p);
	if (!rc && plan_pending(p, PLAN_EVAL) + plan_pending(p, PLAN_KLD))
		rc = bb_fail(err, BB_EIO, "%d evaluations and %d kld jobs have no result; rerun to "
			     "resume", plan_pending(p, PLAN_EVAL), plan_pending(p, PLAN_KLD));
	if (!rc && runner_stop_signal())
		rc = bb_fail(err, BB_EIO, "stopped by %s; finished jobs are cached, rerun to resume",
			     runner_stop_signal() == SIGINT ? "SIGINT" : "SIGTERM");
	if (!rc)
		rc = report(o, e, p, err);
	if (lock >= 0)
		close(lock);
	return rc;
}

int run_or_report(int argc, char **argv, bool report_only)
{
	struct run_cli o;
	defaults(&o);
	o.report_only = report_only;
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	if (!o.run.endpoints)
		o.run.endpoints = "local";
	if (o.deadline) /* read by the evaluations the jobs start */
		setenv("BB_EVAL_DEADLINE", o.deadline, 1);
	/* The jobs' OpenMP threads sleep at a barrier instead of spinning (unless the user
	 * chose): the demo models' small matrices meet a barrier every few microseconds, and
	 * on a shared machine a spinning thread waits for one descheduled. Measured with 2
	 * threads on 2 busy cores: the demo evaluation of stories260K 60 s -> 5.8 s. */
	setenv("OMP_WAIT_POLICY", "passive", 0);
	o.run.jobs = (int)o.jobs;
	o.run.retries = (int)o.retries;
	struct bb_error err = {0};
	struct experiment e;
	struct plan p = {0};
	char version[256] = "?";
	struct endpoint_list endpoints;
	if (endpoint_list_parse(&endpoints, o.run.endpoints, o.endpoints_source, &err))
		return cli_print_error(&err);
	int rc = experiment_load(&e, o.experiment, choose_set(&o), o.model_root, o.shared, &err);
	if (!rc && o.eval_text)
		rc = experiment_set_eval_text(&e, o.eval_text, &err);
	if (!rc && e.measure_kld && !file_exists(e.eval_text))
		rc = bb_fail(&err, BB_EINVAL, "eval_text '%s': no such file (the held-out text KLD "
			     "is measured on; --eval-text FILE)", e.eval_text);
	if (rc && e.path) /* loaded, then refused */
		experiment_free(&e);
	if (rc) {
		endpoint_list_free(&endpoints);
		return cli_print_error(&err);
	}
	/* Part of every evaluation key: results from other endpoint software are not reused. */
	rc = endpoint_list_version(&endpoints, version, sizeof version, &err);
	endpoint_list_free(&endpoints);
	if (!rc || o.dry_run || report_only)
		fprintf(stderr, "run: %s: %s\n", e.name, e.set_note);
	if (rc && (o.dry_run || report_only)) {
		fprintf(stderr, "run: %s; cache status is shown as if nothing were done\n", err.msg);
		rc = 0;
	}
	struct plan_settings s = {o.results, (int)o.limit, version, o.score_method,
				  (int)o.nsamples, (int)o.seqlen, o.calib};
	if (!rc)
		rc = execute(&o, &e, &s, &p, &err);
	plan_free(&p);
	experiment_free(&e);
	if (rc && runner_stop_signal()) { /* as a shell reports a command killed by it */
		cli_print_error(&err);
		return 128 + runner_stop_signal();
	}
	return rc ? cli_print_error(&err) : 0;
}

int cmd_run(int argc, char **argv) { return run_or_report(argc, argv, false); }
