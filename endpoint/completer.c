/*
 * completer.c: the model /v1/completions serves (completer.h): loading it, reading a
 * prompt into token ids, and the vLLM-style /tokenizer_info, /tokenize and /detokenize
 * endpoints on its tokenizer. The model and tokenizer are only read once loaded, so
 * requests may run on several request-pool threads at once. Never prints, never exits.
 */
#include "endpoint/completer.h"

#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/http_error.h"
#include "engine/tokenizer/tokenizer.h"

int completer_open(struct completer *c, const char *dir, struct bb_error *err)
{
	char *copy = strdup(dir);
	memset(c, 0, sizeof *c);
	if (!copy)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	c->name = strdup(basename(copy));
	free(copy);
	int rc = c->name ? model_open(&c->m, &c->tok, dir, NULL, err)
			 : bb_fail(err, BB_ENOMEM, "out of memory");
	if (rc)
		completer_close(c);
	return rc;
}

void completer_close(struct completer *c)
{
	free(c->name);
	tokenizer_free(c->tok);
	model_free(c->m);
	memset(c, 0, sizeof *c);
}

int completer_prompt_ids(const struct completer *c, const cJSON *p, bool add_special,
			 int **ids, int *n, struct bb_error *err)
{
	int vocab = model_config(c->m)->vocab_size, i = 0;
	const cJSON *it;
	if (cJSON_IsString(p))
		return tokenizer_encode(c->tok, p->valuestring, strlen(p->valuestring),
					add_special ? -1 : 0, ids, n, err);
	if (!cJSON_IsArray(p) || !(*n = cJSON_GetArraySize(p)))
		return bb_fail(err, BB_EINVAL, "prompt: expected a string or a list of token ids");
	if (!(*ids = malloc((size_t)*n * sizeof(int))))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_ArrayForEach(it, p) {
		double d = cJSON_IsNumber(it) ? it->valuedouble : -1;
		if (d < 0 || d >= vocab || d != floor(d)) {
			free(*ids);
			*ids = NULL;
			return bb_fail(err, BB_EINVAL, "prompt: token %d is not an id below %d", i, vocab);
		}
		(*ids)[i++] = (int)d;
	}
	return 0;
}

// ---- tokenizer endpoints ----

static cJSON *piece_or_null(const struct completer *c, int id)
{
	const char *p = id >= 0 ? tokenizer_piece(c->tok, id) : NULL;
	return p ? cJSON_CreateString(p) : cJSON_CreateNull();
}

static int tokenize(const struct completer *c, const cJSON *req, cJSON **reply)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(req, "prompt");
	const cJSON *special = cJSON_GetObjectItemCaseSensitive(req, "add_special_tokens");
	struct bb_error err = {0};
	int *ids = NULL, n = 0;
	if (!cJSON_IsString(p))
		return *reply = http_error("prompt: expected a string"), 400;
	if (tokenizer_encode(c->tok, p->valuestring, strlen(p->valuestring),
			     cJSON_IsFalse(special) ? 0 : -1, &ids, &n, &err))
		return *reply = http_error("%s", err.msg), 400;
	*reply = cJSON_CreateObject();
	cJSON_AddItemToObject(*reply, "tokens", cJSON_CreateIntArray(ids, n));
	cJSON_AddNumberToObject(*reply, "count", n);
	cJSON_AddNumberToObject(*reply, "max_model_len", model_max_length(c->m));
	free(ids);
	return 200;
}

static int detokenize(const struct completer *c, const cJSON *req, cJSON **reply)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(req, "tokens");
	struct bb_error err = {0};
	int *ids = NULL, n = 0, rc;
	char *text = NULL;
	if (!cJSON_IsArray(t))
		rc = bb_fail(&err, BB_EINVAL, "tokens: expected a list of token ids");
	else if (!(rc = completer_prompt_ids(c, t, false, &ids, &n, &err)))
		rc = tokenizer_decode(c->tok, ids, n, &text, &err);
	free(ids);
	if (rc)
		return *reply = http_error("%s", err.msg), 400;
	*reply = cJSON_CreateObject();
	cJSON_AddStringToObject(*reply, "prompt", text);
	free(text);
	return 200;
}

int tokenizer_answer(const struct completer *c, const char *which, const cJSON *req,
		     cJSON **reply)
{
	if (!strcmp(which, "tokenize"))
		return tokenize(c, req, reply);
	if (!strcmp(which, "detokenize"))
		return detokenize(c, req, reply);
	*reply = cJSON_CreateObject();
	cJSON_AddItemToObject(*reply, "eos_token", piece_or_null(c, tokenizer_eos(c->tok)));
	cJSON_AddItemToObject(*reply, "bos_token", piece_or_null(c, tokenizer_bos(c->tok)));
	cJSON_AddItemToObject(*reply, "pad_token", piece_or_null(c, tokenizer_pad(c->tok)));
	cJSON_AddNullToObject(*reply, "chat_template");
	cJSON_AddNumberToObject(*reply, "model_max_length", model_max_length(c->m));
	cJSON_AddNumberToObject(*reply, "vocab_size", tokenizer_vocab_size(c->tok));
	return 200;
}
