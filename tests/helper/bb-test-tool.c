/*
 * bb-test-tool.c: test and benchmark fixtures, in the manner of git's t/helper/test-tool.
 *
 *   bb-test-tool synth DIR [options]      write a random Llama-family checkpoint
 *   bb-test-tool corrupt IN OUT KIND      write a broken copy of a .safetensors file
 *
 * synth options: --family llama|mistral|qwen2|qwen3 --hidden H --intermediate I
 *   --layers L --heads N --kv K --vocab V [--head-dim D] [--dtype bf16|f16|f32]
 *   [--shards S] [--tied] [--seed N]
 * corrupt kinds: truncate, offset-out-of-range, overlap, unknown-dtype, wrong-size,
 *   header-too-long, bad-json
 * Never used by bin/bitbudget; only tests and make bench run it.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/safetensors.h"

// ---- synth ----

struct synth_opts {
	const char *dir, *family;
	int hidden, intermediate, layers, heads, kv, vocab, head_dim, shards;
	enum st_dtype dtype;
	int tied;
	uint64_t seed;
};

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Roughly N(0, scale^2) from the sum of four uniforms: fast and good enough for weights. */
static void fill_random(void *dst, enum st_dtype dt, size_t n, float scale, uint64_t *s)
{
	float *tmp = malloc(sizeof *tmp * 65536);
	for (size_t at = 0; at < n; at += 65536) {
		size_t m = n - at < 65536 ? n - at : 65536;
		for (size_t i = 0; i < m; i++) {
			uint64_t r = next_random(s);
			float u = (float)((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) +
					  (r >> 48)) / 65536.0f - 2.0f;
			tmp[i] = u * scale * 1.7320508f;
		}
		st_from_f32(dt, tmp, (char *)dst + at * st_dtype_size(dt), m);
	}
	free(tmp);
}

struct tensor_list {
	struct st_tensor_spec specs[1024];
	void *data[1024];
	int n;
};

static void add_tensor(struct tensor_list *l, const char *name, int64_t d0, int64_t d1,
		       enum st_dtype dt, float scale, float offset, uint64_t *seed)
{
	struct st_tensor_spec *s = &l->specs[l->n];
	s->name = strdup(name);
	s->dtype = dt;
	s->ndim = d1 ? 2 : 1;
	s->shape[0] = d0;
	s->shape[1] = d1;
	size_t n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
	void *buf = malloc(n * st_dtype_size(dt));
	fill_random(buf, dt, n, scale, seed);
	if (offset != 0.0f) { /* norms: around 1 */
		float *f = malloc(sizeof *f * n);
		st_to_f32(dt, buf, f, n);
		for (size_t i = 0; i < n; i++)
			f[i] += offset;
		st_from_f32(dt, f, buf, n);
		free(f);
	}
	s->data = l->data[l->n] = buf;
	l->n++;
}

static void add_block(struct tensor_list *l, const struct synth_opts *o, int b, uint64_t *seed)
{
	char name[128];
	int64_t h = o->hidden, q = (int64_t)o->heads * o->head_dim,
		kv = (int64_t)o->kv * o->head_dim, ff = o->intermediate;
	float ws = 1.0f / sqrtf((float)h);
	const char *attn[] = {"q_proj", "k_proj", "v_proj"};
	const int64_t outs[] = {q, kv, kv};
	snprintf(name, sizeof name, "model.layers.%d.input_layernorm.weight", b);
	add_tensor(l, name, h, 0, o->dtype, 0.1f, 1.0f, seed);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "model.layers.%d.self_attn.%s.weight", b, attn[i]);
		add_tensor(l, name, outs[i], h, o->dtype, ws, 0, seed);
		if (strcmp(o->family, "qwen2") == 0) {
			snprintf(name, sizeof name, "model.layers.%d.self_attn.%s.bias", b, attn[i]);
			add_tensor(l, name, outs[i], 0, o->dtype, 0.1f, 0, seed);
		}
	}
	if (strcmp(o->family, "qwen3") == 0) {
		snprintf(name, sizeof name, "model.layers.%d.self_attn.q_norm.weight", b);
		add_tensor(l, name, o->head_dim, 0, o->dtype, 0.1f, 1.0f, seed);
		snprintf(name, sizeof name, "model.layers.%d.self_attn.k_norm.weight", b);
		add_tensor(l, name, o->head_dim, 0, o->dtype, 0.1f, 1.0f, seed);
	}
	snprintf(name, sizeof name, "model.layers.%d.self_attn.o_proj.weight", b);
	add_tensor(l, name, h, q, o->dtype, 1.0f / sqrtf((float)q), 0, seed);
	snprintf(name, sizeof name, "model.layers.%d.post_attention_layernorm.weight", b);
	add_tensor(l, name, h, 0, o->dtype, 0.1f, 1.0f, seed);
	snprintf(name, sizeof name, "model.layers.%d.mlp.gate_proj.weight", b);
	add_tensor(l, name, ff, h, o->dtype, ws, 0, seed);
	snprintf(name, sizeof name, "model.layers.%d.mlp.up_proj.weight", b);
	add_tensor(l, name, ff, h, o->dtype, ws, 0, seed);
	snprintf(name, sizeof name, "model.layers.%d.mlp.down_proj.weight", b);
	add_tensor(l, name, h, ff, o->dtype, 1.0f / sqrtf((float)ff), 0, seed);
}

static int write_config(const struct synth_opts *o)
{
	cJSON *c = cJSON_CreateObject();
	const char *arch = strcmp(o->family, "qwen2") == 0   ? "Qwen2ForCausalLM"
			   : strcmp(o->family, "qwen3") == 0 ? "Qwen3ForCausalLM"
			   : strcmp(o->family, "mistral") == 0 ? "MistralForCausalLM"
							       : "LlamaForCausalLM";
	cJSON_AddItemToObject(c, "architectures", cJSON_CreateStringArray(&arch, 1));
	cJSON_AddStringToObject(c, "model_type", o->family);
	cJSON_AddNumberToObject(c, "hidden_size", o->hidden);
	cJSON_AddNumberToObject(c, "intermediate_size", o->intermediate);
	cJSON_AddNumberToObject(c, "num_hidden_layers", o->layers);
	cJSON_AddNumberToObject(c, "num_attention_heads", o->heads);
	cJSON_AddNumberToObject(c, "num_key_value_heads", o->kv);
	cJSON_AddNumberToObject(c, "head_dim", o->head_dim);
	cJSON_AddNumberToObject(c, "vocab_size", o->vocab);
	cJSON_AddNumberToObject(c, "max_position_embeddings", 2048);
	cJSON_AddNumberToObject(c, "rms_norm_eps", 1e-5);
	cJSON_AddNumberToObject(c, "rope_theta", 10000.0);
	cJSON_AddBoolToObject(c, "tie_word_embeddings", o->tied);
	cJSON_AddNumberToObject(c, "bos_token_id", 1);
	cJSON_AddNumberToObject(c, "eos_token_id", 2);
	cJSON_AddStringToObject(c, "torch_dtype", o->dtype == ST_BF16 ? "bfloat16"
						   : o->dtype == ST_F16 ? "float16" : "float32");
	char *text = cJSON_Print(c);
	char *path = path_join(o->dir, "config.json");
	struct bb_error err;
	int rc = write_file_atomic(path, text, strlen(text), &err);
	if (rc)
		fprintf(stderr, "bb-test-tool: %s\n", err.msg);
	free(text);
	free(path);
	cJSON_Delete(c);
	return rc;
}

/* Write the tensors as one file or S shards plus model.safetensors.index.json. */
static int write_shards(const struct synth_opts *o, struct tensor_list *l)
{
	struct bb_error err;
	cJSON *index = cJSON_CreateObject(), *map = cJSON_AddObjectToObject(index, "weight_map");
	int per = (l->n + o->shards - 1) / o->shards, rc = 0;
	for (int s = 0; s < o->shards && !rc; s++) {
		char name[64];
		if (o->shards == 1)
			snprintf(name, sizeof name, "model.safetensors");
		else
			snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, o->shards);
		int lo = s * per, hi = lo + per < l->n ? lo + per : l->n;
		for (int i = lo; i < hi; i++)
			cJSON_AddStringToObject(map, l->specs[i].name, name);
		char *path = path_join(o->dir, name);
		rc = st_write(path, l->specs + lo, hi - lo, "{\"format\":\"pt\"}", &err);
		free(path);
	}
	if (!rc && o->shards > 1) {
		char *text = cJSON_Print(index);
		char *path = path_join(o->dir, "model.safetensors.index.json");
		rc = write_file_atomic(path, text, strlen(text), &err);
		free(text);
		free(path);
	}
	cJSON_Delete(index);
	if (rc)
		fprintf(stderr, "bb-test-tool: %s\n", err.msg);
	return rc;
}

static int parse_dtype(const char *s, enum st_dtype *dt)
{
	if (strcmp(s, "bf16") == 0)
		*dt = ST_BF16;
	else if (strcmp(s, "f16") == 0)
		*dt = ST_F16;
	else if (strcmp(s, "f32") == 0)
		*dt = ST_F32;
	else
		return -1;
	return 0;
}

static int cmd_synth(int argc, char **argv)
{
	struct synth_opts o = {.family = "llama", .hidden = 64, .intermediate = 128, .layers = 2,
			       .heads = 4, .kv = 2, .vocab = 256, .shards = 1, .dtype = ST_BF16,
			       .seed = 42};
	static const struct option longopts[] = {
		{"family", 1, 0, 'f'}, {"hidden", 1, 0, 'H'}, {"intermediate", 1, 0, 'I'},
		{"layers", 1, 0, 'L'}, {"heads", 1, 0, 'N'},  {"kv", 1, 0, 'K'},
		{"vocab", 1, 0, 'V'},  {"head-dim", 1, 0, 'D'}, {"dtype", 1, 0, 't'},
		{"shards", 1, 0, 'S'}, {"tied", 0, 0, 'T'},   {"seed", 1, 0, 's'},
		{0, 0, 0, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.family = optarg; break;
		case 'H': o.hidden = atoi(optarg); break;
		case 'I': o.intermediate = atoi(optarg); break;
		case 'L': o.layers = atoi(optarg); break;
		case 'N': o.heads = atoi(optarg); break;
		case 'K': o.kv = atoi(optarg); break;
		case 'V': o.vocab = atoi(optarg); break;
		case 'D': o.head_dim = atoi(optarg); break;
		case 'S': o.shards = atoi(optarg); break;
		case 'T': o.tied = 1; break;
		case 's': o.seed = strtoull(optarg, NULL, 10) | 1; break;
		case 't':
			if (parse_dtype(optarg, &o.dtype) == 0)
				break;
			/* fall through */
		default: fprintf(stderr, "bb-test-tool synth: bad option\n"); return 2;
		}
	}
	if (optind != argc - 1)
		return fprintf(stderr, "bb-test-tool synth: expected DIR\n"), 2;
	o.dir = argv[optind];
	if (!o.head_dim)
		o.head_dim = o.hidden / o.heads;
	mkdir(o.dir, 0755);
	static struct tensor_list l;
	l.n = 0;
	uint64_t seed = o.seed;
	add_tensor(&l, o.tied ? "model.embed_tokens.weight" : "model.embed_tokens.weight", o.vocab,
		   o.hidden, o.dtype, 0.5f, 0, &seed);
	for (int b = 0; b < o.layers; b++)
		add_block(&l, &o, b, &seed);
	add_tensor(&l, "model.norm.weight", o.hidden, 0, o.dtype, 0.1f, 1.0f, &seed);
	if (!o.tied)
		add_tensor(&l, "lm_head.weight", o.vocab, o.hidden, o.dtype,
			   1.0f / sqrtf((float)o.hidden), 0, &seed);
	int rc = write_config(&o) || write_shards(&o, &l);
	for (int i = 0; i < l.n; i++) {
		free(l.data[i]);
		free((char *)l.specs[i].name);
	}
	return rc ? 1 : 0;
}

// ---- corrupt ----

/* Rewrite IN's header (edited by kind) in front of its data section, or cut the file. */
static int cmd_corrupt(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: bb-test-tool corrupt IN OUT KIND\n"), 2;
	const char *in = argv[1], *out = argv[2], *kind = argv[3];
	char *buf;
	size_t len;
	struct bb_error err;
	if (read_file(in, &buf, &len, &err))
		return fprintf(stderr, "bb-test-tool: %s\n", err.msg), 1;
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = (n << 8) | (uint8_t)buf[i];
	cJSON *h = cJSON_ParseWithLength(buf + 8, (size_t)n);
	cJSON *first = NULL, *e;
	cJSON_ArrayForEach(e, h) if (strcmp(e->string, "__metadata__") != 0 && !first) first = e;
	cJSON *offs = cJSON_GetObjectItem(first, "data_offsets");
	const char *data = buf + 8 + n;
	size_t data_len = len - 8 - n;
	char *header = NULL;
	if (strcmp(kind, "truncate") == 0) {
		data_len /= 2;
	} else if (strcmp(kind, "offset-out-of-range") == 0) {
		cJSON_ReplaceItemInArray(offs, 1, cJSON_CreateNumber((double)data_len + 64));
	} else if (strcmp(kind, "overlap") == 0) {
		/* Point every tensor at the first one's bytes where sizes allow: the second
		 * tensor of the same size ends up overlapping the first. */
		cJSON *second = first->next;
		cJSON_ReplaceItemInObject(second, "data_offsets", cJSON_Duplicate(offs, 1));
		cJSON_ReplaceItemInObject(second, "shape",
					  cJSON_Duplicate(cJSON_GetObjectItem(first, "shape"), 1));
		cJSON_ReplaceItemInObject(second, "dtype",
					  cJSON_Duplicate(cJSON_GetObjectItem(first, "dtype"), 1));
	} else if (strcmp(kind, "unknown-dtype") == 0) {
		cJSON_ReplaceItemInObject(first, "dtype", cJSON_CreateString("F12"));
	} else if (strcmp(kind, "wrong-size") == 0) {
		cJSON *shape = cJSON_GetObjectItem(first, "shape");
		int d0 = cJSON_GetArrayItem(shape, 0)->valueint;
		cJSON_ReplaceItemInArray(shape, 0, cJSON_CreateNumber(d0 + 1));
	} else if (strcmp(kind, "bad-json") == 0) {
		header = strdup("{\"a\": [1, 2");
	} else if (strcmp(kind, "header-too-long") == 0) {
		header = strdup("");
	} else {
		return fprintf(stderr, "bb-test-tool corrupt: unknown kind '%s'\n", kind), 2;
	}
	if (!header)
		header = cJSON_PrintUnformatted(h);
	uint64_t hl = strcmp(kind, "header-too-long") == 0 ? (uint64_t)len * 2 : strlen(header);
	uint8_t prefix[8];
	for (int i = 0; i < 8; i++)
		prefix[i] = (uint8_t)(hl >> (8 * i));
	FILE *f = fopen(out, "wb");
	int ok = f && fwrite(prefix, 1, 8, f) == 8 &&
		 fwrite(header, 1, strlen(header), f) == strlen(header) &&
		 fwrite(data, 1, data_len, f) == data_len;
	if (f)
		fclose(f);
	free(header);
	cJSON_Delete(h);
	free(buf);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "synth") == 0)
		return cmd_synth(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "corrupt") == 0)
		return cmd_corrupt(argc - 1, argv + 1);
	fprintf(stderr, "usage: bb-test-tool synth DIR [options] | corrupt IN OUT KIND\n");
	return 2;
}
