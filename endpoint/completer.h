/*
 * completer.h: the model /v1/completions serves, loaded once at the server's start, and
 * what both its routes need of it: reading a prompt into token ids, and the vLLM-style
 * tokenizer endpoints (/tokenizer_info, /tokenize, /detokenize) that lm-eval's remote
 * tokenizer calls. Answers are an HTTP status and a JSON body; the handlers never see a
 * connection. Never prints, never exits.
 */
#ifndef BB_COMPLETER_H
#define BB_COMPLETER_H

#include <stdbool.h>

#include <cJSON.h>

#include "core/error.h"
#include "engine/model/model.h"

struct completer {
	char *name;              /* what "model" answers carry */
	struct model *m;
	struct tokenizer *tok;
};

/* Load dir for /v1/completions. */
int completer_open(struct completer *c, const char *dir, struct bb_error *err);
void completer_close(struct completer *c);

/* A prompt's token ids (*ids malloc'd, *n of them): a string is encoded (with the
 * tokenizer's special tokens only when add_special), a list of ids is checked against
 * the vocabulary and used as sent. */
int completer_prompt_ids(const struct completer *c, const cJSON *p, bool add_special,
			 int **ids, int *n, struct bb_error *err);

/* GET /tokenizer_info, POST /tokenize, POST /detokenize (vLLM-style, for lm-eval's
 * remote tokenizer); which is the path without its slash. Safe from many threads. */
int tokenizer_answer(const struct completer *c, const char *which, const cJSON *req,
		     cJSON **reply);

#endif
