/*
 * fields.h: what every stage's parser stands on while tokenizer.json is read (fields.c):
 * where to complain, typed JSON field readers that name the field in every error, a
 * stage's "Sequence" of steps and its growing list of steps, the id-indexed arrays.
 *
 * Private to engine/tokenizer/: never included outside it. It knows no stage.
 * Only loading writes the tokenizer; nothing declared here runs after tokenizer_load.
 */
#ifndef BB_TOKENIZER_FIELDS_H
#define BB_TOKENIZER_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "engine/tokenizer/internal.h"

/* What every parse step needs: the tokenizer being filled and where to complain. */
struct tk_ctx {
	struct tokenizer *t;
	const char *path;
	struct bb_error *err;
};

// ---- errors and strings (fields.c) ----

/* BB_EFORMAT naming the file and the field where. */
int tk_fail_field(struct tk_ctx *c, const char *where, const char *what);
/* The same for the field where.key (built here, so a deep where is never cut). */
int tk_fail_key(struct tk_ctx *c, const char *where, const char *key, const char *what);
int tk_load_oom(struct tk_ctx *c);
/* BB_EUNSUPPORTED: where's type (NULL: missing) is no step bitbudget reproduces. */
int tk_unsupported(struct tk_ctx *c, const char *where, const char *type);
/* A copy of n bytes of s in the tokenizer's arena; NULL (error set) when out of memory. */
char *tk_dup_str(struct tk_ctx *c, const char *s, size_t n);
/* Grow the id-indexed arrays (piece, piece_len, id_flags) so that ids below n fit. */
int tk_reserve_ids(struct tk_ctx *c, int n);

// ---- JSON (fields.c) ----

/* Parse len bytes of JSON text (named path in errors) into an object. */
int tk_parse_json_text(const char *path, const char *data, size_t len, cJSON **out,
		       struct bb_error *err);
/* The same from the file path. */
int tk_parse_json(const char *path, cJSON **out, struct bb_error *err);
/* Boolean field: def when absent or null; -1 (error set) when of another type. */
int tk_get_bool(struct tk_ctx *c, const cJSON *o, const char *key, int def, const char *where);
/* String field or NULL; *bad set when present but not a string (or null). */
const char *tk_get_str(struct tk_ctx *c, const cJSON *o, const char *key, const char *where,
		       int *bad);
/* o's "type" string, or NULL. */
const char *tk_type_of(const cJSON *o);
/* A non-negative integral JSON number below 2^24, else -1. */
int tk_as_id(const cJSON *v);
/* A one-character string field (def when absent): its code point, and its UTF-8 bytes
 * when utf8 is not NULL. */
int tk_get_char(struct tk_ctx *c, const cJSON *o, const char *key, const char *def,
		const char *where, uint32_t *cp, char *utf8, size_t *utf8_len);

// ---- a stage's steps (fields.c) ----

/* Parses one step of a stage: o of type type (NULL: untyped), named where in errors. */
typedef int (*tk_step_fn)(struct tk_ctx *c, const cJSON *o, const char *type,
			  const char *where, void *arg);
int tk_parse_steps(struct tk_ctx *c, const cJSON *o, const char *where, const char *list_key,
		   tk_step_fn parse_step, void *arg);
/* One more zeroed step of size bytes at the end of *steps (holding *n); NULL (error set)
 * when out of memory, *steps then unchanged. */
void *tk_new_step(struct tk_ctx *c, void **steps, int *n, size_t size);
/* Metaspace's prepend_scheme (or older files' add_prefix_space), for the pre-tokenizer
 * and the decoder alike (fields.c). */
int tk_parse_prepend_scheme(struct tk_ctx *c, const cJSON *o, const char *where,
			    enum tk_prepend *out);

#endif
