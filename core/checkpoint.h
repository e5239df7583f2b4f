/*
 * checkpoint.h: a Hugging Face model folder, its config and its budget inventory.
 *
 * A checkpoint is config.json plus model.safetensors or shards listed in
 * model.safetensors.index.json. With config.json alone it opens in planning mode: no
 * weights, shapes derived from the config, so recipes for 8B-32B models can be planned on
 * any laptop. The inventory is the budget set: every Linear weight inside the decoder
 * blocks, in execution order (q, k, v, o, gate, up, down per block), plus lm_head when
 * asked. Never prints, never exits.
 */
#ifndef BB_CHECKPOINT_H
#define BB_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/safetensors.h"

enum model_family { FAMILY_LLAMA, FAMILY_MISTRAL, FAMILY_QWEN2, FAMILY_QWEN3 };

struct model_config {
	enum model_family family;
	char model_type[32];      /* as in config.json: llama, mistral, qwen2, qwen3 */
	int hidden_size;
	int intermediate_size;
	int n_layers;
	int n_heads;
	int n_kv_heads;
	int head_dim;             /* config's head_dim, else hidden_size / n_heads */
	int vocab_size;
	int max_position;
	float rms_norm_eps;
	float rope_theta;
	bool rope_llama3;         /* rope_scaling.rope_type == "llama3" */
	float rope_factor, rope_low_freq_factor, rope_high_freq_factor;
	int rope_original_max_position;
	bool tie_word_embeddings;
	bool qkv_bias;            /* Qwen2, or attention_bias: true */
	bool qk_norm;             /* Qwen3: per-head RMSNorm on q and k */
	int bos_token_id, eos_token_id; /* -1 when absent */
};

enum layer_kind { LK_Q, LK_K, LK_V, LK_O, LK_GATE, LK_UP, LK_DOWN, LK_LM_HEAD, LK_COUNT };

/* Short name of a kind: "q_proj", ..., "down_proj", "lm_head". */
const char *layer_kind_name(enum layer_kind k);

struct layer {
	char name[128];    /* module name, e.g. "model.layers.3.mlp.up_proj" (no ".weight") */
	int block;         /* decoder block index; n_layers for lm_head */
	enum layer_kind kind;
	int64_t out, in;   /* weight shape [out, in] */
	int64_t params;    /* out * in */
};

/* A layer as JSON: name, block, kind, out, in, params (inspect's and external:CMD's form). */
cJSON *layer_json(const struct layer *l);

struct inventory {
	int n;
	struct layer *layers; /* execution order */
	int64_t total_params;
};

struct checkpoint {
	char *dir;
	cJSON *config_json;       /* the parsed config.json, owned */
	struct model_config cfg;
	bool has_weights;         /* false: planning mode (config.json only) */
	int n_files;
	struct st_file *files;    /* the shards, in index order */
	char **file_names;        /* base names of the shards */
};

/* Open dir. Reads and checks config.json; maps and validates every safetensors shard if
 * present. Errors name the file and key or tensor. */
int checkpoint_open(struct checkpoint *ck, const char *dir, struct bb_error *err);
void checkpoint_close(struct checkpoint *ck);

/* Parse a config.json object into cfg (exposed for tests and fuzzers). */
int model_config_parse(struct model_config *cfg, const cJSON *json, const char *path,
		       struct bb_error *err);

/* The tensor called name in any shard (file index in *file if not NULL), or NULL.
 * Handles tied embeddings: asking for "model.embed_tokens.weight" or "lm_head.weight"
 * falls back to the other when only one is stored and the config ties them. */
const struct st_tensor *checkpoint_tensor(const struct checkpoint *ck, const char *name,
					  int *file);

/* Build the budget inventory. With weights, every expected tensor must exist with the
 * config's shape and a float dtype; otherwise a one-line error names it. */
int inventory_build(struct inventory *inv, const struct checkpoint *ck, bool include_lm_head,
		    struct bb_error *err);
void inventory_free(struct inventory *inv);
/* Index of the layer called name, or -1. */
int inventory_find(const struct inventory *inv, const char *name);

#endif
