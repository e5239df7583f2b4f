/*
 * completions.c: OpenAI's legacy POST /v1/completions as lm-eval's `local-completions`
 * and `gguf` backends call it (../shared/docs/lm-eval.md section 4), on one loaded model
 * (completer.c loads it, reads prompts into ids and answers the tokenizer endpoints).
 *
 * A prompt is a string (tokenized without BOS or other special tokens, as lm-eval's API
 * backends expect: they never prepend BOS; a request's "add_special_tokens": true adds the
 * tokenizer's own) or a list of token ids (used exactly as sent: no BOS is added). With echo, every prompt token gets
 * its log-probability (the first one null, as OpenAI does) and top alternatives; then
 * max_tokens tokens are generated greedily (temperature is accepted and ignored), each
 * with its log-probability, so lm-eval's token_logprobs[ctxlen:-1] window is exact.
 * A request's work (tokens) and answer (estimated bytes) are bounded before anything is
 * computed. Never prints, never exits; the model and tokenizer are only read, so requests
 * may run on several request-pool threads at once.
 */
#include "endpoint/completions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "endpoint/http_error.h"
#include "engine/model/session.h"
#include "engine/tokenizer/tokenizer.h"

#define MAX_TOP 20           /* logprobs: at most this many alternatives */
#define MAX_PROMPTS 256      /* prompts per request */
#define MAX_STOP 16          /* stop strings (OpenAI allows 4; lm-eval may send more) */
#define MAX_ECHO_FLOATS (512L << 20) /* n * vocab logits held at once for echo (2 GiB) */
/* The work and the answer of one request are bounded before anything is computed (the
 * request is refused with 413 beyond either): tokens run through the model (prompts plus
 * the tokens generated after each), and the answer's estimated size. */
#define MAX_REQUEST_TOKENS 32768
#define MAX_ANSWER_BYTES (16L << 20)
/* Upper estimates of the answer's JSON per position (a token with its text, logprob and
 * offset) and per top_logprobs alternative; measured at about 40 and 30 (docs/endpoint.md). */
#define ANSWER_BYTES_PER_POSITION 64
#define ANSWER_BYTES_PER_ALTERNATIVE 40

// ---- the request ----

struct completion_req {
	int max_tokens;
	bool echo;
	bool add_special;        /* string prompts get the tokenizer's BOS/EOS (default no) */
	int logprobs;            /* -1: none asked */
	int n_stop;
	const char *stop[MAX_STOP];
	const char *model;
};

static int parse_stop(struct completion_req *r, const cJSON *v, struct bb_error *err)
{
	const cJSON *it;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v)) {
		r->stop[r->n_stop++] = v->valuestring;
		return 0;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > MAX_STOP)
		return bb_fail(err, BB_EINVAL, "stop: expected a string or up to %d strings", MAX_STOP);
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it) || !*it->valuestring)
			return bb_fail(err, BB_EINVAL, "stop: expected non-empty strings");
		r->stop[r->n_stop++] = it->valuestring;
	}
	return 0;
}

/* Read an optional integer in [min, max]. */
static int opt_int(const cJSON *req, const char *key, int min, int max, int *out,
		   struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < min || v->valuedouble > max)
		return bb_fail(err, BB_EINVAL, "%s: expected an integer in [%d, %d]", key, min, max);
	*out = (int)v->valuedouble;
	return 0;
}

static int parse_request(struct completion_req *r, const cJSON *req, struct bb_error *err)
{
	const cJSON *echo = cJSON_GetObjectItemCaseSensitive(req, "echo");
	const cJSON *stream = cJSON_GetObjectItemCaseSensitive(req, "stream");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(req, "model");
	const cJSON *temp = cJSON_GetObjectItemCaseSensitive(req, "temperature");
	const cJSON *special = cJSON_GetObjectItemCaseSensitive(req, "add_special_tokens");
	int n = 1;
	*r = (struct completion_req){.max_tokens = 16, .logprobs = -1};
	r->model = cJSON_IsString(model) ? model->valuestring : NULL;
	if (echo && !cJSON_IsNull(echo) && !cJSON_IsBool(echo))
		return bb_fail(err, BB_EINVAL, "echo: expected true or false");
	r->echo = cJSON_IsTrue(echo);
	if (special && !cJSON_IsNull(special) && !cJSON_IsBool(special))
		return bb_fail(err, BB_EINVAL, "add_special_tokens: expected true or false");
	r->add_special = cJSON_IsTrue(special);
	if (cJSON_IsTrue(stream))
		return bb_fail(err, BB_EUNSUPPORTED, "stream: streaming is not supported");
	if (temp && !cJSON_IsNull(temp) && (!cJSON_IsNumber(temp) || temp->valuedouble < 0))
		return bb_fail(err, BB_EINVAL, "temperature: expected a number >= 0");
	int rc = opt_int(req, "max_tokens", 0, 1 << 16, &r->max_tokens, err);
	if (!rc)
		rc = opt_int(req, "logprobs", 0, MAX_TOP, &r->logprobs, err);
	if (!rc)
		rc = opt_int(req, "n", 1, 1, &n, err);
	if (!rc)
		rc = parse_stop(r, cJSON_GetObjectItemCaseSensitive(req, "stop"), err);
	if (!rc && r->max_tokens == 0 && !r->echo)
		rc = bb_fail(err, BB_EINVAL, "max_tokens: 0 without echo asks for nothing");
	return rc;
}

// ---- log-probabilities ----

/* What one position's distribution says: the log-probability of the token there and the
 * top alternatives, in decreasing order. */
struct pos_info {
	double lp;
	int n_top;
	int top_id[MAX_TOP];
	double top_lp[MAX_TOP];
};

/* Log-softmax of row (vocab) in double: the target's value, the argmax, and the k best. */
static int analyse_row(const float *row, int vocab, int target, int k, struct pos_info *pi)
{
	double max = row[0], sum = 0;
	int arg = 0;
	for (int v = 1; v < vocab; v++)
		if (row[v] > max)
			max = row[v], arg = v;
	for (int v = 0; v < vocab; v++)
		sum += exp((double)row[v] - max);
	double lse = max + log(sum);
	if (target < 0)
		target = arg;
	pi->lp = (double)row[target] - lse;
	pi->n_top = 0;
	for (int v = 0; v < vocab && k > 0; v++) { /* insertion into the k best */
		double lp = (double)row[v] - lse;
		int j = pi->n_top < k ? pi->n_top++ : k;
		if (j == k && lp <= pi->top_lp[k - 1])
			continue;
		if (j == k)
			j = k - 1;
		for (; j > 0 && pi->top_lp[j - 1] < lp; j--) {
			pi->top_lp[j] = pi->top_lp[j - 1];
			pi->top_id[j] = pi->top_id[j - 1];
		}
		pi->top_lp[j] = lp;
		pi->top_id[j] = v;
	}
	return target;
}

// ---- one prompt ----

struct completion {
	int *ids;                /* prompt + generated */
	int n_prompt, n;
	struct pos_info *pos;    /* (n); pos[0] unused */
	bool stopped;            /* EOS or a stop string */
	size_t stop_cut;         /* with a stop string: bytes of generated text kept */
	bool stop_string;
};

static void completion_free(struct completion *c)
{
	free(c->ids);
	free(c->pos);
}

/* Text of ids[0..n) with special tokens skipped. */
static char *decode(const struct completer *c, const int *ids, int n, size_t *len)
{
	char *text = NULL;
	struct bb_error err;
	if (tokenizer_decode_ex(c->tok, ids, n, TOKENIZER_SKIP_SPECIAL, &text, len, &err))
		return NULL;
	return text;
}

/* Whether the generated text (after the prompt's) now contains a stop string. */
static bool hit_stop(const struct completer *c, const struct completion_req *r,
		     struct completion *cp)
{
	size_t plen = 0, len = 0;
	char *p = decode(c, cp->ids, cp->n_prompt, &plen), *all = decode(c, cp->ids, cp->n, &len);
	bool hit = false;
	for (int s = 0; p && all && s < r->n_stop; s++) {
		const char *at = len >= plen ? strstr(all + plen, r->stop[s]) : NULL;
		if (at && (!hit || (size_t)(at - all) - plen < cp->stop_cut)) {
			cp->stop_cut = (size_t)(at - all) - plen;
			hit = true;
		}
	}
	free(p);
	free(all);
	return hit;
}

/* Echo: log-probabilities of every prompt token (one forward over the whole prompt).
 * *last receives the last row (vocab) for the first generated token. */
static int echo_prompt(const struct completer *c, const struct completion_req *r,
		       struct completion *cp, float **last, struct bb_error *err)
{
	int vocab = model_config(c->m)->vocab_size, n = cp->n_prompt;
	if ((long)n * vocab > MAX_ECHO_FLOATS)
		return bb_fail(err, BB_EINVAL, "prompt: %d tokens are too many to echo", n);
	float *logits = malloc((size_t)n * (size_t)vocab * sizeof(float));
	if (!logits)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	int rc = model_logits(c->m, cp->ids, n, logits, err);
	for (int i = 1; !rc && i < n; i++)
		analyse_row(logits + (size_t)(i - 1) * vocab, vocab, cp->ids[i],
			    r->logprobs < 0 ? 0 : r->logprobs, &cp->pos[i]);
	if (!rc && (*last = malloc((size_t)vocab * sizeof(float))))
		memcpy(*last, logits + (size_t)(n - 1) * vocab, (size_t)vocab * sizeof(float));
	else if (!rc)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	free(logits);
	return rc;
}

/* Greedy generation of up to max_tokens tokens after the prompt. row holds the
 * distribution after the prompt when already known (echo), else the session computes it. */
static int generate(const struct completer *c, const struct completion_req *r,
		    struct completion *cp, float *row, struct bb_error *err)
{
	int vocab = model_config(c->m)->vocab_size, maxlen = model_max_length(c->m);
	int eos = tokenizer_eos(c->tok), rc = 0;
	struct model_session *s = NULL;
	bool own = !row;
	if (own && !(row = malloc((size_t)vocab * sizeof(float))))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int k = 0; !rc && k < r->max_tokens && cp->n <= maxlen && !cp->stopped; k++) {
		bool need = k > 0 || own;
		int cap = cp->n_prompt + r->max_tokens < maxlen ? cp->n_prompt + r->max_tokens : maxlen;
		if (need && !s && !(rc = model_session_new(&s, c->m, cap, err)))
			rc = model_session_feed(s, cp->ids, cp->n - (k > 0), k > 0 ? NULL : row, err);
		if (!rc && k > 0)
			rc = model_session_feed(s, &cp->ids[cp->n - 1], 1, row, err);
		if (rc)
			break;
		int tok = analyse_row(row, vocab, -1, r->logprobs < 0 ? 0 : r->logprobs, &cp->pos[cp->n]);
		cp->ids[cp->n++] = tok;
		cp->stopped = tok == eos || (r->n_stop && hit_stop(c, r, cp));
		cp->stop_string = cp->stopped && tok != eos;
	}
	model_session_free(s);
	if (own)
		free(row);
	return rc;
}

/* The prompt's token ids, checked against the model's context. */
static int prompt_tokens(const struct completer *c, const cJSON *prompt, bool add_special,
			 int **ids, int *n, struct bb_error *err)
{
	int maxlen = model_max_length(c->m);
	int rc = completer_prompt_ids(c, prompt, add_special, ids, n, err);
	if (!rc && *n == 0)
		rc = bb_fail(err, BB_EINVAL, "prompt: no tokens");
	if (!rc && *n > maxlen)
		rc = bb_fail(err, BB_EINVAL, "prompt: %d tokens, the model's context is %d", *n, maxlen);
	return rc;
}

static int complete_one(const struct completer *c, const struct completion_req *r,
			const int *ids, int n, struct completion *cp, struct bb_error *err)
{
	float *last = NULL;
	int rc = 0;
	cp->ids = malloc((size_t)(n + r->max_tokens) * sizeof(int));
	cp->pos = calloc((size_t)(n + r->max_tokens), sizeof(struct pos_info));
	if (!cp->ids || !cp->pos)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	memcpy(cp->ids, ids, (size_t)n * sizeof(int));
	cp->n_prompt = cp->n = n;
	if (!rc && r->echo)
		rc = echo_prompt(c, r, cp, &last, err);
	if (!rc && r->max_tokens > 0)
		rc = generate(c, r, cp, last, err);
	free(last);
	return rc;
}

// ---- the answer ----

/* Byte offsets of each token's text in the decoded whole, made monotonic: off (n + 1). */
static void token_offsets(const struct completer *c, const struct completion *cp,
			  const char *full, size_t full_len, size_t *off)
{
	off[0] = 0;
	for (int i = 1; i <= cp->n; i++) {
		size_t len = 0, same = 0;
		char *p = i == cp->n ? NULL : decode(c, cp->ids, i, &len);
		if (i == cp->n)
			same = full_len;
		while (p && same < len && same < full_len && p[same] == full[same])
			same++;
		while (same > 0 && same < full_len && (full[same] & 0xC0) == 0x80)
			same--; /* never split a UTF-8 character */
		off[i] = same > off[i - 1] ? same : off[i - 1];
		free(p);
	}
}

static long utf8_chars(const char *s, size_t n)
{
	long k = 0;
	for (size_t i = 0; i < n; i++)
		k += (s[i] & 0xC0) != 0x80;
	return k;
}

static cJSON *top_json(const struct completer *c, const struct pos_info *pi)
{
	cJSON *o = cJSON_CreateObject();
	for (int t = 0; t < pi->n_top; t++) {
		size_t len;
		char *key = decode(c, &pi->top_id[t], 1, &len);
		const char *k = key && *key ? key : tokenizer_piece(c->tok, pi->top_id[t]);
		if (!k)
			k = "";
		if (!cJSON_GetObjectItemCaseSensitive(o, k)) /* same text: keep the larger */
			cJSON_AddNumberToObject(o, k, pi->top_lp[t]);
		free(key);
	}
	return o;
}

static cJSON *logprobs_json(const struct completer *c, const struct completion *cp,
			    const char *full, const size_t *off, int from)
{
	cJSON *lp = cJSON_CreateObject();
	cJSON *tokens = cJSON_AddArrayToObject(lp, "tokens");
	cJSON *tlp = cJSON_AddArrayToObject(lp, "token_logprobs");
	cJSON *top = cJSON_AddArrayToObject(lp, "top_logprobs");
	cJSON *toff = cJSON_AddArrayToObject(lp, "text_offset");
	for (int i = from; i < cp->n; i++) {
		char *t = strndup(full + off[i], off[i + 1] - off[i]);
		cJSON_AddItemToArray(tokens, cJSON_CreateString(t ? t : ""));
		free(t);
		cJSON_AddItemToArray(tlp, i == 0 ? cJSON_CreateNull() : cJSON_CreateNumber(cp->pos[i].lp));
		cJSON_AddItemToArray(top, i == 0 ? cJSON_CreateNull() : top_json(c, &cp->pos[i]));
		cJSON_AddItemToArray(toff, cJSON_CreateNumber((double)utf8_chars(full, off[i])));
	}
	return lp;
}

static cJSON *choice_json(const struct completer *c, const struct completion_req *r,
			  const struct completion *cp, int index)
{
	size_t len = 0, *off = malloc((size_t)(cp->n + 1) * sizeof(size_t));
	char *full = decode(c, cp->ids, cp->n, &len);
	if (!off || !full) {
		free(off);
		free(full);
		return NULL;
	}
	token_offsets(c, cp, full, len, off);
	size_t start = r->echo ? 0 : off[cp->n_prompt], end = len;
	if (cp->stop_string && off[cp->n_prompt] + cp->stop_cut < end)
		end = off[cp->n_prompt] + cp->stop_cut;
	cJSON *ch = cJSON_CreateObject();
	char *text = strndup(full + start, end - start);
	cJSON_AddStringToObject(ch, "text", text ? text : "");
	cJSON_AddNumberToObject(ch, "index", index);
	if (r->logprobs >= 0)
		cJSON_AddItemToObject(ch, "logprobs",
				      logprobs_json(c, cp, full, off, r->echo ? 0 : cp->n_prompt));
	else
		cJSON_AddNullToObject(ch, "logprobs");
	cJSON_AddStringToObject(ch, "finish_reason", cp->stopped ? "stop" : "length");
	free(text);
	free(full);
	free(off);
	return ch;
}

static cJSON *answer_json(const struct completer *c, const struct completion_req *r)
{
	char id[40]; /* "cmpl-" and two 64-bit numbers in hex: 37 bytes at most */
	snprintf(id, sizeof id, "cmpl-%lx%lx", (unsigned long)time(NULL), (unsigned long)clock());
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "object", "text_completion");
	cJSON_AddNumberToObject(o, "created", (double)time(NULL));
	cJSON_AddStringToObject(o, "model", r->model ? r->model : c->name);
	cJSON_AddArrayToObject(o, "choices");
	return o;
}

static void add_usage(cJSON *o, long prompt, long generated)
{
	cJSON *u = cJSON_AddObjectToObject(o, "usage");
	cJSON_AddNumberToObject(u, "prompt_tokens", (double)prompt);
	cJSON_AddNumberToObject(u, "completion_tokens", (double)generated);
	cJSON_AddNumberToObject(u, "total_tokens", (double)(prompt + generated));
}

/* The prompts of a request: one string, a list of strings, one id list, or a list of
 * id lists. */
static int prompt_list(const cJSON *p, const cJSON ***list, int *n, struct bb_error *err)
{
	bool many = cJSON_IsArray(p) && p->child && (cJSON_IsString(p->child) || cJSON_IsArray(p->child));
	const cJSON *it;
	*n = many ? cJSON_GetArraySize(p) : 1;
	if (!p || (!cJSON_IsString(p) && !cJSON_IsArray(p)))
		return bb_fail(err, BB_EINVAL, "prompt: expected a string, a list of strings or "
			       "token id lists");
	if (*n > MAX_PROMPTS)
		return bb_fail(err, BB_EINVAL, "prompt: %d prompts in one request, at most %d are "
			       "allowed", *n, MAX_PROMPTS);
	if (!(*list = malloc((size_t)*n * sizeof **list)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	if (!many)
		(*list)[0] = p;
	int i = 0;
	for (it = many ? p->child : NULL; it; it = it->next)
		(*list)[i++] = it;
	return 0;
}

/* Every prompt's token ids: ids[i] (n[i] of them); on failure *failed is the prompt at
 * fault. */
struct prompt_set {
	int count;
	int **ids;
	int *n;
};

static void prompt_set_free(struct prompt_set *ps)
{
	for (int i = 0; ps->ids && i < ps->count; i++)
		free(ps->ids[i]);
	free(ps->ids);
	free(ps->n);
}

static int prompt_set_read(const struct completer *c, const cJSON *req, bool add_special,
			   struct prompt_set *ps, int *failed, struct bb_error *err)
{
	const cJSON **prompts = NULL;
	int rc = prompt_list(cJSON_GetObjectItemCaseSensitive(req, "prompt"), &prompts, &ps->count,
			     err);
	if (rc)
		return rc;
	ps->ids = calloc((size_t)ps->count, sizeof *ps->ids);
	ps->n = calloc((size_t)ps->count, sizeof *ps->n);
	if (!ps->ids || !ps->n)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; !rc && i < ps->count; i++)
		if ((rc = prompt_tokens(c, prompts[i], add_special, &ps->ids[i], &ps->n[i], err)))
			*failed = i;
	free(prompts);
	return rc;
}

/* Refuse a request whose work or answer would exceed the bounds (answered 413). */
static int check_bounds(const struct completer *c, const struct completion_req *r,
			const struct prompt_set *ps, struct bb_error *err)
{
	long maxlen = model_max_length(c->m), tokens = 0, positions = 0;
	for (int i = 0; i < ps->count; i++) {
		long room = maxlen - ps->n[i] + 1, gen = r->max_tokens < room ? r->max_tokens : room;
		tokens += ps->n[i] + gen;
		positions += (r->echo ? ps->n[i] : 0) + gen;
	}
	if (tokens > MAX_REQUEST_TOKENS)
		return bb_fail(err, BB_EINVAL, "prompt: %ld tokens to compute in this request "
			       "(prompts plus max_tokens each), the limit is %d per request", tokens,
			       MAX_REQUEST_TOKENS);
	long alternatives = r->logprobs > 0 ? r->logprobs : 0;
	long bytes = positions * (ANSWER_BYTES_PER_POSITION + alternatives * ANSWER_BYTES_PER_ALTERNATIVE);
	if (bytes > MAX_ANSWER_BYTES)
		return bb_fail(err, BB_EINVAL, "the answer would be about %ld bytes (%ld positions "
			       "with %ld logprobs each), the limit is %ld bytes per request: ask for "
			       "fewer prompts, fewer logprobs or no echo", bytes, positions,
			       alternatives, MAX_ANSWER_BYTES);
	return 0;
}

int completions_answer(const struct completer *c, const cJSON *req, cJSON **reply)
{
	struct completion_req r;
	struct bb_error err = {0};
	struct prompt_set ps = {0};
	long n_prompt = 0, n_gen = 0;
	int failed = -1, rc = cJSON_IsObject(req) ? parse_request(&r, req, &err)
					    : bb_fail(&err, BB_EINVAL, "the body must be a JSON object");
	if (!rc)
		rc = prompt_set_read(c, req, r.add_special, &ps, &failed, &err);
	bool over_bound = !rc && (rc = check_bounds(c, &r, &ps, &err));
	cJSON *out = rc ? NULL : answer_json(c, &r);
	for (int i = 0; !rc && i < ps.count; i++) {
		struct completion cp = {0};
		cJSON *ch = NULL;
		if (!(rc = complete_one(c, &r, ps.ids[i], ps.n[i], &cp, &err)) &&
		    !(ch = choice_json(c, &r, &cp, i)))
			rc = bb_fail(&err, BB_ENOMEM, "out of memory");
		if (rc)
			failed = i;
		if (ch)
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(out, "choices"), ch);
		n_prompt += cp.n_prompt;
		n_gen += cp.n - cp.n_prompt;
		completion_free(&cp);
	}
	int count = ps.count;
	prompt_set_free(&ps);
	if (rc) {
		cJSON_Delete(out);
		/* name the prompt at fault only when there are several and one is */
		*reply = failed >= 0 && count > 1 ? http_error("prompts[%d]: %s", failed, err.msg)
						  : http_error("%s", err.msg);
		return over_bound ? 413 : rc == BB_ENOMEM ? 500 : 400;
	}
	add_usage(out, n_prompt, n_gen);
	*reply = out;
	return 200;
}
