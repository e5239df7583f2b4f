/*
 * test_model_grad.c: finite-difference checks of every backward: each op of model_ops.h
 * (RMSNorm, RoPE, attention, SwiGLU, Linear, cross-entropy) element by element, and the
 * whole model's gradient w.r.t. every Linear's input on tiny random Llama (llama3 RoPE,
 * GQA) and Qwen3 (q/k norm) checkpoints, as directional derivatives.
 * Central differences on the float32 engine with the loss summed in double; each check
 * prints its relative maxdiff. Never writes outside its own mkdtemp folders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/model.h"
#include "engine/model/model_internal.h"
#include "engine/model/model_ops.h"
#include "tests/unit/check.h"
#include "tests/unit/model_fixture.h"

// ---- finite differences ----

typedef double (*loss_fn)(void *ctx);

static unsigned long long rng = 12345;

static void fill(float *x, size_t n, double scale)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(scale * synth_uniform(&rng));
}

/* max |central difference - grad| over x (n), relative to max(1, max |grad|). */
static double fd_check(float *x, size_t n, const float *grad, loss_fn f, void *ctx, float eps)
{
	double maxdiff = 0, gmax = 1;
	for (size_t i = 0; i < n; i++) {
		float keep = x[i];
		x[i] = keep + eps;
		double lp = f(ctx);
		x[i] = keep - eps;
		double lm = f(ctx);
		x[i] = keep;
		maxdiff = fmax(maxdiff, fabs((lp - lm) / (2.0 * eps) - grad[i]));
		gmax = fmax(gmax, fabs(grad[i]));
	}
	return maxdiff / gmax;
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

// ---- per-op checks: loss = sum(r * op(inputs)) ----

struct op_ctx {
	float *a, *b, *c;  /* inputs */
	float *r;          /* loss weights on the output */
	float *out, *P;    /* scratch */
	int *pos, *tgt;
	double inv_freq[8];
	float *cos, *sin;
	int N, C, H, hd, T, V;
};

static double rmsnorm_loss(void *p)
{
	struct op_ctx *c = p;
	float rstd[8];
	rmsnorm_forward(c->out, rstd, c->a, c->b, c->N, c->C, 1e-5f);
	return dot(c->r, c->out, (size_t)c->N * c->C);
}

TEST(rmsnorm_backward_should_match_finite_differences)
{
	float x[3 * 16], w[16], r[3 * 16], out[3 * 16], dx[3 * 16] = {0}, rstd[3];
	struct op_ctx c = {.a = x, .b = w, .r = r, .out = out, .N = 3, .C = 16};
	fill(x, 48, 1), fill(w, 16, 1), fill(r, 48, 1);
	rmsnorm_forward(out, rstd, x, w, 3, 16, 1e-5f);
	rmsnorm_backward(dx, r, x, w, rstd, 3, 16);
	double d = fd_check(x, 48, dx, rmsnorm_loss, &c, 1e-2f);
	printf("  rmsnorm maxdiff %.2e\n", d);
	CHECK(d < 1e-3);
}

static double rope_loss(void *p)
{
	struct op_ctx *c = p;
	size_t n = (size_t)c->N * c->H * c->hd;
	memcpy(c->out, c->a, n * sizeof(float));
	rope_forward(c->out, c->cos, c->sin, c->N, c->H, c->hd);
	return dot(c->r, c->out, n);
}

TEST(rope_backward_should_match_finite_differences)
{
	enum { N = 3, H = 2, HD = 8, n = N * H * HD };
	float x[n], r[n], out[n], g[n], cs[N * HD / 2], sn[N * HD / 2];
	int pos[N] = {0, 5, 17};
	struct op_ctx c = {.a = x, .r = r, .out = out, .cos = cs, .sin = sn, .N = N, .H = H, .hd = HD};
	for (int j = 0; j < HD / 2; j++)
		c.inv_freq[j] = pow(10000.0, -2.0 * j / HD);
	rope_tables(cs, sn, pos, c.inv_freq, N, HD);
	fill(x, n, 1), fill(r, n, 1);
	memcpy(g, r, sizeof g);
	rope_backward(g, cs, sn, N, H, HD);
	double d = fd_check(x, n, g, rope_loss, &c, 1e-2f);
	printf("  rope maxdiff %.2e\n", d);
	CHECK(d < 1e-3);
}

static double attention_loss(void *p)
{
	struct op_ctx *c = p;
	attention_forward(c->out, c->P, c->T, c->a, c->b, c->c, 0, c->T, 0, c->hd, c->hd, c->hd,
			  c->hd);
	return dot(c->r, c->out, (size_t)c->T * c->hd);
}

TEST(attention_backward_should_match_finite_differences)
{
	enum { T = 6, HD = 8, n = T * HD };
	float q[n], k[n], v[n], r[n], out[n], P[T * T], dP[T * T];
	float dq[n] = {0}, dk[n] = {0}, dv[n] = {0};
	struct op_ctx c = {.a = q, .b = k, .c = v, .r = r, .out = out, .P = P, .T = T, .hd = HD};
	fill(q, n, 1), fill(k, n, 1), fill(v, n, 1), fill(r, n, 1);
	attention_forward(out, P, T, q, k, v, 0, T, 0, HD, HD, HD, HD);
	attention_backward(dq, dk, dv, dP, r, P, q, k, v, T, HD, HD, HD, HD);
	double d = fmax(fd_check(q, n, dq, attention_loss, &c, 1e-2f),
			fmax(fd_check(k, n, dk, attention_loss, &c, 1e-2f),
			     fd_check(v, n, dv, attention_loss, &c, 1e-2f)));
	printf("  attention (q, k, v) maxdiff %.2e\n", d);
	CHECK(d < 1e-3);
}

static double swiglu_loss(void *p)
{
	struct op_ctx *c = p;
	swiglu_forward(c->out, c->a, c->b, (size_t)c->N);
	return dot(c->r, c->out, (size_t)c->N);
}

TEST(swiglu_backward_should_match_finite_differences)
{
	enum { n = 32 };
	float g[n], u[n], r[n], out[n], dg[n] = {0}, du[n] = {0};
	struct op_ctx c = {.a = g, .b = u, .r = r, .out = out, .N = n};
	fill(g, n, 3), fill(u, n, 1), fill(r, n, 1);
	swiglu_backward(dg, du, r, g, u, n);
	double d = fmax(fd_check(g, n, dg, swiglu_loss, &c, 1e-2f),
			fd_check(u, n, du, swiglu_loss, &c, 1e-2f));
	printf("  swiglu maxdiff %.2e\n", d);
	CHECK(d < 1e-3);
}

static double linear_loss(void *p)
{
	struct op_ctx *c = p;
	linear_forward(c->out, c->a, c->b, c->c, c->N, c->C, c->V, 0);
	return dot(c->r, c->out, (size_t)c->N * c->V);
}

TEST(linear_backward_should_match_finite_differences)
{
	enum { N = 3, IN = 5, OUT = 4 };
	float x[N * IN], w[OUT * IN], b[OUT], r[N * OUT], out[N * OUT];
	float dx[N * IN] = {0}, dw[OUT * IN] = {0};
	struct op_ctx c = {.a = x, .b = w, .c = b, .r = r, .out = out, .N = N, .C = IN, .V = OUT};
	fill(x, N * IN, 1), fill(w, OUT * IN, 1), fill(b, OUT, 1), fill(r, N * OUT, 1);
	linear_backward(dx, dw, r, x, w, N, IN, OUT);
	double d = fmax(fd_check(x, N * IN, dx, linear_loss, &c, 1e-2f),
			fd_check(w, OUT * IN, dw, linear_loss, &c, 1e-2f));
	printf("  linear (x, W) maxdiff %.2e\n", d);
	CHECK(d < 1e-3);
}

static double ce_loss(void *p)
{
	struct op_ctx *c = p;
	return crossentropy_forward(c->a, c->tgt, c->N, c->V);
}

TEST(crossentropy_backward_should_match_finite_differences)
{
	enum { N = 3, V = 7 };
	float logits[N * V], g[N * V];
	int tgt[N] = {0, 6, 3};
	struct op_ctx c = {.a = logits, .tgt = tgt, .N = N, .V = V};
	fill(logits, N * V, 3);
	memcpy(g, logits, sizeof g);
	CHECK_NEAR(crossentropy_backward(g, tgt, N, V, 1.0f), ce_loss(&c), 1e-5);
	double d = fd_check(logits, N * V, g, ce_loss, &c, 1e-2f);
	printf("  cross-entropy maxdiff %.2e\n", d);
	CHECK(d < 1e-3);
}

// ---- whole model: gradient w.r.t. every Linear input ----

enum { SEQS = 2, T = 12, MAXL = 2 * 7 };

struct capture {
	const struct model *m;
	float *grad[MAXL];       /* (N, in) dL/dx of each Linear, from the backward */
	float *dir[MAXL];        /* (N, in) a random direction */
	int armed;               /* Linear index the input hook perturbs, -1 none */
	float eps;
};

static void capture_grad(void *ctx, int block, enum layer_kind kind, const struct linear *lin,
			 const float *x, const float *xq, const float *dxq, const float *dy,
			 size_t N)
{
	struct capture *c = ctx;
	(void)x, (void)xq, (void)dy;
	size_t n = N * lin->in;
	int i = block * 7 + kind;
	c->grad[i] = malloc(n * sizeof(float));
	memcpy(c->grad[i], dxq, n * sizeof(float));
}

static void perturb_input(void *ctx, int block, enum layer_kind kind, float *x, size_t N, int in)
{
	struct capture *c = ctx;
	if (block * 7 + (int)kind != c->armed)
		return;
	for (size_t j = 0; j < N * (size_t)in; j++)
		x[j] += c->eps * c->dir[c->armed][j];
}

static double model_fd(const struct synth_spec *spec, const char *label)
{
	struct synth *s = malloc(sizeof *s);
	char dir[64] = "/tmp/bb-test-grad-XXXXXX";
	struct model *m = NULL;
	struct bb_error err = {0};
	struct capture cap = {.armed = -1, .eps = 1e-2f};
	struct lin_hooks grad_hooks = {.ctx = &cap, .grad = capture_grad};
	struct lin_hooks fd_hooks = {.ctx = &cap, .input = perturb_input};
	int ids[SEQS * T];
	double loss, lp, lm, worst = 0;
	synth_build(s, spec);
	CHECK(mkdtemp(dir) && synth_write(s, dir, NULL, NULL, &err) == 0);
	CHECK(model_load(&m, dir, NULL, &err) == 0);
	for (int i = 0; i < SEQS * T; i++)
		ids[i] = (int)((synth_uniform(&rng) + 1) / 2 * spec->vocab) % spec->vocab;
	cap.m = m;
	CHECK(m && model_train_step(m, ids, SEQS, T, &grad_hooks, true, &loss, &err) == 0);
	for (int i = 0; m && i < m->L * 7; i++) {
		const struct linear *lin = &m->blocks[i / 7].lin[i % 7];
		size_t n = (size_t)SEQS * T * lin->in;
		cap.dir[i] = malloc(n * sizeof(float));
		fill(cap.dir[i], n, 1);
		cap.armed = i;
		cap.eps = 1e-2f;
		model_train_step(m, ids, SEQS, T, &fd_hooks, false, &lp, &err);
		cap.eps = -1e-2f;
		model_train_step(m, ids, SEQS, T, &fd_hooks, false, &lm, &err);
		double fd = (lp - lm) / 2e-2, an = cap.grad[i] ? dot(cap.grad[i], cap.dir[i], n) : NAN;
		double rel = fabs(fd - an) / fmax(fabs(an), 1e-3);
		worst = fmax(worst, rel);
		if (!(rel < 5e-3))
			printf("  %s linear %d: fd %.6e analytic %.6e\n", label, i, fd, an);
	}
	printf("  %-24s loss %.4f, %d Linear inputs, worst relative diff %.2e\n", label, loss,
	       m ? m->L * 7 : 0, worst);
	CHECK(worst < 5e-3);
	for (int i = 0; i < MAXL; i++)
		free(cap.grad[i]), free(cap.dir[i]);
	model_free(m);
	synth_free(s);
	free(s);
	synth_remove(dir);
	return worst;
}

static const struct synth_spec TINY = {
	.model_type = "llama", .hidden = 32, .intermediate = 48, .layers = 2, .heads = 4,
	.kv_heads = 2, .vocab = 53, .max_pos = 64, .tie = false, .dtype = ST_F32, .seed = 11};

TEST(model_backward_should_match_finite_differences_on_llama)
{
	struct synth_spec p = TINY;
	p.llama3_rope = true;
	p.attention_bias = true;
	model_fd(&p, "llama (llama3 rope, GQA)");
}

TEST(model_backward_should_match_finite_differences_on_qwen3)
{
	struct synth_spec p = TINY;
	p.model_type = "qwen3";
	p.head_dim = 12;
	p.tie = true;
	model_fd(&p, "qwen3 (q/k norm)");
}

int main(void)
{
	RUN(rmsnorm_backward_should_match_finite_differences);
	RUN(rope_backward_should_match_finite_differences);
	RUN(attention_backward_should_match_finite_differences);
	RUN(swiglu_backward_should_match_finite_differences);
	RUN(linear_backward_should_match_finite_differences);
	RUN(crossentropy_backward_should_match_finite_differences);
	RUN(model_backward_should_match_finite_differences_on_llama);
	RUN(model_backward_should_match_finite_differences_on_qwen3);
	END_TESTS();
}
