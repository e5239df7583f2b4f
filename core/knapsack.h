/*
 * knapsack.h: an exact multiple-choice knapsack, a pure solver on the ground floor.
 *
 * It knows numbers only: items, options, costs, losses and a capacity. The allocation
 * problem, layers and formats are the callers' business (baselines/sensitivity.c, the
 * tests and bench/bench_knapsack.c), so this header must never include them. Never
 * prints, never exits.
 */
#ifndef BB_KNAPSACK_H
#define BB_KNAPSACK_H

#include <stdint.h>

#include "core/error.h"

/* Pick one option per item: total cost within capacity, minimum summed loss; among equal
 * losses, the lower cost. cost and loss are [n_items][n_options] (1 to 255 options),
 * capacity in the costs' unit (bits). Returns 0 and fills choice[n_items], or BB_EINVAL
 * when nothing fits. */
int mckp_solve(int n_items, int n_options, const int64_t *cost, const double *loss,
	       int64_t capacity, int *choice, struct bb_error *err);

#endif
