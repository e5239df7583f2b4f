/*
 * constraints.h: applying pins and groups to an allocation problem being set up.
 *
 * Internal to the core: the public types and parsers (struct alloc_pin, alloc_group,
 * alloc_pin_parse, alloc_group_parse) are in core/allocate.h. Never prints, never exits.
 */
#ifndef BB_CONSTRAINTS_H
#define BB_CONSTRAINTS_H

#include "core/allocate.h"

/* With p->fixed, p->fixed_format and p->pin holding the shape-kept layers (pin -1) and
 * p->item_of allocated: fix the pinned layers, check the groups are disjoint, and form
 * the items (p->n_items, item_of, item_start, item_layers). */
int constraints_apply(struct alloc_problem *p, const struct alloc_request *req,
		      struct bb_error *err);

#endif
