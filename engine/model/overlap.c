/*
 * overlap.c: distinct shared n-grams of two texts (overlap.h): each n-gram hashed to 64
 * bits, each set sorted, the two merged. Never prints, never exits.
 */
#include "engine/model/overlap.h"

#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

void ngram_set_init(struct ngram_set *s, int order)
{
	*s = (struct ngram_set){.order = order};
}

void ngram_set_free(struct ngram_set *s)
{
	free(s->hashes);
	*s = (struct ngram_set){0};
}

static int reserve(struct ngram_set *s, long more, struct bb_error *err)
{
	if (s->n + more <= s->cap)
		return 0;
	long cap = s->cap ? s->cap : 1024;
	while (cap < s->n + more)
		cap *= 2;
	uint64_t *h = realloc(s->hashes, (size_t)cap * sizeof *h);
	if (!h)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	s->hashes = h;
	s->cap = cap;
	return 0;
}

/* The n-grams of a sequence of item hashes. */
static int add_items(struct ngram_set *s, const uint64_t *items, long len, struct bb_error *err)
{
	long count = len - s->order + 1;
	if (count <= 0)
		return 0;
	int rc = reserve(s, count, err);
	for (long i = 0; !rc && i < count; i++)
		s->hashes[s->n++] = fnv1a(FNV_OFFSET, items + i, (size_t)s->order * sizeof *items);
	return rc;
}

int ngram_add_ids(struct ngram_set *s, const int *ids, long len, struct bb_error *err)
{
	uint64_t *items = malloc((size_t)(len > 0 ? len : 1) * sizeof *items);
	if (!items)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (long i = 0; i < len; i++)
		items[i] = fnv1a(FNV_OFFSET, &ids[i], sizeof ids[i]);
	int rc = add_items(s, items, len, err);
	free(items);
	return rc;
}

static int is_blank(char c)
{
	return c && strchr(" \t\n\r\v\f", c);
}

int ngram_add_words(struct ngram_set *s, const char *text, size_t len, struct bb_error *err)
{
	uint64_t *items = malloc((len / 2 + 1) * sizeof *items); /* a word and a blank each */
	long n = 0;
	if (!items)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (size_t i = 0; i < len;) {
		while (i < len && is_blank(text[i]))
			i++;
		size_t start = i;
		while (i < len && !is_blank(text[i]))
			i++;
		if (i > start)
			items[n++] = fnv1a(FNV_OFFSET, text + start, i - start);
	}
	int rc = add_items(s, items, n, err);
	free(items);
	return rc;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

void ngram_set_finish(struct ngram_set *s)
{
	if (s->n == 0)
		return;
	qsort(s->hashes, (size_t)s->n, sizeof *s->hashes, compare_u64);
	long k = 1;
	for (long i = 1; i < s->n; i++)
		if (s->hashes[i] != s->hashes[k - 1])
			s->hashes[k++] = s->hashes[i];
	s->n = k;
}

long ngram_shared(const struct ngram_set *a, const struct ngram_set *b)
{
	long i = 0, j = 0, shared = 0;
	while (i < a->n && j < b->n) {
		if (a->hashes[i] == b->hashes[j])
			shared++, i++, j++;
		else if (a->hashes[i] < b->hashes[j])
			i++;
		else
			j++;
	}
	return shared;
}
