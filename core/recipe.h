/*
 * recipe.h: a per-layer format assignment, and its JSON forms.
 *
 * A recipe names, for every layer of the budget set, the format of its weight and of its
 * input activation (MX formats quantize both; INT formats are weight-only, act = BF16).
 * It is written as the JSON documented in docs/formats.md, as AutoRound's layer_config,
 * and inside a quantized checkpoint's config.json as "quantization_config". Reading
 * validates everything (known formats, no duplicate layers) and names what is wrong.
 * Never prints, never exits.
 */
#ifndef BB_RECIPE_H
#define BB_RECIPE_H

#include <stdbool.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/formats.h"

#define RECIPE_MAX_OPTIONS 8

struct recipe_layer {
	char name[128];        /* module name, as in the inventory */
	struct format weight;
	struct format act;
	bool fixed;            /* kept in BF16 because its shape does not fit the options */
	bool pinned;           /* fixed to its format by a --pin (still counted in the budget) */
};

struct recipe {
	char model[256];
	char strategy[256];
	int n_options;
	struct format options[RECIPE_MAX_OPTIONS];
	double target_avg_bits;
	double achieved_avg_bits;        /* under accounting */
	enum bit_accounting accounting;  /* the convention the budget was set in */
	bool have_avg_bits;              /* avg_bits below is filled */
	double avg_bits[ACCOUNT_COUNT];  /* achieved under every convention; -1 where n/a */
	cJSON *manifest;                 /* provenance (docs/formats.md), owned, or NULL */
	int n_layers;
	struct recipe_layer *layers;
};

/* Frees the layers and the manifest. */
void recipe_free(struct recipe *r);

/* The layer entry called name, or NULL. */
const struct recipe_layer *recipe_find(const struct recipe *r, const char *name);

/* JSON form (docs/formats.md). to_json returns a new object the caller deletes. */
cJSON *recipe_to_json(const struct recipe *r);
int recipe_from_json(struct recipe *r, const cJSON *json, const char *what, struct bb_error *err);

/* Read a recipe file: either bitbudget's form or AutoRound's layer_config form
 * ({"layer": {"bits":..,"data_type":..,"group_size":..,"sym":..,"act_bits":..}, ...}). */
int recipe_read(struct recipe *r, const char *path, struct bb_error *err);
/* Write atomically (temporary file renamed into place). */
int recipe_write(const struct recipe *r, const char *path, struct bb_error *err);
/* The bytes recipe_write writes (JSON ending in a newline, not NUL-terminated: *len bytes),
 * for a caller that names the file by their hash; NULL when out of memory. */
char *recipe_to_text(const struct recipe *r, size_t *len);

struct checkpoint;
/* Whether the recipe was made for this checkpoint: its manifest's model identity must equal
 * ck's (over config.json alone when the recipe was planned from config.json only). A recipe
 * without a manifest (AutoRound's form) passes. what names the recipe in the message. */
int recipe_check_model(const struct recipe *r, const struct checkpoint *ck, const char *what,
		       struct bb_error *err);

/* AutoRound's layer_config object for this recipe. */
cJSON *recipe_to_autoround(const struct recipe *r);

#endif
