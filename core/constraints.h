/*
 * constraints.h: pins and groups, the user's constraints on an allocation problem.
 *
 * A pin fixes chosen layers to a format (still counted in the budget); a group makes the
 * layers of some kinds share a format within each decoder block, so the strategies choose
 * per item (a free layer, or a group's free layers in one block). The harness parses them
 * from the command line and the experiment; core/allocate.c applies them while it sets a
 * problem up. Knows layers and formats, never the allocation problem itself (it fills a
 * struct alloc_layout) and never a strategy. Never prints, never exits.
 */
#ifndef BB_CONSTRAINTS_H
#define BB_CONSTRAINTS_H

#include <stdbool.h>

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

/* What the constraints make of a problem's layers (core/allocate.c copies it into its
 * struct alloc_problem). The caller allocates the per-layer arrays, [inv->n] each; the
 * item lists are allocated here and freed by the caller, even after an error. */
struct alloc_layout {
	bool *fixed;                 /* not a choice: kept BF16 for its shape, or pinned */
	struct format *fixed_format; /* the format of a fixed layer */
	int *pin;                    /* the pin fixing the layer, or -1 */
	int *item_of;                /* item of a free layer, -1 when fixed */
	int n_items;
	int *item_start;             /* [n_items + 1] */
	int *item_layers;            /* item j: item_layers[item_start[j] .. item_start[j+1]) */
};

/* With fixed and fixed_format holding the layers kept for their shape and pin -1
 * everywhere: fix the pinned layers, check the groups are disjoint, and form the items
 * (item_of, n_items, item_start, item_layers). Errors name the pin, group and layer. */
int constraints_apply(struct alloc_layout *layout, const struct inventory *inv,
		      const struct alloc_pin *pins, int n_pins, const struct alloc_group *groups,
		      int n_groups, struct bb_error *err);

#endif
