/*
 * manifest.c: the provenance every recipe carries (docs/formats.md, "manifest").
 *
 * What made the recipe, and nothing that changes between two runs on the same inputs: the
 * model's identity (config.json's SHA-256, each shard's size and header SHA-256), the
 * budget set, the options, the accounting, the budget, the strategy and its solver with
 * the objective it reached, the pins and groups, the scores' SHA-256 and how they were
 * computed, and the bitbudget version. No timestamps, no host names, no absolute paths
 * beyond the model path as given. It records what it is given and never looks a strategy
 * up (strategies live a floor up, in baselines/). Never prints, never exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest.h"

#include "core/fileio.h"
#include "core/hash.h"
#include "core/version.h"

// ---- the model ----

static cJSON *config_entry(const struct checkpoint *ck)
{
	cJSON *e = cJSON_CreateObject();
	char *path = path_join(ck->dir, "config.json"), *text = NULL, hex[SHA256_HEX_LEN];
	size_t len = 0;
	struct bb_error ignored;
	cJSON_AddStringToObject(e, "name", "config.json");
	if (path && read_file(path, &text, &len, &ignored) == 0) {
		sha256_hex(text, len, hex);
		cJSON_AddNumberToObject(e, "bytes", (double)len);
		cJSON_AddStringToObject(e, "sha256", hex);
	}
	free(text);
	free(path);
	return e;
}

/* A shard: its size and the SHA-256 of its 8-byte prefix and JSON header (names, dtypes,
 * shapes, offsets); the size catches appended or truncated data. */
static cJSON *shard_entry(const struct checkpoint *ck, int i)
{
	const struct st_file *f = &ck->files[i];
	char hex[SHA256_HEX_LEN];
	sha256_hex(f->map, 8 + f->header_len, hex);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", ck->file_names[i]);
	cJSON_AddNumberToObject(e, "bytes", (double)f->size);
	cJSON_AddStringToObject(e, "header_sha256", hex);
	return e;
}

static cJSON *model_json(const struct alloc_problem *p)
{
	const struct alloc_request *req = p->req;
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "name", p->model ? p->model : "");
	if (req && req->ck) {
		char id[SHA256_HEX_LEN];
		checkpoint_identity(req->ck, id);
		cJSON_AddStringToObject(m, "mode", req->ck->has_weights ? "weights" : "config only");
		cJSON_AddStringToObject(m, "identity", id);
		cJSON *files = cJSON_AddArrayToObject(m, "files");
		cJSON_AddItemToArray(files, config_entry(req->ck));
		for (int i = 0; i < req->ck->n_files; i++)
			cJSON_AddItemToArray(files, shard_entry(req->ck, i));
	}
	bool lm_head = false;
	for (int i = 0; i < p->inv->n; i++)
		lm_head |= p->inv->layers[i].kind == LK_LM_HEAD;
	cJSON *set = cJSON_AddObjectToObject(m, "budget_set");
	cJSON_AddNumberToObject(set, "layers", p->inv->n);
	cJSON_AddNumberToObject(set, "total_params", (double)p->inv->total_params);
	cJSON_AddBoolToObject(set, "include_lm_head", lm_head);
	return m;
}

// ---- the request and the answer ----

static cJSON *budget_json(const struct alloc_problem *p, const int *choice)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "accounting", accounting_name(p->accounting));
	if (p->req)
		cJSON_AddNumberToObject(b, "requested_avg_bits", p->req->target_avg_bits);
	cJSON_AddNumberToObject(b, "target_avg_bits", p->target_avg_bits);
	cJSON_AddNumberToObject(b, "budget_bits", (double)p->budget_bits);
	cJSON_AddNumberToObject(b, "spent_bits", (double)alloc_total_bits(p, choice));
	cJSON_AddNumberToObject(b, "total_params", (double)p->inv->total_params);
	cJSON_AddNumberToObject(b, "fixed_bits", (double)p->fixed_bits);
	cJSON_AddNumberToObject(b, "pinned_bits", (double)p->pinned_bits);
	return b;
}

static cJSON *strategy_json(const struct alloc_problem *p, const struct manifest_strategy *st)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", st->name);
	if (st->command)
		cJSON_AddStringToObject(s, "command", st->command);
	if (st->has_seed)
		cJSON_AddNumberToObject(s, "seed", st->seed);
	cJSON_AddStringToObject(s, "summary", st->summary);
	cJSON *pins = cJSON_AddArrayToObject(s, "pins");
	cJSON *groups = cJSON_AddArrayToObject(s, "groups");
	for (int j = 0; p->req && j < p->req->n_pins; j++)
		cJSON_AddItemToArray(pins, cJSON_CreateString(p->req->pins[j].text));
	for (int g = 0; p->req && g < p->req->n_groups; g++)
		cJSON_AddItemToArray(groups, cJSON_CreateString(p->req->groups[g].text));
	return s;
}

/* The solver and, with scores, the summed score it reached over the free layers: the
 * knapsack's optimum for the sensitivity strategy. */
static cJSON *solver_json(const struct alloc_problem *p, const struct manifest_strategy *st,
			  const int *choice)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", st->solver);
	cJSON_AddNumberToObject(s, "items", p->n_items);
	if (p->loss) {
		cJSON_AddStringToObject(s, "objective", "summed score of the free layers (lower is better)");
		cJSON_AddNumberToObject(s, st->optimal ? "optimum" : "value",
					alloc_total_loss(p, choice));
	}
	return s;
}

static cJSON *scores_json(const struct scores *sc)
{
	if (!sc)
		return cJSON_CreateNull();
	cJSON *s = sc->provenance ? cJSON_Duplicate(sc->provenance, 1) : cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(s, "loss"); /* whole-model losses: bulky, derived */
	if (sc->sha256[0])
		cJSON_AddStringToObject(s, "sha256", sc->sha256);
	return s;
}

cJSON *manifest_build(const struct alloc_problem *p, const struct manifest_strategy *st,
		      const int *choice)
{
	cJSON *m = cJSON_CreateObject();
	if (!m)
		return NULL;
	cJSON_AddStringToObject(m, "bitbudget", BITBUDGET_VERSION);
	cJSON_AddItemToObject(m, "model", model_json(p));
	cJSON *opts = cJSON_AddArrayToObject(m, "options");
	for (int k = 0; k < p->n_options; k++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(p->options[k].name));
	cJSON_AddItemToObject(m, "budget", budget_json(p, choice));
	cJSON_AddItemToObject(m, "strategy", strategy_json(p, st));
	cJSON_AddItemToObject(m, "solver", solver_json(p, st, choice));
	cJSON_AddItemToObject(m, "scores", scores_json(p->req ? p->req->scores : NULL));
	return m;
}
