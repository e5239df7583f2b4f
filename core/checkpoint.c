/*
 * checkpoint.c: open a Hugging Face model folder: config.json, its shards, and the budget
 * inventory derived from them.
 *
 * The config is parsed strictly: a missing or mistyped key, an architecture outside the
 * Llama family, or a rope_scaling type we do not implement is an error naming the file
 * and key, never a silent default that would make a wrong answer later. Never prints.
 */
#include "core/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

// ---- config.json ----

static const struct {
	const char *model_type;
	enum model_family family;
} families[] = {
	{"llama", FAMILY_LLAMA},
	{"mistral", FAMILY_MISTRAL},
	{"qwen2", FAMILY_QWEN2},
	{"qwen3", FAMILY_QWEN3},
};

#define MAX_LAYERS 65536
#define MAX_PARAMS 1e15 /* a thousand times the largest models; exact in int64 and double */

static int get_int(const cJSON *json, const char *key, int fallback, int *out, const char *path,
		   struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
	if (!v || cJSON_IsNull(v)) {
		if (fallback == INT32_MIN)
			return bb_fail(err, BB_EFORMAT, "'%s': missing key '%s'", path, key);
		*out = fallback;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return bb_fail(err, BB_EFORMAT, "'%s': '%s' is not an integer in [0, 1e9]", path,
			       key);
	*out = (int)v->valuedouble;
	return 0;
}

/* The float json[key], or fallback when absent; name is how the message calls it. */
static int get_float(const cJSON *json, const char *name, const char *key, double fallback,
		     float *out, const char *path, struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
	if (!v || cJSON_IsNull(v)) {
		*out = (float)fallback;
		return 0;
	}
	/* Every float of the config (epsilon, RoPE base and scaling factors) divides or takes
	 * a logarithm somewhere: zero, a negative or a non-finite value would turn every
	 * activation into NaN and evaluate to plausible-looking numbers. Checked as the float
	 * the engine uses, so 1e-50 (0 as a float) and 1e300 (Inf) are refused too. */
	float f = cJSON_IsNumber(v) ? (float)v->valuedouble : 0.0f;
	if (!cJSON_IsNumber(v) || !isfinite(f) || !(f > 0))
		return bb_fail(err, BB_EFORMAT, "'%s': '%s' must be a finite number > 0", path,
			       name);
	*out = f;
	return 0;
}

static bool get_bool(const cJSON *json, const char *key, bool fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

static int parse_family(struct model_config *cfg, const cJSON *json, const char *path,
			struct bb_error *err)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(json, "model_type");
	if (!cJSON_IsString(mt))
		return bb_fail(err, BB_EFORMAT, "'%s': missing key 'model_type'", path);
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strcmp(mt->valuestring, families[i].model_type) == 0) {
			cfg->family = families[i].family;
			snprintf(cfg->model_type, sizeof cfg->model_type, "%s", mt->valuestring);
			return 0;
		}
	return bb_fail(err, BB_EUNSUPPORTED,
		       "'%s': model_type '%.40s' is not supported (llama, mistral, qwen2, qwen3)",
		       path, mt->valuestring);
}

/* eos_token_id may be a list (Llama 3.1 has three); keep the first. */
static int parse_eos(struct model_config *cfg, const cJSON *json, const char *path,
		     struct bb_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, "eos_token_id");
	if (cJSON_IsArray(v)) {
		const cJSON *first = cJSON_GetArrayItem(v, 0);
		if (!cJSON_IsNumber(first))
			return bb_fail(err, BB_EFORMAT, "'%s': eos_token_id list is empty or not numeric",
				       path);
		cfg->eos_token_id = first->valueint;
		return 0;
	}
	return get_int(json, "eos_token_id", -1, &cfg->eos_token_id, path, err);
}

static int parse_rope_scaling(struct model_config *cfg, const cJSON *json, const char *path,
			      struct bb_error *err)
{
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(json, "rope_scaling");
	if (!rs || cJSON_IsNull(rs))
		return 0;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(rs, "rope_type");
	if (!cJSON_IsString(type))
		type = cJSON_GetObjectItemCaseSensitive(rs, "type");
	if (!cJSON_IsString(type))
		return bb_fail(err, BB_EFORMAT, "'%s': rope_scaling has no rope_type", path);
	if (strcmp(type->valuestring, "default") == 0)
		return 0;
	if (strcmp(type->valuestring, "llama3") != 0)
		return bb_fail(err, BB_EUNSUPPORTED,
			       "'%s': rope_scaling type '%.40s' is not supported (llama3 only)", path,
			       type->valuestring);
	cfg->rope_llama3 = true;
	int rc = get_float(rs, "rope_scaling.factor", "factor", 8.0, &cfg->rope_factor, path, err);
	if (!rc)
		rc = get_float(rs, "rope_scaling.low_freq_factor", "low_freq_factor", 1.0,
			       &cfg->rope_low_freq_factor, path, err);
	if (!rc)
		rc = get_float(rs, "rope_scaling.high_freq_factor", "high_freq_factor", 4.0,
			       &cfg->rope_high_freq_factor, path, err);
	if (!rc)
		rc = get_int(rs, "original_max_position_embeddings", 8192,
			     &cfg->rope_original_max_position, path, err);
	/* The ramp between the two wavelengths divides by high - low. */
	if (!rc && !(cfg->rope_high_freq_factor > cfg->rope_low_freq_factor))
		rc = bb_fail(err, BB_EFORMAT, "'%s': rope_scaling high_freq_factor %g must be more "
			     "than low_freq_factor %g", path, cfg->rope_high_freq_factor,
			     cfg->rope_low_freq_factor);
	return rc;
}

/* hidden_act names the MLP's activation; which ones the engine runs is its business
 * (engine/model/model_load.c), but a value that is not a name is malformed. */
static int check_hidden_act(const cJSON *json, const char *path, struct bb_error *err)
{
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(json, "hidden_act");
	if (act && !cJSON_IsNull(act) && !cJSON_IsString(act))
		return bb_fail(err, BB_EFORMAT, "'%s': 'hidden_act' must be a string", path);
	return 0;
}

static int check_consistency(const struct model_config *c, const char *path,
			     struct bb_error *err)
{
	if (c->hidden_size <= 0 || c->intermediate_size <= 0 || c->n_layers <= 0 ||
	    c->n_heads <= 0 || c->n_kv_heads <= 0 || c->vocab_size <= 0 || c->head_dim <= 0)
		return bb_fail(err, BB_EFORMAT, "'%s': sizes must be positive", path);
	if (c->n_heads % c->n_kv_heads)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': num_attention_heads %d is not a multiple of num_key_value_heads %d",
			       path, c->n_heads, c->n_kv_heads);
	if (c->head_dim % 2)
		return bb_fail(err, BB_EFORMAT, "'%s': head_dim %d is odd (RoPE needs pairs)",
			       path, c->head_dim);
	/* Bounds that keep every shape an int and every parameter count an exact int64 (and
	 * the inventory's layer count an int): far above any real model, far below overflow.
	 * Found by fuzz/fuzz_config.c (signed overflow in inventory_build). */
	if (c->n_layers > MAX_LAYERS)
		return bb_fail(err, BB_EFORMAT, "'%s': num_hidden_layers %d is more than %d", path,
			       c->n_layers, MAX_LAYERS);
	int64_t q = (int64_t)c->n_heads * c->head_dim, kv = (int64_t)c->n_kv_heads * c->head_dim;
	if (q > INT32_MAX || kv > INT32_MAX)
		return bb_fail(err, BB_EFORMAT, "'%s': num_attention_heads x head_dim (%lld) is more "
			       "than %d", path, (long long)q, INT32_MAX);
	double h = c->hidden_size, params = c->n_layers * h * (2.0 * q + 2.0 * kv +
							      3.0 * c->intermediate_size) +
					    2.0 * h * c->vocab_size;
	if (params > MAX_PARAMS)
		return bb_fail(err, BB_EFORMAT, "'%s': these sizes make %.3g parameters, more than "
			       "%.0e", path, params, MAX_PARAMS);
	return 0;
}

int model_config_parse(struct model_config *cfg, const cJSON *json, const char *path,
		       struct bb_error *err)
{
	memset(cfg, 0, sizeof *cfg);
	if (!cJSON_IsObject(json))
		return bb_fail(err, BB_EFORMAT, "'%s': not a JSON object", path);
	int rc = parse_family(cfg, json, path, err);
	const int REQUIRED = INT32_MIN;
	if (!rc)
		rc = get_int(json, "hidden_size", REQUIRED, &cfg->hidden_size, path, err);
	if (!rc)
		rc = get_int(json, "intermediate_size", REQUIRED, &cfg->intermediate_size, path, err);
	if (!rc)
		rc = get_int(json, "num_hidden_layers", REQUIRED, &cfg->n_layers, path, err);
	if (!rc)
		rc = get_int(json, "num_attention_heads", REQUIRED, &cfg->n_heads, path, err);
	if (!rc)
		rc = get_int(json, "vocab_size", REQUIRED, &cfg->vocab_size, path, err);
	if (!rc)
		rc = get_int(json, "num_key_value_heads", cfg->n_heads, &cfg->n_kv_heads, path, err);
	if (!rc && cfg->n_heads)
		rc = get_int(json, "head_dim", cfg->hidden_size / cfg->n_heads, &cfg->head_dim,
			     path, err);
	if (!rc)
		rc = get_int(json, "max_position_embeddings", 2048, &cfg->max_position, path, err);
	if (!rc)
		rc = get_int(json, "bos_token_id", -1, &cfg->bos_token_id, path, err);
	if (!rc)
		rc = parse_eos(cfg, json, path, err);
	if (!rc)
		rc = get_float(json, "rms_norm_eps", "rms_norm_eps", 1e-6, &cfg->rms_norm_eps, path,
			       err);
	if (!rc)
		rc = get_float(json, "rope_theta", "rope_theta", 10000.0, &cfg->rope_theta, path,
			       err);
	if (!rc)
		rc = parse_rope_scaling(cfg, json, path, err);
	if (!rc)
		rc = check_hidden_act(json, path, err);
	if (rc)
		return rc;
	cfg->tie_word_embeddings = get_bool(json, "tie_word_embeddings", false);
	cfg->qkv_bias = cfg->family == FAMILY_QWEN2 || get_bool(json, "attention_bias", false);
	cfg->qk_norm = cfg->family == FAMILY_QWEN3;
	return check_consistency(cfg, path, err);
}

// ---- shards ----

static int add_shard(struct checkpoint *ck, const char *name)
{
	for (int i = 0; i < ck->n_files; i++)
		if (strcmp(ck->file_names[i], name) == 0)
			return 0;
	char **names = realloc(ck->file_names, sizeof *names * (size_t)(ck->n_files + 1));
	if (!names)
		return BB_ENOMEM;
	ck->file_names = names;
	ck->file_names[ck->n_files] = strdup(name);
	if (!ck->file_names[ck->n_files])
		return BB_ENOMEM;
	ck->n_files++;
	return 0;
}

/* Read the index's weight_map (tensor -> shard) and list its shards; *map_out is the
 * parsed index, which open_shards checks against the shards' contents. */
static int read_shard_index(struct checkpoint *ck, const char *index_path, cJSON **map_out,
			    struct bb_error *err)
{
	char *text;
	int rc = read_file(index_path, &text, NULL, err);
	if (rc)
		return rc;
	cJSON *idx = cJSON_Parse(text);
	free(text);
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(idx, "weight_map");
	if (!cJSON_IsObject(map)) {
		cJSON_Delete(idx);
		return bb_fail(err, BB_EFORMAT, "'%s': no weight_map object", index_path);
	}
	if (!map->child) {
		cJSON_Delete(idx);
		return bb_fail(err, BB_EFORMAT, "'%s': the index has an empty weight_map (it lists "
			       "no tensor)", index_path);
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, map)
	{
		if (!cJSON_IsString(e) || strchr(e->valuestring, '/')) {
			rc = bb_fail(err, BB_EFORMAT, "'%s': bad shard name for '%s'", index_path,
				     e->string);
			break;
		}
		if ((rc = add_shard(ck, e->valuestring)) < 0) {
			bb_fail(err, rc, "out of memory");
			break;
		}
	}
	if (rc)
		cJSON_Delete(idx);
	else
		*map_out = idx;
	return rc;
}

static int shard_index(const struct checkpoint *ck, const char *name)
{
	for (int i = 0; i < ck->n_files; i++)
		if (strcmp(ck->file_names[i], name) == 0)
			return i;
	return -1;
}

/* The index is the authority on where each tensor lives: every tensor it maps must be in
 * exactly the shard it names, and every tensor of every shard must be mapped there. So a
 * tensor stored twice, or a shard holding tensors the index does not know, is an error
 * rather than "the first shard wins". */
static int check_index_map(const struct checkpoint *ck, const cJSON *map,
			   const char *index_path, struct bb_error *err)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, map)
	{
		int i = shard_index(ck, e->valuestring);
		if (!st_find(&ck->files[i], e->string))
			return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' is mapped to '%s', which "
				       "does not hold it", index_path, e->string, e->valuestring);
	}
	for (int i = 0; i < ck->n_files; i++)
		for (int t = 0; t < ck->files[i].n_tensors; t++) {
			const char *name = ck->files[i].tensors[t].name;
			const cJSON *named = cJSON_GetObjectItemCaseSensitive(map, name);
			if (!named)
				return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' of shard '%s' is not "
					       "in the index's weight_map", index_path, name,
					       ck->file_names[i]);
			if (strcmp(named->valuestring, ck->file_names[i]) != 0)
				return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' is in two shards, "
					       "'%s' and '%s' (the index names '%s')", index_path,
					       name, named->valuestring, ck->file_names[i],
					       named->valuestring);
		}
	return 0;
}

static int open_shards(struct checkpoint *ck, struct bb_error *err)
{
	char *single = path_join(ck->dir, "model.safetensors");
	char *index = path_join(ck->dir, "model.safetensors.index.json");
	cJSON *idx = NULL;
	int rc = 0;
	if (file_exists(index))
		rc = read_shard_index(ck, index, &idx, err);
	else if (file_exists(single) && add_shard(ck, "model.safetensors") < 0)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	free(single);
	if (!rc && !(ck->files = calloc((size_t)ck->n_files + 1, sizeof *ck->files)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; !rc && i < ck->n_files; i++) {
		char *p = path_join(ck->dir, ck->file_names[i]);
		rc = st_open(&ck->files[i], p, err);
		free(p);
	}
	if (!rc && idx)
		rc = check_index_map(ck, cJSON_GetObjectItemCaseSensitive(idx, "weight_map"), index,
				     err);
	cJSON_Delete(idx);
	free(index);
	ck->has_weights = !rc && ck->n_files > 0;
	return rc;
}

int checkpoint_open(struct checkpoint *ck, const char *dir, struct bb_error *err)
{
	memset(ck, 0, sizeof *ck);
	ck->dir = strdup(dir);
	char *cfg_path = path_join(dir, "config.json");
	char *text = NULL;
	int rc = read_file(cfg_path, &text, NULL, err);
	if (!rc) {
		ck->config_json = cJSON_Parse(text);
		if (!ck->config_json)
			rc = bb_fail(err, BB_EFORMAT, "'%s': not valid JSON", cfg_path);
	}
	if (!rc)
		rc = model_config_parse(&ck->cfg, ck->config_json, cfg_path, err);
	if (!rc)
		rc = open_shards(ck, err);
	free(text);
	free(cfg_path);
	if (rc)
		checkpoint_close(ck);
	return rc;
}

void checkpoint_close(struct checkpoint *ck)
{
	for (int i = 0; i < ck->n_files; i++) {
		if (ck->files)
			st_close(&ck->files[i]);
		free(ck->file_names[i]);
	}
	free(ck->files);
	free(ck->file_names);
	cJSON_Delete(ck->config_json);
	free(ck->dir);
	memset(ck, 0, sizeof *ck);
}

static const struct st_tensor *find_in_shards(const struct checkpoint *ck, const char *name,
					      int *file)
{
	for (int i = 0; i < ck->n_files; i++) {
		const struct st_tensor *t = st_find(&ck->files[i], name);
		if (t) {
			if (file)
				*file = i;
			return t;
		}
	}
	return NULL;
}

const struct st_tensor *checkpoint_tensor(const struct checkpoint *ck, const char *name,
					  int *file)
{
	const struct st_tensor *t = find_in_shards(ck, name, file);
	if (t || !ck->cfg.tie_word_embeddings)
		return t;
	if (strcmp(name, "model.embed_tokens.weight") == 0)
		return find_in_shards(ck, "lm_head.weight", file);
	if (strcmp(name, "lm_head.weight") == 0)
		return find_in_shards(ck, "model.embed_tokens.weight", file);
	return NULL;
}

// ---- inventory ----

static const char *const kind_names[LK_COUNT] = {"q_proj",    "k_proj",  "v_proj",
						 "o_proj",    "gate_proj", "up_proj",
						 "down_proj", "lm_head"};

const char *layer_kind_name(enum layer_kind k) { return kind_names[k]; }

cJSON *layer_json(const struct layer *l)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", l->name);
	cJSON_AddNumberToObject(e, "block", l->block);
	cJSON_AddStringToObject(e, "kind", layer_kind_name(l->kind));
	cJSON_AddNumberToObject(e, "out", (double)l->out);
	cJSON_AddNumberToObject(e, "in", (double)l->in);
	cJSON_AddNumberToObject(e, "params", (double)l->params);
	return e;
}

static void layer_shape(const struct model_config *c, enum layer_kind k, int64_t *out,
			int64_t *in)
{
	int64_t h = c->hidden_size, q = (int64_t)c->n_heads * c->head_dim,
		kv = (int64_t)c->n_kv_heads * c->head_dim, ff = c->intermediate_size;
	const int64_t shapes[LK_COUNT][2] = {{q, h},  {kv, h}, {kv, h}, {h, q},
					     {ff, h}, {ff, h}, {h, ff}, {c->vocab_size, h}};
	*out = shapes[k][0];
	*in = shapes[k][1];
}

static void layer_name(char *buf, size_t n, int block, enum layer_kind k)
{
	if (k == LK_LM_HEAD)
		snprintf(buf, n, "lm_head");
	else
		snprintf(buf, n, "model.layers.%d.%s.%s", block, k <= LK_O ? "self_attn" : "mlp",
			 kind_names[k]);
}

static int check_weight(const struct checkpoint *ck, const struct layer *l,
			struct bb_error *err)
{
	char name[sizeof l->name + sizeof ".weight"];
	snprintf(name, sizeof name, "%s.weight", l->name);
	int file = 0;
	const struct st_tensor *t = checkpoint_tensor(ck, name, &file);
	if (!t)
		return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' is missing", ck->dir, name);
	const char *fname = ck->file_names[file];
	if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
		return bb_fail(err, BB_EUNSUPPORTED, "'%s': tensor '%s' has dtype %s (need F32, F16 or BF16)",
			       fname, name, st_dtype_name(t->dtype));
	if (t->ndim != 2 || t->shape[0] != l->out || t->shape[1] != l->in)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': tensor '%s' has shape [%lld, %lld] but config.json implies [%lld, %lld]",
			       fname, name, (long long)t->shape[0],
			       (long long)(t->ndim > 1 ? t->shape[1] : 0), (long long)l->out,
			       (long long)l->in);
	return 0;
}

int inventory_build(struct inventory *inv, const struct checkpoint *ck, bool include_lm_head,
		    struct bb_error *err)
{
	const struct model_config *c = &ck->cfg;
	memset(inv, 0, sizeof *inv);
	int n = c->n_layers * 7 + (include_lm_head ? 1 : 0);
	inv->layers = calloc((size_t)n, sizeof *inv->layers);
	if (!inv->layers)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		struct layer *l = &inv->layers[i];
		bool head = i == c->n_layers * 7;
		l->kind = head ? LK_LM_HEAD : (enum layer_kind)(i % 7);
		l->block = head ? c->n_layers : i / 7;
		layer_name(l->name, sizeof l->name, l->block, l->kind);
		layer_shape(c, l->kind, &l->out, &l->in);
		l->params = l->out * l->in;
		inv->total_params += l->params;
		inv->n++;
		int rc = ck->has_weights ? check_weight(ck, l, err) : 0;
		if (rc) {
			inventory_free(inv);
			return rc;
		}
	}
	return 0;
}

void inventory_free(struct inventory *inv)
{
	free(inv->layers);
	memset(inv, 0, sizeof *inv);
}

int inventory_find(const struct inventory *inv, const char *name)
{
	for (int i = 0; i < inv->n; i++)
		if (strcmp(inv->layers[i].name, name) == 0)
			return i;
	return -1;
}
