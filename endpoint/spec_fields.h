/*
 * spec_fields.h: the typed field readers that every JSON spec of the endpoint shares: the
 * server's job requests (job_spec.c) and the runner's job specs (run_spec.c).
 *
 * One code path checks a field's type and range and names the field in the one-line
 * error, so a spec is either read whole into its C struct or refused with the field at
 * fault; nothing downstream ever sees a missing or mistyped value. A reader leaves *out
 * untouched when an optional field is absent or null, and fails naming the field when a
 * required one is.
 * Never prints or exits: a refusal is one line in struct bb_error.
 */
#ifndef BB_SPEC_FIELDS_H
#define BB_SPEC_FIELDS_H

#include <stdbool.h>

#include <cJSON.h>

#include "core/error.h"

/* Every key of obj is in one of the NULL-terminated lists (the second may be NULL);
 * otherwise "unknown field 'K' for WHAT" (WHAT with its article). */
int spec_check_keys(const cJSON *obj, const char *const *keys, const char *const *more,
		    const char *what, struct bb_error *err);

/* An integer in [min, max] (1e98, 2.5, "3" and true are refused). */
int spec_get_int(const cJSON *obj, const char *key, bool required, long min, long max,
		 long *out, struct bb_error *err);

/* A finite number in [min, max]. */
int spec_get_number(const cJSON *obj, const char *key, bool required, double min, double max,
		    double *out, struct bb_error *err);

/* true or false: *out becomes 1 or 0 (left alone when absent or null). */
int spec_get_bool(const cJSON *obj, const char *key, bool required, int *out,
		  struct bb_error *err);

/* A string, copied into *out (caller frees); non_empty refuses "". */
int spec_get_string(const cJSON *obj, const char *key, bool required, bool non_empty,
		    char **out, struct bb_error *err);

/* A list of 1..max distinct non-empty names, given as a JSON array of strings or as one
 * comma-separated string: *names (caller frees each and the array) and *n. */
int spec_get_names(const cJSON *obj, const char *key, bool required, int max, char ***names,
		   int *n, struct bb_error *err);

/* Free what spec_get_names made. */
void spec_free_names(char **names, int n);

#endif
