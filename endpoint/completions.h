/*
 * completions.h: OpenAI's legacy POST /v1/completions, as lm-eval's `local-completions`
 * backend calls it, on the loaded model (completer.h; protocol: docs/endpoint.md). The
 * answer is an HTTP status and a JSON body; the router (router.c) runs it on the request
 * pool, the handler never sees a connection. Never prints, never exits.
 */
#ifndef BB_COMPLETIONS_H
#define BB_COMPLETIONS_H

#include <cJSON.h>

#include "endpoint/completer.h"

/* POST /v1/completions: HTTP status and *reply. Safe from many threads at once. */
int completions_answer(const struct completer *c, const cJSON *req, cJSON **reply);

#endif
