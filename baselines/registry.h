/*
 * registry.h: finding a strategy by name (baselines/registry.c).
 *
 * The one way the rest of bitbudget reaches a strategy: by the name a user gave. It never
 * runs one; baselines/alloc_recipe.h does.
 */
#ifndef BB_REGISTRY_H
#define BB_REGISTRY_H

#include "baselines/strategies.h"

/* The strategy called name ("external:CMD" finds the external strategy and sets *arg to
 * CMD; "random:SEED" the random one with *arg SEED, unchecked), or NULL. */
const struct strategy *strategy_find(const char *name, const char **arg);
/* The built-in strategies, for help texts. */
extern const struct strategy *const strategies[];
extern const int n_strategies;

#endif
