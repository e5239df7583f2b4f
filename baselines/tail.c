/*
 * tail.c: the "tail" baseline: the highest option for the first decoder blocks (near the
 * embedding), raised layer by layer from the start until the budget is spent.
 * Never reads scores; never prints or exits.
 */
#include "baselines/strategies.h"
#include "baselines/walk.h"

static int allocate_tail(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	(void)err;
	walk_raise(p, choice, false);
	return 0;
}

const struct strategy strategy_tail = {
	"tail", "highest option for the first blocks (near the embedding)", false, allocate_tail,
	"greedy walk from the first block, whole items, stop at the first that does not fit"};
