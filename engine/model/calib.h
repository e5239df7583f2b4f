/*
 * calib.h: calibration sequences for DeltaLoss scores.
 *
 * One cut, shared by `bitbudget scores` and the endpoint's scores jobs so that both score
 * a model on the same tokens: the text's tokens are split into chunks of seqlen tokens
 * (seqlen - 1 after a BOS when the tokenizer adds one), and nsamples chunks are picked by
 * a seeded partial Fisher-Yates shuffle (splitmix64), kept in text order. Never prints.
 */
#ifndef BB_CALIB_H
#define BB_CALIB_H

#include <stdint.h>

#include "core/error.h"

struct calib_set {
	int *tokens;    /* (nseq, seqlen) */
	int nseq;       /* min(nsamples, available) */
	int available;  /* whole chunks the text holds */
};

/* Fill c from ids (n tokens); bos < 0 for none. Error: too few tokens for one sequence. */
int calib_cut(struct calib_set *c, const int *ids, int n, int bos, int nsamples, int seqlen,
	      uint64_t seed, struct bb_error *err);
void calib_free(struct calib_set *c);

#endif
