/*
 * model_internal.h: the model's insides, shared by model_*.c, loglik.c, session.c,
 * deltaloss.c and the unit tests (finite differences need the training step and its
 * hooks). Not for the harness: commands use model.h only.
 *
 * Shape legend: L blocks, d hidden, H query heads, KV key/value heads, hd head dim,
 * qd = H*hd, kvd = KV*hd, F intermediate, V vocabulary, N rows of a batch (tokens of
 * several sequences packed back to back), T tokens of one sequence.
 * Must never hold mutable global state: everything lives in struct model or a workspace.
 */
#ifndef BB_MODEL_INTERNAL_H
#define BB_MODEL_INTERNAL_H

#include <stddef.h>

#include "core/safetensors.h"
#include "engine/model/model.h"

#define N_BLOCK_LINEARS 7 /* LK_Q .. LK_DOWN, execution order */

struct linear {
	float *w;            /* (out, in) the weight the forward uses */
	float *b;            /* (out) or NULL */
	int out, in;
	enum st_dtype dtype; /* stored dtype: weight quantization rounds through it */
	struct format act;   /* input fake-quant: FMT_MX, else FMT_KEEP (none) */
};

struct block {
	float *attn_norm;      /* (d) */
	float *q_norm, *k_norm; /* (hd), Qwen3 only, else NULL */
	float *mlp_norm;       /* (d) */
	struct linear lin[N_BLOCK_LINEARS]; /* indexed by enum layer_kind */
};

struct model {
	struct model_config cfg;
	int max_len;
	int L, d, H, KV, hd, qd, kvd, F, V;
	float eps;
	float *embed;            /* (V, d) */
	float *final_norm;       /* (d) */
	struct linear lm_head;   /* (V, d); w == embed while tied */
	struct block *blocks;    /* (L) */
	double *inv_freq;        /* (hd/2) RoPE frequencies, llama3 scaling applied */
};

/* Module name of a Linear ("model.layers.3.mlp.up_proj", "lm_head" for block == L). */
void model_linear_name(const struct model *m, int block, enum layer_kind kind, char *buf,
		       size_t size);
/* Quantize-dequantize w (out, in) into q (may equal w) with f, rounded through dtype
 * when it is BF16 or F16, as AutoRound casts back to the weight dtype. */
void quantize_weight(const struct format *f, const float *w, float *q, int64_t out,
		     int64_t in, enum st_dtype dtype);

// ---- batches, caches, hooks ----

struct batch {
	int n_rows;
	int n_seq;
	const int *start;  /* (n_seq + 1) first row of each sequence; start[n_seq] = n_rows */
	int pos0;          /* position of each sequence's first row (0 unless KV-cached) */
};

struct kv_cache {
	float *k, *v;      /* (L, cap, kvd) keys after RoPE, values */
	int cap;
};

/* Observation points on every Linear, for tests and scoring (NULL members are skipped).
 * input: called in the forward on a private copy of the Linear's input (N, in), before
 *   its activation fake-quant; it may change it (finite differences).
 * grad: called in the backward with the input x, its fake-quant xq (== x when none),
 *   dL/dxq (N, in) through this Linear alone, and dL/dy (N, out). */
struct lin_hooks {
	void *ctx;
	void (*input)(void *ctx, int block, enum layer_kind kind, float *x, size_t N, int in);
	void (*grad)(void *ctx, int block, enum layer_kind kind, const struct linear *lin,
		     const float *x, const float *xq, const float *dxq, const float *dy, size_t N);
};

// ---- workspace ----

struct acts {             /* one block's activations over N rows */
	float *x;         /* (N, d) block input */
	float *xn1, *rstd1;     /* (N, d), (N) attention RMSNorm */
	float *qraw, *kraw;     /* (N, qd), (N, kvd) before q/k norm (Qwen3), else NULL */
	float *rstdq, *rstdk;   /* (N*H), (N*KV) */
	float *q, *k, *v;       /* (N, qd), (N, kvd), (N, kvd) after norm and RoPE */
	float *att;             /* (N, qd) attention output, o_proj input */
	float *xmid;            /* (N, d) residual after attention; == x when in place */
	float *xn2, *rstd2;     /* (N, d), (N) MLP RMSNorm */
	float *gate, *up, *h;   /* (N, F) */
};

struct grads {            /* backward scratch over N rows (train workspaces only) */
	float *dx;              /* (N, d) dL/d(block output), then d(block input) */
	float *dxn;             /* (N, d) */
	float *datt, *dq, *dqraw; /* (N, qd) */
	float *dk, *dkraw, *dv;   /* (N, kvd) */
	float *dgate, *dup, *dh;  /* (N, F) */
	float *tmp;             /* (N, max in) one Linear's input gradient */
	float *dP;              /* (threads, T, T) */
};

struct workspace {
	float *mem;             /* every buffer below, carved from one allocation */
	size_t rows;            /* capacity N */
	int max_T, max_Tk;      /* longest sequence, longest key range */
	bool train;             /* keep attention probabilities, have grads */
	int n_threads;
	struct acts a;
	struct grads g;
	int *pos;               /* (N) row positions */
	float *cos, *sin;       /* (N, hd/2) */
	float *xq;              /* (N, max in) a Linear's private input copy */
	float *P;               /* train: (n_seq*H, T, T); else (threads, TILE, max_Tk) */
};

int ws_init(struct workspace *ws, const struct model *m, size_t rows, int max_T, int max_Tk,
	    bool train, struct bb_error *err);
void ws_free(struct workspace *ws);

// ---- forward (model_forward.c) ----

/* Embed ids (N) and run every block over b, leaving the last hidden state (N, d) in
 * ws->a.x. kv (single sequence) is appended to at b->pos0; saved (L, N, d), if not NULL,
 * receives each block's input. */
void model_run(const struct model *m, struct workspace *ws, const int *ids,
	       const struct batch *b, const struct kv_cache *kv, const struct lin_hooks *hk,
	       float *saved);
/* One block over b. With mlp_out the MLP output is added into a->xmid (the block output);
 * without, the block stops at a->h (the backward recomputes what it needs). */
void block_forward(const struct model *m, int l, struct acts *a, struct workspace *ws,
		   const struct batch *b, const struct kv_cache *kv,
		   const struct lin_hooks *hk, bool mlp_out);
/* A Linear on x (N, in) into y (N, out) = beta*y + ..., with its activation fake-quant. */
void linear_apply(const struct linear *lin, float *y, const float *x, struct workspace *ws,
		  size_t N, float beta, const struct lin_hooks *hk, int block,
		  enum layer_kind kind);
/* logits (n, V) of hidden rows h (n, d): final RMSNorm, then lm_head. n <= ws->rows. */
void model_head(const struct model *m, float *logits, const float *h, size_t n,
		struct workspace *ws);
/* Check 1 <= n <= max length and every id in [0, V). */
int model_check_ids(const struct model *m, const int *ids, int n, const char *what,
		    struct bb_error *err);

// ---- backward (model_backward.c) ----

/* Mean causal-LM cross-entropy of nseq sequences of T >= 2 tokens ids (nseq, T),
 * labels = ids shifted by one, and, with backward, the backward pass through every
 * block calling hk->grad for every Linear. */
int model_train_step(const struct model *m, const int *ids, int nseq, int T,
		     const struct lin_hooks *hk, bool backward, double *loss,
		     struct bb_error *err);

#endif
