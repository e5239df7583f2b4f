/*
 * loglik.c: lm-eval's log-likelihood requests on the model: (context, continuation)
 * pairs, alone or many at once, and rolling windows over a whole text.
 *
 * Every request becomes a span: input tokens fed to the model and the targets predicted
 * by its last rows. Spans are packed several to a forward pass, and logits are formed only
 * for target rows, a chunk at a time. One workspace per call, never per token or request.
 * Never prints, never exits.
 */
#include "engine/model/loglik.h"
#include "engine/model/model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/model_ops.h"

/* Rows of one forward pass (a longer single span gets a pass of its own size). */
#define PACK_ROWS 2048
/* Target rows whose logits are formed at once. */
#define LOGIT_CHUNK 64

struct span {
	const int *input;    /* (n_input) tokens fed */
	int n_input;
	const int *targets;  /* (n_targets) predicted by rows n_input - n_targets .. n_input-1 */
	int n_targets;
	double logprob;      /* out */
	bool greedy;         /* out */
};

// ---- scoring packed spans ----

/* Log-probabilities of the gathered target rows hid (n, d) with target ids tgt (n); row i
 * belongs to span owner[i]. */
static void score_rows(const struct model *m, struct workspace *ws, float *logits,
		       const float *hid, const int *tgt, const int *owner, int n,
		       struct span *spans)
{
	for (int c = 0; c < n; c += LOGIT_CHUNK) {
		int nc = n - c < LOGIT_CHUNK ? n - c : LOGIT_CHUNK;
		model_head(m, logits, hid + (size_t)c * m->d, (size_t)nc, ws);
		for (int i = 0; i < nc; i++) {
			bool top;
			struct span *sp = &spans[owner[c + i]];
			sp->logprob += token_logprob(logits + (size_t)i * m->V, m->V, tgt[c + i], &top);
			sp->greedy = sp->greedy && top;
		}
	}
}

/* Run spans [s0, s1), packed back to back, through the model. ids, start, tgt, owner are
 * scratch sized for ws->rows rows. */
static void run_pack(const struct model *m, struct workspace *ws, float *logits,
		     struct span *spans, int s0, int s1, int *ids, int *start, int *tgt,
		     int *owner)
{
	int rows = 0, n_tgt = 0;
	for (int s = s0; s < s1; s++) {
		start[s - s0] = rows;
		memcpy(ids + rows, spans[s].input, (size_t)spans[s].n_input * sizeof(int));
		rows += spans[s].n_input;
		spans[s].logprob = 0;
		spans[s].greedy = true;
	}
	start[s1 - s0] = rows;
	struct batch b = {.n_rows = rows, .n_seq = s1 - s0, .start = start, .pos0 = 0};
	model_run(m, ws, ids, &b, NULL, NULL, NULL);
	for (int s = s0; s < s1; s++) {
		int first = start[s - s0] + spans[s].n_input - spans[s].n_targets;
		for (int t = 0; t < spans[s].n_targets; t++, n_tgt++) {
			memcpy(ws->a.xn2 + (size_t)n_tgt * m->d, ws->a.x + (size_t)(first + t) * m->d,
			       (size_t)m->d * sizeof(float));
			tgt[n_tgt] = spans[s].targets[t];
			owner[n_tgt] = s;
		}
	}
	score_rows(m, ws, logits, ws->a.xn2, tgt, owner, n_tgt, spans);
}

/* Finite logits always give a finite log-softmax, so a NaN or Inf log-likelihood means the
 * forward pass itself broke (NaN or Inf weights, a config the checks let through). It is
 * an error, never a score: averaged into an accuracy it would look like a plausible one. */
static int check_finite(const struct span *spans, int n, struct bb_error *err)
{
	for (int s = 0; s < n; s++)
		if (!isfinite(spans[s].logprob))
			return bb_fail(err, BB_EFORMAT, "the model's log-likelihood of span %d of %d is "
				       "%s: its weights or config make the forward pass non-finite",
				       s + 1, n, isnan(spans[s].logprob) ? "NaN" : "infinite");
	return 0;
}

static int score_spans(const struct model *m, struct span *spans, int n, struct bb_error *err)
{
	int longest = 0;
	for (int s = 0; s < n; s++)
		longest = spans[s].n_input > longest ? spans[s].n_input : longest;
	int cap = longest > PACK_ROWS ? longest : PACK_ROWS;
	struct workspace ws;
	int rc = ws_init(&ws, m, (size_t)cap, longest, longest, false, err);
	if (rc)
		return rc;
	int *scratch = malloc((size_t)(4 * cap + 1) * sizeof(int));
	float *logits = malloc((size_t)LOGIT_CHUNK * m->V * sizeof(float));
	if (!scratch || !logits) {
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
		goto done;
	}
	for (int s0 = 0, s1; s0 < n; s0 = s1) {
		int rows = 0;
		for (s1 = s0; s1 < n && rows + spans[s1].n_input <= cap; s1++)
			rows += spans[s1].n_input;
		run_pack(m, &ws, logits, spans, s0, s1, scratch, scratch + cap, scratch + 2 * cap + 1,
			 scratch + 3 * cap + 1);
	}
	rc = check_finite(spans, n, err);
done:
	free(scratch);
	free(logits);
	ws_free(&ws);
	return rc;
}

// ---- (context, continuation) requests ----

static int check_request(const struct model *m, const struct loglik_request *r, int index,
			 struct bb_error *err)
{
	char what[64];
	snprintf(what, sizeof what, "request %d: continuation", index);
	if (r->n_ctx < 1)
		return bb_fail(err, BB_EINVAL, "request %d: empty context (pass the BOS or prefix "
			       "token)", index);
	int rc = model_check_ids(m, r->cont, r->n_cont, what, err);
	for (int i = 0; !rc && i < r->n_ctx; i++)
		if (r->ctx[i] < 0 || r->ctx[i] >= m->V)
			rc = bb_fail(err, BB_EINVAL, "request %d: context token id %d at index %d is "
				     "outside the vocabulary of %d", index, r->ctx[i], i, m->V);
	return rc;
}

/* lm-eval's (ctx + cont)[-(max_length + 1):][:-1] into buf; the span predicts cont. */
static void request_span(const struct model *m, const struct loglik_request *r, int *buf,
			 struct span *sp)
{
	int total = r->n_ctx + r->n_cont, keep = total < m->max_len + 1 ? total : m->max_len + 1;
	memcpy(buf, r->ctx, (size_t)r->n_ctx * sizeof(int));
	memcpy(buf + r->n_ctx, r->cont, (size_t)r->n_cont * sizeof(int));
	*sp = (struct span){.input = buf + total - keep, .n_input = keep - 1,
			    .targets = r->cont, .n_targets = r->n_cont};
}

int model_loglik_batch(const struct model *m, struct loglik_request *reqs, int n,
		       struct bb_error *err)
{
	size_t total = 0;
	if (n <= 0)
		return n < 0 ? bb_fail(err, BB_EINVAL, "loglik: %d requests", n) : 0;
	for (int i = 0; i < n; i++) {
		int rc = check_request(m, &reqs[i], i, err);
		if (rc)
			return rc;
		total += (size_t)reqs[i].n_ctx + reqs[i].n_cont;
	}
	int *buf = malloc(total * sizeof(int));
	struct span *spans = malloc((size_t)n * sizeof *spans);
	int rc = buf && spans ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	for (size_t i = 0, off = 0; !rc && i < (size_t)n; i++) {
		request_span(m, &reqs[i], buf + off, &spans[i]);
		off += (size_t)reqs[i].n_ctx + reqs[i].n_cont;
	}
	if (!rc)
		rc = score_spans(m, spans, n, err);
	for (int i = 0; !rc && i < n; i++) {
		reqs[i].logprob = spans[i].logprob;
		reqs[i].is_greedy = spans[i].greedy;
	}
	free(buf);
	free(spans);
	return rc;
}

int model_loglik(const struct model *m, const int *ctx, int n_ctx, const int *cont,
		 int n_cont, double *logprob, bool *is_greedy, struct bb_error *err)
{
	struct loglik_request r = {.ctx = ctx, .n_ctx = n_ctx, .cont = cont, .n_cont = n_cont};
	int rc = model_loglik_batch(m, &r, 1, err);
	if (rc)
		return rc;
	*logprob = r.logprob;
	if (is_greedy)
		*is_greedy = r.is_greedy;
	return 0;
}

// ---- rolling windows ----

/* lm-eval's get_rolling_token_windows(ids, prefix, L, context_len = 1) after
 * make_disjoint_window: the first window feeds [prefix] + ids[:n1-1] and predicts
 * ids[:n1]; each later one feeds the L tokens before its end and predicts the rest. */
static int rolling_spans(const struct model *m, const int *ids, int n, const int *first,
			 struct span *spans)
{
	int L = m->max_len, n1 = n < L ? n : L, k = 0;
	spans[k++] = (struct span){.input = first, .n_input = n1, .targets = ids, .n_targets = n1};
	for (int done = n1; done < n;) {
		int wp = n - done < L ? n - done : L, end = done + wp;
		spans[k++] = (struct span){.input = ids + end - L - 1, .n_input = L,
					   .targets = ids + end - wp, .n_targets = wp};
		done = end;
	}
	return k;
}

int model_loglik_rolling(const struct model *m, const int *ids, int n, int prefix_id,
			 double *logprob, struct bb_error *err)
{
	int L = m->max_len;
	if (n < 1)
		return bb_fail(err, BB_EINVAL, "rolling log-likelihood: no tokens");
	int rc = model_check_ids(m, &prefix_id, 1, "rolling prefix token", err);
	for (int i = 0; !rc && i < n; i++)
		if (ids[i] < 0 || ids[i] >= m->V)
			rc = bb_fail(err, BB_EINVAL, "rolling log-likelihood: token id %d at index %d is "
				     "outside the vocabulary of %d", ids[i], i, m->V);
	if (rc)
		return rc;
	int n1 = n < L ? n : L, n_windows = 1 + (n - n1 + L - 1) / L;
	int *first = malloc((size_t)n1 * sizeof(int));
	struct span *spans = malloc((size_t)n_windows * sizeof *spans);
	if (!first || !spans) {
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
		goto done;
	}
	first[0] = prefix_id;
	memcpy(first + 1, ids, (size_t)(n1 - 1) * sizeof(int));
	int k = rolling_spans(m, ids, n, first, spans);
	if ((rc = score_spans(m, spans, k, err)))
		goto done;
	*logprob = 0;
	for (int i = 0; i < k; i++)
		*logprob += spans[i].logprob;
done:
	free(first);
	free(spans);
	return rc;
}
