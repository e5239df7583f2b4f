/*
 * cmd_recipe.c: `bitbudget recipe`: inventory + options + budget (+ scores) -> recipe.
 *
 * The steps: open the model (weights or config only), build the inventory, set up the
 * allocation problem, run the strategy, turn its choice into a recipe, write it (bitbudget
 * form, or AutoRound's layer_config with --export autoround). A summary goes to stderr.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core/allocate.h"
#include "core/fileio.h"
#include "harness/cli.h"
#include "harness/commands.h"

struct recipe_opts {
	const char *model, *strategy, *options, *scores, *output, *export_form;
	double avg_bits;
	bool have_avg_bits, count_scale_bits, include_lm_head;
};

static const char usage[] =
	"usage: bitbudget recipe --model MODEL --strategy S --options F1,F2[,..] --avg-bits B\n"
	"                        [--scores FILE] [-o FILE] [--export autoround]\n"
	"                        [--count-scale-bits] [--include-lm-head]\n"
	"  strategies: pure, head, tail, sensitivity (needs --scores), external:CMD\n"
	"  formats:    MXFP4, MXFP8, W<b>G<g> (symmetric), W<b>G<g>-asym, BF16\n"
	"  --avg-bits  target average bits per weight over the budget set\n"
	"  -o FILE     write the recipe there (atomically); default: stdout\n";

static int parse_args(struct recipe_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},   {"strategy", required_argument, NULL, 's'},
		{"options", required_argument, NULL, 'O'}, {"avg-bits", required_argument, NULL, 'b'},
		{"scores", required_argument, NULL, 'S'},  {"output", required_argument, NULL, 'o'},
		{"export", required_argument, NULL, 'e'},  {"count-scale-bits", no_argument, NULL, 'c'},
		{"include-lm-head", no_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 's': o->strategy = optarg; break;
		case 'O': o->options = optarg; break;
		case 'S': o->scores = optarg; break;
		case 'o': o->output = optarg; break;
		case 'e': o->export_form = optarg; break;
		case 'c': o->count_scale_bits = true; break;
		case 'l': o->include_lm_head = true; break;
		case 'b':
			if (!cli_parse_double("--avg-bits", optarg, 0.0, 64.0, &o->avg_bits))
				return 2;
			o->have_avg_bits = true;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return cli_usage_error("recipe: bad option (see --help)");
		}
	}
	if (optind != argc)
		return cli_usage_error("recipe: unexpected argument '%s'", argv[optind]);
	if (!o->model || !o->strategy || !o->options || !o->have_avg_bits)
		return cli_usage_error("recipe: --model, --strategy, --options and --avg-bits are required");
	if (o->export_form && strcmp(o->export_form, "autoround") != 0)
		return cli_usage_error("recipe: --export takes 'autoround'");
	return -1;
}

/* "MXFP4,MXFP8" -> formats. */
static int parse_option_list(const char *list, struct format *out, int *n, struct bb_error *err)
{
	char *copy = strdup(list), *save = NULL;
	*n = 0;
	int rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		if (*n == RECIPE_MAX_OPTIONS)
			rc = bb_fail(err, BB_EINVAL, "at most %d options", RECIPE_MAX_OPTIONS);
		else
			rc = format_parse(&out[(*n)++], tok, err);
	}
	if (!rc && *n == 0)
		rc = bb_fail(err, BB_EINVAL, "--options is empty");
	free(copy);
	return rc;
}

static void print_summary(const struct recipe *r, const struct inventory *inv)
{
	fprintf(stderr, "%s: %d layers, target %.4f, achieved %.4f average bits (%s)\n",
		r->strategy, r->n_layers, r->target_avg_bits, r->achieved_avg_bits,
		r->count_scale_bits ? "scale bits counted" : "weights only");
	for (int k = 0; k < r->n_options; k++) {
		int64_t params = 0;
		int count = 0;
		for (int i = 0; i < r->n_layers; i++)
			if (!r->layers[i].fixed && strcmp(r->layers[i].weight.name, r->options[k].name) == 0)
				count++, params += inv->layers[i].params;
		fprintf(stderr, "  %-12s %4d layers  %5.1f%% of parameters\n", r->options[k].name,
			count, 100.0 * (double)params / (double)inv->total_params);
	}
	for (int i = 0; i < r->n_layers; i++)
		if (r->layers[i].fixed)
			fprintf(stderr, "  kept BF16: %s (in_features %lld does not fit the blocks)\n",
				r->layers[i].name, (long long)inv->layers[i].in);
}

static int emit(const struct recipe_opts *o, const struct recipe *r, struct bb_error *err)
{
	if (!o->export_form && o->output)
		return recipe_write(r, o->output, err);
	cJSON *json = o->export_form ? recipe_to_autoround(r) : recipe_to_json(r);
	char *text = cJSON_Print(json);
	cJSON_Delete(json);
	int rc = 0;
	if (o->output)
		rc = write_file_atomic(o->output, text, strlen(text), err);
	else
		puts(text);
	free(text);
	return rc;
}

static int make_recipe(const struct recipe_opts *o, const struct inventory *inv,
		       const struct scores *sc, struct bb_error *err)
{
	struct format options[RECIPE_MAX_OPTIONS];
	int n_options;
	struct recipe r = {0};
	int rc = parse_option_list(o->options, options, &n_options, err);
	if (!rc)
		rc = alloc_recipe(inv, options, n_options,
				  o->count_scale_bits ? ACCOUNT_SCALES : ACCOUNT_WEIGHTS, o->avg_bits,
				  sc, o->strategy, o->model, &r, err);
	if (!rc) {
		print_summary(&r, inv);
		rc = emit(o, &r, err);
	}
	recipe_free(&r);
	return rc;
}

int cmd_recipe(int argc, char **argv)
{
	struct recipe_opts o = {0};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct checkpoint ck = {0};
	struct inventory inv = {0};
	struct scores sc = {0};
	int rc = checkpoint_open(&ck, o.model, &err);
	if (!rc)
		rc = inventory_build(&inv, &ck, o.include_lm_head, &err);
	if (!rc && o.scores)
		rc = scores_read(&sc, o.scores, &err);
	if (!rc)
		rc = make_recipe(&o, &inv, o.scores ? &sc : NULL, &err);
	scores_free(&sc);
	inventory_free(&inv);
	checkpoint_close(&ck);
	return rc ? cli_report(&err) : 0;
}
