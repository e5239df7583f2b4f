/*
 * test_model_scores.c: model_scores against the definitions recomputed here.
 *   DeltaLoss act term:    sum |dL/dQ(x) * (x - Q(x))| with Q(x) recomputed by format_qdq
 *                          and dL/dQ(x) from a backward on a model loaded with the option
 *                          as a recipe (the backward itself is checked in test_model_grad);
 *   DeltaLoss weight term: sum |dy^T Q(x) * (W - Q(W))| in double, when an option is INT;
 *   proxy:                 sum (W - Q(W))^2.
 * Also: layers the options do not fit are fixed and unscored, and the model comes back
 * unchanged. Never writes outside its own mkdtemp folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/deltaloss.h"
#include "engine/model/model.h"
#include "engine/model/model_internal.h"
#include "tests/unit/check.h"
#include "tests/unit/model_fixture.h"

enum { NSEQ = 4, BATCH = 2, T = 10, NL = 2 * 7 };

static const struct synth_spec SPEC = {
	.model_type = "llama", .hidden = 32, .intermediate = 48, .layers = 2, .heads = 4,
	.kv_heads = 2, .vocab = 61, .max_pos = 64, .tie = true, .dtype = ST_F32, .seed = 21};

struct fixture {
	struct synth s;
	char dir[64];
	int ids[NSEQ * T];
};

static void fixture_init(struct fixture *f)
{
	struct bb_error err = {0};
	unsigned long long seed = 99;
	synth_build(&f->s, &SPEC);
	strcpy(f->dir, "/tmp/bb-test-scores-XXXXXX");
	CHECK(mkdtemp(f->dir) && synth_write(&f->s, f->dir, NULL, NULL, &err) == 0);
	for (int i = 0; i < NSEQ * T; i++)
		f->ids[i] = (int)((synth_uniform(&seed) + 1) / 2 * SPEC.vocab) % SPEC.vocab;
}

static void fixture_free(struct fixture *f)
{
	synth_free(&f->s);
	synth_remove(f->dir);
}

static const float *weight_of(const struct fixture *f, const struct model *m, int i)
{
	char name[160];
	model_linear_name(m, i / 7, (enum layer_kind)(i % 7), name, sizeof name - 8);
	strcat(name, ".weight");
	return synth_get(&f->s, name);
}

/* Every block Linear whose in_features fit gets fmt (weights; activations too if MX). */
static void recipe_all(struct recipe *r, const struct model *m, const struct format *fmt)
{
	memset(r, 0, sizeof *r);
	r->n_layers = NL;
	r->layers = calloc(NL, sizeof *r->layers);
	for (int i = 0; i < NL; i++) {
		struct recipe_layer *l = &r->layers[i];
		bool fits = format_fits(fmt, m->blocks[i / 7].lin[i % 7].in);
		model_linear_name(m, i / 7, (enum layer_kind)(i % 7), l->name, sizeof l->name);
		l->weight = fits ? *fmt : format_bf16();
		l->act = fits && fmt->kind == FMT_MX ? *fmt : format_bf16();
	}
}

// ---- the definitions, recomputed ----

struct expect {
	const struct fixture *f;
	const struct model *m;
	const struct format *fmt;
	bool weight_term;
	double score[NL];
};

static void expect_hook(void *ctx, int block, enum layer_kind kind, const struct linear *lin,
			const float *x, const float *xq_engine, const float *dxq, const float *dy,
			size_t N)
{
	struct expect *e = ctx;
	int i = block * 7 + kind, in = lin->in, out = lin->out;
	(void)xq_engine;
	if (!format_fits(e->fmt, in))
		return;
	float *xq = malloc(N * in * sizeof(float)), *wq = malloc((size_t)out * in * sizeof(float));
	memcpy(xq, x, N * in * sizeof(float));
	if (e->fmt->kind == FMT_MX) {
		format_qdq(e->fmt, xq, N, (size_t)in);
		for (size_t j = 0; j < N * in; j++)
			e->score[i] += fabs((double)dxq[j] * ((double)x[j] - xq[j]));
	}
	if (e->weight_term) {
		const float *w = weight_of(e->f, e->m, i);
		memcpy(wq, w, (size_t)out * in * sizeof(float));
		format_qdq(e->fmt, wq, (size_t)out, (size_t)in);
		for (int o = 0; o < out; o++)
			for (int c = 0; c < in; c++) {
				double g = 0;
				for (size_t n = 0; n < N; n++)
					g += (double)dy[n * out + o] * xq[n * in + c];
				e->score[i] += fabs(g * ((double)w[(size_t)o * in + c] - wq[(size_t)o * in + c]));
			}
	}
	free(xq);
	free(wq);
}

/* Expected scores of option fmt: batches of BATCH sequences on the recipe-loaded model. */
static void expected_scores(struct expect *e, const struct fixture *f, const struct format *fmt,
			    bool weight_term, const struct model *plain)
{
	struct recipe r;
	struct model *q = NULL;
	struct bb_error err = {0};
	struct lin_hooks hk = {.ctx = e, .grad = expect_hook};
	double loss;
	*e = (struct expect){.f = f, .m = plain, .fmt = fmt, .weight_term = weight_term};
	recipe_all(&r, plain, fmt);
	CHECK(model_load(&q, f->dir, &r, &err) == 0);
	for (int b = 0; q && b < NSEQ / BATCH; b++)
		CHECK(model_train_step(q, f->ids + b * BATCH * T, BATCH, T, &hk, true, &loss, &err) == 0);
	model_free(q);
	recipe_free(&r);
}

static double compare(const struct score_result *res, int k, const struct expect *e)
{
	double maxrel = 0;
	for (int i = 0; i < NL; i++) {
		double got = res->layers[i].score[k], want = e->score[i];
		maxrel = fmax(maxrel, fabs(got - want) / fmax(want, 1e-12));
	}
	return maxrel;
}

// ---- tests ----

TEST(scores_should_sum_the_deltaloss_act_term_and_restore_the_model)
{
	struct fixture f;
	struct model *m = NULL;
	struct bb_error err = {0};
	struct score_config cfg = {.method = SCORE_DELTALOSS, .n_options = 3, .batch = BATCH};
	struct score_result res;
	fixture_init(&f);
	CHECK(model_load(&m, f.dir, NULL, &err) == 0);
	format_parse(&cfg.options[0], "MXFP4", NULL);
	format_parse(&cfg.options[1], "MXFP8", NULL);
	format_parse(&cfg.options[2], "BF16", NULL);
	float *before = malloc(T * SPEC.vocab * sizeof(float)), *after = malloc(T * SPEC.vocab * sizeof(float));
	CHECK(model_logits(m, f.ids, T, before, &err) == 0);
	CHECK(model_scores(m, &cfg, f.ids, NSEQ, T, &res, &err) == 0);
	CHECK(model_logits(m, f.ids, T, after, &err) == 0);
	CHECK(memcmp(before, after, T * SPEC.vocab * sizeof(float)) == 0);
	CHECK(res.n_layers == NL);
	for (int k = 0; k < 2; k++) {
		struct expect e;
		expected_scores(&e, &f, &cfg.options[k], false, m);
		double rel = compare(&res, k, &e);
		printf("  %s act scores: max relative diff %.2e (q_proj.0 %.4g, mean loss %.4f)\n",
		       cfg.options[k].name, rel, res.layers[0].score[k], res.loss[k]);
		CHECK(rel < 1e-6);
	}
	for (int i = 0; i < NL; i++) {
		bool down = i % 7 == LK_DOWN; /* in_features 48: no MX blocks of 32 */
		CHECK(res.layers[i].fixed == down);
		CHECK(down ? res.layers[i].score[0] == 0 : res.layers[i].score[0] > 0);
		CHECK(res.layers[i].score[0] > res.layers[i].score[1] || down);
		CHECK(res.layers[i].score[2] == 0);
	}
	score_result_free(&res);
	free(before), free(after);
	model_free(m);
	fixture_free(&f);
}

TEST(scores_should_add_the_weight_term_when_an_option_is_weight_only)
{
	struct fixture f;
	struct model *m = NULL;
	struct bb_error err = {0};
	struct score_config cfg = {.method = SCORE_DELTALOSS, .n_options = 2, .batch = BATCH};
	struct score_result res;
	fixture_init(&f);
	CHECK(model_load(&m, f.dir, NULL, &err) == 0);
	format_parse(&cfg.options[0], "W4G32", NULL);
	format_parse(&cfg.options[1], "MXFP8", NULL);
	CHECK(model_scores(m, &cfg, f.ids, NSEQ, T, &res, &err) == 0);
	for (int k = 0; k < 2; k++) {
		struct expect e;
		expected_scores(&e, &f, &cfg.options[k], true, m);
		double rel = compare(&res, k, &e);
		printf("  %s %s: max relative diff %.2e\n", cfg.options[k].name,
		       k ? "act + weight terms" : "weight term", rel);
		CHECK(rel < 1e-5);
	}
	score_result_free(&res);
	model_free(m);
	fixture_free(&f);
}

TEST(scores_should_give_the_proxy_weight_error)
{
	struct fixture f;
	struct model *m = NULL;
	struct bb_error err = {0};
	struct score_config cfg = {.method = SCORE_PROXY, .n_options = 1};
	struct score_result res;
	fixture_init(&f);
	CHECK(model_load(&m, f.dir, NULL, &err) == 0);
	format_parse(&cfg.options[0], "MXFP4", NULL);
	CHECK(model_scores(m, &cfg, NULL, 0, 0, &res, &err) == 0);
	double maxrel = 0;
	for (int i = 0; i < NL; i++) {
		const struct linear *lin = &m->blocks[i / 7].lin[i % 7];
		if (!format_fits(&cfg.options[0], lin->in))
			continue;
		size_t n = (size_t)lin->out * lin->in;
		float *q = malloc(n * sizeof(float));
		const float *w = weight_of(&f, m, i);
		double want = 0;
		memcpy(q, w, n * sizeof(float));
		format_qdq(&cfg.options[0], q, (size_t)lin->out, (size_t)lin->in);
		for (size_t j = 0; j < n; j++)
			want += ((double)w[j] - q[j]) * ((double)w[j] - q[j]);
		maxrel = fmax(maxrel, fabs(res.layers[i].score[0] - want) / want);
		free(q);
	}
	printf("  proxy max relative diff %.2e\n", maxrel);
	CHECK(maxrel < 1e-9);
	score_result_free(&res);
	model_free(m);
	fixture_free(&f);
}

TEST(scores_should_reject_missing_calibration_data)
{
	struct fixture f;
	struct model *m = NULL;
	struct bb_error err = {0};
	struct score_config cfg = {.method = SCORE_DELTALOSS, .n_options = 1, .batch = 8};
	struct score_result res;
	fixture_init(&f);
	CHECK(model_load(&m, f.dir, NULL, &err) == 0);
	format_parse(&cfg.options[0], "MXFP4", NULL);
	CHECK(model_scores(m, &cfg, NULL, 0, T, &res, &err) == BB_EINVAL);
	CHECK(res.layers == NULL);
	int bad[2 * T] = {0};
	bad[5] = 1000;
	CHECK(model_scores(m, &cfg, bad, 2, T, &res, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "1000") != NULL);
	model_free(m);
	fixture_free(&f);
}

int main(void)
{
	RUN(scores_should_sum_the_deltaloss_act_term_and_restore_the_model);
	RUN(scores_should_add_the_weight_term_when_an_option_is_weight_only);
	RUN(scores_should_give_the_proxy_weight_error);
	RUN(scores_should_reject_missing_calibration_data);
	END_TESTS();
}
