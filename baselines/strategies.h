/*
 * strategies.h: the built-in allocation strategies, one file each in baselines/.
 *
 * Adding a strategy: write baselines/<name>.c defining `const struct strategy
 * strategy_<name>` (see core/allocate.h for the interface), declare it here and add it to
 * the table in baselines/registry.c. Nothing else changes: every command, table and plot
 * finds strategies through strategy_find(). Strategies in other languages need no code
 * here at all: use external:CMD.
 */
#ifndef BB_STRATEGIES_H
#define BB_STRATEGIES_H

#include "core/allocate.h"

extern const struct strategy strategy_pure;
extern const struct strategy strategy_head;
extern const struct strategy strategy_tail;
extern const struct strategy strategy_sensitivity;
extern const struct strategy strategy_external;

#endif
