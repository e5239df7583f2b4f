/*
 * walk.c: raise items to the highest option in execution order or its reverse.
 *
 * The walk visits layers; reaching the first free layer of an item (a layer, or a group
 * of layers in one block) it raises the whole item, so groups move together.
 * Never reads scores; never prints or exits.
 */
#include "baselines/walk.h"

void walk_raise(const struct alloc_problem *p, int *choice, bool from_last)
{
	int n = p->inv->n, K = p->n_options;
	for (int i = 0; i < n; i++)
		choice[i] = 0;
	int64_t spent = alloc_total_bits(p, choice);
	for (int step = 0; step < n; step++) {
		int i = from_last ? n - 1 - step : step;
		if (p->fixed[i] || choice[i] == K - 1)
			continue; /* fixed, or raised with its item already */
		int j = p->item_of[i];
		int64_t extra = p->item_cost[(size_t)j * K + K - 1] - p->item_cost[(size_t)j * K];
		if (spent + extra > p->budget_bits)
			return;
		alloc_set_item(p, choice, j, K - 1);
		spent += extra;
	}
}
