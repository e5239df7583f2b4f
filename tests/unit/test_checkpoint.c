/*
 * test_checkpoint.c: model folders, config.json parsing and the budget inventory
 * (core/checkpoint.c).
 *
 * Opens the two shared models with weights and the four config-only folders under
 * experiments/models (planning mode), comparing layer counts, shapes and parameter totals
 * with values worked out by hand from the configs below; then weights that disagree with
 * the config and a two-shard checkpoint written into a temp folder by the test.
 * config.json variants are in test_checkpoint_config.c.
 * Never writes outside its own mkdtemp folder.
 */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/safetensors.h"
#include "tests/unit/check.h"
#include "tests/unit/checkpoint_fixture.h"

static char *model_path(const char *name)
{
	static char buf[4][512];
	static int at;
	char *p = buf[at++ % 4];
	snprintf(p, 512, "%s/models/%s", shared_dir(), name);
	return p;
}

/* The tiny Llama's weight shapes (checkpoint_fixture.h), by kind. */
static void tiny_shape(int kind, int64_t *out, int64_t *in)
{
	static const int64_t s[8][2] = {{32, 32}, {16, 32}, {16, 32}, {32, 32},
					{64, 32}, {64, 32}, {32, 64}, {16, 32}};
	*out = s[kind][0];
	*in = s[kind][1];
}

static const char *kinds[7] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
			       "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
			       "mlp.down_proj"};

/* Write the tiny model's weights for blocks [b0, b1) (+ embed/lm_head if asked) into
 * dir/file; `bad` names one tensor to give a wrong shape (or NULL). */
static int write_tiny_weights(const char *dir, const char *file, int b0, int b1, int embed,
			      int lm_head, const char *bad, enum st_dtype dtype)
{
	static uint8_t zeros[64 * 64 * 8];
	static char names[32][96];
	struct st_tensor_spec specs[32];
	int n = 0;
	for (int b = b0; b < b1; b++)
		for (int k = 0; k < 7; k++) {
			snprintf(names[n], sizeof names[n], "model.layers.%d.%s.weight", b, kinds[k]);
			int64_t o, i;
			tiny_shape(k, &o, &i);
			if (bad && strcmp(bad, names[n]) == 0)
				o += 1;
			specs[n] = (struct st_tensor_spec){names[n], dtype, 2, {o, i}, zeros};
			n++;
		}
	if (embed)
		specs[n++] = (struct st_tensor_spec){"model.embed_tokens.weight", dtype, 2, {16, 32},
						     zeros};
	if (lm_head)
		specs[n++] = (struct st_tensor_spec){"lm_head.weight", dtype, 2, {16, 32}, zeros};
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	struct bb_error err = {0};
	return st_write(path, specs, n, "{\"format\":\"pt\"}", &err);
}

// ---- shared models with weights ----

TEST(checkpoint_should_open_tinystories_and_build_14_layer_inventory)
{
	struct checkpoint ck;
	struct bb_error err = {0};
	int rc = checkpoint_open(&ck, model_path("tinystories-656k"), &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(rc == 0);
	if (rc)
		return;
	CHECK(ck.has_weights);
	CHECK(ck.n_files == 1);
	CHECK_STR(ck.file_names[0], "model.safetensors");
	CHECK(ck.cfg.family == FAMILY_LLAMA);
	CHECK(ck.cfg.hidden_size == 128 && ck.cfg.intermediate_size == 384);
	CHECK(ck.cfg.n_layers == 2 && ck.cfg.n_heads == 8 && ck.cfg.n_kv_heads == 4);
	CHECK(ck.cfg.head_dim == 16 && ck.cfg.vocab_size == 2048);
	CHECK(ck.cfg.tie_word_embeddings);
	CHECK(ck.cfg.bos_token_id == 1 && ck.cfg.eos_token_id == 2);
	CHECK(!ck.cfg.rope_llama3);
	struct inventory inv;
	rc = inventory_build(&inv, &ck, false, &err);
	CHECK(rc == 0);
	if (!rc) {
		CHECK(inv.n == 14);
		/* per block: q 128*128 + k 64*128 + v 64*128 + o 128*128 + 3 * 384*128
		 *          = 16384 + 8192 + 8192 + 16384 + 147456 = 196608; 2 blocks */
		CHECK(inv.total_params == 393216);
		static const int64_t shapes[7][2] = {{128, 128}, {64, 128}, {64, 128}, {128, 128},
						     {384, 128}, {384, 128}, {128, 384}};
		for (int i = 0; i < inv.n; i++) {
			const struct layer *l = &inv.layers[i];
			char want[128];
			snprintf(want, sizeof want, "model.layers.%d.%s", i / 7, kinds[i % 7]);
			CHECK_STR(l->name, want);
			CHECK(l->block == i / 7);
			CHECK((int)l->kind == i % 7);
			CHECK(l->out == shapes[i % 7][0] && l->in == shapes[i % 7][1]);
			CHECK(l->params == l->out * l->in);
		}
		CHECK_STR(layer_kind_name(inv.layers[6].kind), "down_proj");
		CHECK_STR(layer_kind_name(LK_Q), "q_proj");
		CHECK(inventory_find(&inv, "model.layers.1.mlp.gate_proj") == 11);
		CHECK(inventory_find(&inv, "model.layers.0.self_attn.k_proj") == 1);
		CHECK(inventory_find(&inv, "model.layers.2.mlp.gate_proj") == -1);
		CHECK(inventory_find(&inv, "lm_head") == -1);
		inventory_free(&inv);
	}
	/* tied: only lm_head.weight is stored; the embedding falls back to it */
	int file = -1;
	const struct st_tensor *lm = checkpoint_tensor(&ck, "lm_head.weight", &file);
	const struct st_tensor *emb = checkpoint_tensor(&ck, "model.embed_tokens.weight", &file);
	CHECK(lm != NULL && emb == lm && file == 0);
	CHECK(checkpoint_tensor(&ck, "model.layers.9.mlp.up_proj.weight", NULL) == NULL);
	/* --include-lm-head: one more layer [vocab, hidden] = [2048, 128] */
	rc = inventory_build(&inv, &ck, true, &err);
	CHECK(rc == 0);
	if (!rc) {
		CHECK(inv.n == 15);
		const struct layer *h = &inv.layers[14];
		CHECK_STR(h->name, "lm_head");
		CHECK(h->kind == LK_LM_HEAD && h->block == 2);
		CHECK(h->out == 2048 && h->in == 128);
		CHECK(inv.total_params == 393216 + 2048 * 128);
		inventory_free(&inv);
	}
	checkpoint_close(&ck);
	CHECK(ck.dir == NULL && ck.files == NULL);
}

TEST(checkpoint_should_open_stories260k_with_embedding_stored)
{
	struct checkpoint ck;
	struct bb_error err = {0};
	int rc = checkpoint_open(&ck, model_path("stories260k"), &err);
	CHECK(rc == 0);
	if (rc)
		return;
	CHECK(ck.cfg.head_dim == 8); /* 64 / 8 heads */
	struct inventory inv;
	rc = inventory_build(&inv, &ck, false, &err);
	CHECK(rc == 0);
	if (!rc) {
		CHECK(inv.n == 35);
		/* per block: q 64*64 + k 32*64 + v 32*64 + o 64*64 + 3 * 172*64
		 *          = 4096 + 2048 + 2048 + 4096 + 33024 = 45312; 5 blocks */
		CHECK(inv.total_params == 226560);
		CHECK(inv.layers[6].out == 64 && inv.layers[6].in == 172); /* down_proj */
		CHECK(inv.layers[4].out == 172 && inv.layers[4].in == 64); /* gate_proj */
		CHECK(inv.layers[1].out == 32 && inv.layers[1].in == 64);  /* k_proj */
		inventory_free(&inv);
	}
	const struct st_tensor *emb = checkpoint_tensor(&ck, "model.embed_tokens.weight", NULL);
	const struct st_tensor *lm = checkpoint_tensor(&ck, "lm_head.weight", NULL);
	CHECK(emb != NULL && lm == emb);
	CHECK(emb && emb->shape[0] == 512 && emb->shape[1] == 64);
	rc = inventory_build(&inv, &ck, true, &err);
	CHECK(rc == 0);
	if (!rc) {
		CHECK(inv.n == 36);
		CHECK(inv.layers[35].out == 512 && inv.layers[35].in == 64);
		CHECK(inv.total_params == 226560 + 512 * 64);
		inventory_free(&inv);
	}
	checkpoint_close(&ck);
}

// ---- planning mode ----

struct planned {
	const char *dir;
	int layers;
	int64_t params;
	int64_t q_out, q_in, k_out, o_out, o_in, down_in;
	int64_t vocab, hidden;
};

/* Totals by hand from experiments/models/<name>/config.json, per block:
 *   q = heads*head_dim x hidden, k = v = kv_heads*head_dim x hidden,
 *   o = hidden x heads*head_dim, gate = up = inter x hidden, down = hidden x inter.
 * Llama-3.1-8B: hidden 4096, inter 14336, 32 blocks, 32 heads, 8 kv, head_dim 128:
 *   2*4096*4096 + 2*1024*4096 + 3*14336*4096 = 218,103,808; x32 = 6,979,321,856.
 * Qwen2.5-7B: hidden 3584, inter 18944, 28 blocks, 28 heads, 4 kv, head_dim 128:
 *   2*3584*3584 + 2*512*3584 + 3*18944*3584 = 233,046,016; x28 = 6,525,288,448.
 * Qwen3-8B: hidden 4096, inter 12288, 36 blocks, 32 heads, 8 kv, head_dim 128:
 *   2*4096*4096 + 2*1024*4096 + 3*12288*4096 = 192,937,984; x36 = 6,945,767,424.
 * Qwen3-32B: hidden 5120, inter 25600, 64 blocks, 64 heads, 8 kv, head_dim 128 (so q is
 *   8192 x 5120, not 5120 x 5120): 2*8192*5120 + 2*1024*5120 + 3*25600*5120
 *   = 487,587,840; x64 = 31,205,621,760. */
static const struct planned planned[] = {
	{"Llama-3.1-8B-Instruct", 224, 6979321856LL, 4096, 4096, 1024, 4096, 4096, 14336, 128256,
	 4096},
	{"Qwen2.5-7B-Instruct", 196, 6525288448LL, 3584, 3584, 512, 3584, 3584, 18944, 152064,
	 3584},
	{"Qwen3-8B", 252, 6945767424LL, 4096, 4096, 1024, 4096, 4096, 12288, 151936, 4096},
	{"Qwen3-32B", 448, 31205621760LL, 8192, 5120, 1024, 5120, 8192, 25600, 151936, 5120},
};

TEST(checkpoint_should_plan_paper_models_from_config_only)
{
	for (size_t m = 0; m < sizeof planned / sizeof planned[0]; m++) {
		const struct planned *p = &planned[m];
		char dir[256];
		snprintf(dir, sizeof dir, "experiments/models/%s", p->dir);
		struct checkpoint ck;
		struct bb_error err = {0};
		int rc = checkpoint_open(&ck, dir, &err);
		if (rc)
			fprintf(stderr, "  %s: %s\n", dir, err.msg);
		CHECK(rc == 0);
		if (rc)
			continue;
		CHECK(!ck.has_weights);
		CHECK(ck.n_files == 0);
		struct inventory inv;
		rc = inventory_build(&inv, &ck, false, &err);
		CHECK(rc == 0);
		if (rc) {
			checkpoint_close(&ck);
			continue;
		}
		CHECK(inv.n == p->layers);
		CHECK(inv.total_params == p->params);
		CHECK(inv.layers[0].out == p->q_out && inv.layers[0].in == p->q_in);
		CHECK(inv.layers[1].out == p->k_out && inv.layers[1].in == p->hidden);
		CHECK(inv.layers[2].out == p->k_out);
		CHECK(inv.layers[3].out == p->o_out && inv.layers[3].in == p->o_in);
		CHECK(inv.layers[6].out == p->hidden && inv.layers[6].in == p->down_in);
		const struct layer *last = &inv.layers[inv.n - 1];
		char want[128];
		snprintf(want, sizeof want, "model.layers.%d.mlp.down_proj", p->layers / 7 - 1);
		CHECK_STR(last->name, want);
		inventory_free(&inv);
		rc = inventory_build(&inv, &ck, true, &err);
		CHECK(rc == 0);
		if (!rc) {
			CHECK(inv.n == p->layers + 1);
			CHECK(inv.layers[p->layers].out == p->vocab);
			CHECK(inv.layers[p->layers].in == p->hidden);
			CHECK(inv.total_params == p->params + p->vocab * p->hidden);
			inventory_free(&inv);
		}
		checkpoint_close(&ck);
	}
}

TEST(model_config_should_read_family_specific_fields)
{
	struct checkpoint ck;
	struct bb_error err = {0};
	CHECK(checkpoint_open(&ck, "experiments/models/Llama-3.1-8B-Instruct", &err) == 0);
	CHECK(ck.cfg.family == FAMILY_LLAMA);
	CHECK(ck.cfg.rope_llama3);
	CHECK(ck.cfg.rope_factor == 8.0f && ck.cfg.rope_low_freq_factor == 1.0f);
	CHECK(ck.cfg.rope_high_freq_factor == 4.0f);
	CHECK(ck.cfg.rope_original_max_position == 8192);
	CHECK(ck.cfg.rope_theta == 500000.0f);
	CHECK(ck.cfg.eos_token_id == 128001); /* the first of [128001, 128008, 128009] */
	CHECK(ck.cfg.bos_token_id == 128000);
	CHECK(!ck.cfg.qkv_bias && !ck.cfg.qk_norm && !ck.cfg.tie_word_embeddings);
	CHECK(ck.cfg.rms_norm_eps == 1e-5f);
	checkpoint_close(&ck);
	CHECK(checkpoint_open(&ck, "experiments/models/Qwen2.5-7B-Instruct", &err) == 0);
	CHECK(ck.cfg.family == FAMILY_QWEN2 && ck.cfg.qkv_bias && !ck.cfg.qk_norm);
	CHECK(ck.cfg.head_dim == 128); /* 3584 / 28 */
	checkpoint_close(&ck);
	CHECK(checkpoint_open(&ck, "experiments/models/Qwen3-32B", &err) == 0);
	CHECK(ck.cfg.family == FAMILY_QWEN3 && ck.cfg.qk_norm && !ck.cfg.qkv_bias);
	CHECK(ck.cfg.head_dim == 128 && ck.cfg.n_heads == 64); /* not 5120 / 64 = 80 */
	CHECK(!ck.cfg.rope_llama3);                            /* rope_scaling: null */
	checkpoint_close(&ck);
}

// ---- weights that disagree with the config ----

TEST(inventory_should_reject_weight_whose_shape_disagrees_with_config)
{
	const char *dir = make_dir("badshape");
	write_text(dir, "config.json", tiny_config);
	const char *bad = "model.layers.1.mlp.up_proj.weight";
	CHECK(write_tiny_weights(dir, "model.safetensors", 0, 2, 1, 1, bad, ST_BF16) == 0);
	struct checkpoint ck;
	struct bb_error err = {0};
	int rc = checkpoint_open(&ck, dir, &err);
	CHECK(rc == 0);
	if (rc)
		return;
	struct inventory inv;
	rc = inventory_build(&inv, &ck, false, &err);
	CHECK(rc == BB_EFORMAT);
	CHECK(strstr(err.msg, bad) != NULL);
	CHECK(strstr(err.msg, "[65, 32]") != NULL && strstr(err.msg, "[64, 32]") != NULL);
	CHECK(inv.layers == NULL && inv.n == 0);
	checkpoint_close(&ck);
}

TEST(inventory_should_reject_missing_and_non_float_weights)
{
	/* block 1 absent */
	const char *dir = make_dir("missingw");
	write_text(dir, "config.json", tiny_config);
	CHECK(write_tiny_weights(dir, "model.safetensors", 0, 1, 1, 1, NULL, ST_F32) == 0);
	struct checkpoint ck;
	struct bb_error err = {0};
	CHECK(checkpoint_open(&ck, dir, &err) == 0);
	struct inventory inv;
	CHECK(inventory_build(&inv, &ck, false, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "model.layers.1.self_attn.q_proj.weight") != NULL);
	checkpoint_close(&ck);
	/* integer weights */
	const char *dir2 = make_dir("intw");
	write_text(dir2, "config.json", tiny_config);
	CHECK(write_tiny_weights(dir2, "model.safetensors", 0, 2, 1, 1, NULL, ST_I16) == 0);
	CHECK(checkpoint_open(&ck, dir2, &err) == 0);
	CHECK(inventory_build(&inv, &ck, false, &err) == BB_EUNSUPPORTED);
	CHECK(strstr(err.msg, "model.layers.0.self_attn.q_proj.weight") != NULL);
	CHECK(strstr(err.msg, "I16") != NULL);
	checkpoint_close(&ck);
	/* untied, embedding only: lm_head must not fall back */
	const char *dir3 = make_dir("untied");
	write_text(dir3, "config.json", tiny_config);
	CHECK(write_tiny_weights(dir3, "model.safetensors", 0, 2, 1, 0, NULL, ST_F16) == 0);
	CHECK(checkpoint_open(&ck, dir3, &err) == 0);
	CHECK(checkpoint_tensor(&ck, "lm_head.weight", NULL) == NULL);
	CHECK(checkpoint_tensor(&ck, "model.embed_tokens.weight", NULL) != NULL);
	CHECK(inventory_build(&inv, &ck, false, &err) == 0);
	inventory_free(&inv);
	CHECK(inventory_build(&inv, &ck, true, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "lm_head.weight") != NULL);
	checkpoint_close(&ck);
}

TEST(checkpoint_should_report_a_bad_shard_by_name)
{
	const char *dir = make_dir("badshard");
	write_text(dir, "config.json", tiny_config);
	write_text(dir, "model.safetensors", "garbage");
	struct checkpoint ck;
	struct bb_error err = {0};
	CHECK(checkpoint_open(&ck, dir, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "model.safetensors") != NULL);
	CHECK(ck.dir == NULL && ck.files == NULL); /* left closed */
}

// ---- shards ----

TEST(checkpoint_should_open_two_shards_listed_in_index)
{
	const char *dir = make_dir("sharded");
	write_text(dir, "config.json", tiny_config);
	const char *s1 = "model-00001-of-00002.safetensors", *s2 = "model-00002-of-00002.safetensors";
	CHECK(write_tiny_weights(dir, s1, 0, 1, 1, 0, NULL, ST_BF16) == 0);
	CHECK(write_tiny_weights(dir, s2, 1, 2, 0, 1, NULL, ST_BF16) == 0);
	char index[8192];
	int at = snprintf(index, sizeof index, "{\"metadata\":{\"total_size\":0},\"weight_map\":{");
	for (int b = 0; b < 2; b++)
		for (int k = 0; k < 7; k++)
			at += snprintf(index + at, sizeof index - (size_t)at,
				       "\"model.layers.%d.%s.weight\":\"%s\",", b, kinds[k],
				       b == 0 ? s1 : s2);
	snprintf(index + at, sizeof index - (size_t)at,
		 "\"model.embed_tokens.weight\":\"%s\",\"lm_head.weight\":\"%s\"}}", s1, s2);
	write_text(dir, "model.safetensors.index.json", index);
	struct checkpoint ck;
	struct bb_error err = {0};
	int rc = checkpoint_open(&ck, dir, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(rc == 0);
	if (rc)
		return;
	CHECK(ck.has_weights && ck.n_files == 2);
	CHECK_STR(ck.file_names[0], s1);
	CHECK_STR(ck.file_names[1], s2);
	int file = -1;
	const struct st_tensor *t = checkpoint_tensor(&ck, "model.layers.0.self_attn.q_proj.weight",
						      &file);
	CHECK(t != NULL && file == 0);
	t = checkpoint_tensor(&ck, "model.layers.1.mlp.down_proj.weight", &file);
	CHECK(t != NULL && file == 1 && t->shape[0] == 32 && t->shape[1] == 64);
	t = checkpoint_tensor(&ck, "lm_head.weight", &file);
	CHECK(t != NULL && file == 1);
	struct inventory inv;
	CHECK(inventory_build(&inv, &ck, true, &err) == 0);
	CHECK(inv.n == 15);
	/* 2 * (32*32 + 16*32 + 16*32 + 32*32 + 3*64*32) + 16*32 = 2 * 9216 + 512 */
	CHECK(inv.total_params == 18944);
	inventory_free(&inv);
	checkpoint_close(&ck);
}

TEST(checkpoint_should_reject_index_naming_missing_or_unsafe_shards)
{
	const char *dir = make_dir("badindex");
	write_text(dir, "config.json", tiny_config);
	write_text(dir, "model.safetensors.index.json",
		   "{\"weight_map\":{\"lm_head.weight\":\"nowhere.safetensors\"}}");
	struct checkpoint ck;
	struct bb_error err = {0};
	CHECK(checkpoint_open(&ck, dir, &err) == BB_EIO);
	CHECK(strstr(err.msg, "nowhere.safetensors") != NULL);
	const char *dir2 = make_dir("slashindex");
	write_text(dir2, "config.json", tiny_config);
	write_text(dir2, "model.safetensors.index.json",
		   "{\"weight_map\":{\"lm_head.weight\":\"../x.safetensors\"}}");
	CHECK(checkpoint_open(&ck, dir2, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "lm_head.weight") != NULL);
	const char *dir3 = make_dir("nomapindex");
	write_text(dir3, "config.json", tiny_config);
	write_text(dir3, "model.safetensors.index.json", "{\"metadata\":{}}");
	CHECK(checkpoint_open(&ck, dir3, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "weight_map") != NULL);
}

int main(void)
{
	if (!tmpdir_make())
		return 1;
	RUN(checkpoint_should_open_tinystories_and_build_14_layer_inventory);
	RUN(checkpoint_should_open_stories260k_with_embedding_stored);
	RUN(checkpoint_should_plan_paper_models_from_config_only);
	RUN(model_config_should_read_family_specific_fields);
	RUN(inventory_should_reject_weight_whose_shape_disagrees_with_config);
	RUN(inventory_should_reject_missing_and_non_float_weights);
	RUN(checkpoint_should_report_a_bad_shard_by_name);
	RUN(checkpoint_should_open_two_shards_listed_in_index);
	RUN(checkpoint_should_reject_index_naming_missing_or_unsafe_shards);
	tmpdir_remove();
	END_TESTS();
}
