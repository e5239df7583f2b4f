/*
 * sensitivity.c: AutoScheme's choice: one option per layer minimising the summed
 * sensitivity score within the budget, by an exact multiple-choice knapsack
 * (core/knapsack.c). Fixed layers are not items; their bits come off the capacity.
 */
#include <stdlib.h>

#include "baselines/strategies.h"

static int allocate_sensitivity(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	if (!p->loss)
		return bb_fail(err, BB_EINVAL, "strategy 'sensitivity' needs --scores FILE");
	int n = p->inv->n, K = p->n_options, items = 0;
	int64_t *cost = calloc((size_t)n * K + 1, sizeof *cost);
	double *loss = calloc((size_t)n * K + 1, sizeof *loss);
	int *item_choice = malloc(sizeof *item_choice * ((size_t)n + 1));
	int rc = 0;
	if (!cost || !loss || !item_choice) {
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (p->fixed[i])
			continue;
		for (int k = 0; k < K; k++) {
			cost[(size_t)items * K + k] = p->cost[(size_t)i * K + k];
			loss[(size_t)items * K + k] = p->loss[(size_t)i * K + k];
		}
		items++;
	}
	rc = mckp_solve(items, K, cost, loss, p->budget_bits - p->fixed_bits, item_choice, err);
	for (int i = 0, item = 0; !rc && i < n; i++)
		choice[i] = p->fixed[i] ? 0 : item_choice[item++];
out:
	free(cost);
	free(loss);
	free(item_choice);
	return rc;
}

const struct strategy strategy_sensitivity = {
	"sensitivity", "minimum summed score within the budget (exact knapsack, needs --scores)",
	true, allocate_sensitivity};
