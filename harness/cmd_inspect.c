/*
 * cmd_inspect.c: `bitbudget inspect MODEL [--json] [--include-lm-head]`: the budget
 * inventory as a table (or JSON), with totals. Works on config-only folders too.
 * Never writes a file: the table goes to stdout.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "core/checkpoint.h"
#include "harness/cli.h"
#include "harness/commands.h"

struct inspect_opts {
	const char *model;
	bool json;
	bool include_lm_head;
};

static const char usage[] =
	"usage: bitbudget inspect MODEL [--json] [--include-lm-head]\n"
	"  MODEL              a Hugging Face folder (config.json, with or without weights)\n"
	"  --json             print JSON instead of a table\n"
	"  --include-lm-head  count lm_head in the budget set\n";

static int parse_args(struct inspect_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
						 {"include-lm-head", no_argument, NULL, 'l'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			o->json = true;
		else if (c == 'l')
			o->include_lm_head = true;
		else if (c == 'h')
			return fputs(usage, stdout), 0;
		else
			return cli_usage_error("inspect: bad option (see --help)");
	}
	if (optind != argc - 1)
		return cli_usage_error("inspect: expected one MODEL folder (see --help)");
	o->model = argv[optind];
	return -1;
}

static void print_table(const struct checkpoint *ck, const struct inventory *inv)
{
	const struct model_config *c = &ck->cfg;
	printf("model %s (%s, %d blocks, hidden %d, %s)\n", ck->dir, c->model_type, c->n_layers,
	       c->hidden_size, ck->has_weights ? "weights present" : "config only: planning mode");
	printf("%-40s %5s %-9s %7s %7s %12s\n", "layer", "block", "kind", "out", "in", "params");
	for (int i = 0; i < inv->n; i++) {
		const struct layer *l = &inv->layers[i];
		printf("%-40s %5d %-9s %7lld %7lld %12lld\n", l->name, l->block,
		       layer_kind_name(l->kind), (long long)l->out, (long long)l->in,
		       (long long)l->params);
	}
	printf("total: %d layers, %lld parameters in the budget set\n", inv->n,
	       (long long)inv->total_params);
}

static void print_json(const struct checkpoint *ck, const struct inventory *inv)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "model", ck->dir);
	cJSON_AddStringToObject(root, "model_type", ck->cfg.model_type);
	cJSON_AddBoolToObject(root, "has_weights", ck->has_weights);
	cJSON_AddNumberToObject(root, "n_layers", inv->n);
	cJSON_AddNumberToObject(root, "total_params", (double)inv->total_params);
	cJSON *layers = cJSON_AddArrayToObject(root, "layers");
	for (int i = 0; i < inv->n; i++)
		cJSON_AddItemToArray(layers, layer_json(&inv->layers[i]));
	char *text = cJSON_Print(root);
	puts(text);
	free(text);
	cJSON_Delete(root);
}

int cmd_inspect(int argc, char **argv)
{
	struct inspect_opts o = {0};
	int status = parse_args(&o, argc, argv);
	if (status >= 0)
		return status;
	struct bb_error err = {0};
	struct checkpoint ck;
	struct inventory inv;
	if (checkpoint_open(&ck, o.model, &err))
		return cli_print_error(&err);
	if (inventory_build(&inv, &ck, o.include_lm_head, &err)) {
		checkpoint_close(&ck);
		return cli_print_error(&err);
	}
	if (o.json)
		print_json(&ck, &inv);
	else
		print_table(&ck, &inv);
	inventory_free(&inv);
	checkpoint_close(&ck);
	return 0;
}
