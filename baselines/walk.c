/*
 * walk.c: raise layers to the highest option in execution order or its reverse.
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
		if (p->fixed[i])
			continue;
		int64_t extra = p->cost[(size_t)i * K + K - 1] - p->cost[(size_t)i * K];
		if (spent + extra > p->budget_bits)
			return;
		choice[i] = K - 1;
		spent += extra;
	}
}
