/*
 * walk.h: the shared walk of the "head" and "tail" baselines.
 *
 * Start with every layer at the lowest option, then raise items (layers, or groups of
 * layers within a block) to the highest option one at a time in a fixed order, stopping
 * at the first that no longer fits the budget. Pinned and kept layers are skipped. The
 * order is the only difference between head and tail.
 * Never reads scores: the order alone decides.
 */
#ifndef BB_WALK_H
#define BB_WALK_H

#include <stdbool.h>

#include "core/allocate.h"

/* from_last: walk from the last layer backwards (head) instead of the first forwards. */
void walk_raise(const struct alloc_problem *p, int *choice, bool from_last);

#endif
