/*
 * fuzz_tokenizer.c: a tokenizer.json through tokenizer_load_json (vocabulary, merges,
 * added tokens, normalizer, pre-tokenizer, post-processor, decoder), then an encode and a
 * decode with what loaded. The input is tokenizer.json, or, when it contains a line
 * "\n--config--\n", tokenizer.json before it and tokenizer_config.json after it; the text
 * encoded is a fixed sentence plus the input's last 64 bytes.
 * Never writes a file.
 */
#include "fuzz/fuzz.h"

#include "engine/tokenizer/tokenizer.h"

static const char sep[] = "\n--config--\n";

static void exercise(const struct tokenizer *t, const uint8_t *data, size_t size)
{
	static const char sentence[] = "Once upon a time, 12 <s> birds\n\tflew  away. \xc3\xa9\xe2\x96\x81";
	const uint8_t *tail = size > 64 ? data + size - 64 : data;
	size_t tail_len = size > 64 ? 64 : size;
	char text[sizeof sentence + 64];
	memcpy(text, sentence, sizeof sentence - 1);
	memcpy(text + sizeof sentence - 1, tail, tail_len);
	size_t len = sizeof sentence - 1 + tail_len;
	for (int add_bos = -1; add_bos <= 1; add_bos++) {
		int *ids = NULL, n = 0;
		struct bb_error err = {0};
		if (tokenizer_encode(t, text, len, add_bos, &ids, &n, &err) == 0) {
			char *out = NULL;
			if (tokenizer_decode(t, ids, n, &out, &err) == 0)
				free(out);
			size_t out_len = 0;
			if (tokenizer_decode_ex(t, ids, n, TOKENIZER_SKIP_SPECIAL, &out, &out_len,
						&err) == 0)
				free(out);
		}
		free(ids);
	}
	int bad[] = {-1, 0, 1, 1 << 30, tokenizer_vocab_size(t) - 1, tokenizer_bos(t),
		     tokenizer_eos(t)};
	char *out = NULL;
	struct bb_error err = {0};
	if (tokenizer_decode(t, bad, 7, &out, &err) == 0)
		free(out);
	for (int i = 0; i < 7; i++) {
		tokenizer_piece(t, bad[i]);
		tokenizer_is_special(t, bad[i]);
	}
	tokenizer_token_id(t, "<s>");
	tokenizer_adds_bos(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cfg = memmem(data, size, sep, sizeof sep - 1);
	size_t json_len = cfg ? (size_t)(cfg - data) : size;
	const char *cfg_text = cfg ? (const char *)cfg + sizeof sep - 1 : NULL;
	size_t cfg_len = cfg ? size - json_len - (sizeof sep - 1) : 0;
	struct tokenizer *t = NULL;
	struct bb_error err = {0};
	if (tokenizer_load_json(&t, (const char *)data, json_len, cfg_text, cfg_len,
				"tokenizer.json", &err) == 0) {
		exercise(t, data, size);
		tokenizer_free(t);
	} else if (t) {
		abort(); /* a failed load leaves *out NULL */
	}
	return 0;
}
