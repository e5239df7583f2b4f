/*
 * session.c: incremental decoding of one sequence with a KV cache, and greedy generation
 * on top of it.
 *
 * A session owns its cache (L, capacity, kvd) and a workspace sized once at creation;
 * feeding tokens never allocates. The model is only read, so sessions on one model may
 * run in parallel. Never prints, never exits.
 */
#include "engine/model/session.h"
#include "engine/model/model_internal.h"

#include <stdlib.h>
#include <string.h>

/* Prompt tokens run through the blocks at most this many at a time. */
#define FEED_CHUNK 512

struct model_session {
	const struct model *m;
	struct workspace ws;
	struct kv_cache kv;
	int pos;               /* tokens in the cache */
};

void model_session_free(struct model_session *s)
{
	if (!s)
		return;
	ws_free(&s->ws);
	free(s->kv.k);
	free(s->kv.v);
	free(s);
}

int model_session_new(struct model_session **out, const struct model *m, int capacity,
		      struct bb_error *err)
{
	*out = NULL;
	if (capacity < 1 || capacity > m->max_len)
		return bb_fail(err, BB_EINVAL, "session capacity %d is outside [1, %d]", capacity,
			       m->max_len);
	struct model_session *s = calloc(1, sizeof *s);
	if (!s)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	s->m = m;
	s->kv.cap = capacity;
	size_t n = (size_t)m->L * capacity * m->kvd;
	s->kv.k = malloc(n * sizeof(float));
	s->kv.v = malloc(n * sizeof(float));
	int rows = capacity < FEED_CHUNK ? capacity : FEED_CHUNK;
	int rc = !s->kv.k || !s->kv.v ? bb_fail(err, BB_ENOMEM, "out of memory for the KV cache")
				      : ws_init(&s->ws, m, (size_t)rows, rows, capacity, false, err);
	if (rc) {
		model_session_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int model_session_feed(struct model_session *s, const int *ids, int n, float *logits,
		       struct bb_error *err)
{
	const struct model *m = s->m;
	int rc = model_check_ids(m, ids, n, "session", err);
	if (rc)
		return rc;
	if (n > s->kv.cap - s->pos)
		return bb_fail(err, BB_EINVAL, "session: %d more tokens exceed its capacity of %d "
			       "(%d used)", n, s->kv.cap, s->pos);
	int nc = 0;
	for (int i = 0; i < n; i += nc) {
		nc = n - i < (int)s->ws.rows ? n - i : (int)s->ws.rows;
		int start[2] = {0, nc};
		struct batch b = {.n_rows = nc, .n_seq = 1, .start = start, .pos0 = s->pos};
		model_run(m, &s->ws, ids + i, &b, &s->kv, NULL, NULL);
		s->pos += nc;
	}
	if (logits)
		model_head(m, logits, s->ws.a.x + (size_t)(nc - 1) * m->d, 1, &s->ws);
	return 0;
}

static int argmax(const float *x, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return best;
}

int model_generate(const struct model *m, const int *prompt, int n_prompt, int max_new,
		   int stop_id, int *out, int *n_out, struct bb_error *err)
{
	struct model_session *s;
	*n_out = 0;
	if (max_new < 0 || (long)n_prompt + max_new - 1 > m->max_len)
		return bb_fail(err, BB_EINVAL, "%d prompt tokens and %d new ones exceed the "
			       "model's context of %d tokens", n_prompt, max_new, m->max_len);
	int cap = n_prompt + (max_new > 0 ? max_new - 1 : 0);
	int rc = model_check_ids(m, prompt, n_prompt, "prompt", err);
	if (rc || (rc = model_session_new(&s, m, cap, err)))
		return rc;
	float *logits = malloc((size_t)m->V * sizeof(float));
	rc = logits ? model_session_feed(s, prompt, n_prompt, logits, err)
		    : bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; !rc && i < max_new; i++) {
		int tok = argmax(logits, m->V);
		out[(*n_out)++] = tok;
		if (tok == stop_id || i + 1 == max_new)
			break;
		rc = model_session_feed(s, &tok, 1, logits, err);
	}
	free(logits);
	model_session_free(s);
	return rc;
}
