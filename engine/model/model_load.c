/*
 * model_load.c: a checkpoint folder into a struct model: every tensor checked against the
 * config and converted once to float32, RoPE frequencies, and the recipe's formats
 * (activation fake-quant per Linear; with an override, quantized weights too).
 *
 * The model holds each weight once (tied embeddings share one buffer); the checkpoint's
 * mapping is closed before returning. Never prints, never exits.
 */
#include "engine/model/model_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

// ---- names ----

void model_linear_name(const struct model *m, int block, enum layer_kind kind, char *buf,
		       size_t size)
{
	if (block >= m->L || kind == LK_LM_HEAD)
		snprintf(buf, size, "lm_head");
	else if (kind <= LK_O)
		snprintf(buf, size, "model.layers.%d.self_attn.%s", block, layer_kind_name(kind));
	else
		snprintf(buf, size, "model.layers.%d.mlp.%s", block, layer_kind_name(kind));
}

static struct linear *find_linear(struct model *m, const char *name)
{
	char buf[128];
	if (strcmp(name, "lm_head") == 0)
		return &m->lm_head;
	for (int l = 0; l < m->L; l++)
		for (int k = 0; k < N_BLOCK_LINEARS; k++) {
			model_linear_name(m, l, (enum layer_kind)k, buf, sizeof buf);
			if (strcmp(buf, name) == 0)
				return &m->blocks[l].lin[k];
		}
	return NULL;
}

// ---- free ----

static void linear_free(struct linear *lin)
{
	free(lin->w);
	free(lin->b);
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (int l = 0; m->blocks && l < m->L; l++) {
		struct block *b = &m->blocks[l];
		free(b->attn_norm);
		free(b->mlp_norm);
		free(b->q_norm);
		free(b->k_norm);
		for (int k = 0; k < N_BLOCK_LINEARS; k++)
			linear_free(&b->lin[k]);
	}
	free(m->blocks);
	if (m->lm_head.w == m->embed)
		m->lm_head.w = NULL;
	linear_free(&m->lm_head);
	free(m->embed);
	free(m->final_norm);
	free(m->inv_freq);
	free(m);
}

const struct model_config *model_config(const struct model *m)
{
	return &m->cfg;
}

int model_max_length(const struct model *m)
{
	return m->max_len;
}

// ---- tensors ----

/* Load tensor name, which must have shape [d0] (d1 < 0) or [d0, d1], as float32. */
static int load_tensor(float **dst, enum st_dtype *dtype, const struct checkpoint *ck,
		       const char *name, int64_t d0, int64_t d1, struct bb_error *err)
{
	const struct st_tensor *t = checkpoint_tensor(ck, name, NULL);
	if (!t)
		return bb_fail(err, BB_EFORMAT, "'%s': missing tensor '%s'", ck->dir, name);
	int ndim = d1 < 0 ? 1 : 2;
	if (t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1)) {
		char got[64], want[48]; /* two 64-bit numbers in brackets: 44 bytes at most */
		if (t->ndim == 2)
			snprintf(got, sizeof got, "[%lld, %lld]", (long long)t->shape[0],
				 (long long)t->shape[1]);
		else
			snprintf(got, sizeof got, "%d dims, first %lld", t->ndim,
				 t->ndim ? (long long)t->shape[0] : 0LL);
		if (ndim == 2)
			snprintf(want, sizeof want, "[%lld, %lld]", (long long)d0, (long long)d1);
		else
			snprintf(want, sizeof want, "[%lld]", (long long)d0);
		return bb_fail(err, BB_EFORMAT,
			       "'%s': tensor '%s' has shape %s but config.json implies %s", ck->dir,
			       name, got, want);
	}
	if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
		return bb_fail(err, BB_EUNSUPPORTED, "'%s': tensor '%s' has dtype %s, not a float",
			       ck->dir, name, st_dtype_name(t->dtype));
	size_t n = (size_t)st_numel(t);
	*dst = malloc(n * sizeof(float));
	if (!*dst)
		return bb_fail(err, BB_ENOMEM, "out of memory loading '%s'", name);
	st_to_f32(t->dtype, t->data, *dst, n);
	if (dtype)
		*dtype = t->dtype;
	return 0;
}

static int load_linear(struct linear *lin, const struct checkpoint *ck, const char *module,
		       int out, int in, bool bias, struct bb_error *err)
{
	char name[160]; /* module: a name of model_linear_name's, under 64 bytes */
	lin->out = out;
	lin->in = in;
	lin->act = format_bf16();
	snprintf(name, sizeof name, "%s.weight", module);
	int rc = load_tensor(&lin->w, &lin->dtype, ck, name, out, in, err);
	if (rc || !bias)
		return rc;
	snprintf(name, sizeof name, "%s.bias", module);
	return load_tensor(&lin->b, NULL, ck, name, out, -1, err);
}

/* Llama and Qwen3 put attention_bias on o_proj too; Qwen2 biases q, k, v only. */
static bool has_bias(const struct model_config *c, enum layer_kind k)
{
	if (!c->qkv_bias || k > LK_O)
		return false;
	return k != LK_O || c->family == FAMILY_LLAMA || c->family == FAMILY_QWEN3;
}

static int load_block(struct model *m, const struct checkpoint *ck, int l,
		      struct bb_error *err)
{
	struct block *b = &m->blocks[l];
	const int outs[N_BLOCK_LINEARS] = {m->qd, m->kvd, m->kvd, m->d, m->F, m->F, m->d};
	const int ins[N_BLOCK_LINEARS] = {m->d, m->d, m->d, m->qd, m->d, m->d, m->F};
	char name[160];
	int rc;
	snprintf(name, sizeof name, "model.layers.%d.input_layernorm.weight", l);
	if ((rc = load_tensor(&b->attn_norm, NULL, ck, name, m->d, -1, err)))
		return rc;
	snprintf(name, sizeof name, "model.layers.%d.post_attention_layernorm.weight", l);
	if ((rc = load_tensor(&b->mlp_norm, NULL, ck, name, m->d, -1, err)))
		return rc;
	if (m->cfg.qk_norm) {
		snprintf(name, sizeof name, "model.layers.%d.self_attn.q_norm.weight", l);
		if ((rc = load_tensor(&b->q_norm, NULL, ck, name, m->hd, -1, err)))
			return rc;
		snprintf(name, sizeof name, "model.layers.%d.self_attn.k_norm.weight", l);
		if ((rc = load_tensor(&b->k_norm, NULL, ck, name, m->hd, -1, err)))
			return rc;
	}
	for (int k = 0; k < N_BLOCK_LINEARS; k++) {
		model_linear_name(m, l, (enum layer_kind)k, name, sizeof name);
		rc = load_linear(&b->lin[k], ck, name, outs[k], ins[k],
				 has_bias(&m->cfg, (enum layer_kind)k), err);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_weights(struct model *m, const struct checkpoint *ck, struct bb_error *err)
{
	int rc = load_tensor(&m->embed, NULL, ck, "model.embed_tokens.weight", m->V, m->d, err);
	if (!rc)
		rc = load_tensor(&m->final_norm, NULL, ck, "model.norm.weight", m->d, -1, err);
	if (rc)
		return rc;
	if (m->cfg.tie_word_embeddings) {
		const struct st_tensor *t = checkpoint_tensor(ck, "model.embed_tokens.weight", NULL);
		m->lm_head = (struct linear){.w = m->embed, .out = m->V, .in = m->d,
					     .dtype = t->dtype, .act = format_bf16()};
	} else if ((rc = load_linear(&m->lm_head, ck, "lm_head", m->V, m->d, false, err))) {
		return rc;
	}
	m->blocks = calloc((size_t)m->L, sizeof *m->blocks);
	if (!m->blocks)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int l = 0; l < m->L; l++)
		if ((rc = load_block(m, ck, l, err)))
			return rc;
	return 0;
}

// ---- config ----

/* Mistral (and Qwen with use_sliding_window) attend within a window: capping the length
 * at the window keeps full attention exact. */
static int sliding_window(const struct checkpoint *ck)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(ck->config_json, "sliding_window");
	const cJSON *use = cJSON_GetObjectItemCaseSensitive(ck->config_json, "use_sliding_window");
	if (!cJSON_IsNumber(w) || w->valuedouble < 1 || w->valuedouble >= INT_MAX)
		return 0; /* none, or wider than any length: no cap */
	if (ck->cfg.family == FAMILY_MISTRAL || cJSON_IsTrue(use))
		return (int)w->valuedouble;
	return 0;
}

static int setup_config(struct model *m, const struct checkpoint *ck, struct bb_error *err)
{
	const struct model_config *c = &ck->cfg;
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(ck->config_json, "hidden_act");
	if (!ck->has_weights)
		return bb_fail(err, BB_EINVAL, "'%s': no weights (config.json only)", ck->dir);
	if (cJSON_IsString(act) && strcmp(act->valuestring, "silu") != 0)
		return bb_fail(err, BB_EUNSUPPORTED, "'%s': hidden_act '%s' is not supported",
			       ck->dir, act->valuestring);
	if (c->hidden_size < 1 || c->n_layers < 1 || c->n_heads < 1 || c->n_kv_heads < 1 ||
	    c->head_dim < 2 || c->head_dim % 2 || c->n_heads % c->n_kv_heads ||
	    c->intermediate_size < 1 || c->vocab_size < 1 || c->max_position < 1)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': config.json sizes are inconsistent (heads %d, kv heads %d, "
			       "head_dim %d)", ck->dir, c->n_heads, c->n_kv_heads, c->head_dim);
	m->cfg = *c;
	m->L = c->n_layers;
	m->d = c->hidden_size;
	m->H = c->n_heads;
	m->KV = c->n_kv_heads;
	m->hd = c->head_dim;
	m->qd = m->H * m->hd;
	m->kvd = m->KV * m->hd;
	m->F = c->intermediate_size;
	m->V = c->vocab_size;
	m->eps = c->rms_norm_eps;
	int w = sliding_window(ck);
	m->max_len = w > 0 && w < c->max_position ? w : c->max_position;
	return 0;
}

/* inv_freq_j = theta^(-2j/hd), with Llama 3's frequency-dependent scaling. */
static int rope_init(struct model *m, struct bb_error *err)
{
	const struct model_config *c = &m->cfg;
	int h2 = m->hd / 2;
	m->inv_freq = malloc((size_t)h2 * sizeof(double));
	if (!m->inv_freq)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int j = 0; j < h2; j++) {
		double f = 1.0 / pow(c->rope_theta, 2.0 * j / m->hd);
		if (c->rope_llama3) {
			double old = c->rope_original_max_position, wavelen = 2 * M_PI / f;
			double lo = c->rope_low_freq_factor, hi = c->rope_high_freq_factor;
			if (wavelen > old / lo) {
				f /= c->rope_factor;
			} else if (wavelen >= old / hi) {
				double s = (old / wavelen - lo) / (hi - lo);
				f = (1 - s) * f / c->rope_factor + s * f;
			}
		}
		m->inv_freq[j] = f;
	}
	return 0;
}

// ---- recipe ----

void quantize_weight(const struct format *f, const float *w, float *q, int64_t out,
		     int64_t in, enum st_dtype dtype)
{
	if (q != w)
		memcpy(q, w, (size_t)(out * in) * sizeof(float));
#pragma omp parallel for schedule(static)
	for (int64_t r = 0; r < out; r++) {
		float *row = q + r * in;
		format_qdq(f, row, 1, (size_t)in);
		if (dtype == ST_BF16)
			for (int64_t i = 0; i < in; i++)
				row[i] = bf16_to_f32(f32_to_bf16(row[i]));
		else if (dtype == ST_F16)
			for (int64_t i = 0; i < in; i++)
				row[i] = f16_to_f32(f32_to_f16(row[i]));
	}
}

static int check_fits(const struct format *f, const struct linear *lin, const char *name,
		      struct bb_error *err)
{
	if (format_fits(f, lin->in))
		return 0;
	return bb_fail(err, BB_EINVAL, "recipe layer '%s': %s does not fit in_features %d",
		       name, f->name, lin->in);
}

/* The lm_head shares the embedding while tied; quantizing it needs its own copy. */
static int untie_lm_head(struct model *m, struct bb_error *err)
{
	if (m->lm_head.w != m->embed)
		return 0;
	size_t n = (size_t)m->V * m->d;
	m->lm_head.w = malloc(n * sizeof(float));
	if (!m->lm_head.w)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	memcpy(m->lm_head.w, m->embed, n * sizeof(float));
	return 0;
}

static int apply_recipe(struct model *m, const struct recipe *r, bool quantize_weights,
			struct bb_error *err)
{
	for (int i = 0; i < r->n_layers; i++) {
		const struct recipe_layer *rl = &r->layers[i];
		struct linear *lin = find_linear(m, rl->name);
		int rc;
		if (!lin)
			return bb_fail(err, BB_EINVAL, "recipe layer '%s' is not a Linear of this model",
				       rl->name);
		if (rl->act.kind == FMT_MX) {
			if ((rc = check_fits(&rl->act, lin, rl->name, err)))
				return rc;
			lin->act = rl->act;
		}
		if (!quantize_weights || rl->weight.kind == FMT_KEEP)
			continue;
		if ((rc = check_fits(&rl->weight, lin, rl->name, err)))
			return rc;
		if (lin == &m->lm_head && (rc = untie_lm_head(m, err)))
			return rc;
		quantize_weight(&rl->weight, lin->w, lin->w, lin->out, lin->in, lin->dtype);
	}
	return 0;
}

/* The override recipe quantizes the weights; a quantized checkpoint's own recipe only
 * brings its activation formats (its weights are already on the grid). */
static int load_recipe(struct model *m, const struct checkpoint *ck,
		       const struct recipe *override, struct bb_error *err)
{
	if (override)
		return apply_recipe(m, override, true, err);
	const cJSON *qc = cJSON_GetObjectItemCaseSensitive(ck->config_json, "quantization_config");
	if (!qc)
		return 0;
	struct recipe r;
	char *what = str_printf(err, "'%s/config.json' quantization_config", ck->dir);
	int rc = what ? recipe_from_json(&r, qc, what, err) : BB_ENOMEM;
	free(what);
	if (rc)
		return rc;
	rc = apply_recipe(m, &r, false, err);
	recipe_free(&r);
	return rc;
}

// ---- entry point ----

int model_load(struct model **out, const char *dir, const struct recipe *override,
	       struct bb_error *err)
{
	struct checkpoint ck;
	*out = NULL;
	memset(&ck, 0, sizeof ck);
	int rc = checkpoint_open(&ck, dir, err);
	if (rc)
		return rc;
	struct model *m = calloc(1, sizeof *m);
	if (!m) {
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = setup_config(m, &ck, err)) || (rc = load_weights(m, &ck, err)) ||
	    (rc = rope_init(m, err)) || (rc = load_recipe(m, &ck, override, err)))
		goto fail;
	checkpoint_close(&ck);
	*out = m;
	return 0;
fail:
	checkpoint_close(&ck);
	model_free(m);
	return rc;
}
