/*
 * sensitivity.c: AutoScheme's choice: one option per layer minimising the summed
 * sensitivity score within the budget, by an exact multiple-choice knapsack
 * (core/knapsack.c). The knapsack's items are the problem's items (a free layer, or a
 * group's free layers in one block, with summed costs and scores); fixed and pinned layers
 * are not items, their bits come off the capacity.
 * Never prints or exits; a failure is a code and one line in struct bb_error.
 */
#include <stdlib.h>

#include "baselines/strategies.h"
#include "core/knapsack.h"

static int allocate_sensitivity(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	if (!p->item_loss)
		return bb_fail(err, BB_EINVAL, "strategy 'sensitivity' needs --scores FILE");
	int *item_choice = malloc(sizeof *item_choice * ((size_t)p->n_items + 1));
	if (!item_choice)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < p->inv->n; i++)
		choice[i] = 0;
	int rc = mckp_solve(p->n_items, p->n_options, p->item_cost, p->item_loss,
			    p->budget_bits - p->fixed_bits, item_choice, err);
	for (int j = 0; !rc && j < p->n_items; j++)
		alloc_set_item(p, choice, j, item_choice[j]);
	free(item_choice);
	return rc;
}

const struct strategy strategy_sensitivity = {
	"sensitivity", "minimum summed score within the budget (exact knapsack, needs --scores)",
	true, allocate_sensitivity,
	"exact multiple-choice knapsack (Pareto-frontier DP with Lagrangian pruning)"};
