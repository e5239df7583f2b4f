/*
 * allocate.h: the allocation problem and the strategy interface.
 *
 * An allocation assigns one option (format) to every layer of the budget set so that the
 * parameter-weighted average bit width stays within the budget. Bits are counted in
 * exact integers (format_layer_bits), so a recipe exactly at its target is never
 * rejected by rounding. Layers whose in_features do not fit the options' blocks are
 * fixed in BF16: they spend budget but are not choices (AutoRound, spec 1.2).
 *
 * Strategies live in baselines/, one file each, behind struct strategy. A strategy fills
 * choice[i] with an option index for every non-fixed layer i. Never prints, never exits.
 */
#ifndef BB_ALLOCATE_H
#define BB_ALLOCATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"
#include "core/scores.h"

struct alloc_problem {
	const struct inventory *inv;
	int n_options;                   /* sorted by bit width, lowest first */
	struct format options[RECIPE_MAX_OPTIONS];
	enum bit_accounting accounting;
	bool *fixed;                     /* [n_layers] kept in BF16 */
	int64_t *cost;                   /* [n_layers][n_options] exact bits */
	double *loss;                    /* [n_layers][n_options] scores, or NULL */
	int64_t fixed_bits;              /* bits of the fixed layers */
	int64_t min_bits, max_bits;      /* all-lowest and all-highest totals, fixed included */
	int64_t budget_bits;             /* the most bits a recipe may spend, fixed included */
	double target_avg_bits;          /* after snapping to an end within 1e-3 */
	const char *arg;                 /* strategy argument: the command of external:CMD */
	const char *model;               /* for the recipe and external programs */
};

/* Set up a problem: sort and check options, find fixed layers, price every choice, check
 * the target is feasible (snapping within 1e-3 of an end). Scores may be NULL; when given,
 * every non-fixed layer needs a score for every non-BF16 option. */
int alloc_problem_init(struct alloc_problem *p, const struct inventory *inv,
		       const struct format *options, int n_options, enum bit_accounting acc,
		       double target_avg_bits, const struct scores *scores, struct bb_error *err);
void alloc_problem_free(struct alloc_problem *p);

/* Total bits of a choice vector (fixed layers at BF16). */
int64_t alloc_total_bits(const struct alloc_problem *p, const int *choice);
/* Summed loss of a choice vector (0 without scores). */
double alloc_total_loss(const struct alloc_problem *p, const int *choice);

/* Turn a choice into a recipe (MX layers quantize their activations too). */
int alloc_to_recipe(const struct alloc_problem *p, const int *choice, const char *strategy,
		    struct recipe *r, struct bb_error *err);

/* Check a recipe produced elsewhere against the problem: every layer exactly once,
 * formats among the options (BF16 for fixed layers), budget respected. Fills choice. */
int alloc_check_recipe(const struct alloc_problem *p, const struct recipe *r, int *choice,
		       struct bb_error *err);

/* The whole allocation in one call: set up the problem, run the named strategy
 * ("external:CMD" included) and fill *out (recipe_free it). The recipe records model. */
int alloc_recipe(const struct inventory *inv, const struct format *options, int n_options,
		 enum bit_accounting acc, double target_avg_bits, const struct scores *scores,
		 const char *strategy, const char *model, struct recipe *out,
		 struct bb_error *err);

struct strategy {
	const char *name;
	const char *summary;
	bool needs_scores;
	int (*allocate)(const struct alloc_problem *p, int *choice, struct bb_error *err);
};

/* The strategy called name ("external:CMD" finds the external strategy and sets *arg to
 * CMD), or NULL. */
const struct strategy *strategy_find(const char *name, const char **arg);
/* The built-in strategies, for help texts. */
extern const struct strategy *const strategies[];
extern const int n_strategies;

/* Exact multiple-choice knapsack used by the sensitivity strategy (exposed for tests and
 * the benchmark). items x options costs and losses, capacity in bits. Returns 0 and fills
 * choice, or BB_EINVAL when nothing fits. */
int mckp_solve(int n_items, int n_options, const int64_t *cost, const double *loss,
	       int64_t capacity, int *choice, struct bb_error *err);

#endif
