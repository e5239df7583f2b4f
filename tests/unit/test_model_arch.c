/*
 * test_model_arch.c: every architecture variant on small random checkpoints the test
 * writes itself (Llama with llama3 RoPE scaling, Mistral, Qwen2 biases, Qwen3 q/k norm,
 * untied lm_head, bf16 storage), the fast batched forward against a slow naive forward in
 * double written here from the Hugging Face definitions, KV-cached decoding against the
 * full sequence, activation fake-quant from a recipe, and load errors on bad checkpoints.
 * Prints maxdiff; never writes outside its own mkdtemp folders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/loglik.h"
#include "engine/model/model.h"
#include "engine/model/model_internal.h"
#include "engine/model/session.h"
#include "tests/unit/check.h"
#include "tests/unit/model_fixture.h"

// ---- naive reference forward, double precision ----

struct ref {
	const struct synth *s;
	int d, H, KV, hd, F, V, L;
	double eps;
	double inv_freq[256];
	const struct format *act;  /* fake-quant of every Linear input, or NULL */
};

static const float *ref_w(const struct ref *r, int l, const char *what)
{
	char name[96];
	if (l < 0)
		snprintf(name, sizeof name, "%s", what);
	else
		snprintf(name, sizeof name, "model.layers.%d.%s", l, what);
	return synth_get(r->s, name);
}

/* HF's _compute_llama3_parameters, written as its vectorized where()s. */
static void ref_rope(struct ref *r)
{
	const struct synth_spec *p = &r->s->spec;
	for (int j = 0; j < r->hd / 2; j++) {
		double f = pow(10000.0, -(2.0 * j) / r->hd);
		if (p->llama3_rope) {
			double old = 64, lo = 1, hi = 4, factor = 8, wl = 2 * M_PI / f;
			double scaled = wl > old / lo ? f / factor : f;
			double smooth = (old / wl - lo) / (hi - lo);
			double smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
			bool medium = !(wl < old / hi) && !(wl > old / lo);
			f = medium ? smoothed : scaled;
		}
		r->inv_freq[j] = f;
	}
}

static void ref_init(struct ref *r, const struct synth *s, const struct format *act)
{
	const struct synth_spec *p = &s->spec;
	*r = (struct ref){.s = s, .d = p->hidden, .H = p->heads, .KV = p->kv_heads,
			  .hd = synth_hd(p), .F = p->intermediate, .V = p->vocab, .L = p->layers,
			  .eps = 1e-6, .act = act};
	ref_rope(r);
}

static void ref_rmsnorm(double *y, const double *x, const float *w, int n, double eps)
{
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += x[i] * x[i];
	double k = 1 / sqrt(ss / n + eps);
	for (int i = 0; i < n; i++)
		y[i] = x[i] * k * w[i];
}

/* y (out) = W x + b, with x fake-quantized first when r->act is set. */
static void ref_linear(const struct ref *r, double *y, const double *x, const float *w,
		       const float *b, int out, int in)
{
	double *xx = malloc((size_t)in * sizeof(double));
	float *xf = malloc((size_t)in * sizeof(float));
	for (int i = 0; i < in; i++)
		xf[i] = (float)x[i];
	if (r->act)
		format_qdq(r->act, xf, 1, (size_t)in);
	for (int i = 0; i < in; i++)
		xx[i] = r->act ? xf[i] : x[i];
	for (int o = 0; o < out; o++) {
		double acc = b ? b[o] : 0;
		for (int i = 0; i < in; i++)
			acc += (double)w[(size_t)o * in + i] * xx[i];
		y[o] = acc;
	}
	free(xx);
	free(xf);
}

static void ref_rotate(const struct ref *r, double *v, int pos)
{
	int h2 = r->hd / 2;
	for (int j = 0; j < h2; j++) {
		double c = cos(pos * r->inv_freq[j]), s = sin(pos * r->inv_freq[j]);
		double a = v[j], b = v[j + h2];
		v[j] = a * c - b * s;
		v[j + h2] = b * c + a * s;
	}
}

/* q, k (T, heads, hd) in place: optional per-head norm, then RoPE. */
static void ref_qk(const struct ref *r, int l, double *q, double *k, int T)
{
	const float *qn = ref_w(r, l, "self_attn.q_norm.weight");
	const float *kn = ref_w(r, l, "self_attn.k_norm.weight");
	for (int t = 0; t < T; t++) {
		for (int h = 0; h < r->H; h++) {
			double *v = q + ((size_t)t * r->H + h) * r->hd;
			if (qn)
				ref_rmsnorm(v, v, qn, r->hd, r->eps);
			ref_rotate(r, v, t);
		}
		for (int h = 0; h < r->KV; h++) {
			double *v = k + ((size_t)t * r->KV + h) * r->hd;
			if (kn)
				ref_rmsnorm(v, v, kn, r->hd, r->eps);
			ref_rotate(r, v, t);
		}
	}
}

/* att (T, H*hd): causal softmax(q k^T / sqrt(hd)) v, query head h on kv head h/(H/KV). */
static void ref_attention(const struct ref *r, double *att, const double *q, const double *k,
			  const double *v, int T)
{
	double *p = malloc((size_t)T * sizeof(double));
	for (int t = 0; t < T; t++)
		for (int h = 0; h < r->H; h++) {
			int g = h / (r->H / r->KV);
			const double *qh = q + ((size_t)t * r->H + h) * r->hd;
			double mx = -INFINITY, sum = 0;
			for (int j = 0; j <= t; j++) {
				const double *kj = k + ((size_t)j * r->KV + g) * r->hd;
				double dot = 0;
				for (int i = 0; i < r->hd; i++)
					dot += qh[i] * kj[i];
				p[j] = dot / sqrt(r->hd);
				mx = fmax(mx, p[j]);
			}
			for (int j = 0; j <= t; j++)
				sum += (p[j] = exp(p[j] - mx));
			double *o = att + ((size_t)t * r->H + h) * r->hd;
			for (int i = 0; i < r->hd; i++) {
				double acc = 0;
				for (int j = 0; j <= t; j++)
					acc += p[j] / sum * v[((size_t)j * r->KV + g) * r->hd + i];
				o[i] = acc;
			}
		}
	free(p);
}

static void ref_block(const struct ref *r, int l, double *x, int T)
{
	int d = r->d, qd = r->H * r->hd, kvd = r->KV * r->hd, F = r->F;
	double *xn = malloc((size_t)d * sizeof(double)), *tmp = malloc((size_t)d * sizeof(double));
	double *q = malloc((size_t)T * qd * sizeof(double)), *att = malloc((size_t)T * qd * sizeof(double));
	double *k = malloc((size_t)T * kvd * sizeof(double)), *v = malloc((size_t)T * kvd * sizeof(double));
	double *g = malloc((size_t)F * sizeof(double)), *u = malloc((size_t)F * sizeof(double));
	for (int t = 0; t < T; t++) {
		ref_rmsnorm(xn, x + (size_t)t * d, ref_w(r, l, "input_layernorm.weight"), d, r->eps);
		ref_linear(r, q + (size_t)t * qd, xn, ref_w(r, l, "self_attn.q_proj.weight"),
			   ref_w(r, l, "self_attn.q_proj.bias"), qd, d);
		ref_linear(r, k + (size_t)t * kvd, xn, ref_w(r, l, "self_attn.k_proj.weight"),
			   ref_w(r, l, "self_attn.k_proj.bias"), kvd, d);
		ref_linear(r, v + (size_t)t * kvd, xn, ref_w(r, l, "self_attn.v_proj.weight"),
			   ref_w(r, l, "self_attn.v_proj.bias"), kvd, d);
	}
	ref_qk(r, l, q, k, T);
	ref_attention(r, att, q, k, v, T);
	for (int t = 0; t < T; t++) {
		double *xt = x + (size_t)t * d;
		ref_linear(r, tmp, att + (size_t)t * qd, ref_w(r, l, "self_attn.o_proj.weight"),
			   ref_w(r, l, "self_attn.o_proj.bias"), d, qd);
		for (int i = 0; i < d; i++)
			xt[i] += tmp[i];
		ref_rmsnorm(xn, xt, ref_w(r, l, "post_attention_layernorm.weight"), d, r->eps);
		ref_linear(r, g, xn, ref_w(r, l, "mlp.gate_proj.weight"), NULL, F, d);
		ref_linear(r, u, xn, ref_w(r, l, "mlp.up_proj.weight"), NULL, F, d);
		for (int i = 0; i < F; i++)
			g[i] = g[i] / (1 + exp(-g[i])) * u[i];
		ref_linear(r, tmp, g, ref_w(r, l, "mlp.down_proj.weight"), NULL, d, F);
		for (int i = 0; i < d; i++)
			xt[i] += tmp[i];
	}
	free(xn), free(tmp), free(q), free(att), free(k), free(v), free(g), free(u);
}

/* logits (T, V) of ids (T). */
static void ref_forward(const struct ref *r, const int *ids, int T, double *logits)
{
	int d = r->d;
	double *x = malloc((size_t)T * d * sizeof(double)), *xn = malloc((size_t)d * sizeof(double));
	const float *emb = ref_w(r, -1, "model.embed_tokens.weight");
	const float *head = ref_w(r, -1, "lm_head.weight");
	for (int t = 0; t < T; t++)
		for (int i = 0; i < d; i++)
			x[(size_t)t * d + i] = emb[(size_t)ids[t] * d + i];
	for (int l = 0; l < r->L; l++)
		ref_block(r, l, x, T);
	struct ref plain = *r;
	plain.act = NULL; /* lm_head is not in the recipe */
	for (int t = 0; t < T; t++) {
		ref_rmsnorm(xn, x + (size_t)t * d, ref_w(r, -1, "model.norm.weight"), d, r->eps);
		ref_linear(&plain, logits + (size_t)t * r->V, xn, head ? head : emb, NULL, r->V, d);
	}
	free(x);
	free(xn);
}

// ---- helpers ----

static const struct synth_spec BASE = {
	.model_type = "llama", .hidden = 64, .intermediate = 96, .layers = 2, .heads = 4,
	.kv_heads = 2, .vocab = 101, .max_pos = 128, .tie = true, .dtype = ST_F32, .seed = 7};

/* Write s into a fresh temporary folder (name in dir). */
static int write_tmp(const struct synth *s, char *dir, const char *skip, const char *patch)
{
	struct bb_error err = {0};
	strcpy(dir, "/tmp/bb-test-model-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	int rc = synth_write(s, dir, skip, patch, &err);
	if (rc)
		fprintf(stderr, "  synth_write: %s\n", err.msg);
	return rc;
}

static void make_ids(int *ids, int T, int V, unsigned long long seed)
{
	for (int t = 0; t < T; t++)
		ids[t] = (int)((synth_uniform(&seed) + 1) / 2 * V) % V;
}

/* Max |fast - reference| over all logits, and KV-cached decoding vs full logits. */
static double compare_variant(const struct synth_spec *spec, double tol, const char *label)
{
	struct synth *s = malloc(sizeof *s);
	char dir[64];
	struct model *m = NULL;
	struct bb_error err = {0};
	enum { T = 80 };
	int ids[T];
	synth_build(s, spec);
	CHECK(write_tmp(s, dir, NULL, NULL) == 0);
	CHECK(model_load(&m, dir, NULL, &err) == 0);
	if (!m) {
		fprintf(stderr, "  %s: %s\n", label, err.msg);
		synth_free(s), free(s), synth_remove(dir);
		return INFINITY;
	}
	make_ids(ids, T, spec->vocab, spec->seed);
	int V = spec->vocab;
	float *fast = malloc((size_t)T * V * sizeof(float)), *step = malloc((size_t)V * sizeof(float));
	double *want = malloc((size_t)T * V * sizeof(double)), maxdiff = 0, stepdiff = 0;
	struct ref r;
	ref_init(&r, s, NULL);
	ref_forward(&r, ids, T, want);
	CHECK(model_logits(m, ids, T, fast, &err) == 0);
	for (size_t i = 0; i < (size_t)T * V; i++)
		maxdiff = fmax(maxdiff, fabs(fast[i] - want[i]));
	struct model_session *ss = NULL;
	CHECK(model_session_new(&ss, m, T, &err) == 0);
	for (int t = 0; ss && t < T; t++) {
		CHECK(model_session_feed(ss, ids + t, 1, step, &err) == 0);
		for (int j = 0; j < V; j++)
			stepdiff = fmax(stepdiff, fabs(step[j] - fast[(size_t)t * V + j]));
	}
	printf("  %-28s fast vs double maxdiff %.2e, incremental vs full %.2e\n", label, maxdiff,
	       stepdiff);
	CHECK(maxdiff < tol);
	CHECK(stepdiff < 1e-4);
	model_session_free(ss);
	model_free(m);
	free(fast), free(step), free(want);
	synth_free(s);
	free(s);
	synth_remove(dir);
	return maxdiff;
}

// ---- tests ----

TEST(model_should_run_llama_with_llama3_rope_scaling)
{
	struct synth_spec p = BASE;
	p.llama3_rope = true;
	compare_variant(&p, 1e-4, "llama, llama3 rope, GQA");
}

TEST(model_should_run_mistral_with_one_kv_head)
{
	struct synth_spec p = BASE;
	p.model_type = "mistral";
	p.kv_heads = 1;
	p.tie = false;
	compare_variant(&p, 1e-4, "mistral, MQA, untied");
}

TEST(model_should_run_qwen2_with_qkv_biases)
{
	struct synth_spec p = BASE;
	p.model_type = "qwen2";
	compare_variant(&p, 1e-4, "qwen2, q/k/v biases");
}

TEST(model_should_run_qwen3_with_qk_norm)
{
	struct synth_spec p = BASE;
	p.model_type = "qwen3";
	p.head_dim = 24; /* q width 96 != hidden 64 */
	p.tie = false;
	compare_variant(&p, 1e-4, "qwen3, q/k norm, head_dim 24");
}

TEST(model_should_run_untied_llama_with_attention_bias_in_bf16)
{
	struct synth_spec p = BASE;
	p.tie = false;
	p.attention_bias = true;
	p.dtype = ST_BF16;
	compare_variant(&p, 1e-4, "llama, untied, o bias, bf16");
}

/* A recipe giving every block Linear MXFP8 weights and activations, as JSON. */
static char *mxfp8_recipe_json(const struct synth_spec *p)
{
	struct recipe r = {.n_layers = p->layers * 7};
	struct format f;
	format_parse(&f, "MXFP8", NULL);
	r.layers = calloc((size_t)r.n_layers, sizeof *r.layers);
	r.n_options = 1;
	r.options[0] = f;
	const char *names[7] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
				"self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
				"mlp.down_proj"};
	for (int i = 0; i < r.n_layers; i++) {
		snprintf(r.layers[i].name, sizeof r.layers[i].name, "model.layers.%d.%s", i / 7,
			 names[i % 7]);
		r.layers[i].weight = f;
		r.layers[i].act = f;
	}
	cJSON *j = recipe_to_json(&r);
	char *text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	recipe_free(&r);
	return text;
}

TEST(model_should_fake_quantize_activations_from_the_checkpoint_recipe)
{
	struct synth *s = malloc(sizeof *s);
	struct synth_spec p = BASE;
	struct format f;
	struct bb_error err = {0};
	format_parse(&f, "MXFP8", NULL);
	synth_build(s, &p);
	for (int i = 0; i < s->n; i++) /* the fake-quantized checkpoint's weights */
		if (strstr(s->names[i], "_proj.weight"))
			format_qdq(&f, s->data[i], (size_t)s->shape[i][0], (size_t)s->shape[i][1]);
	char *rj = mxfp8_recipe_json(&p), patch[65536], dir[64];
	snprintf(patch, sizeof patch, "{\"quantization_config\": %s}", rj);
	CHECK(write_tmp(s, dir, NULL, patch) == 0);
	struct model *m = NULL;
	CHECK(model_load(&m, dir, NULL, &err) == 0);
	enum { T = 40 };
	int ids[T], V = p.vocab;
	make_ids(ids, T, V, 3);
	float *fast = malloc((size_t)T * V * sizeof(float));
	double *want = malloc((size_t)T * V * sizeof(double)), *plain = malloc((size_t)T * V * sizeof(double));
	double maxdiff = 0, effect = 0;
	struct ref r;
	ref_init(&r, s, &f);
	ref_forward(&r, ids, T, want);
	ref_init(&r, s, NULL);
	ref_forward(&r, ids, T, plain);
	CHECK(m && model_logits(m, ids, T, fast, &err) == 0);
	for (size_t i = 0; i < (size_t)T * V; i++) {
		maxdiff = fmax(maxdiff, fabs(fast[i] - want[i]));
		effect = fmax(effect, fabs(want[i] - plain[i]));
	}
	printf("  MXFP8 activations: fast vs double maxdiff %.2e (fake-quant moves logits by up to "
	       "%.2e)\n", maxdiff, effect);
	CHECK(maxdiff < 2e-3);
	CHECK(effect > 20 * maxdiff);
	model_free(m);
	synth_remove(dir);
	free(rj), free(fast), free(want), free(plain);
	synth_free(s);
	free(s);
}

TEST(model_should_quantize_weights_from_an_override_recipe)
{
	struct synth *s = malloc(sizeof *s), *q = malloc(sizeof *q);
	struct synth_spec p = BASE;
	struct format f;
	struct bb_error err = {0};
	struct recipe r;
	format_parse(&f, "MXFP8", NULL);
	synth_build(s, &p);
	synth_build(q, &p);
	for (int i = 0; i < q->n; i++)
		if (strstr(q->names[i], "_proj.weight"))
			format_qdq(&f, q->data[i], (size_t)q->shape[i][0], (size_t)q->shape[i][1]);
	char *rj = mxfp8_recipe_json(&p), dir[64], qdir[64];
	cJSON *j = cJSON_Parse(rj);
	CHECK(recipe_from_json(&r, j, "test recipe", &err) == 0);
	CHECK(write_tmp(s, dir, NULL, NULL) == 0);
	CHECK(write_tmp(q, qdir, NULL, NULL) == 0);
	struct model *a = NULL, *b = NULL;
	CHECK(model_load(&a, dir, &r, &err) == 0);  /* original + override */
	CHECK(model_load(&b, qdir, &r, &err) == 0); /* already on the grid: qdq is idempotent */
	enum { T = 30 };
	int ids[T];
	make_ids(ids, T, p.vocab, 5);
	float *la = malloc((size_t)T * p.vocab * sizeof(float)), *lb = malloc((size_t)T * p.vocab * sizeof(float));
	double maxdiff = 0;
	CHECK(a && b && model_logits(a, ids, T, la, &err) == 0 && model_logits(b, ids, T, lb, &err) == 0);
	for (size_t i = 0; a && b && i < (size_t)T * p.vocab; i++)
		maxdiff = fmax(maxdiff, fabs(la[i] - lb[i]));
	printf("  override recipe on original vs pre-quantized weights maxdiff %.2e\n", maxdiff);
	CHECK(maxdiff < 1e-5);
	model_free(a), model_free(b);
	recipe_free(&r);
	cJSON_Delete(j);
	synth_remove(dir), synth_remove(qdir);
	free(rj), free(la), free(lb);
	synth_free(s), synth_free(q);
	free(s), free(q);
}

/* Load a BASE checkpoint written with skip/patch; expect failure mentioning needle. */
static void expect_load_error(const char *skip, const char *patch, int code, const char *needle)
{
	struct synth *s = malloc(sizeof *s);
	char dir[64];
	struct model *m = NULL;
	struct bb_error err = {0};
	synth_build(s, &BASE);
	CHECK(write_tmp(s, dir, skip, patch) == 0);
	CHECK(model_load(&m, dir, NULL, &err) == code);
	CHECK(m == NULL);
	CHECK(strstr(err.msg, needle) != NULL);
	printf("  error: %s\n", err.msg);
	synth_free(s);
	free(s);
	synth_remove(dir);
}

TEST(model_should_reject_config_inconsistent_with_tensors)
{
	expect_load_error(NULL, "{\"intermediate_size\": 128}", BB_EFORMAT,
			  "model.layers.0.mlp.gate_proj.weight");
	expect_load_error(NULL, "{\"num_key_value_heads\": 4}", BB_EFORMAT,
			  "model.layers.0.self_attn.k_proj.weight");
}

TEST(model_should_reject_unsupported_architecture)
{
	expect_load_error(NULL, "{\"model_type\": \"gpt2\"}", BB_EUNSUPPORTED, "gpt2");
	expect_load_error(NULL, "{\"hidden_act\": \"gelu\"}", BB_EUNSUPPORTED, "gelu");
}

TEST(model_should_reject_missing_tensor)
{
	expect_load_error("model.layers.1.mlp.up_proj.weight", NULL, BB_EFORMAT,
			  "model.layers.1.mlp.up_proj.weight");
	expect_load_error("model.norm.weight", NULL, BB_EFORMAT, "model.norm.weight");
}

TEST(model_should_cap_mistral_context_at_its_sliding_window)
{
	struct synth *s = malloc(sizeof *s);
	struct synth_spec p = BASE;
	char dir[64], qdir[64];
	struct model *m = NULL, *q = NULL;
	struct bb_error err = {0};
	p.model_type = "mistral";
	synth_build(s, &p);
	CHECK(write_tmp(s, dir, NULL, "{\"sliding_window\": 40}") == 0);
	synth_free(s);
	p.model_type = "qwen2";
	synth_build(s, &p);
	CHECK(write_tmp(s, qdir, NULL, "{\"sliding_window\": 40}") == 0);
	CHECK(model_load(&m, dir, NULL, &err) == 0);
	CHECK(m && model_max_length(m) == 40);
	CHECK(model_load(&q, qdir, NULL, &err) == 0); /* no use_sliding_window: full context */
	CHECK(q && model_max_length(q) == 128);
	model_free(m), model_free(q);
	synth_remove(dir);
	/* a window wider than int (converting it was undefined): no cap */
	synth_free(s);
	p.model_type = "mistral";
	synth_build(s, &p);
	CHECK(write_tmp(s, dir, NULL, "{\"sliding_window\": 1e30}") == 0);
	m = NULL;
	CHECK(model_load(&m, dir, NULL, &err) == 0);
	CHECK(m && model_max_length(m) == 128);
	model_free(m);
	synth_free(s);
	free(s);
	synth_remove(dir), synth_remove(qdir);
}

TEST(model_should_reject_bad_token_ids_and_lengths)
{
	struct synth *s = malloc(sizeof *s);
	char dir[64];
	struct model *m = NULL;
	struct bb_error err = {0};
	synth_build(s, &BASE);
	CHECK(write_tmp(s, dir, NULL, NULL) == 0);
	CHECK(model_load(&m, dir, NULL, &err) == 0);
	float *logits = malloc(200 * 101 * sizeof(float));
	int bad[2] = {1, 101}, *longer = calloc(129, sizeof(int)), out[4], n;
	CHECK(model_logits(m, bad, 2, logits, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "101") != NULL);
	CHECK(model_logits(m, longer, 129, logits, &err) == BB_EINVAL);
	CHECK(model_generate(m, longer, 126, 4, -1, out, &n, &err) == BB_EINVAL);
	double lp;
	CHECK(model_loglik(m, longer, 1, longer, 129, &lp, NULL, &err) == BB_EINVAL);
	CHECK(model_loglik(m, longer, 129, longer, 3, &lp, NULL, &err) == 0); /* truncated */
	free(logits), free(longer);
	model_free(m);
	synth_free(s);
	free(s);
	synth_remove(dir);
}

int main(void)
{
	RUN(model_should_run_llama_with_llama3_rope_scaling);
	RUN(model_should_run_mistral_with_one_kv_head);
	RUN(model_should_run_qwen2_with_qkv_biases);
	RUN(model_should_run_qwen3_with_qk_norm);
	RUN(model_should_run_untied_llama_with_attention_bias_in_bf16);
	RUN(model_should_fake_quantize_activations_from_the_checkpoint_recipe);
	RUN(model_should_quantize_weights_from_an_override_recipe);
	RUN(model_should_reject_config_inconsistent_with_tensors);
	RUN(model_should_reject_unsupported_architecture);
	RUN(model_should_reject_missing_tensor);
	RUN(model_should_cap_mistral_context_at_its_sliding_window);
	RUN(model_should_reject_bad_token_ids_and_lengths);
	END_TESTS();
}
