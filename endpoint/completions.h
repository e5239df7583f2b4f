/*
 * completions.h: OpenAI's legacy POST /v1/completions and the vLLM-style tokenizer
 * endpoints, on one loaded model (docs/endpoint.md). Each answer is an HTTP status and a
 * JSON body; the router (router.c) runs them on the request pool, the handlers never see
 * a connection. Never prints, never exits.
 */
#ifndef BB_COMPLETIONS_H
#define BB_COMPLETIONS_H

#include <cJSON.h>

#include "core/error.h"
#include "engine/model.h"

struct completer {
	char *name;              /* what "model" answers carry */
	struct model *m;
	struct tokenizer *tok;
};

/* Load dir for /v1/completions. */
int completer_open(struct completer *c, const char *dir, struct bb_error *err);
void completer_close(struct completer *c);

/* POST /v1/completions: HTTP status and *reply. Safe from many threads at once. */
int completions_answer(const struct completer *c, const cJSON *req, cJSON **reply);
/* GET /tokenizer_info, POST /tokenize, POST /detokenize (vLLM-style, for lm-eval's
 * remote tokenizer); which is the path without its slash. */
int tokenizer_answer(const struct completer *c, const char *which, const cJSON *req,
		     cJSON **reply);

#endif
