/*
 * load.c: reads tokenizer.json (and tokenizer_config.json) into a struct tokenizer, the
 * stages in the order they depend on each other: model, added tokens, normalizer,
 * pre-tokenizer, decoder, post-processor, then tokenizer_config.json.
 *
 * Each stage parses its own steps in its own file (bpe.c, added_tokens.c, normalizer.c,
 * pre_tokenizer.c, decoder.c, post_processor.c), on the field readers of fields.c. It
 * must reject what it cannot reproduce exactly (Unigram, WordPiece, unknown step types)
 * with BB_EUNSUPPORTED rather than tokenize differently from HF, and every error names
 * the file and the JSON field. It never prints and never exits.
 */
#include "engine/tokenizer/stages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

static void byte_map_init(struct tokenizer *t)
{
	int b, n = 0;
	for (b = 0; b < 324; b++)
		t->cp_byte[b] = -1;
	/* GPT-2: printable Latin-1 bytes stand for themselves, the rest get 256, 257, ... */
	for (b = 0; b < 256; b++) {
		int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
		t->byte_cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
		t->cp_byte[t->byte_cp[b]] = (int16_t)b;
	}
}

static const cJSON *field(const cJSON *root, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(root, key);
}

/* The stages in the order they depend on each other: added tokens are matched in their
 * normalized form, and the post-processor's ids must be in the vocabulary. */
static int load_json(struct tk_ctx *c, const cJSON *root, const struct tk_config_source *config)
{
	struct tokenizer *t = c->t;
	struct tk_ids pre = {0}, post = {0};
	int rc;
	if (tk_strmap_init(&t->added_map, 16))
		return tk_load_oom(c);
	if ((rc = tk_parse_model(c, field(root, "model"))) ||
	    (rc = tk_parse_added(c, field(root, "added_tokens"))) ||
	    (rc = tk_parse_normalizer(c, field(root, "normalizer"))) ||
	    (rc = tk_parse_pre_tokenizer(c, field(root, "pre_tokenizer"))) ||
	    (rc = tk_parse_decoder(c, field(root, "decoder"))) ||
	    (rc = tk_prepare_added(c)) ||
	    (rc = tk_parse_post_processor(c, field(root, "post_processor"), &pre, &post)) ||
	    (rc = tk_settle_specials(c, config, &pre, &post))) {
		free(pre.p);
		free(post.p);
		return rc;
	}
	return 0;
}

static int load_root(struct tokenizer *t, const char *path, const cJSON *root,
		     const struct tk_config_source *config, struct bb_error *err)
{
	struct tk_ctx c = {t, path, err};
	t->unk_id = t->bos_id = t->eos_id = t->pad_id = -1;
	byte_map_init(t);
	return load_json(&c, root, config);
}

int tokenizer_load(struct tokenizer **out, const char *dir, struct bb_error *err)
{
	struct tokenizer *t;
	char *path, *config_path;
	cJSON *root = NULL;
	int rc;
	*out = NULL;
	if (!dir)
		return bb_fail(err, BB_EINVAL, "tokenizer_load: no directory given");
	path = path_join(dir, "tokenizer.json");
	config_path = path_join(dir, "tokenizer_config.json");
	t = calloc(1, sizeof *t);
	if (!path || !config_path || !t) {
		rc = bb_fail(err, BB_ENOMEM, "'%s': out of memory", dir);
	} else if (!(rc = tk_parse_json(path, &root, err))) {
		struct tk_config_source config = {.name = config_path, .from_file = true};
		rc = load_root(t, path, root, &config, err);
		cJSON_Delete(root);
	}
	free(path);
	free(config_path);
	if (rc) {
		tokenizer_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int tokenizer_load_json(struct tokenizer **out, const char *json, size_t len,
			const char *config_json, size_t config_len, const char *name,
			struct bb_error *err)
{
	struct tk_config_source config = {.name = "tokenizer_config.json", .text = config_json,
				       .len = config_len};
	struct tokenizer *t = calloc(1, sizeof *t);
	cJSON *root = NULL;
	int rc;
	*out = NULL;
	if (!t)
		return bb_fail(err, BB_ENOMEM, "'%s': out of memory", name);
	if (!(rc = tk_parse_json_text(name, json, len, &root, err))) {
		rc = load_root(t, name, root, &config, err);
		cJSON_Delete(root);
	}
	if (rc) {
		tokenizer_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
