/*
 * model_ops.h: the transformer's layers as forward/backward pairs of plain functions over
 * pointers and sizes, in the manner of llm.c's train_gpt2.c. Exposed to the engine and to
 * the finite-difference tests.
 *
 * Shape legend: N rows (tokens), C channels, H query heads, hd head dim, T queries,
 * Tk keys, V vocabulary. Matrices are row-major; ld* are row strides in floats.
 * Every *_backward ACCUMULATES (+=) into its input gradients, as llm.c does, except
 * crossentropy_backward, which works in place on a transient chunk of logits.
 * Pure and thread-safe: no allocation, no state; never prints, never exits.
 */
#ifndef BB_MODEL_OPS_H
#define BB_MODEL_OPS_H

#include <stdbool.h>
#include <stddef.h>

// ---- RMSNorm: out = x * rsqrt(mean(x^2) + eps) * w ----

/* out, x (N, C); w (C); rstd (N) saved for the backward. */
void rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, size_t N,
		     int C, float eps);
/* dx (N, C) += d out/d x applied to dout (N, C). The weight's gradient is not needed. */
void rmsnorm_backward(float *dx, const float *dout, const float *x, const float *w,
		      const float *rstd, size_t N, int C);

// ---- RoPE, rotate-half convention ----

/* cos, sin (N, hd/2) for row positions pos (N) and frequencies inv_freq (hd/2). */
void rope_tables(float *cos, float *sin, const int *pos, const double *inv_freq, size_t N,
		 int hd);
/* x (N, H, hd) rotated in place: (x_i, x_{i+hd/2}) by angle pos * inv_freq_i. */
void rope_forward(float *x, const float *cos, const float *sin, size_t N, int H, int hd);
/* dx (N, H, hd) in place: the transpose (inverse) rotation. */
void rope_backward(float *dx, const float *cos, const float *sin, size_t N, int H, int hd);

// ---- causal attention, one head ----

/* Query rows [i0, i1) of one head: query i sits at position pos0 + i and sees keys
 * 0..pos0+i. q (T, ldq), k and v (Tk, ldkv), out (T, ldo) are the head's column slices;
 * P (i1 - i0, ldp) receives the probabilities (zero where masked). Uses sgemm, so call
 * it from inside an OpenMP loop to keep BLAS single-threaded. */
void attention_forward(float *out, float *P, int ldp, const float *q, const float *k,
		       const float *v, int i0, int i1, int pos0, int hd, int ldq, int ldkv,
		       int ldo);
/* Backward of a whole head (T queries, keys 0..T-1, pos0 = 0): dq (T, ldq), dk, dv
 * (T, ldkv) +=; P (T, T) from the forward; dP (T, T) is scratch. */
void attention_backward(float *dq, float *dk, float *dv, float *dP, const float *dout,
			const float *P, const float *q, const float *k, const float *v, int T,
			int hd, int ldq, int ldkv, int ldo);

// ---- SwiGLU: h = silu(gate) * up ----

void swiglu_forward(float *h, const float *gate, const float *up, size_t n);
void swiglu_backward(float *dgate, float *dup, const float *dh, const float *gate,
		     const float *up, size_t n);

// ---- Linear: y = beta * y + x W^T + b ----

/* y (N, out); x (N, in); w (out, in); b (out) or NULL. */
void linear_forward(float *y, const float *x, const float *w, const float *b, size_t N,
		    int in, int out, float beta);
/* dx (N, in) += dy W and dw (out, in) += dy^T x; either may be NULL. */
void linear_backward(float *dx, float *dw, const float *dy, const float *x, const float *w,
		     size_t N, int in, int out);

// ---- cross-entropy over logits ----

/* Sum over rows of logsumexp(logits_i) - logits_i[targets_i]; logits (N, V). */
double crossentropy_forward(const float *logits, const int *targets, size_t N, int V);
/* logits (N, V) overwritten in place with scale * (softmax(logits) - onehot(targets));
 * returns the same sum as crossentropy_forward, which it computes on the way. */
double crossentropy_backward(float *logits, const int *targets, size_t N, int V, float scale);

/* log softmax(logits)[target] (summed in double), and whether target is the (first)
 * argmax. */
double token_logprob(const float *logits, int V, int target, bool *is_argmax);

#endif
