/*
 * tokenizer_check.h: what the tokenizer tests share: loading a tokenizer from a folder
 * (the shared models, or the fixtures in tests/fixtures/tokenizer/) and checking an
 * encode or a decode against the expected ids or text, printing both sides on a mismatch.
 * Used by test_tokenizer.c and test_tokenizer_layouts.c. Never writes anywhere.
 */
#ifndef BB_TOKENIZER_CHECK_H
#define BB_TOKENIZER_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer/tokenizer.h"
#include "tests/unit/check.h"

#define FIX "tests/fixtures/tokenizer/"

static inline struct tokenizer *load_dir(const char *dir)
{
	struct tokenizer *t = NULL;
	struct bb_error err = {0};
	int rc = tokenizer_load(&t, dir, &err);
	if (rc)
		fprintf(stderr, "  load %s: %s\n", dir, err.msg);
	CHECK(rc == 0 && t != NULL);
	return t;
}

static inline struct tokenizer *load_shared(const char *model)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/models/%s", shared_dir(), model);
	return load_dir(dir);
}

/* Encode text and compare with want[0..n); prints both sides on a mismatch. */
static inline int encodes_to(const struct tokenizer *t, const char *text, int add_bos, const int *want,
		      int n)
{
	struct bb_error err = {0};
	int *ids = NULL, n_ids = -1, ok, i;
	if (!t)
		return 0;
	if (tokenizer_encode(t, text, strlen(text), add_bos, &ids, &n_ids, &err)) {
		fprintf(stderr, "  encode \"%s\": %s\n", text, err.msg);
		return 0;
	}
	ok = n_ids == n && (n == 0 || !memcmp(ids, want, (size_t)n * sizeof *ids));
	if (!ok) {
		fprintf(stderr, "  encode \"%s\" gave", text);
		for (i = 0; i < n_ids; i++)
			fprintf(stderr, " %d", ids[i]);
		fprintf(stderr, "\n");
	}
	free(ids);
	return ok;
}

#define ENCODES(t, text, add_bos, ...)                                                     \
	encodes_to(t, text, add_bos, (const int[]){__VA_ARGS__},                            \
		   (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)))

/* Decoded text (caller frees), or NULL. */
static inline char *decode(const struct tokenizer *t, const int *ids, int n, int flags)
{
	struct bb_error err = {0};
	char *text = NULL;
	if (!t || tokenizer_decode_ex(t, ids, n, flags, &text, NULL, &err)) {
		fprintf(stderr, "  decode: %s\n", err.msg);
		return NULL;
	}
	return text;
}

static inline int decodes_to(const struct tokenizer *t, const int *ids, int n, int flags,
		      const char *want)
{
	char *text = decode(t, ids, n, flags);
	int ok = text && !strcmp(text, want);
	if (text && !ok)
		fprintf(stderr, "  decoded \"%s\", want \"%s\"\n", text, want);
	free(text);
	return ok;
}

#define DECODES(t, flags, want, ...)                                                       \
	decodes_to(t, (const int[]){__VA_ARGS__},                                           \
		   (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)), flags, want)

/* encode(x) without specials, then decode, gives back exactly x. */
static inline int round_trips(const struct tokenizer *t, const char *x)
{
	struct bb_error err = {0};
	int *ids = NULL, n = 0, ok;
	char *back;
	if (!t || tokenizer_encode(t, x, strlen(x), 0, &ids, &n, &err))
		return 0;
	back = decode(t, ids, n, 0);
	ok = back && !strcmp(back, x);
	if (back && !ok)
		fprintf(stderr, "  round trip \"%s\" -> \"%s\"\n", x, back);
	free(back);
	free(ids);
	return ok;
}

#endif
