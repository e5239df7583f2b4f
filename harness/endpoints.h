/*
 * endpoints.h: the list of evaluation endpoints that `bitbudget run --endpoints` (or
 * $ENDPOINTS) names, parsed and checked in one place, and used by the runner to spread jobs
 * over them and by `run-job` to move a job to a live endpoint when its own stops answering.
 *
 * A list is comma-separated; each element is either "local" (the embedded engine, run in
 * each job's own process) or an http:// or https:// URL with a host and an optional port
 * in 1-65535 and path. "local" stands alone: its results are keyed by the engine's version
 * ("bitbudget-engine X"), a server's by what its /v1/health reports ("bitbudget X"), so a
 * mixed list would key one experiment's results two ways. Empty elements, other schemes,
 * spaces and control characters are refused with a message naming the element.
 * Parsing never touches the network; only the version probes do.
 */
#ifndef BB_ENDPOINTS_H
#define BB_ENDPOINTS_H

#include <stddef.h>

#include "core/error.h"

#define MAX_ENDPOINTS 64

struct endpoint_list {
	int n;
	char *url[MAX_ENDPOINTS]; /* point into storage */
	char *storage;
};

/* Parse and check text; source names it in errors ("--endpoints", "ENDPOINTS").
 * BB_EINVAL with one line naming the bad element; the caller frees l on success. */
int endpoint_list_parse(struct endpoint_list *l, const char *text, const char *source,
			struct bb_error *err);
void endpoint_list_free(struct endpoint_list *l);

/* The software version an endpoint reports on /v1/health ("local": the engine's own),
 * part of cache keys. */
int endpoint_version(const char *endpoint, char *out, size_t n, struct bb_error *err);

/* The version every endpoint of the list reports (part of cache keys): they must all
 * answer /v1/health and agree, or the cache would mix results of different software. */
int endpoint_list_version(const struct endpoint_list *l, char *out, size_t n,
			  struct bb_error *err);

#endif
