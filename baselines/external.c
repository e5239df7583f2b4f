/*
 * external.c: "external:CMD": a strategy written in any language.
 *
 * CMD is split into words by spawn_split_command (core/spawn.h: blanks separate words,
 * '...' and "..." quote, no shell) and run from that argv, within a deadline and an
 * output cap, with the problem as JSON on stdin (model, options, target and budget, and
 * per layer its name, block, kind, shape, parameters, fixed flag, bit cost
 * per option and scores when given, its item: layers of one item must share a format) and
 * must print a recipe on stdout: bitbudget's recipe form, or just {"layers": {"name":
 * "MXFP8", ...}}. Whatever it returns is checked like any untrusted input: every layer
 * exactly once, known formats among the options, fixed and pinned layers at their
 * format, items alike, budget respected. The protocol is in docs/formats.md.
 * Never runs CMD through a shell, and never trusts what it prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "baselines/strategies.h"
#include "core/spawn.h"
#include "core/strbuf.h"

/* A strategy answers in seconds (the exact knapsack itself takes milliseconds); one that
 * has not answered in a minute is stuck. --deadline SECONDS on `recipe` changes it. */
#define EXTERNAL_DEADLINE_S 60.0
/* A recipe of the largest model is tens of KiB; anything past this is not one. */
#define EXTERNAL_MAX_OUTPUT (16 << 20)

static cJSON *problem_layer_json(const struct alloc_problem *p, int i)
{
	int K = p->n_options;
	cJSON *e = layer_json(&p->inv->layers[i]);
	cJSON_AddBoolToObject(e, "fixed", p->fixed[i]);
	if (p->fixed[i])
		cJSON_AddStringToObject(e, "format", p->fixed_format[i].name);
	if (p->pin[i] >= 0)
		cJSON_AddTrueToObject(e, "pinned");
	if (!p->fixed[i])
		cJSON_AddNumberToObject(e, "item", p->item_of[i]);
	cJSON *cost = cJSON_AddObjectToObject(e, "cost_bits");
	for (int k = 0; k < K; k++)
		cJSON_AddNumberToObject(cost, p->options[k].name, (double)p->cost[(size_t)i * K + k]);
	if (p->loss && !p->fixed[i]) {
		cJSON *sc = cJSON_AddObjectToObject(e, "scores");
		for (int k = 0; k < K; k++)
			cJSON_AddNumberToObject(sc, p->options[k].name, p->loss[(size_t)i * K + k]);
	}
	return e;
}

static char *problem_json(const struct alloc_problem *p)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "model", p->model ? p->model : "");
	cJSON *opts = cJSON_AddArrayToObject(root, "options");
	for (int k = 0; k < p->n_options; k++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(p->options[k].name));
	cJSON_AddStringToObject(root, "accounting", accounting_name(p->accounting));
	cJSON_AddNumberToObject(root, "target_avg_bits", p->target_avg_bits);
	cJSON_AddNumberToObject(root, "budget_bits", (double)p->budget_bits);
	cJSON_AddNumberToObject(root, "total_params", (double)p->inv->total_params);
	cJSON *pins = cJSON_AddArrayToObject(root, "pins");
	cJSON *groups = cJSON_AddArrayToObject(root, "groups");
	for (int j = 0; p->req && j < p->req->n_pins; j++)
		cJSON_AddItemToArray(pins, cJSON_CreateString(p->req->pins[j].text));
	for (int g = 0; p->req && g < p->req->n_groups; g++)
		cJSON_AddItemToArray(groups, cJSON_CreateString(p->req->groups[g].text));
	cJSON *layers = cJSON_AddArrayToObject(root, "layers");
	for (int i = 0; i < p->inv->n; i++)
		cJSON_AddItemToArray(layers, problem_layer_json(p, i));
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

/* CMD's exit, its time and its output, each with one line saying which went wrong. */
static int check_outcome(const char *cmd, const struct spawn_result *r, double deadline,
			 struct bb_error *err)
{
	if (r->timed_out)
		return bb_fail(err, BB_EINVAL,
			       "external strategy '%.200s' ran past its deadline of %g s and was killed "
			       "(--deadline SECONDS)", cmd, deadline);
	if (r->output_too_big)
		return bb_fail(err, BB_EINVAL,
			       "external strategy '%.200s' printed more than %d MiB and was killed",
			       cmd, EXTERNAL_MAX_OUTPUT >> 20);
	if (r->status != 0)
		return bb_fail(err, BB_EINVAL, "external strategy '%.200s' failed (exit status %d)",
			       cmd, r->status);
	return 0;
}

/* Run cmd (split into argv, no shell) with input on stdin, in a process group of its own
 * so that the deadline or the cap kills whatever it started too; return its stdout
 * (malloc'd) or NULL with err set. */
static char *run_command(const char *cmd, const char *input, double deadline,
			 struct bb_error *err)
{
	char **argv;
	if (spawn_split_command(cmd, &argv, err)) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		bb_fail(err, BB_EINVAL, "external strategy: %s", why);
		return NULL;
	}
	struct spawn_opts o = {.stdin_data = input, .stdin_len = strlen(input),
			       .capture_stdout = true, .max_output = EXTERNAL_MAX_OUTPUT,
			       .deadline_s = deadline, .own_group = true};
	struct spawn_result r;
	int rc = spawn_run(argv, &o, &r, err);
	if (rc) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		bb_fail(err, BB_EINVAL, "external strategy: %s", why);
	}
	spawn_free_argv(argv);
	if (!rc)
		rc = check_outcome(cmd, &r, deadline, err);
	if (!rc && !r.out)
		r.out = strdup(""); /* it printed nothing: not valid JSON, said below */
	if (rc) {
		free(r.out);
		return NULL;
	}
	return r.out;
}

/* Accept {"layers": {"name": "MXFP8"}} as shorthand for {"weight": "MXFP8", "act": ...}. */
static void expand_shorthand(cJSON *root)
{
	cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers"), *e;
	cJSON_ArrayForEach(e, layers)
	{
		if (!cJSON_IsString(e))
			continue;
		struct format f;
		struct bb_error ignored;
		cJSON *obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "weight", e->valuestring);
		bool mx = format_parse(&f, e->valuestring, &ignored) == 0 &&
			  format_quantizes_activations(&f);
		cJSON_AddStringToObject(obj, "act", mx ? e->valuestring : "BF16");
		obj->string = strdup(e->string); /* the key is the item's, not the parent's */
		cJSON_ReplaceItemViaPointer(layers, e, obj);
		e = obj;
	}
}

static int allocate_external(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	char *input = problem_json(p);
	double deadline = p->req && p->req->strategy_deadline_s > 0 ? p->req->strategy_deadline_s
								     : EXTERNAL_DEADLINE_S;
	char *output = input ? run_command(p->arg, input, deadline, err) : NULL;
	free(input);
	if (!output)
		return err->code ? err->code : bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON *json = cJSON_Parse(output);
	free(output);
	char *what = str_printf(err, "external strategy '%s'", p->arg);
	struct recipe r;
	int rc;
	if (!what) {
		rc = BB_ENOMEM;
	} else if (!json) {
		rc = bb_fail(err, BB_EINVAL, "%s: output is not valid JSON", what);
	} else {
		expand_shorthand(json);
		rc = recipe_from_json(&r, json, what, err);
		if (!rc) {
			struct bb_error inner;
			rc = alloc_check_recipe(p, &r, choice, &inner);
			if (rc)
				bb_fail(err, BB_EINVAL, "%s: %.400s", what, inner.msg);
			recipe_free(&r);
		}
	}
	free(what);
	cJSON_Delete(json);
	return rc ? BB_EINVAL : 0;
}

const struct strategy strategy_external = {
	"external:CMD", "any program: problem JSON on stdin, recipe JSON on stdout", false,
	allocate_external, "an external program; its answer checked against the problem"};
