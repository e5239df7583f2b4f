/*
 * alloc_recipe.c: the whole allocation in one call: find the strategy by name, set up the
 * problem (core/allocate.c), run the strategy, turn its choice into a recipe and give the
 * manifest a description of what ran (core/manifest.c records it). Never prints, never
 * exits.
 */
#include "baselines/alloc_recipe.h"

#include <stdlib.h>
#include <string.h>

#include "baselines/registry.h"
#include "core/manifest.h"

/* How the manifest names st: an external program by its command, a built-in by name, the
 * random strategy with its seed. */
static struct manifest_strategy describe(const struct strategy *st, const char *arg,
					 uint32_t seed)
{
	bool external = st == &strategy_external;
	return (struct manifest_strategy){
		.name = external ? "external" : st->name,
		.command = external ? arg : NULL,
		.has_seed = st == &strategy_random,
		.seed = seed,
		.summary = st->summary,
		.solver = st->solver,
		.optimal = st->needs_scores,
	};
}

int alloc_recipe(const struct alloc_request *req, struct recipe *out, struct bb_error *err)
{
	const char *arg;
	const struct strategy *st = strategy_find(req->strategy, &arg);
	memset(out, 0, sizeof *out);
	if (!st)
		return bb_fail(err, BB_EINVAL,
			       "unknown strategy '%s' (pure, head, tail, sensitivity, random:SEED, "
			       "external:CMD)", req->strategy);
	uint32_t seed = 0; /* checked before any work, so a bad seed is named first */
	int bad_seed = st == &strategy_random ? random_seed_parse(arg, &seed, err) : 0;
	if (bad_seed)
		return bad_seed;
	if (st->needs_scores && !req->scores)
		return bb_fail(err, BB_EINVAL, "strategy '%s' needs --scores FILE", req->strategy);
	struct alloc_problem p;
	int rc = alloc_problem_setup(&p, req, err);
	if (rc)
		return rc;
	p.arg = arg;
	int *choice = calloc((size_t)req->inv->n + 1, sizeof *choice);
	rc = choice ? st->allocate(&p, choice, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = alloc_to_recipe(&p, choice, req->strategy, out, err);
	struct manifest_strategy described = describe(st, arg, seed);
	if (!rc && !(out->manifest = manifest_build(&p, &described, choice)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (rc)
		recipe_free(out);
	free(choice);
	alloc_problem_free(&p);
	return rc;
}
