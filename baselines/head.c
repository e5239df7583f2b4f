/*
 * head.c: the "head" baseline: the highest option for the last decoder blocks (near the
 * lm-head), raised layer by layer from the end until the budget is spent.
 * Never reads scores; never prints or exits.
 */
#include "baselines/strategies.h"
#include "baselines/walk.h"

static int allocate_head(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	(void)err;
	walk_raise(p, choice, true);
	return 0;
}

const struct strategy strategy_head = {
	"head", "highest option for the last blocks (near the lm-head)", false, allocate_head,
	"greedy walk from the last block, whole items, stop at the first that does not fit"};
