/*
 * pure.c: the "pure" baseline: the lowest option everywhere (Table 1's "Pure 4-bit").
 * Never reads scores; never prints or exits.
 */
#include "baselines/strategies.h"

static int allocate_pure(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	(void)err;
	for (int i = 0; i < p->inv->n; i++)
		choice[i] = 0;
	return 0;
}

const struct strategy strategy_pure = {
	"pure", "the lowest option for every layer", false, allocate_pure,
	"none: the lowest option for every free layer"};
