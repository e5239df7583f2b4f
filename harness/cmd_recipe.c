/*
 * cmd_recipe.c: `bitbudget recipe`: inventory + options + budget (+ scores, pins, groups)
 * -> recipe, or one recipe per budget of a sweep (--avg-bits START:STOP:STEP).
 *
 * The steps: open the model (weights or config only), build the inventory, read the
 * scores and the pins, then per budget: set up the allocation problem, run the strategy,
 * turn its choice into a recipe with its manifest, write it (bitbudget form, or
 * AutoRound's layer_config with --export autoround). A summary goes to stderr. A sweep
 * computes every recipe before it writes any: it never leaves part of a sweep written.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "baselines/alloc_recipe.h"
#include "core/allocate.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/cli.h"
#include "harness/commands.h"

#define MAX_PINS 256
#define MAX_GROUPS 8
#define MAX_PIN_FILES 8
#define MAX_BUDGETS 1000

struct recipe_opts {
	const char *model, *strategy, *options, *scores, *output, *export_form, *avg_bits;
	double deadline;        /* seconds an external:CMD strategy may run; 0: its default */
	int accounting;         /* -1 until given */
	bool include_lm_head;
	int n_pins, n_pin_files, n_groups;
	const char *pin[MAX_PINS], *pin_file[MAX_PIN_FILES], *group[MAX_GROUPS];
};

/* What the options turn into, shared by every budget of a sweep. */
struct recipe_inputs {
	struct format options[RECIPE_MAX_OPTIONS];
	int n_options;
	struct alloc_pin *pins;   /* [n_pins] */
	int n_pins;
	struct alloc_group groups[MAX_GROUPS];
	int n_groups;
	int n_budgets;
	double budgets[MAX_BUDGETS];
};

static const char usage[] =
	"usage: bitbudget recipe --model MODEL --strategy S --options F1,F2[,..] --avg-bits B\n"
	"                        [--scores FILE] [-o FILE] [--export autoround]\n"
	"                        [--accounting weights|scales|scales+zp] [--count-scale-bits]\n"
	"                        [--pin REGEX=FORMAT]... [--pin-file FILE]... [--group K1,K2]...\n"
	"                        [--include-lm-head]\n"
	"  strategies: pure, head, tail, sensitivity (needs --scores), random:SEED, external:CMD\n"
	"  formats:    MXFP4, MXFP8, W<b>G<g> (symmetric), W<b>G<g>-asym, BF16\n"
	"  --avg-bits B          target average bits per weight over the budget set; START:STOP:STEP\n"
	"                        makes one recipe per budget (inclusive), e.g. 4.25:8:0.25\n"
	"  -o FILE               write the recipe there (atomically); default: stdout. \"{bits}\" in\n"
	"                        FILE becomes the budget; a folder gets <strategy>-<bits>.json\n"
	"  --accounting A        the convention the budget is in: weights (default, the published\n"
	"                        tables), scales (+ scale bits), scales+zp (+ scale and zero-point\n"
	"                        bits, AutoRound's default); --count-scale-bits = scales+zp\n"
	"  --pin REGEX=FORMAT    fix the layers whose names match REGEX (POSIX extended) to FORMAT;\n"
	"                        they still count in the budget\n"
	"  --pin-file FILE       one REGEX=FORMAT a line; blank lines and lines starting with # skipped\n"
	"  --group K1,K2,...     within each block these layer kinds share a format, e.g.\n"
	"                        q_proj,k_proj,v_proj or gate_proj,up_proj\n"
	"  --deadline SECONDS    an external:CMD strategy is killed after this long (default 60)\n";

enum { OPT_ACCOUNTING = 256, OPT_PIN, OPT_PIN_FILE, OPT_GROUP, OPT_DEADLINE };

/* Append value to a bounded list of option values. */
static bool push(const char **list, int *n, int max, const char *value, const char *option)
{
	if (*n == max) {
		cli_usage_error("recipe: more than %d %s", max, option);
		return false;
	}
	list[(*n)++] = value;
	return true;
}

static bool take_option(struct recipe_opts *o, int c)
{
	switch (c) {
	case 'm': o->model = optarg; return true;
	case 's': o->strategy = optarg; return true;
	case 'O': o->options = optarg; return true;
	case 'S': o->scores = optarg; return true;
	case 'o': o->output = optarg; return true;
	case 'e': o->export_form = optarg; return true;
	case 'b': o->avg_bits = optarg; return true;
	case 'l': o->include_lm_head = true; return true;
	case 'c': o->accounting = ACCOUNT_SCALES_ZP; return true;
	case OPT_ACCOUNTING:
		o->accounting = accounting_parse(optarg);
		if (o->accounting >= 0 && o->accounting != ACCOUNT_GGUF)
			return true;
		cli_usage_error("recipe: --accounting takes weights, scales or scales+zp, not '%s'",
				optarg);
		return false;
	case OPT_PIN: return push(o->pin, &o->n_pins, MAX_PINS, optarg, "--pin");
	case OPT_PIN_FILE: return push(o->pin_file, &o->n_pin_files, MAX_PIN_FILES, optarg, "--pin-file");
	case OPT_GROUP: return push(o->group, &o->n_groups, MAX_GROUPS, optarg, "--group");
	case OPT_DEADLINE: return cli_parse_double("--deadline", optarg, 0.001, 1e6, &o->deadline);
	default: cli_usage_error("recipe: bad option (see --help)"); return false;
	}
}

static int parse_args(struct recipe_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},   {"strategy", required_argument, NULL, 's'},
		{"options", required_argument, NULL, 'O'}, {"avg-bits", required_argument, NULL, 'b'},
		{"scores", required_argument, NULL, 'S'},  {"output", required_argument, NULL, 'o'},
		{"export", required_argument, NULL, 'e'},  {"count-scale-bits", no_argument, NULL, 'c'},
		{"include-lm-head", no_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
		{"accounting", required_argument, NULL, OPT_ACCOUNTING},
		{"pin", required_argument, NULL, OPT_PIN},
		{"pin-file", required_argument, NULL, OPT_PIN_FILE},
		{"group", required_argument, NULL, OPT_GROUP},
		{"deadline", required_argument, NULL, OPT_DEADLINE}, {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), 0;
		if (!take_option(o, c))
			return 2;
	}
	if (optind != argc)
		return cli_usage_error("recipe: unexpected argument '%s'", argv[optind]);
	if (!o->model || !o->strategy || !o->options || !o->avg_bits)
		return cli_usage_error("recipe: --model, --strategy, --options and --avg-bits are required");
	if (o->export_form && strcmp(o->export_form, "autoround") != 0)
		return cli_usage_error("recipe: --export takes 'autoround'");
	if (o->accounting < 0)
		o->accounting = ACCOUNT_WEIGHTS;
	return -1;
}

// ---- inputs ----

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

/* "B" or "START:STOP:STEP" (inclusive; each budget rounded to 1e-9 so that decimal steps
 * give decimal budgets). */
static int parse_budgets(const char *text, struct recipe_inputs *in, struct bb_error *err)
{
	double v[3];
	int colons = 0;
	for (const char *c = text; *c; c++)
		colons += *c == ':';
	if (colons != 0 && colons != 2)
		return bb_fail(err, BB_EINVAL, "--avg-bits: '%s' is not B or START:STOP:STEP", text);
	const char *at = text;
	for (int i = 0; i <= colons; i++) {
		size_t len = strcspn(at, ":");
		if (!cli_number(at, len, &v[i]) || !(v[i] >= 0 && v[i] <= 64))
			return bb_fail(err, BB_EINVAL, "--avg-bits: '%.*s' is not a number in [0, 64]",
				       (int)len, at);
		at += len + 1;
	}
	if (colons == 0)
		return (in->budgets[0] = v[0], in->n_budgets = 1, 0);
	if (!(v[2] > 0) || v[1] < v[0])
		return bb_fail(err, BB_EINVAL, "--avg-bits: '%s' is not START:STOP:STEP with STEP > 0 "
			       "and STOP >= START", text);
	double count = (v[1] - v[0]) / v[2] + 1e-9;
	if (count >= MAX_BUDGETS)
		return bb_fail(err, BB_EINVAL, "--avg-bits: '%s' makes more than %d budgets", text,
			       MAX_BUDGETS);
	in->n_budgets = (int)count + 1;
	for (int i = 0; i < in->n_budgets; i++)
		in->budgets[i] = round((v[0] + i * v[2]) * 1e9) / 1e9;
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* One REGEX=FORMAT a line; blank lines and lines whose first non-blank is '#' skipped. */
static int read_pin_file(const char *path, struct recipe_inputs *in, struct bb_error *err)
{
	char *text = NULL;
	int rc = read_file(path, &text, NULL, err), line = 0;
	for (char *l = rc ? NULL : text, *next; l && *l && !rc; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		line++;
		l = trim(l);
		struct bb_error inner;
		if (!*l || *l == '#')
			continue;
		if (in->n_pins == MAX_PINS)
			rc = bb_fail(err, BB_EINVAL, "'%s': more than %d pins", path, MAX_PINS);
		else if (alloc_pin_parse(&in->pins[in->n_pins++], l, &inner))
			rc = bb_fail(err, BB_EINVAL, "'%s' line %d: %s", path, line, inner.msg);
	}
	free(text);
	return rc;
}

static int read_inputs(const struct recipe_opts *o, struct recipe_inputs *in,
		       struct bb_error *err)
{
	int rc = parse_option_list(o->options, in->options, &in->n_options, err);
	if (!rc)
		rc = parse_budgets(o->avg_bits, in, err);
	in->pins = calloc(MAX_PINS, sizeof *in->pins);
	if (!rc && !in->pins)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; !rc && i < o->n_pins; i++)
		rc = alloc_pin_parse(&in->pins[in->n_pins++], o->pin[i], err);
	for (int i = 0; !rc && i < o->n_pin_files; i++)
		rc = read_pin_file(o->pin_file[i], in, err);
	for (int i = 0; !rc && i < o->n_groups; i++)
		rc = alloc_group_parse(&in->groups[in->n_groups++], o->group[i], err);
	return rc;
}

// ---- output ----

static void print_summary(const struct recipe *r, const struct inventory *inv)
{
	fprintf(stderr, "%s: %d layers, target %.4f, achieved %.4f average bits (%s)\n",
		r->strategy, r->n_layers, r->target_avg_bits, r->achieved_avg_bits,
		r->accounting == ACCOUNT_WEIGHTS ? "weights only" : accounting_name(r->accounting));
	fprintf(stderr, "  average bits:");
	for (int a = 0; a < ACCOUNT_COUNT; a++)
		if (r->avg_bits[a] >= 0)
			fprintf(stderr, " %s %.4f%s", accounting_name(a), r->avg_bits[a],
				a + 1 < ACCOUNT_COUNT ? "," : "\n");
		else
			fprintf(stderr, " %s n/a%s", accounting_name(a), a + 1 < ACCOUNT_COUNT ? "," : "\n");
	for (int k = 0; k < r->n_options; k++) {
		int64_t params = 0;
		int count = 0;
		for (int i = 0; i < r->n_layers; i++)
			if (!r->layers[i].fixed && !r->layers[i].pinned &&
			    strcmp(r->layers[i].weight.name, r->options[k].name) == 0)
				count++, params += inv->layers[i].params;
		fprintf(stderr, "  %-12s %4d layers  %5.1f%% of parameters\n", r->options[k].name,
			count, 100.0 * (double)params / (double)inv->total_params);
	}
	int pinned = 0;
	for (int i = 0; i < r->n_layers; i++) {
		pinned += r->layers[i].pinned;
		if (r->layers[i].fixed)
			fprintf(stderr, "  kept BF16: %s (in_features %lld does not fit the blocks)\n",
				r->layers[i].name, (long long)inv->layers[i].in);
	}
	if (pinned)
		fprintf(stderr, "  pinned: %d layers\n", pinned);
}

static bool is_folder(const char *path)
{
	struct stat st;
	size_t n = strlen(path);
	return (n && path[n - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* The strategy in a file name: external:CMD as "external" (a command is no file name),
 * random:SEED as "random-SEED" (so that seeds do not overwrite each other). */
static void add_strategy_stem(struct strbuf *out, const char *strategy)
{
	strbuf_add(out, strategy, strcspn(strategy, ":"));
	if (strncmp(strategy, "random:", 7) == 0)
		strbuf_addf(out, "-%s", strategy + 7);
}

/* Where the recipe of budget `bits` goes: "{bits}" replaced, or <folder>/<strategy>-<bits>.json,
 * or the file itself; NULL for stdout. Of any length (the kernel names a path too long). */
static char *output_path(const struct recipe_opts *o, double bits)
{
	if (!o->output)
		return NULL;
	char b[32]; /* "%g" of a double: 13 bytes at most */
	snprintf(b, sizeof b, "%g", bits);
	struct strbuf out = {0};
	if (is_folder(o->output)) {
		size_t n = strlen(o->output);
		strbuf_add(&out, o->output, n && o->output[n - 1] == '/' ? n - 1 : n);
		strbuf_addc(&out, '/');
		add_strategy_stem(&out, o->strategy);
		strbuf_addf(&out, "-%s.json", b);
		return strbuf_take(&out);
	}
	for (const char *s = o->output, *at; *s; s = at + 6) {
		at = strstr(s, "{bits}");
		strbuf_add(&out, s, at ? (size_t)(at - s) : strlen(s));
		if (!at)
			break;
		strbuf_adds(&out, b);
	}
	return strbuf_take(&out);
}

static int emit(const struct recipe_opts *o, const struct recipe *r, const char *path,
		struct bb_error *err)
{
	if (!o->export_form && path)
		return recipe_write(r, path, err);
	cJSON *json = o->export_form ? recipe_to_autoround(r) : recipe_to_json(r);
	char *text = cJSON_Print(json);
	cJSON_Delete(json);
	int rc = 0;
	if (path)
		rc = write_file_atomic(path, text, strlen(text), err);
	else
		puts(text);
	free(text);
	return rc;
}

// ---- the command ----

static int make_recipes(const struct recipe_opts *o, const struct checkpoint *ck,
			const struct inventory *inv, const struct scores *sc,
			const struct recipe_inputs *in, struct bb_error *err)
{
	struct alloc_request req = {
		.inv = inv, .ck = ck, .model = o->model, .options = in->options,
		.n_options = in->n_options, .accounting = (enum bit_accounting)o->accounting,
		.scores = sc, .strategy = o->strategy, .pins = in->pins, .n_pins = in->n_pins,
		.groups = in->groups, .n_groups = in->n_groups, .strategy_deadline_s = o->deadline};
	struct recipe *r = calloc((size_t)in->n_budgets, sizeof *r);
	int rc = r ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	for (int b = 0; !rc && b < in->n_budgets; b++) {
		req.target_avg_bits = in->budgets[b];
		rc = alloc_recipe(&req, &r[b], err);
		if (rc && in->n_budgets > 1) {
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			bb_fail(err, rc, "--avg-bits %g: %.480s", in->budgets[b], why);
		}
	}
	for (int b = 0; !rc && b < in->n_budgets; b++) {
		char *path = output_path(o, in->budgets[b]);
		print_summary(&r[b], inv);
		rc = emit(o, &r[b], path, err);
		if (!rc && path && in->n_budgets > 1)
			fprintf(stderr, "  -> %s\n", path);
		free(path);
	}
	for (int b = 0; r && b < in->n_budgets; b++)
		recipe_free(&r[b]);
	free(r);
	return rc;
}

/* A sweep writes several files: -o must say where each goes, and no two budgets may go
 * to the same file ("%g" keeps six significant digits, so 4.0000001 and 4.0000002 would
 * both be "4", and the second recipe would silently replace the first). Each file it names
 * must be one that may be written (not a folder or a block device), checked before any work. */
static int check_output(const struct recipe_opts *o, const struct recipe_inputs *in,
			struct bb_error *err)
{
	if (in->n_budgets > 1 && (!o->output || (!strstr(o->output, "{bits}") && !is_folder(o->output))))
		return bb_fail(err, BB_EINVAL,
			       "a sweep writes one recipe per budget: give -o a pattern with {bits} "
			       "or a folder");
	char **paths = calloc((size_t)in->n_budgets, sizeof *paths);
	int rc = paths ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	for (int b = 0; !rc && o->output && b < in->n_budgets; b++) {
		if (!(paths[b] = output_path(o, in->budgets[b])))
			rc = bb_fail(err, BB_ENOMEM, "out of memory");
		for (int a = 0; !rc && a < b; a++)
			if (strcmp(paths[a], paths[b]) == 0)
				rc = bb_fail(err, BB_EINVAL, "--avg-bits: budgets %.17g and %.17g would both "
					     "be written to '%s'", in->budgets[a], in->budgets[b], paths[b]);
		if (!rc)
			rc = output_check_file(paths[b], err);
	}
	for (int b = 0; paths && b < in->n_budgets; b++)
		free(paths[b]);
	free(paths);
	return rc;
}

int cmd_recipe(int argc, char **argv)
{
	struct recipe_opts o = {.accounting = -1};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct checkpoint ck = {0};
	struct inventory inv = {0};
	struct scores sc = {0};
	struct recipe_inputs *in = calloc(1, sizeof *in);
	int rc = in ? read_inputs(&o, in, &err) : bb_fail(&err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = check_output(&o, in, &err);
	if (!rc)
		rc = checkpoint_open(&ck, o.model, &err);
	if (!rc)
		rc = inventory_build(&inv, &ck, o.include_lm_head, &err);
	if (!rc && o.scores)
		rc = scores_read(&sc, o.scores, &err);
	if (!rc && o.scores)
		rc = scores_check_layers(&sc, &inv, o.scores, &err);
	if (!rc)
		rc = make_recipes(&o, &ck, &inv, o.scores ? &sc : NULL, in, &err);
	scores_free(&sc);
	inventory_free(&inv);
	checkpoint_close(&ck);
	if (in)
		free(in->pins);
	free(in);
	return rc ? cli_print_error(&err) : 0;
}
