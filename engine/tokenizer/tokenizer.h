/*
 * tokenizer.h: a Hugging Face tokenizer.json BPE tokenizer (text <-> token ids).
 *
 * Covers the two BPE families that bitbudget's models use: SentencePiece-style BPE
 * (Llama 2, TinyStories: "▁" normalizer, byte fallback, unk fusion) and byte-level BPE
 * (GPT-2, Llama 3, Qwen2/3: regex split, GPT-2 byte map), with added tokens and the
 * BOS template, giving the same ids and text as the tokenizers library.
 * It never prints and never exits; errors go to the caller's struct bb_error. A loaded
 * tokenizer is immutable: encode and decode on a const tokenizer are safe from many
 * threads at once, and keep no state between calls.
 */
#ifndef BB_TOKENIZER_H
#define BB_TOKENIZER_H

#include <stddef.h>

#include "core/error.h"

struct tokenizer;

/*
 * Load dir/tokenizer.json and, if present, dir/tokenizer_config.json (add_bos_token,
 * add_eos_token, bos_token, eos_token). Only BPE models load; Unigram, WordPiece and
 * WordLevel, and unknown normalizers, pre-tokenizers or decoders, fail with
 * BB_EUNSUPPORTED. On failure *out is NULL.
 */
int tokenizer_load(struct tokenizer **out, const char *dir, struct bb_error *err);
/* The same from memory: len bytes of tokenizer.json text and, when config_json is not
 * NULL, config_len bytes of tokenizer_config.json; errors name name (used by the fuzzers
 * and by tests that build tokenizers in memory). */
int tokenizer_load_json(struct tokenizer **out, const char *json, size_t len,
			const char *config_json, size_t config_len, const char *name,
			struct bb_error *err);
void tokenizer_free(struct tokenizer *t);

/*
 * Encode len bytes of UTF-8 text (need not be NUL-terminated; invalid UTF-8 is
 * BB_EINVAL). Added tokens in the text become their ids. add_bos:
 *   -1  the tokenizer's own choice: tokenizer_config.json add_bos_token/add_eos_token
 *       when set, else the post-processor template (HF add_special_tokens=True);
 *    0  no template tokens at all, no BOS (HF add_special_tokens=False);
 *    1  as -1, and BOS first even if the tokenizer would not add it (BB_EINVAL when
 *       the tokenizer has no BOS).
 * On success *ids (caller frees; NULL when *n_ids is 0) holds *n_ids ids.
 */
int tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, int add_bos,
		     int **ids, int *n_ids, struct bb_error *err);

/*
 * Decode ids to UTF-8 text as HF's decode(skip_special_tokens=False): every token,
 * special ones included, goes through the tokenizer's decoder. Ids with no token
 * (negative, past the vocabulary, holes) are skipped, as HF does. *text is
 * NUL-terminated; caller frees.
 */
int tokenizer_decode(const struct tokenizer *t, const int *ids, int n_ids, char **text,
		     struct bb_error *err);

enum tokenizer_decode_flags {
	TOKENIZER_SKIP_SPECIAL = 1 /* drop special added tokens (skip_special_tokens=True) */
};
/* tokenizer_decode with flags; *len (if not NULL) gets the byte length, which can
 * differ from strlen when a byte-fallback token decodes to a NUL byte. */
int tokenizer_decode_ex(const struct tokenizer *t, const int *ids, int n_ids, int flags,
			char **text, size_t *len, struct bb_error *err);

int tokenizer_bos(const struct tokenizer *t); /* -1 if none */
int tokenizer_eos(const struct tokenizer *t); /* -1 if none */
/* tokenizer_config.json's pad_token; -1 if none (lm-eval reads it from /tokenizer_info). */
int tokenizer_pad(const struct tokenizer *t);
/* 1 if encode with add_bos = -1 puts BOS first, else 0. */
int tokenizer_adds_bos(const struct tokenizer *t);
/* One past the largest id of the model vocabulary and the added tokens. */
int tokenizer_vocab_size(const struct tokenizer *t);
/* Raw vocabulary string of id ("▁the", "Ġthe", "<0x0A>", "<|eot_id|>"), NULL if none. */
const char *tokenizer_piece(const struct tokenizer *t, int id);
/* Id of an exact piece or added token content, -1 if none. */
int tokenizer_token_id(const struct tokenizer *t, const char *piece);
/* 1 if id is a special added token (skipped by TOKENIZER_SKIP_SPECIAL), else 0. */
int tokenizer_is_special(const struct tokenizer *t, int id);

#endif
