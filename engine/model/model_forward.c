/*
 * model_forward.c: the forward pass over a batch of packed sequences: workspace, one
 * decoder block (RMSNorm, q/k/v with optional biases and q/k norm, RoPE, GQA causal
 * attention, o_proj, RMSNorm, SwiGLU MLP), the whole stack, and the head.
 *
 * Every Linear over all rows of the batch is one sgemm; attention runs one OpenMP task per
 * (sequence, head). Buffers come from a workspace allocated once per call: this file must
 * never allocate per token or per layer.
 */
#include "engine/model/model_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/model_ops.h"

/* Inference attention runs queries in tiles of this many rows (bounds the scratch). */
#define ATT_TILE 64

// ---- workspace ----

static int max_in(const struct model *m)
{
	int n = m->d > m->qd ? m->d : m->qd;
	return n > m->F ? n : m->F;
}

/* A workspace buffer: where its pointer goes and how many floats it holds. */
struct ws_buf {
	float **p;
	size_t n;
};

/* One calloc for all of t, carved in order; each buffer starts on a 64-byte boundary. */
static int ws_carve(struct workspace *ws, struct ws_buf *t, int n, struct bb_error *err)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += (t[i].n + 15) / 16 * 16;
	ws->mem = aligned_alloc(64, (total ? total : 16) * sizeof(float));
	if (!ws->mem)
		return bb_fail(err, BB_ENOMEM, "out of memory (%zu MB of workspace)",
			       total * sizeof(float) >> 20);
	memset(ws->mem, 0, total * sizeof(float));
	float *p = ws->mem;
	for (int i = 0; i < n; i++) {
		*t[i].p = t[i].n ? p : NULL;
		p += (t[i].n + 15) / 16 * 16;
	}
	return 0;
}

int ws_init(struct workspace *ws, const struct model *m, size_t rows, int max_T, int max_Tk,
	    bool train, struct bb_error *err)
{
	memset(ws, 0, sizeof *ws);
	ws->rows = rows;
	ws->max_T = max_T;
	ws->max_Tk = max_Tk;
	ws->train = train;
	ws->n_threads = omp_get_max_threads();
	size_t N = rows, th = (size_t)ws->n_threads, T = (size_t)max_T, tr = train;
	size_t qkn = m->cfg.qk_norm;
	struct acts *a = &ws->a;
	struct grads *g = &ws->g;
	size_t n_p = train ? N * m->H * T : th * ATT_TILE * (size_t)max_Tk;
	struct ws_buf t[] = {
		{&a->x, N * m->d}, {&a->xn1, N * m->d}, {&a->rstd1, N},
		{&a->qraw, qkn * N * m->qd}, {&a->kraw, qkn * N * m->kvd},
		{&a->rstdq, qkn * N * m->H}, {&a->rstdk, qkn * N * m->KV},
		{&a->q, N * m->qd}, {&a->k, N * m->kvd}, {&a->v, N * m->kvd},
		{&a->att, N * m->qd}, {&a->xmid, tr * N * m->d},
		{&a->xn2, N * m->d}, {&a->rstd2, N},
		{&a->gate, N * m->F}, {&a->up, N * m->F}, {&a->h, N * m->F},
		{&ws->cos, N * m->hd / 2}, {&ws->sin, N * m->hd / 2},
		{&ws->xq, N * max_in(m)}, {&ws->P, n_p},
		{&g->dx, tr * N * m->d}, {&g->dxn, tr * N * m->d},
		{&g->datt, tr * N * m->qd}, {&g->dq, tr * N * m->qd}, {&g->dqraw, tr * qkn * N * m->qd},
		{&g->dk, tr * N * m->kvd}, {&g->dkraw, tr * qkn * N * m->kvd}, {&g->dv, tr * N * m->kvd},
		{&g->dgate, tr * N * m->F}, {&g->dup, tr * N * m->F}, {&g->dh, tr * N * m->F},
		{&g->tmp, tr * N * max_in(m)}, {&g->dP, tr * th * T * T},
	};
	ws->pos = calloc(N ? N : 1, sizeof(int));
	int rc = ws->pos ? ws_carve(ws, t, (int)(sizeof t / sizeof t[0]), err)
			 : bb_fail(err, BB_ENOMEM, "out of memory");
	if (rc)
		ws_free(ws);
	return rc;
}

void ws_free(struct workspace *ws)
{
	free(ws->mem);
	free(ws->pos);
	memset(ws, 0, sizeof *ws);
}

// ---- checks ----

int model_check_ids(const struct model *m, const int *ids, int n, const char *what,
		    struct bb_error *err)
{
	if (n < 1)
		return bb_fail(err, BB_EINVAL, "%s: no tokens", what);
	if (n > m->max_len)
		return bb_fail(err, BB_EINVAL,
			       "%s: %d tokens exceed the model's context of %d tokens", what, n,
			       m->max_len);
	for (int i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= m->V)
			return bb_fail(err, BB_EINVAL, "%s: token id %d at index %d is outside the "
				       "vocabulary of %d", what, ids[i], i, m->V);
	return 0;
}

// ---- Linear with activation fake-quant ----

/* MX quantize-dequantize of x (N, in) in place, rows split over the threads. */
static void qdq_rows(const struct format *f, float *x, size_t N, int in)
{
	int chunks = N >= 64 ? omp_get_max_threads() : 1;
#pragma omp parallel for if (chunks > 1)
	for (int c = 0; c < chunks; c++) {
		size_t r0 = N * c / chunks, r1 = N * (c + 1) / chunks;
		if (r1 > r0)
			format_qdq(f, x + r0 * in, r1 - r0, (size_t)in);
	}
}

void linear_apply(const struct linear *lin, float *y, const float *x, struct workspace *ws,
		  size_t N, float beta, const struct lin_hooks *hk, int block,
		  enum layer_kind kind)
{
	bool mx = lin->act.kind == FMT_MX, hook = hk && hk->input;
	if (mx || hook) {
		memcpy(ws->xq, x, N * lin->in * sizeof(float));
		if (hook)
			hk->input(hk->ctx, block, kind, ws->xq, N, lin->in);
		if (mx)
			qdq_rows(&lin->act, ws->xq, N, lin->in);
		x = ws->xq;
	}
	linear_forward(y, x, lin->w, lin->b, N, lin->in, lin->out, beta);
}

// ---- attention over a batch ----

/* Keys and values of sequence s for layer l: the KV cache (after appending this batch's
 * rows at pos0) or the batch's own rows. */
static void kv_rows(const struct model *m, const struct acts *a, const struct batch *b,
		    const struct kv_cache *kv, int l, int s, const float **k, const float **v)
{
	if (kv) {
		size_t off = (size_t)l * kv->cap * m->kvd;
		*k = kv->k + off;
		*v = kv->v + off;
	} else {
		*k = a->k + (size_t)b->start[s] * m->kvd;
		*v = a->v + (size_t)b->start[s] * m->kvd;
	}
}

static void kv_append(const struct model *m, const struct acts *a, const struct batch *b,
		      const struct kv_cache *kv, int l)
{
	size_t off = ((size_t)l * kv->cap + b->pos0) * m->kvd, n = (size_t)b->n_rows * m->kvd;
	memcpy(kv->k + off, a->k, n * sizeof(float));
	memcpy(kv->v + off, a->v, n * sizeof(float));
}

static void attention_layer(const struct model *m, int l, struct acts *a,
			    struct workspace *ws, const struct batch *b,
			    const struct kv_cache *kv)
{
	int H = m->H, G = m->H / m->KV, hd = m->hd;
	if (kv)
		kv_append(m, a, b, kv, l);
#pragma omp parallel for schedule(dynamic)
	for (int it = 0; it < b->n_seq * H; it++) {
		int s = it / H, h = it % H, kvh = h / G, r0 = b->start[s];
		int T = b->start[s + 1] - r0;
		const float *k, *v;
		kv_rows(m, a, b, kv, l, s, &k, &v);
		const float *q = a->q + (size_t)r0 * m->qd + h * hd;
		float *out = a->att + (size_t)r0 * m->qd + h * hd;
		k += kvh * hd;
		v += kvh * hd;
		if (ws->train) {
			float *P = ws->P + (size_t)it * T * T; /* train batches are uniform */
			attention_forward(out, P, T, q, k, v, 0, T, 0, hd, m->qd, m->kvd, m->qd);
			continue;
		}
		float *P = ws->P + (size_t)omp_get_thread_num() * ATT_TILE * ws->max_Tk;
		for (int i0 = 0; i0 < T; i0 += ATT_TILE) {
			int i1 = i0 + ATT_TILE < T ? i0 + ATT_TILE : T;
			attention_forward(out, P, ws->max_Tk, q, k, v, i0, i1, b->pos0, hd, m->qd,
					  m->kvd, m->qd);
		}
	}
}

// ---- one block ----

void block_forward(const struct model *m, int l, struct acts *a, struct workspace *ws,
		   const struct batch *b, const struct kv_cache *kv,
		   const struct lin_hooks *hk, bool mlp_out)
{
	const struct block *bl = &m->blocks[l];
	const struct linear *lin = bl->lin;
	size_t N = (size_t)b->n_rows;
	float *q = bl->q_norm ? a->qraw : a->q, *k = bl->k_norm ? a->kraw : a->k;

	rmsnorm_forward(a->xn1, a->rstd1, a->x, bl->attn_norm, N, m->d, m->eps);
	linear_apply(&lin[LK_Q], q, a->xn1, ws, N, 0, hk, l, LK_Q);
	linear_apply(&lin[LK_K], k, a->xn1, ws, N, 0, hk, l, LK_K);
	linear_apply(&lin[LK_V], a->v, a->xn1, ws, N, 0, hk, l, LK_V);
	if (bl->q_norm) {
		rmsnorm_forward(a->q, a->rstdq, a->qraw, bl->q_norm, N * m->H, m->hd, m->eps);
		rmsnorm_forward(a->k, a->rstdk, a->kraw, bl->k_norm, N * m->KV, m->hd, m->eps);
	}
	rope_forward(a->q, ws->cos, ws->sin, N, m->H, m->hd);
	rope_forward(a->k, ws->cos, ws->sin, N, m->KV, m->hd);
	attention_layer(m, l, a, ws, b, kv);
	if (a->xmid != a->x)
		memcpy(a->xmid, a->x, N * m->d * sizeof(float));
	linear_apply(&lin[LK_O], a->xmid, a->att, ws, N, 1, hk, l, LK_O);

	rmsnorm_forward(a->xn2, a->rstd2, a->xmid, bl->mlp_norm, N, m->d, m->eps);
	linear_apply(&lin[LK_GATE], a->gate, a->xn2, ws, N, 0, hk, l, LK_GATE);
	linear_apply(&lin[LK_UP], a->up, a->xn2, ws, N, 0, hk, l, LK_UP);
	swiglu_forward(a->h, a->gate, a->up, N * m->F);
	if (mlp_out)
		linear_apply(&lin[LK_DOWN], a->xmid, a->h, ws, N, 1, hk, l, LK_DOWN);
}

// ---- the stack ----

static void batch_positions(const struct model *m, struct workspace *ws,
			    const struct batch *b)
{
	for (int s = 0; s < b->n_seq; s++)
		for (int r = b->start[s]; r < b->start[s + 1]; r++)
			ws->pos[r] = b->pos0 + r - b->start[s];
	rope_tables(ws->cos, ws->sin, ws->pos, m->inv_freq, (size_t)b->n_rows, m->hd);
}

void model_run(const struct model *m, struct workspace *ws, const int *ids,
	       const struct batch *b, const struct kv_cache *kv, const struct lin_hooks *hk,
	       float *saved)
{
	size_t N = (size_t)b->n_rows, row = (size_t)m->d * sizeof(float);
	for (size_t i = 0; i < N; i++)
		memcpy(ws->a.x + i * m->d, m->embed + (size_t)ids[i] * m->d, row);
	batch_positions(m, ws, b);
	struct acts a = ws->a;
	a.xmid = a.x;
	for (int l = 0; l < m->L; l++) {
		if (saved)
			memcpy(saved + (size_t)l * N * m->d, a.x, N * row);
		block_forward(m, l, &a, ws, b, kv, hk, true);
	}
}

void model_head(const struct model *m, float *logits, const float *h, size_t n,
		struct workspace *ws)
{
	rmsnorm_forward(ws->a.xn1, ws->a.rstd1, h, m->final_norm, n, m->d, m->eps);
	linear_apply(&m->lm_head, logits, ws->a.xn1, ws, n, 0, NULL, m->L, LK_LM_HEAD);
}

// ---- public: logits of one sequence ----

int model_logits(const struct model *m, const int *ids, int n, float *logits,
		 struct bb_error *err)
{
	struct workspace ws;
	int rc = model_check_ids(m, ids, n, "logits", err);
	if (rc || (rc = ws_init(&ws, m, (size_t)n, n, n, false, err)))
		return rc;
	int start[2] = {0, n};
	struct batch b = {.n_rows = n, .n_seq = 1, .start = start, .pos0 = 0};
	model_run(m, &ws, ids, &b, NULL, NULL, NULL);
	model_head(m, logits, ws.a.x, (size_t)n, &ws);
	ws_free(&ws);
	return 0;
}
