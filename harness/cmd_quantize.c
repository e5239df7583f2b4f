/*
 * cmd_quantize.c: `bitbudget quantize --model M --recipe R --out DIR [--threads N]
 * [--force] [--nonfinite error|passthrough]`.
 *
 * Loads the recipe (bitbudget's form or AutoRound's layer_config), checks it against the
 * model (and, unless --force, that its manifest names this model), and writes the
 * fake-quantized checkpoint atomically. Ctrl-C stops at the next work unit; it never
 * leaves a partial checkpoint under DIR. Progress goes to stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/quantize.h"
#include "harness/cli.h"
#include "harness/commands.h"

struct quantize_cli_opts {
	const char *model, *recipe, *out;
	long threads;
	bool force, nonfinite_passthrough;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char usage[] =
	"usage: bitbudget quantize --model MODEL --recipe RECIPE --out DIR [--threads N]\n"
	"                          [--force] [--nonfinite error|passthrough]\n"
	"  writes a fake-quantized copy of MODEL to DIR (which must not exist or be empty)\n"
	"  --force           apply a recipe whose manifest names another model\n"
	"  --nonfinite M     a NaN or Inf in a weight to quantize: error (default) names the\n"
	"                    tensor and index; passthrough quantizes it as AutoRound would\n";

static int parse_args(struct quantize_cli_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'}, {"recipe", required_argument, NULL, 'r'},
		{"out", required_argument, NULL, 'o'},   {"threads", required_argument, NULL, 't'},
		{"force", no_argument, NULL, 'f'},       {"nonfinite", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'r': o->recipe = optarg; break;
		case 'o': o->out = optarg; break;
		case 't':
			if (!cli_parse_long("--threads", optarg, 1, 1024, &o->threads))
				return 2;
			break;
		case 'f': o->force = true; break;
		case 'n':
			if (strcmp(optarg, "error") && strcmp(optarg, "passthrough"))
				return cli_usage_error("quantize: --nonfinite takes error or passthrough, "
						       "not '%s'", optarg);
			o->nonfinite_passthrough = !strcmp(optarg, "passthrough");
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_usage_error("quantize: bad option (see --help)");
		}
	}
	if (optind != argc || !o->model || !o->recipe || !o->out)
		return cli_usage_error("quantize: --model, --recipe and --out are required");
	return -1;
}

struct quantize_progress {
	time_t start, last;
	int tty;
};

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct quantize_progress *p = ctx;
	time_t now = time(NULL);
	if (now == p->last && done < total)
		return;
	p->last = now;
	double mb = (double)done / 1e6, secs = difftime(now, p->start);
	fprintf(stderr, "%squantize: %.0f / %.0f MB (%.0f%%)%s", p->tty ? "\r" : "", mb,
		(double)total / 1e6, total ? 100.0 * (double)done / (double)total : 100.0,
		p->tty ? "" : "\n");
	(void)secs;
}

int cmd_quantize(int argc, char **argv)
{
	struct quantize_cli_opts o = {0};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct checkpoint ck = {0};
	struct inventory inv = {0};
	struct recipe r = {0};
	int rc = checkpoint_open(&ck, o.model, &err);
	if (!rc)
		rc = inventory_build(&inv, &ck, false, &err);
	if (!rc)
		rc = recipe_read(&r, o.recipe, &err);
	/* A recipe that names lm_head was made with --include-lm-head. */
	if (!rc && recipe_find(&r, "lm_head")) {
		inventory_free(&inv);
		rc = inventory_build(&inv, &ck, true, &err);
	}
	if (!rc && !o.force)
		rc = cli_check_recipe_checkpoint(&r, o.recipe, &ck, &err);
	struct quantize_progress prog = {time(NULL), 0, isatty(2)};
	struct quantize_opts qo = {(int)o.threads, &interrupted, show_progress, &prog,
				   o.nonfinite_passthrough};
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!rc)
		rc = quantize_checkpoint(&ck, &inv, &r, o.out, &qo, &err);
	if (prog.tty)
		fputc('\n', stderr);
	if (!rc)
		fprintf(stderr, "quantize: wrote %s (%d layers, %s)\n", o.out, r.n_layers,
			r.strategy[0] ? r.strategy : "recipe");
	recipe_free(&r);
	inventory_free(&inv);
	checkpoint_close(&ck);
	return rc ? cli_print_error(&err) : 0;
}
