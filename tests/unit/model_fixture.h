/*
 * model_fixture.h: small random Llama-family checkpoints for the model tests and the
 * engine benchmark, written with st_write into a folder the caller makes (mkdtemp).
 *
 * The generated tensors stay in memory (rounded to the stored dtype), so a test can run
 * its own independent reference forward on exactly the stored values.
 * Header-only (static inline) so each test program and the bench link it alone; it must
 * never write outside the folder it is given.
 */
#ifndef BB_MODEL_FIXTURE_H
#define BB_MODEL_FIXTURE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/safetensors.h"

struct synth_spec {
	const char *model_type;  /* llama, mistral, qwen2, qwen3 */
	int hidden, intermediate, layers, heads, kv_heads;
	int head_dim;            /* 0: hidden / heads, and no head_dim key */
	int vocab, max_pos;
	bool tie;                /* tied embeddings: only model.embed_tokens.weight stored */
	bool llama3_rope;        /* rope_scaling llama3, factor 8, original 64 */
	bool attention_bias;     /* config attention_bias (Qwen2 has q/k/v biases anyway) */
	enum st_dtype dtype;     /* F32 or BF16 */
	unsigned long long seed;
};

#define SYNTH_MAX_TENSORS 1024

struct synth {
	struct synth_spec spec;
	int n;
	char names[SYNTH_MAX_TENSORS][96];
	int ndim[SYNTH_MAX_TENSORS];
	int64_t shape[SYNTH_MAX_TENSORS][2];
	float *data[SYNTH_MAX_TENSORS];
};

static inline double synth_uniform(unsigned long long *state)
{
	unsigned long long z = (*state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0 * 2 - 1; /* [-1, 1) */
}

static inline int synth_hd(const struct synth_spec *s)
{
	return s->head_dim ? s->head_dim : s->hidden / s->heads;
}

/* Add a tensor of uniform values in [center - scale, center + scale). */
static inline void synth_add(struct synth *s, const char *name, int64_t d0, int64_t d1,
			     double center, double scale)
{
	int i = s->n++;
	size_t n = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1);
	snprintf(s->names[i], sizeof s->names[i], "%s", name);
	s->ndim[i] = d1 > 0 ? 2 : 1;
	s->shape[i][0] = d0;
	s->shape[i][1] = d1;
	s->data[i] = malloc(n * sizeof(float));
	for (size_t j = 0; j < n; j++) {
		float v = (float)(center + scale * synth_uniform(&s->spec.seed));
		s->data[i][j] = s->spec.dtype == ST_BF16 ? bf16_to_f32(f32_to_bf16(v)) : v;
	}
}

static inline void synth_add_block(struct synth *s, int l)
{
	const struct synth_spec *p = &s->spec;
	int d = p->hidden, hd = synth_hd(p), qd = p->heads * hd, kvd = p->kv_heads * hd;
	int F = p->intermediate;
	bool qwen2 = strcmp(p->model_type, "qwen2") == 0, qwen3 = strcmp(p->model_type, "qwen3") == 0;
	bool qkv_bias = qwen2 || p->attention_bias;
	bool o_bias = p->attention_bias && !qwen2 && strcmp(p->model_type, "mistral") != 0;
	const char *proj[] = {"q_proj", "k_proj", "v_proj", "o_proj"};
	const int outs[] = {qd, kvd, kvd, d}, ins[] = {d, d, d, qd};
	char name[96];
	snprintf(name, sizeof name, "model.layers.%d.input_layernorm.weight", l);
	synth_add(s, name, d, 0, 1.0, 0.2);
	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof name, "model.layers.%d.self_attn.%s.weight", l, proj[k]);
		synth_add(s, name, outs[k], ins[k], 0, 1.7 / sqrt(ins[k]));
		if ((k < 3 && qkv_bias) || (k == 3 && o_bias)) {
			snprintf(name, sizeof name, "model.layers.%d.self_attn.%s.bias", l, proj[k]);
			synth_add(s, name, outs[k], 0, 0, 0.3);
		}
	}
	if (qwen3) {
		snprintf(name, sizeof name, "model.layers.%d.self_attn.q_norm.weight", l);
		synth_add(s, name, hd, 0, 1.0, 0.3);
		snprintf(name, sizeof name, "model.layers.%d.self_attn.k_norm.weight", l);
		synth_add(s, name, hd, 0, 1.0, 0.3);
	}
	snprintf(name, sizeof name, "model.layers.%d.post_attention_layernorm.weight", l);
	synth_add(s, name, d, 0, 1.0, 0.2);
	snprintf(name, sizeof name, "model.layers.%d.mlp.gate_proj.weight", l);
	synth_add(s, name, F, d, 0, 1.7 / sqrt(d));
	snprintf(name, sizeof name, "model.layers.%d.mlp.up_proj.weight", l);
	synth_add(s, name, F, d, 0, 1.7 / sqrt(d));
	snprintf(name, sizeof name, "model.layers.%d.mlp.down_proj.weight", l);
	synth_add(s, name, d, F, 0, 1.7 / sqrt(F));
}

/* Generate every tensor of spec. */
static inline void synth_build(struct synth *s, const struct synth_spec *spec)
{
	memset(s, 0, sizeof *s);
	s->spec = *spec;
	synth_add(s, "model.embed_tokens.weight", spec->vocab, spec->hidden, 0, 1.0);
	for (int l = 0; l < spec->layers; l++)
		synth_add_block(s, l);
	synth_add(s, "model.norm.weight", spec->hidden, 0, 1.0, 0.2);
	if (!spec->tie)
		synth_add(s, "lm_head.weight", spec->vocab, spec->hidden, 0, 1.7 / sqrt(spec->hidden));
}

static inline void synth_free(struct synth *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->data[i]);
	s->n = 0;
}

/* The tensor called name, or NULL. */
static inline const float *synth_get(const struct synth *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return s->data[i];
	return NULL;
}

static inline cJSON *synth_config(const struct synth_spec *p)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "model_type", p->model_type);
	cJSON_AddNumberToObject(c, "hidden_size", p->hidden);
	cJSON_AddNumberToObject(c, "intermediate_size", p->intermediate);
	cJSON_AddNumberToObject(c, "num_hidden_layers", p->layers);
	cJSON_AddNumberToObject(c, "num_attention_heads", p->heads);
	cJSON_AddNumberToObject(c, "num_key_value_heads", p->kv_heads);
	if (p->head_dim)
		cJSON_AddNumberToObject(c, "head_dim", p->head_dim);
	cJSON_AddNumberToObject(c, "vocab_size", p->vocab);
	cJSON_AddNumberToObject(c, "max_position_embeddings", p->max_pos);
	cJSON_AddNumberToObject(c, "rms_norm_eps", 1e-6);
	cJSON_AddNumberToObject(c, "rope_theta", 10000.0);
	cJSON_AddBoolToObject(c, "tie_word_embeddings", p->tie);
	cJSON_AddBoolToObject(c, "attention_bias", p->attention_bias);
	cJSON_AddStringToObject(c, "hidden_act", "silu");
	cJSON_AddNumberToObject(c, "bos_token_id", 1);
	cJSON_AddNumberToObject(c, "eos_token_id", 2);
	if (p->llama3_rope) {
		cJSON *rs = cJSON_AddObjectToObject(c, "rope_scaling");
		cJSON_AddStringToObject(rs, "rope_type", "llama3");
		cJSON_AddNumberToObject(rs, "factor", 8.0);
		cJSON_AddNumberToObject(rs, "low_freq_factor", 1.0);
		cJSON_AddNumberToObject(rs, "high_freq_factor", 4.0);
		cJSON_AddNumberToObject(rs, "original_max_position_embeddings", 64);
	}
	return c;
}

/* Write dir/config.json (spec's config with the keys of patch_json, a JSON object or
 * NULL, replacing or adding) and dir/model.safetensors without tensor skip (or NULL). */
static inline int synth_write(const struct synth *s, const char *dir, const char *skip,
			      const char *patch_json, struct bb_error *err)
{
	char path[1024];
	cJSON *cfg = synth_config(&s->spec), *patch = patch_json ? cJSON_Parse(patch_json) : NULL;
	for (cJSON *it = patch ? patch->child : NULL; it; it = it->next) {
		cJSON_DeleteItemFromObjectCaseSensitive(cfg, it->string);
		cJSON_AddItemToObject(cfg, it->string, cJSON_Duplicate(it, 1));
	}
	char *text = cJSON_Print(cfg);
	snprintf(path, sizeof path, "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	int rc = f && text && fputs(text, f) >= 0 ? 0 : bb_fail(err, BB_EIO, "cannot write '%s'", path);
	if (f)
		fclose(f);
	free(text);
	cJSON_Delete(cfg);
	cJSON_Delete(patch);
	if (rc)
		return rc;
	struct st_tensor_spec *specs = calloc((size_t)s->n, sizeof *specs);
	void **bufs = calloc((size_t)s->n, sizeof *bufs);
	int n = 0;
	for (int i = 0; i < s->n; i++) {
		if (skip && strcmp(skip, s->names[i]) == 0)
			continue;
		size_t numel = (size_t)s->shape[i][0] * (size_t)(s->ndim[i] == 2 ? s->shape[i][1] : 1);
		bufs[n] = malloc(numel * st_dtype_size(s->spec.dtype));
		st_from_f32(s->spec.dtype, s->data[i], bufs[n], numel);
		specs[n] = (struct st_tensor_spec){.name = s->names[i], .dtype = s->spec.dtype,
						   .ndim = s->ndim[i], .data = bufs[n]};
		specs[n].shape[0] = s->shape[i][0];
		specs[n].shape[1] = s->shape[i][1];
		n++;
	}
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	rc = st_write(path, specs, n, NULL, err);
	for (int i = 0; i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(specs);
	return rc;
}

/* Remove what synth_write wrote, then the folder. */
static inline void synth_remove(const char *dir)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/config.json", dir);
	remove(path);
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	remove(path);
	remove(dir);
}

#endif
