/*
 * calib.c: cutting calibration text into scored sequences (see calib.h).
 * Never prints or exits.
 */
#include "engine/model/calib.h"

#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* n distinct chunk indices out of have, in increasing order. */
static int pick_chunks(int *pick, int have, int n, uint64_t seed)
{
	int *all = malloc((size_t)have * sizeof(int));
	if (!all)
		return -1;
	for (int i = 0; i < have; i++)
		all[i] = i;
	for (int i = 0; i < n; i++) { /* splitmix64 drives a partial Fisher-Yates shuffle */
		uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
		int j = i + (int)((z ^ (z >> 31)) % (uint64_t)(have - i)), t = all[i];
		all[i] = all[j];
		all[j] = t;
	}
	memcpy(pick, all, (size_t)n * sizeof(int));
	free(all);
	qsort(pick, (size_t)n, sizeof(int), by_value);
	return 0;
}

int calib_cut(struct calib_set *c, const int *ids, int n, int bos, int nsamples, int seqlen,
	      uint64_t seed, struct bb_error *err)
{
	memset(c, 0, sizeof *c);
	int body = seqlen - (bos >= 0);
	c->available = body > 0 ? n / body : 0;
	if (c->available == 0)
		return bb_fail(err, BB_EINVAL, "calibration text: %d tokens, too few for one "
			       "sequence of %d", n, seqlen);
	c->nseq = c->available < nsamples ? c->available : nsamples;
	int *pick = malloc((size_t)c->nseq * sizeof(int));
	c->tokens = malloc((size_t)c->nseq * (size_t)seqlen * sizeof(int));
	if (!pick || !c->tokens || pick_chunks(pick, c->available, c->nseq, seed)) {
		free(pick);
		calib_free(c);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	for (int q = 0; q < c->nseq; q++) {
		int *dst = c->tokens + (size_t)q * seqlen;
		if (bos >= 0)
			*dst++ = bos;
		memcpy(dst, ids + (size_t)pick[q] * body, (size_t)body * sizeof(int));
	}
	free(pick);
	return 0;
}

void calib_free(struct calib_set *c)
{
	free(c->tokens);
	memset(c, 0, sizeof *c);
}
