/*
 * allocate.h: the allocation problem: setting it up and judging a choice.
 *
 * An allocation assigns one option (format) to every layer of the budget set so that the
 * parameter-weighted average bit width stays within the budget. Bits are counted in
 * exact integers (format_layer_bits), so a recipe exactly at its target is never
 * rejected by rounding. Layers whose in_features do not fit the options' blocks are
 * fixed in BF16: they spend budget but are not choices (AutoRound, spec 1.2).
 *
 * Pins and groups (core/constraints.h) shape the problem into items: a free layer, or a
 * group's free layers in one block, which take one option together.
 *
 * This is the problem and what can be asked of a choice, not how one is made: the
 * strategies, and alloc_recipe that runs one by name, live a floor up in baselines/, and
 * this file must never call them. A strategy fills choice[i] with an option index for
 * every non-fixed layer i, equal within an item. Never prints, never exits.
 */
#ifndef BB_ALLOCATE_H
#define BB_ALLOCATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/checkpoint.h"
#include "core/constraints.h"
#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"
#include "core/scores.h"

// ---- the problem ----

/* Everything an allocation is made from. Only inv, options, n_options, target_avg_bits
 * and strategy are required; the rest may be zero/NULL. */
struct alloc_request {
	const struct inventory *inv;
	const struct checkpoint *ck;        /* for the manifest's model identity, or NULL */
	const char *model;                  /* as given; recorded in the recipe */
	const struct format *options;
	int n_options;
	enum bit_accounting accounting;     /* weights, scales or scales+zp */
	double target_avg_bits;
	bool lowest;                        /* ignore the target: the lowest reachable average
					     * (to learn the range, p->min_bits .. p->max_bits) */
	const struct scores *scores;
	const char *strategy;               /* "head", ..., "external:CMD" (baselines/) */
	double strategy_deadline_s;         /* external:CMD may run this long; 0: its default */
	const struct alloc_pin *pins;
	int n_pins;
	const struct alloc_group *groups;
	int n_groups;
};

/* The strategies choose per item: an item is one free layer, or the free layers of one
 * group in one decoder block, which take one option together. */
struct alloc_problem {
	const struct inventory *inv;
	int n_options;                   /* sorted by bit width, lowest first */
	struct format options[RECIPE_MAX_OPTIONS];
	enum bit_accounting accounting;
	bool *fixed;                     /* [n_layers] not a choice: kept BF16 or pinned */
	struct format *fixed_format;     /* [n_layers] the format of a fixed layer */
	int *pin;                        /* [n_layers] the pin fixing the layer, or -1 */
	int64_t *cost;                   /* [n_layers][n_options] exact bits (fixed: its format) */
	double *loss;                    /* [n_layers][n_options] scores, or NULL */
	int n_items;
	int *item_of;                    /* [n_layers] item of a free layer, -1 when fixed */
	int *item_start;                 /* [n_items + 1] */
	int *item_layers;                /* item j: item_layers[item_start[j] .. item_start[j+1]) */
	int64_t *item_cost;              /* [n_items][n_options] summed over the item's layers */
	double *item_loss;               /* [n_items][n_options], or NULL without scores */
	int64_t fixed_bits;              /* bits of the fixed layers (pinned included) */
	int64_t pinned_bits;             /* bits of the pinned layers */
	int64_t min_bits, max_bits;      /* all-lowest and all-highest totals, fixed included */
	int64_t budget_bits;             /* the most bits a recipe may spend, fixed included */
	double target_avg_bits;          /* after snapping to an end within 1e-3 */
	const char *arg;                 /* strategy argument: the command of external:CMD */
	const char *model;               /* for the recipe and external programs */
	const struct alloc_request *req; /* what the problem was made from (pins, groups) */
};

/* Set up a problem: sort and check options, fix the layers no option can take (BF16) and
 * the pinned ones, form the items, price every choice, check the target is feasible
 * (snapping within 1e-3 of an end), attach scores. Errors name the layer, pin or group.
 * req must outlive p. When scores are given, every free layer needs a score for every
 * non-BF16 option. */
int alloc_problem_setup(struct alloc_problem *p, const struct alloc_request *req,
			struct bb_error *err);
/* The same without pins or groups (tests and benchmarks). */
int alloc_problem_init(struct alloc_problem *p, const struct inventory *inv,
		       const struct format *options, int n_options, enum bit_accounting acc,
		       double target_avg_bits, const struct scores *scores, struct bb_error *err);
void alloc_problem_free(struct alloc_problem *p);

/* Give every layer of item j option k. */
void alloc_set_item(const struct alloc_problem *p, int *choice, int item, int k);

/* Total bits of a choice vector (fixed layers at BF16). */
int64_t alloc_total_bits(const struct alloc_problem *p, const int *choice);
/* Summed loss of a choice vector (0 without scores). */
double alloc_total_loss(const struct alloc_problem *p, const int *choice);

/* Average bits of a choice under every convention (out[ACCOUNT_COUNT]; -1 where a layer's
 * format has no GGUF equivalent). */
void alloc_avg_bits(const struct alloc_problem *p, const int *choice, double *out);

/* Turn a choice into a recipe (MX layers quantize their activations too). No manifest. */
int alloc_to_recipe(const struct alloc_problem *p, const int *choice, const char *strategy,
		    struct recipe *r, struct bb_error *err);

/* Check a recipe produced elsewhere against the problem: every layer exactly once,
 * formats among the options (BF16 for kept layers, the pin's format for pinned ones), the
 * layers of an item alike, budget respected. Fills choice. */
int alloc_check_recipe(const struct alloc_problem *p, const struct recipe *r, int *choice,
		       struct bb_error *err);

#endif
