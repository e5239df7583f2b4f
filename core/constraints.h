/*
 * constraints.h: pins and groups, the user's constraints on an allocation problem.
 *
 * A pin fixes chosen layers to a format (still counted in the budget); a group makes the
 * layers of some kinds share a format within each decoder block, so the strategies choose
 * per item (a free layer, or a group's free layers in one block). The harness parses them
 * from the command line and the experiment; core/allocate.c applies them while it sets a
 * problem up. Knows layers and formats, never a strategy. Never prints, never exits.
 */
#ifndef BB_CONSTRAINTS_H
#define BB_CONSTRAINTS_H

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/formats.h"

/* A pin "REGEX=FORMAT": every layer whose name matches REGEX (POSIX extended, unanchored:
 * anchor with ^ and $ to match whole names) is fixed to FORMAT, which need not be one of
 * the options but must fit the layer's shape. Pinned layers count in the budget; no
 * strategy moves them. */
struct alloc_pin {
	char text[320];          /* as given, for messages and the manifest */
	char regex[256];
	struct format format;
};

/* A group "q_proj,k_proj,v_proj": within each decoder block, the free layers of these
 * kinds share one format (AutoScheme's shared_layers). */
struct alloc_group {
	char text[128];          /* as given */
	int n_kinds;
	enum layer_kind kinds[LK_COUNT];
};

/* Parse "REGEX=FORMAT" (split at the last '='; the regex must compile). */
int alloc_pin_parse(struct alloc_pin *pin, const char *text, struct bb_error *err);
/* Parse "KIND,KIND[,...]": layer kind names (q_proj ... down_proj), at least two, no repeat. */
int alloc_group_parse(struct alloc_group *g, const char *text, struct bb_error *err);

/* Declared in core/allocate.h, which includes this header for the types above. */
struct alloc_problem;
struct alloc_request;

/* For core/allocate.c's set-up, with p->fixed, p->fixed_format and p->pin holding the
 * shape-kept layers (pin -1) and p->item_of allocated: fix the pinned layers, check the
 * groups are disjoint, and form the items (p->n_items, item_of, item_start, item_layers). */
int constraints_apply(struct alloc_problem *p, const struct alloc_request *req,
		      struct bb_error *err);

#endif
