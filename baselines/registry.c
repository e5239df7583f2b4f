/*
 * registry.c: the table of built-in strategies and the lookup by name (registry.h).
 * Never allocates, prints or exits: the table is constant.
 */
#include <string.h>

#include "baselines/registry.h"

const struct strategy *const strategies[] = {
	&strategy_pure, &strategy_head, &strategy_tail, &strategy_sensitivity, &strategy_random,
	&strategy_external,
};
const int n_strategies = sizeof strategies / sizeof strategies[0];

const struct strategy *strategy_find(const char *name, const char **arg)
{
	*arg = NULL;
	if (strncmp(name, "external:", 9) == 0) {
		*arg = name + 9;
		return **arg ? &strategy_external : NULL;
	}
	if (strncmp(name, "random:", 7) == 0) {
		*arg = name + 7; /* the seed, checked by the strategy */
		return &strategy_random;
	}
	for (int i = 0; i < n_strategies; i++)
		if (strcmp(strategies[i]->name, name) == 0 && strategies[i] != &strategy_external)
			return strategies[i];
	return NULL;
}
