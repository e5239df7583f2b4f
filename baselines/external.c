/*
 * external.c: "external:CMD": a strategy written in any language.
 *
 * CMD runs under /bin/sh with the problem as JSON on stdin (model, options, target and
 * budget, and per layer its name, block, kind, shape, parameters, fixed flag, bit cost
 * per option and scores when given, its item: layers of one item must share a format) and
 * must print a recipe on stdout: bitbudget's recipe form, or just {"layers": {"name":
 * "MXFP8", ...}}. Whatever it returns is checked like any untrusted input: every layer
 * exactly once, known formats among the options, fixed and pinned layers at their
 * format, items alike, budget respected. The protocol is in docs/formats.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "baselines/strategies.h"

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

/* Run cmd with input on stdin; return its stdout (malloc'd) or NULL with err set. */
static char *run_command(const char *cmd, const char *input, struct bb_error *err)
{
	char in_path[] = "/tmp/bitbudget-external-XXXXXX";
	int fd = mkstemp(in_path);
	if (fd < 0) {
		bb_fail(err, BB_EIO, "external strategy: cannot create a temporary file");
		return NULL;
	}
	size_t len = strlen(input);
	int ok = write(fd, input, len) == (ssize_t)len;
	close(fd);
	char *line = malloc(strlen(cmd) + sizeof in_path + 16);
	sprintf(line, "(%s) < '%s'", cmd, in_path);
	FILE *f = ok ? popen(line, "r") : NULL;
	free(line);
	size_t cap = 1 << 16, n = 0;
	char *out = f ? malloc(cap) : NULL;
	while (out) {
		n += fread(out + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		char *bigger = realloc(out, cap *= 2);
		if (!bigger)
			free(out);
		out = bigger;
	}
	int status = f ? pclose(f) : -1;
	unlink(in_path);
	if (!out || status != 0) {
		bb_fail(err, BB_EINVAL, "external strategy '%s' failed (exit status %d)", cmd,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		free(out);
		return NULL;
	}
	out[n] = 0;
	return out;
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
	char *output = input ? run_command(p->arg, input, err) : NULL;
	free(input);
	if (!output)
		return err->code ? err->code : bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON *json = cJSON_Parse(output);
	free(output);
	char what[300];
	snprintf(what, sizeof what, "external strategy '%.200s'", p->arg);
	struct recipe r;
	int rc;
	if (!json) {
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
	cJSON_Delete(json);
	return rc ? BB_EINVAL : 0;
}

const struct strategy strategy_external = {
	"external:CMD", "any program: problem JSON on stdin, recipe JSON on stdout", false,
	allocate_external, "an external program; its answer checked against the problem"};
