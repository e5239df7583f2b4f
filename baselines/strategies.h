/*
 * strategies.h: the strategy interface and the built-in strategies, one file each in
 * baselines/.
 *
 * A strategy is handed a problem set up by the core (core/allocate.h) and fills choice[i]
 * with an option index for every non-fixed layer i, equal within an item. It must never
 * print, exit, or change the problem.
 *
 * Adding a strategy: write baselines/<name>.c defining `const struct strategy
 * strategy_<name>`, declare it here and add it to the table in baselines/registry.c.
 * Nothing else changes: every command, table and plot finds strategies through
 * strategy_find() (baselines/registry.h). Strategies in other languages need no code here
 * at all: use external:CMD.
 */
#ifndef BB_STRATEGIES_H
#define BB_STRATEGIES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/allocate.h"
#include "core/error.h"

struct strategy {
	const char *name;
	const char *summary;
	bool needs_scores;
	int (*allocate)(const struct alloc_problem *p, int *choice, struct bb_error *err);
	const char *solver;      /* how it decides, for the manifest */
};

extern const struct strategy strategy_pure;
extern const struct strategy strategy_head;
extern const struct strategy strategy_tail;
extern const struct strategy strategy_sensitivity;
extern const struct strategy strategy_random;
extern const struct strategy strategy_external;

/* The seed of "random:SEED" (text is what follows the colon; NULL: none was given): a
 * whole number from 0 to 4294967295. baselines/random.c. */
int random_seed_parse(const char *text, uint32_t *seed, struct bb_error *err);

#endif
