/*
 * model_backward.c: mean causal-LM cross-entropy and its backward pass, for DeltaLoss.
 *
 * Memory is kept to the block inputs, as AutoRound's low-memory path does: the forward
 * saves each block's input; the backward re-runs one block at a time from it, keeping its
 * activations, and backpropagates through it. The lm_head and cross-entropy run in chunks
 * of rows, so the (N, V) logits never exist at once. Only input gradients are formed
 * (plus whatever a grad hook computes); weights get no gradient here.
 * Must never allocate per token: one workspace per call.
 */
#include "engine/model/model_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/model_ops.h"

/* Rows of logits formed at once in the head. */
#define HEAD_CHUNK 256

static void zero(float *p, size_t n)
{
	memset(p, 0, n * sizeof(float));
}

// ---- head: final norm, lm_head, cross-entropy ----

/* Summed cross-entropy of rows predicting ids[r + 1] (all rows but each sequence's last);
 * with dxf, dL/dxf (N, d) of the mean loss is accumulated. xf (N, d) normed hidden. */
static double head_loss(const struct model *m, struct workspace *ws, float *logits,
			const float *xf, float *dxf, const int *ids, int nseq, int T)
{
	const struct linear *head = &m->lm_head;
	float scale = 1.0f / (float)((size_t)nseq * (T - 1));
	double total = 0;
	for (int s = 0; s < nseq; s++)
		for (int t0 = 0; t0 < T - 1; t0 += HEAD_CHUNK) {
			size_t r0 = (size_t)s * T + t0;
			int n = T - 1 - t0 < HEAD_CHUNK ? T - 1 - t0 : HEAD_CHUNK;
			linear_apply(head, logits, xf + r0 * m->d, ws, n, 0, NULL, m->L, LK_LM_HEAD);
			if (!dxf) {
				total += crossentropy_forward(logits, ids + r0 + 1, n, m->V);
				continue;
			}
			total += crossentropy_backward(logits, ids + r0 + 1, n, m->V, scale);
			linear_backward(dxf + r0 * m->d, NULL, logits, NULL, head->w, n, m->d, m->V);
		}
	return total;
}

// ---- Linear backward with the grad hook ----

/* dx (N, in) += dy W. With a grad hook, the Linear's own input gradient is formed in
 * ws->g.tmp first and shown to the hook with the input and its fake-quant. */
static void lin_bwd(const struct linear *lin, float *dx, const float *dy, const float *x,
		    struct workspace *ws, size_t N, const struct lin_hooks *hk, int block,
		    enum layer_kind kind)
{
	if (!hk || !hk->grad) {
		linear_backward(dx, NULL, dy, NULL, lin->w, N, lin->in, lin->out);
		return;
	}
	size_t n = N * lin->in;
	float *tmp = ws->g.tmp;
	zero(tmp, n);
	linear_backward(tmp, NULL, dy, NULL, lin->w, N, lin->in, lin->out);
	const float *xq = x;
	if (lin->act.kind == FMT_MX) {
		memcpy(ws->xq, x, n * sizeof(float));
		format_qdq(&lin->act, ws->xq, N, (size_t)lin->in);
		xq = ws->xq;
	}
	hk->grad(hk->ctx, block, kind, lin, x, xq, tmp, dy, N);
	for (size_t i = 0; i < n; i++)
		dx[i] += tmp[i];
}

// ---- attention backward over a batch ----

/* One task per (sequence, kv head): its query heads write disjoint dq columns and share
 * the kv head's dk, dv, so no two tasks write the same memory. */
static void attention_layer_backward(const struct model *m, const struct acts *a,
				     struct workspace *ws, const struct batch *b)
{
	int G = m->H / m->KV, hd = m->hd, T = ws->max_T;
	struct grads *g = &ws->g;
#pragma omp parallel for schedule(dynamic)
	for (int it = 0; it < b->n_seq * m->KV; it++) {
		int s = it / m->KV, kvh = it % m->KV;
		size_t r0 = (size_t)b->start[s];
		float *dP = g->dP + (size_t)omp_get_thread_num() * T * T;
		size_t kvo = r0 * m->kvd + (size_t)kvh * hd;
		for (int h = kvh * G; h < (kvh + 1) * G; h++) {
			size_t qo = r0 * m->qd + (size_t)h * hd;
			const float *P = ws->P + ((size_t)s * m->H + h) * T * T;
			attention_backward(g->dq + qo, g->dk + kvo, g->dv + kvo, dP, g->datt + qo, P,
					   a->q + qo, a->k + kvo, a->v + kvo, T, hd, m->qd, m->kvd,
					   m->qd);
		}
	}
}

// ---- one block ----

/* ws->g.dx (N, d): dL/d(block output) on entry, dL/d(block input) on return. a holds the
 * block's activations from block_forward (without mlp_out). */
static void block_backward(const struct model *m, int l, const struct acts *a,
			   struct workspace *ws, const struct batch *b, const struct lin_hooks *hk)
{
	const struct block *bl = &m->blocks[l];
	const struct linear *lin = bl->lin;
	struct grads *g = &ws->g;
	size_t N = (size_t)b->n_rows, nF = N * m->F;

	zero(g->dh, nF);
	lin_bwd(&lin[LK_DOWN], g->dh, g->dx, a->h, ws, N, hk, l, LK_DOWN);
	zero(g->dgate, nF);
	zero(g->dup, nF);
	swiglu_backward(g->dgate, g->dup, g->dh, a->gate, a->up, nF);
	zero(g->dxn, N * m->d);
	lin_bwd(&lin[LK_GATE], g->dxn, g->dgate, a->xn2, ws, N, hk, l, LK_GATE);
	lin_bwd(&lin[LK_UP], g->dxn, g->dup, a->xn2, ws, N, hk, l, LK_UP);
	rmsnorm_backward(g->dx, g->dxn, a->xmid, bl->mlp_norm, a->rstd2, N, m->d);

	zero(g->datt, N * m->qd);
	lin_bwd(&lin[LK_O], g->datt, g->dx, a->att, ws, N, hk, l, LK_O);
	zero(g->dq, N * m->qd);
	zero(g->dk, N * m->kvd);
	zero(g->dv, N * m->kvd);
	attention_layer_backward(m, a, ws, b);
	rope_backward(g->dq, ws->cos, ws->sin, N, m->H, m->hd);
	rope_backward(g->dk, ws->cos, ws->sin, N, m->KV, m->hd);
	float *dq = g->dq, *dk = g->dk;
	if (bl->q_norm) {
		zero(g->dqraw, N * m->qd);
		zero(g->dkraw, N * m->kvd);
		rmsnorm_backward(g->dqraw, g->dq, a->qraw, bl->q_norm, a->rstdq, N * m->H, m->hd);
		rmsnorm_backward(g->dkraw, g->dk, a->kraw, bl->k_norm, a->rstdk, N * m->KV, m->hd);
		dq = g->dqraw;
		dk = g->dkraw;
	}
	zero(g->dxn, N * m->d);
	lin_bwd(&lin[LK_Q], g->dxn, dq, a->xn1, ws, N, hk, l, LK_Q);
	lin_bwd(&lin[LK_K], g->dxn, dk, a->xn1, ws, N, hk, l, LK_K);
	lin_bwd(&lin[LK_V], g->dxn, g->dv, a->xn1, ws, N, hk, l, LK_V);
	rmsnorm_backward(g->dx, g->dxn, a->x, bl->attn_norm, a->rstd1, N, m->d);
}

// ---- the training step ----

static int check_train_args(const struct model *m, const int *ids, int nseq, int T,
			    struct bb_error *err)
{
	if (nseq < 1 || T < 2)
		return bb_fail(err, BB_EINVAL, "training batch needs >= 1 sequence of >= 2 tokens "
			       "(got %d x %d)", nseq, T);
	for (int s = 0; s < nseq; s++) {
		int rc = model_check_ids(m, ids + (size_t)s * T, T, "calibration sequence", err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Backward from the head's dL/dxf through every block, recomputing each from its input. */
static void backward_blocks(const struct model *m, struct workspace *ws, const struct batch *b,
			    const float *saved, const struct lin_hooks *hk)
{
	size_t N = (size_t)b->n_rows;
	struct acts a = ws->a;
	for (int l = m->L - 1; l >= 0; l--) {
		a.x = (float *)saved + (size_t)l * N * m->d;
		block_forward(m, l, &a, ws, b, NULL, hk, false);
		block_backward(m, l, &a, ws, b, hk);
	}
}

int model_train_step(const struct model *m, const int *ids, int nseq, int T,
		     const struct lin_hooks *hk, bool backward, double *loss,
		     struct bb_error *err)
{
	struct workspace ws;
	size_t N = (size_t)nseq * T;
	int rc = check_train_args(m, ids, nseq, T, err);
	if (rc || (rc = ws_init(&ws, m, N, T, T, true, err)))
		return rc;
	int *start = malloc((size_t)(nseq + 1) * sizeof(int));
	float *saved = backward ? malloc((size_t)m->L * N * m->d * sizeof(float)) : NULL;
	float *logits = malloc((size_t)HEAD_CHUNK * m->V * sizeof(float));
	if (!start || !logits || (backward && !saved)) {
		rc = bb_fail(err, BB_ENOMEM, "out of memory for a batch of %d x %d tokens", nseq, T);
		goto done;
	}
	for (int s = 0; s <= nseq; s++)
		start[s] = s * T;
	struct batch b = {.n_rows = (int)N, .n_seq = nseq, .start = start, .pos0 = 0};
	model_run(m, &ws, ids, &b, NULL, hk, saved);

	// xf = final_norm(x) in xn2 (rstd in rstd2); dL/dxf into dxn
	float *x = ws.a.x, *xf = ws.a.xn2, *dxf = backward ? ws.g.dxn : NULL;
	rmsnorm_forward(xf, ws.a.rstd2, x, m->final_norm, N, m->d, m->eps);
	if (dxf)
		zero(dxf, N * m->d);
	*loss = head_loss(m, &ws, logits, xf, dxf, ids, nseq, T) / ((double)nseq * (T - 1));
	if (backward) {
		zero(ws.g.dx, N * m->d);
		rmsnorm_backward(ws.g.dx, dxf, x, m->final_norm, ws.a.rstd2, N, m->d);
		backward_blocks(m, &ws, &b, saved, hk);
	}
done:
	free(start);
	free(saved);
	free(logits);
	ws_free(&ws);
	return rc;
}
