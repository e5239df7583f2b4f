/*
 * session.h: a model run one token at a time (session.c): a KV cache for one sequence,
 * and greedy generation on it.
 *
 * A session belongs to one thread at a time; the model under it stays read-only. Never
 * prints, never exits: failures return a negative enum bb_err with one line in err.
 */
#ifndef BB_MODEL_SESSION_H
#define BB_MODEL_SESSION_H

#include "core/error.h"
#include "engine/model/model.h"

/* An incremental decoder: a KV cache for up to capacity tokens of one sequence. */
struct model_session;
int model_session_new(struct model_session **out, const struct model *m, int capacity,
		      struct bb_error *err);
/* Append n tokens; if logits is not NULL it receives the last token's logits (vocab).
 * Past the capacity is an error and leaves the session unchanged. */
int model_session_feed(struct model_session *s, const int *ids, int n, float *logits,
		       struct bb_error *err);
void model_session_free(struct model_session *s);

/* Greedy decoding: up to max_new tokens after prompt (n_prompt >= 1), stopping after
 * stop_id (pass -1 for none). out (max_new) receives the new tokens, *n_out their count. */
int model_generate(const struct model *m, const int *prompt, int n_prompt, int max_new,
		   int stop_id, int *out, int *n_out, struct bb_error *err);

#endif
