/*
 * manifest.h: the provenance every recipe carries (docs/formats.md, "manifest").
 *
 * The manifest records what it is given: the problem (model identity, budget, pins,
 * groups, scores) and a description of the strategy that chose, as plain values. It
 * must never look a strategy up: strategies live a floor up, in baselines/, and
 * baselines/alloc_recipe.c describes the one it ran. Never prints, never exits.
 */
#ifndef BB_MANIFEST_H
#define BB_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/allocate.h"

/* The strategy that made the choice, as the manifest records it. */
struct manifest_strategy {
	const char *name;        /* "external", or the built-in strategy's name */
	const char *command;     /* external:CMD's command, or NULL */
	bool has_seed;           /* random:SEED: the seed is recorded */
	uint32_t seed;
	const char *summary;     /* one line: what it does */
	const char *solver;      /* how it decides */
	bool optimal;            /* its summed score is an optimum (recorded as "optimum",
				  * else as "value") */
};

/* The manifest of the recipe made from choice: the model's identity, the request, the
 * scores' hash and provenance, the solver and its objective, the budget, the version. No
 * timestamps. Returns a new object (cJSON_Delete it), or NULL when out of memory. */
cJSON *manifest_build(const struct alloc_problem *p, const struct manifest_strategy *st,
		      const int *choice);

#endif
