/*
 * http_error.h: the endpoint's one error body, {"error": "one line"}.
 *
 * Every handler (jobs.c, completions.c) and the HTTP side (router.c, server.c) answer a
 * refusal with it, so it sits below all of them: a handler that needs an error body
 * never reaches up into the router for one. Never prints, never exits.
 */
#ifndef BB_HTTP_ERROR_H
#define BB_HTTP_ERROR_H

#include <cJSON.h>

/* {"error": "<formatted>"}, newlines replaced by spaces; NULL only when out of memory. */
cJSON *http_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
