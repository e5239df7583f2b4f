/*
 * overlap.h: how much of one text another already contains, as the count of distinct
 * n-grams they share (of tokens, or of whitespace-separated words): the check that an
 * evaluation text is held out from the calibration text the scores were computed on.
 *
 * An n-gram is kept as a 64-bit hash of its items (FNV-1a over each item, then over the
 * n item hashes); two different n-grams share a hash with probability about 2^-64 per
 * pair, negligible for texts of millions of n-grams. N-grams never cross a document's end.
 * Never prints, never exits.
 */
#ifndef BB_OVERLAP_H
#define BB_OVERLAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct ngram_set {
	uint64_t *hashes;  /* (n) sorted and distinct after ngram_set_finish */
	long n, cap;
	int order;         /* n of the n-grams */
};

void ngram_set_init(struct ngram_set *s, int order);
void ngram_set_free(struct ngram_set *s);
/* Add the n-grams of one document's token ids (fewer than order ids add none). */
int ngram_add_ids(struct ngram_set *s, const int *ids, long len, struct bb_error *err);
/* Add the n-grams of one document's words: maximal runs of bytes other than space, tab,
 * newline, carriage return, vertical tab and form feed, as written (case and punctuation
 * kept). */
int ngram_add_words(struct ngram_set *s, const char *text, size_t len, struct bb_error *err);
/* Sort and drop repeats; call once, after the last add. */
void ngram_set_finish(struct ngram_set *s);
/* Distinct n-grams in both finished sets. */
long ngram_shared(const struct ngram_set *a, const struct ngram_set *b);

#endif
