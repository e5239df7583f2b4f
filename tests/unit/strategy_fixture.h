/*
 * strategy_fixture.h: what the allocation tests share: the shared models' folders and a
 * strategy run by name on a problem, as `bitbudget recipe` runs it (baselines/registry.h).
 * Used by test_allocate.c and test_allocate_sensitivity.c. Never writes a file.
 */
#ifndef BB_STRATEGY_FIXTURE_H
#define BB_STRATEGY_FIXTURE_H

#include <stdio.h>

#include "baselines/registry.h"
#include "core/allocate.h"
#include "tests/unit/check.h"

static inline char *stories_dir(void)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/models/stories260k", shared_dir());
	return p;
}

static inline char *tinystories_dir(void)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/models/tinystories-656k", shared_dir());
	return p;
}

/* Run the named strategy; returns rc. */
static inline int run_strategy(const char *name, const struct alloc_problem *p, int *choice)
{
	const char *arg = NULL;
	const struct strategy *s = strategy_find(name, &arg);
	if (!s)
		return -100;
	struct bb_error err = {0};
	struct alloc_problem copy = *p;
	copy.arg = arg;
	int rc = s->allocate(&copy, choice, &err);
	if (rc)
		fprintf(stderr, "  strategy %s: %s\n", name, err.msg);
	return rc;
}

#endif
