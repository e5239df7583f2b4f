/*
 * alloc_recipe.h: the whole allocation in one call, from a request to a recipe with its
 * manifest.
 *
 * It sits in baselines/, above the core, because it runs a strategy found by name: the
 * core sets up the problem and records the manifest but never calls a strategy. Never
 * prints, never exits.
 */
#ifndef BB_ALLOC_RECIPE_H
#define BB_ALLOC_RECIPE_H

#include "core/allocate.h"
#include "core/error.h"
#include "core/recipe.h"

/* Set up the problem, run the strategy req->strategy names ("external:CMD" included) and
 * fill *out with the recipe and its manifest (recipe_free it). Deterministic: the same
 * request gives a byte-identical recipe file. */
int alloc_recipe(const struct alloc_request *req, struct recipe *out, struct bb_error *err);

#endif
