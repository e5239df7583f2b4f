/*
 * test_tokenizer_layouts.c: engine/tokenizer on the small fixtures in
 * tests/fixtures/tokenizer/: byte-level BPE in the Llama 3, Qwen2 and GPT-2 layouts and the
 * legacy SentencePiece Metaspace layout, whose expected ids are derived by hand in the
 * comments (pre-tokens, then merges in rank order). The same ids were also cross-checked
 * against HF tokenizers 0.23.2 when written. Run from the repository root.
 * Tests never write anywhere.
 */
#include "engine/tokenizer/tokenizer.h"

#include "tests/unit/check.h"
#include "tests/unit/tokenizer_check.h"

// ---- byte-level BPE: Llama 3 layout (fixture llama3/) ----

/* Vocabulary: id = byte value for the 256 GPT-2 byte symbols (Ġ = space 32, Ċ = \n 10,
 * é = C3 A9 = "Ã©"), then merges in rank order: 256 Ġt, 257 he, 258 Ġthe, 259 in,
 * 260 ing, 261 's, 262 12, 263 ĊĊ, 264 Ã©, 265 Ġc, 266 Ġca, 267 Ġcaf, 268 ĠcafÃ©, 269 ll,
 * 270 'll, 271 ĠĠ; 272 Ġhello is in the vocabulary but no merge builds it. Added:
 * 273 <|begin_of_text|> (BOS by TemplateProcessing), 274 <|end_of_text|> (EOS by
 * tokenizer_config.json), 275 <|eot_id|>. ignore_merges is true, as in Llama 3.
 */

TEST(llama3_words_and_contractions)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	/* pre-tokens "the", " cat", "'s". "the": h+e (rank 1) -> t, he; no "t he" merge.
	 * "Ġcat": Ġ+c (9) -> Ġc, Ġc+a (10) -> Ġca, no "Ġca t". "'s" is in the vocabulary
	 * whole, so ignore_merges takes it as is. */
	CHECK(ENCODES(t, "the cat's", -1, 273, 116, 257, 266, 116, 261));
	/* "they" + "'ll": t, he, y; "'ll" whole (270) */
	CHECK(ENCODES(t, "they'll", -1, 273, 116, 257, 121, 270));
	/* the contraction group is case-insensitive: "I", "'LL"; no merges for L */
	CHECK(ENCODES(t, "I'LL", -1, 273, 73, 39, 76, 76));
	tokenizer_free(t);
}

TEST(llama3_digits_in_threes)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	/* \p{N}{1,3}: "123", "45"; 1+2 (rank 6) -> 12, then 3; 4, 5 */
	CHECK(ENCODES(t, "12345", 0, 262, 51, 52, 53));
	tokenizer_free(t);
}

TEST(llama3_spaces_newlines_ignore_merges)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	/* "  hello": \s+(?!\S) backs off to one space, leaving " hello" to the letters rule:
	 * "Ġ", "Ġhello"; Ġhello is in the vocabulary, and ignore_merges takes it whole */
	CHECK(ENCODES(t, "  hello", 0, 32, 272));
	/* "a", "\n\n" (\s*[\r\n]+), "b"; Ċ+Ċ (rank 7) -> ĊĊ */
	CHECK(ENCODES(t, "a\n\nb", 0, 97, 263, 98));
	tokenizer_free(t);
}

TEST(llama3_non_ascii)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	/* "é中" is one \p{L}+ pre-token: bytes C3 A9 E4 B8 AD; only Ã+© (rank 8) merges.
	 * "😀" (F0 9F 98 80) is punctuation-like: its own pre-token, four byte tokens. */
	CHECK(ENCODES(t, "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 0, 264, 0xE4, 0xB8, 0xAD, 0xF0,
		      0x9F, 0x98, 0x80));
	/* " café": Ã+© (8) first, then Ġ+c (9), Ġc+a (10), Ġca+f (11), Ġcaf+Ã© (12) */
	CHECK(ENCODES(t, " caf\xC3\xA9", 0, 268));
	/* a cut multi-byte run decodes (ByteLevel) to one U+FFFD per maximal bad part */
	CHECK(DECODES(t, 0, "\xEF\xBF\xBD", 0xE4, 0xB8));
	CHECK(DECODES(t, 0, "\xEF\xBF\xBDx", 0xF0, 0x9F, 0x98, 'x'));
	tokenizer_free(t);
}

TEST(llama3_added_token_mid_text)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	/* "hi" | <|eot_id|> | "there"; "there": h+e -> t, he, r, e */
	CHECK(ENCODES(t, "hi<|eot_id|>there", -1, 273, 104, 105, 275, 116, 257, 114, 101));
	CHECK(DECODES(t, 0, "<|begin_of_text|>hi<|eot_id|>there", 273, 104, 105, 275, 116, 257,
		      114, 101));
	CHECK(DECODES(t, TOKENIZER_SKIP_SPECIAL, "hithere", 273, 104, 105, 275, 116, 257, 114,
		      101));
	tokenizer_free(t);
}

TEST(llama3_bos_choices)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	if (!t)
		return;
	CHECK(tokenizer_bos(t) == 273 && tokenizer_eos(t) == 274 && tokenizer_adds_bos(t));
	CHECK(tokenizer_vocab_size(t) == 276);
	CHECK(ENCODES(t, "hi", -1, 273, 104, 105));
	CHECK(ENCODES(t, "hi", 0, 104, 105));
	CHECK(ENCODES(t, "hi", 1, 273, 104, 105));
	CHECK(ENCODES(t, "<|begin_of_text|>hi", 0, 273, 104, 105)); /* typed by the user */
	CHECK_STR(tokenizer_piece(t, 268), "Ġcaf\xC3\x83\xC2\xA9"); /* ĠcafÃ© */
	tokenizer_free(t);
}

TEST(byte_level_round_trips)
{
	static const char *const texts[] = {
		"the cat's hat", "  leading spaces", "trailing spaces  ", "tabs\tand\r\nCRLF\n\n",
		"I'LL they're 12345 67", "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80!",
		"x<|eot_id|>y<|end_of_text|>", "", " ", "\xC2\xA0nbsp and \xE2\x80\xA8 sep"};
	struct tokenizer *l = load_dir(FIX "llama3"), *q = load_dir(FIX "qwen");
	struct tokenizer *g = load_dir(FIX "gpt2");
	size_t i;
	for (i = 0; i < sizeof texts / sizeof *texts; i++) {
		CHECK(round_trips(l, texts[i]));
		CHECK(round_trips(q, texts[i]));
		CHECK(round_trips(g, texts[i]));
	}
	tokenizer_free(l);
	tokenizer_free(q);
	tokenizer_free(g);
}

// ---- byte-level BPE: Qwen2 layout (fixture qwen/) ----

/* Same byte vocabulary and merges (stored as ["a", "b"] pairs), NFC normalizer, \p{N}
 * one digit at a time, no BOS, ignore_merges false. Added: 273 <|endoftext|>,
 * 274 <|im_start|>, 275 <|im_end|> (EOS), 276 <tool_call> (not special).
 */

TEST(qwen_no_bos_single_digits)
{
	struct tokenizer *t = load_dir(FIX "qwen");
	struct bb_error err = {0};
	int *ids = NULL, n = 0;
	if (!t)
		return;
	CHECK(tokenizer_bos(t) == -1 && tokenizer_eos(t) == 275 && !tokenizer_adds_bos(t));
	CHECK(ENCODES(t, "hi", -1, 104, 105));
	/* one pre-token per digit, so the "12" merge can never fire */
	CHECK(ENCODES(t, "12345", -1, 49, 50, 51, 52, 53));
	/* add_bos = 1 asks for a BOS this tokenizer does not have */
	CHECK(tokenizer_encode(t, "hi", 2, 1, &ids, &n, &err) == BB_EINVAL);
	CHECK(ids == NULL && n == 0 && strstr(err.msg, "bos") != NULL);
	tokenizer_free(t);
}

TEST(qwen_merges_without_ignore_merges)
{
	struct tokenizer *t = load_dir(FIX "qwen");
	/* " hello" is one pre-token; Ġhello is in the vocabulary but ignore_merges is off:
	 * h+e (rank 1) -> he, l+l (13) -> ll; nothing joins Ġ, he, ll, o further */
	CHECK(ENCODES(t, " hello", -1, 32, 257, 269, 111));
	/* "  hello": " " then " hello" */
	CHECK(ENCODES(t, "  hello", -1, 32, 32, 257, 269, 111));
	/* " café" reaches ĠcafÃ© through the merge chain (ranks 8, 9, 10, 11, 12) */
	CHECK(ENCODES(t, " caf\xC3\xA9", -1, 268));
	tokenizer_free(t);
}

TEST(qwen_chat_markup)
{
	struct tokenizer *t = load_dir(FIX "qwen");
	/* 274 | "user\nhi" | 275; "user", "\n", "hi" have no merges */
	CHECK(ENCODES(t, "<|im_start|>user\nhi<|im_end|>", -1, 274, 117, 115, 101, 114, 10, 104,
		      105, 275));
	/* a non-special added token is matched too, and survives SKIP_SPECIAL */
	CHECK(ENCODES(t, "a<tool_call>b", -1, 97, 276, 98));
	CHECK(!tokenizer_is_special(t, 276) && tokenizer_is_special(t, 275));
	CHECK(DECODES(t, TOKENIZER_SKIP_SPECIAL, "user\nhi<tool_call>", 274, 117, 115, 101, 114,
		      10, 104, 105, 275, 276));
	tokenizer_free(t);
}

// ---- byte-level BPE: GPT-2 layout (fixture gpt2/): ByteLevel's own regex ----

TEST(gpt2_default_regex)
{
	struct tokenizer *t = load_dir(FIX "gpt2");
	/* GPT-2 split: "it", "'s", " 12345" (one ` ?\p{N}+` run), " " (\s+(?!\S) leaves the
	 * last space to the next word), " ok". "'s": '+s (rank 5); " 12345": 1+2 (6) */
	CHECK(ENCODES(t, "it's 12345  ok", -1, 105, 116, 261, 32, 262, 51, 52, 53, 32, 32, 111,
		      107));
	CHECK(tokenizer_bos(t) == -1 && tokenizer_eos(t) == -1);
	tokenizer_free(t);
}

// ---- legacy SentencePiece: Metaspace pre-tokenizer and decoder (fixture metaspace/) ----

/* 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, 259 ▁, then a b c d e h i l n o r t
 * (260..271); merges: 272 ▁t, 273 he, 274 ▁the, 275 ▁a, 276 in, 277 ▁c, 278 ▁ca, 279 ▁cat.
 * prepend_scheme "first"; tokenizer_config.json sets add_bos_token (bos as an object).
 */

TEST(metaspace_prepend_first)
{
	struct tokenizer *t = load_dir(FIX "metaspace");
	/* "▁the▁cat": ▁+t (0), h+e (1), ▁t+he (2), ▁+c (5), ▁c+a (6), ▁ca+t (7) */
	CHECK(ENCODES(t, "the cat", -1, 1, 274, 279));
	/* "first": only the part at the start of the text gets a "▁"; "ab": ▁+a (3), b */
	CHECK(ENCODES(t, "ab<s>c", -1, 1, 275, 261, 1, 262));
	/* byte fallback for é: C3 A9 -> <0xC3> <0xA9> */
	CHECK(ENCODES(t, "\xC3\xA9", -1, 1, 259, 3 + 0xC3, 3 + 0xA9));
	/* the decoder drops the "▁" of the first token only */
	CHECK(DECODES(t, 0, "<s> \xC3\xA9", 1, 259, 3 + 0xC3, 3 + 0xA9));
	CHECK(DECODES(t, TOKENIZER_SKIP_SPECIAL, "\xC3\xA9", 1, 259, 3 + 0xC3, 3 + 0xA9));
	CHECK(round_trips(t, "the cat in the hat"));
	CHECK(tokenizer_bos(t) == 1 && tokenizer_eos(t) == 2);
	tokenizer_free(t);
}

int main(void)
{
	RUN(llama3_words_and_contractions);
	RUN(llama3_digits_in_threes);
	RUN(llama3_spaces_newlines_ignore_merges);
	RUN(llama3_non_ascii);
	RUN(llama3_added_token_mid_text);
	RUN(llama3_bos_choices);
	RUN(byte_level_round_trips);
	RUN(qwen_no_bos_single_digits);
	RUN(qwen_merges_without_ignore_merges);
	RUN(qwen_chat_markup);
	RUN(gpt2_default_regex);
	RUN(metaspace_prepend_first);
	END_TESTS();
}
