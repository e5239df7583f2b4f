/*
 * random.c: the "random:SEED" baseline, the null against which the other strategies are
 * read: does a strategy beat chance, not only head and tail?
 *
 * Start with every item at the lowest option, shuffle the items with a seeded
 * Fisher-Yates, then walk the shuffled order raising each item (a layer, or a group's
 * layers in one block) to the highest option when it still fits the budget and skipping
 * it when it does not. Skipping instead of stopping makes the walk spend the budget as
 * fully as whole items allow, so random is never handicapped by leaving bits unspent. It
 * is the same as drawing, again and again, one item uniformly among those that still
 * fit: the first fitting item of a uniform random order is uniform among the fitting
 * ones, and an item that did not fit never fits later (spending only grows).
 *
 * Items are drawn uniformly, not weighted by parameters: the question chance answers is
 * "which layers", and a weighting by size would itself be a heuristic (favouring the
 * MLP). The random numbers come from splitmix64, written out here, so the same seed gives
 * the same recipe on every machine and C library (rand() would not).
 * Never reads scores; never prints or exits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "baselines/strategies.h"

/* splitmix64 (Steele, Lea and Flood 2014; the constants of Vigna's reference code). */
static uint64_t splitmix64_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, n), n > 0: draws above the last whole multiple of n are
 * redrawn, so no value is favoured (plain % n would favour the small ones). */
static uint64_t uniform_below(uint64_t *state, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = splitmix64_next(state);
	while (x >= limit);
	return x % n;
}

int random_seed_parse(const char *text, uint32_t *seed, struct bb_error *err)
{
	if (!text)
		return bb_fail(err, BB_EINVAL, "strategy 'random' needs a seed: random:SEED "
			       "(a whole number from 0 to 4294967295)");
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno || v > UINT32_MAX)
		return bb_fail(err, BB_EINVAL, "strategy 'random:%.64s': the seed must be a whole "
			       "number from 0 to 4294967295", text);
	*seed = (uint32_t)v;
	return 0;
}

/* order[0 .. n) becomes a uniform random permutation of 0 .. n-1 (Fisher-Yates). */
static void shuffle(int *order, int n, uint64_t *state)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)uniform_below(state, (uint64_t)i + 1);
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

static int allocate_random(const struct alloc_problem *p, int *choice, struct bb_error *err)
{
	uint32_t seed;
	int rc = random_seed_parse(p->arg, &seed, err);
	if (rc)
		return rc;
	int K = p->n_options;
	int *order = malloc(((size_t)p->n_items + 1) * sizeof *order);
	if (!order)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < p->inv->n; i++)
		choice[i] = 0;
	uint64_t state = seed;
	shuffle(order, p->n_items, &state);
	int64_t spent = alloc_total_bits(p, choice);
	for (int s = 0; s < p->n_items; s++) {
		int j = order[s];
		int64_t extra = p->item_cost[(size_t)j * K + K - 1] - p->item_cost[(size_t)j * K];
		if (spent + extra > p->budget_bits)
			continue; /* does not fit: a smaller item later may */
		alloc_set_item(p, choice, j, K - 1);
		spent += extra;
	}
	free(order);
	return 0;
}

const struct strategy strategy_random = {
	"random", "highest option for items drawn at random (seeded), the null baseline", false,
	allocate_random,
	"seeded shuffle of the items (splitmix64, Fisher-Yates), raise each that still fits"};
