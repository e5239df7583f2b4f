/*
 * test_tokenizer.c: engine/tokenizer against known ids and text.
 *
 * SentencePiece-style BPE is checked on the two shared TinyStories models (ids from
 * their SOURCE.md); byte-level BPE (Llama 3, Qwen2, GPT-2 layouts) and the legacy
 * Metaspace layout on the small fixtures in tests/fixtures/tokenizer/, whose expected
 * ids are derived by hand in the comments (pre-tokens, then merges in rank order).
 * The same ids were also cross-checked against HF tokenizers 0.23.2 when written.
 * Run from the repository root; the shared models come from $SHARED (../shared).
 * Tests never write anywhere.
 */
#include "engine/tokenizer/tokenizer.h"

#include <pthread.h>
#include <time.h>

#include "tests/unit/check.h"

#define FIX "tests/fixtures/tokenizer/"

static struct tokenizer *load_dir(const char *dir)
{
	struct tokenizer *t = NULL;
	struct bb_error err = {0};
	int rc = tokenizer_load(&t, dir, &err);
	if (rc)
		fprintf(stderr, "  load %s: %s\n", dir, err.msg);
	CHECK(rc == 0 && t != NULL);
	return t;
}

static struct tokenizer *load_shared(const char *model)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/models/%s", shared_dir(), model);
	return load_dir(dir);
}

/* Encode text and compare with want[0..n); prints both sides on a mismatch. */
static int encodes_to(const struct tokenizer *t, const char *text, int add_bos, const int *want,
		      int n)
{
	struct bb_error err = {0};
	int *ids = NULL, n_ids = -1, ok, i;
	if (!t)
		return 0;
	if (tokenizer_encode(t, text, strlen(text), add_bos, &ids, &n_ids, &err)) {
		fprintf(stderr, "  encode \"%s\": %s\n", text, err.msg);
		return 0;
	}
	ok = n_ids == n && (n == 0 || !memcmp(ids, want, (size_t)n * sizeof *ids));
	if (!ok) {
		fprintf(stderr, "  encode \"%s\" gave", text);
		for (i = 0; i < n_ids; i++)
			fprintf(stderr, " %d", ids[i]);
		fprintf(stderr, "\n");
	}
	free(ids);
	return ok;
}

#define ENCODES(t, text, add_bos, ...)                                                     \
	encodes_to(t, text, add_bos, (const int[]){__VA_ARGS__},                            \
		   (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)))

/* Decoded text (caller frees), or NULL. */
static char *decode(const struct tokenizer *t, const int *ids, int n, int flags)
{
	struct bb_error err = {0};
	char *text = NULL;
	if (!t || tokenizer_decode_ex(t, ids, n, flags, &text, NULL, &err)) {
		fprintf(stderr, "  decode: %s\n", err.msg);
		return NULL;
	}
	return text;
}

static int decodes_to(const struct tokenizer *t, const int *ids, int n, int flags,
		      const char *want)
{
	char *text = decode(t, ids, n, flags);
	int ok = text && !strcmp(text, want);
	if (text && !ok)
		fprintf(stderr, "  decoded \"%s\", want \"%s\"\n", text, want);
	free(text);
	return ok;
}

#define DECODES(t, flags, want, ...)                                                       \
	decodes_to(t, (const int[]){__VA_ARGS__},                                           \
		   (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)), flags, want)

/* encode(x) without specials, then decode, gives back exactly x. */
static int round_trips(const struct tokenizer *t, const char *x)
{
	struct bb_error err = {0};
	int *ids = NULL, n = 0, ok;
	char *back;
	if (!t || tokenizer_encode(t, x, strlen(x), 0, &ids, &n, &err))
		return 0;
	back = decode(t, ids, n, 0);
	ok = back && !strcmp(back, x);
	if (back && !ok)
		fprintf(stderr, "  round trip \"%s\" -> \"%s\"\n", x, back);
	free(back);
	free(ids);
	return ok;
}

// ---- SentencePiece-style BPE: the shared TinyStories models ----

static const int greedy[] = {147, 201, 282, 215, 286, 598, 1662, 356, 499, 826, 1363,
			     1145, 1652, 615, 242, 1482, 951, 628, 499, 826, 872, 921,
			     318, 385, 628, 499, 826, 617, 242, 198, 1047, 425};
#define N_GREEDY ((int)(sizeof greedy / sizeof *greedy))

TEST(tinystories_encode_source_md)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	/* SOURCE.md: BOS, then the lone "▁" that Prepend adds, then BPE over the whole
	 * normalized string "▁Once▁upon▁a▁time" (merges run across the ▁ spaces) */
	CHECK(ENCODES(t, "Once upon a time", -1, 1, 80, 147, 201, 282, 57));
	CHECK(ENCODES(t, "Once upon a time", 0, 80, 147, 201, 282, 57));
	CHECK(ENCODES(t, "Once upon a time", 1, 1, 80, 147, 201, 282, 57)); /* no second BOS */
	CHECK(ENCODES(t, "", -1, 1));       /* Prepend skips an empty string */
	CHECK(ENCODES(t, " ", 0, 80, 80));  /* "▁▁" has no merge */
	tokenizer_free(t);
}

TEST(tinystories_metadata)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	if (!t)
		return;
	CHECK(tokenizer_bos(t) == 1);
	CHECK(tokenizer_eos(t) == 2);
	CHECK(tokenizer_adds_bos(t) == 1);
	CHECK(tokenizer_vocab_size(t) == 2048);
	CHECK_STR(tokenizer_piece(t, 282), "upon\xE2\x96\x81" "a\xE2\x96\x81tim");
	CHECK_STR(tokenizer_piece(t, 2), "<|end_story|>");
	CHECK(tokenizer_piece(t, 2048) == NULL && tokenizer_piece(t, -1) == NULL);
	CHECK(tokenizer_token_id(t, "<|end_story|>") == 2);
	CHECK(tokenizer_token_id(t, "no such piece") == -1);
	CHECK(tokenizer_is_special(t, 1) && !tokenizer_is_special(t, 147));
	tokenizer_free(t);
}

TEST(tinystories_decode_greedy)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	const char *want = "Once upon a time, there was a little girl named Lily. She had a "
			   "toy car that she loved very much. One day, she went to the park";
	char *text = decode(t, greedy, N_GREEDY, 0);
	CHECK(text && !strncmp(text, want, strlen(want)));
	free(text);
	/* BOS goes through the decoder as text unless special tokens are skipped */
	CHECK(DECODES(t, 0, "<|start_story|>Once ", 1, 147, 201));
	CHECK(DECODES(t, TOKENIZER_SKIP_SPECIAL, "Once ", 1, 147, 201));
	/* ids with no token are skipped, as HF does */
	CHECK(DECODES(t, 0, "Once ", -7, 147, 99999, 201));
	tokenizer_free(t);
}

TEST(tinystories_encode_of_decode)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	struct bb_error err = {0};
	char *text = decode(t, greedy, N_GREEDY, 0);
	int *ids = NULL, n = 0;
	if (!text) {
		CHECK(text != NULL);
		tokenizer_free(t);
		return;
	}
	/* the model's own greedy pieces are what BPE gives back, after the Prepend "▁" */
	CHECK(tokenizer_encode(t, text, strlen(text), 0, &ids, &n, &err) == 0);
	CHECK(n == N_GREEDY + 1 && ids && ids[0] == 80 &&
	      !memcmp(ids + 1, greedy, sizeof greedy));
	CHECK(round_trips(t, text));
	free(ids);
	free(text);
	tokenizer_free(t);
}

TEST(tinystories_unknown_chars_fuse)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	/* "(" and ")" are not pieces and there are no <0xNN> pieces: each run of them is one
	 * <unk> (fuse_unk). "▁((x))▁▁()" -> ▁, <unk>, x, <unk>, ▁, ▁, <unk> */
	CHECK(ENCODES(t, "((x))  ()", -1, 1, 80, 0, 76, 0, 80, 80, 0));
	CHECK(ENCODES(t, "\xC3\xA9\xE4\xB8\xAD", 0, 80, 0)); /* é中: one fused <unk> */
	tokenizer_free(t);
}

TEST(tinystories_special_tokens_in_text)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	/* its added tokens are "normalized": they are searched as "▁<|end_story|>" in the
	 * normalized text "▁Hi▁<|end_story|>▁x" */
	CHECK(ENCODES(t, "Hi <|end_story|> x", -1, 1, 80, 1158, 2, 80, 76));
	CHECK(ENCODES(t, "<|end_story|>", -1, 1, 2));
	/* glued to a word there is no "▁" before it, so it is spelled out in pieces */
	CHECK(ENCODES(t, "a<|end_story|>b", -1, 1, 85, 208, 183, 209, 210, 54));
	tokenizer_free(t);
}

TEST(stories260k_source_md)
{
	struct tokenizer *t = load_shared("stories260k");
	/* SOURCE.md: BOS + "Zoo" -> "▁", "Z", "oo" */
	CHECK(ENCODES(t, "Zoo", -1, 1, 410, 469, 347));
	/* <s> is not normalized: it is cut out of the raw text first, and each side is
	 * normalized (gets its own "▁") on its own */
	CHECK(ENCODES(t, "a<s>b", -1, 1, 261, 1, 268));
	/* byte fallback: é is a piece (485); 中 and 😀 become <0xNN> pieces (id 3 + byte) */
	CHECK(ENCODES(t, "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", -1, 1, 410, 485, 3 + 0xE4,
		      3 + 0xB8, 3 + 0xAD, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80));
	CHECK(DECODES(t, TOKENIZER_SKIP_SPECIAL, "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 1, 410,
		      485, 3 + 0xE4, 3 + 0xB8, 3 + 0xAD, 3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80));
	/* a broken byte run decodes to one U+FFFD per byte (ByteFallback) */
	CHECK(DECODES(t, 0, "\xEF\xBF\xBD\xEF\xBF\xBD", 3 + 0xE4, 3 + 0xB8));
	CHECK(tokenizer_bos(t) == 1 && tokenizer_eos(t) == 2);
	CHECK(round_trips(t, "Lily saw a big, red ball."));
	tokenizer_free(t);
}

TEST(decode_nul_byte_keeps_length)
{
	struct tokenizer *t = load_shared("stories260k");
	struct bb_error err = {0};
	const int ids[] = {3 + 'a', 3 + 0x00, 3 + 'b'}; /* <0x61> <0x00> <0x62> */
	char *text = NULL;
	size_t len = 0;
	CHECK(t && tokenizer_decode_ex(t, ids, 3, 0, &text, &len, &err) == 0);
	CHECK(text && len == 3 && !memcmp(text, "a\0b", 3));
	free(text);
	tokenizer_free(t);
}

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

// ---- errors ----

static int load_fails(const char *dir, int code, const char *in_msg1, const char *in_msg2)
{
	struct tokenizer *t = (struct tokenizer *)&t; /* must come back NULL */
	struct bb_error err = {0};
	int rc = tokenizer_load(&t, dir, &err);
	int ok = rc == code && err.code == code && t == NULL && strstr(err.msg, in_msg1) &&
		 strstr(err.msg, in_msg2);
	if (!ok)
		fprintf(stderr, "  load %s: rc %d, \"%s\"\n", dir, rc, err.msg);
	if (rc == 0)
		tokenizer_free(t);
	return ok;
}

TEST(load_errors_name_the_file)
{
	CHECK(load_fails(FIX "does_not_exist", BB_EIO, "does_not_exist/tokenizer.json",
			 "cannot open"));
	CHECK(load_fails(FIX "bad_json", BB_EFORMAT, "bad_json/tokenizer.json", "invalid json"));
	CHECK(load_fails(FIX "unigram", BB_EUNSUPPORTED, "unigram/tokenizer.json", "Unigram"));
	CHECK(load_fails(FIX "wordpiece", BB_EUNSUPPORTED, "wordpiece/tokenizer.json",
			 "WordPiece"));
	CHECK(load_fails(FIX "bad_merge", BB_EFORMAT, "bad_merge/tokenizer.json",
			 "model.merges[1]"));
	CHECK(load_fails(FIX "bad_pretok", BB_EUNSUPPORTED, "pre_tokenizer.type",
			 "BertPreTokenizer"));
}

/* A tokenizer.json of a two-letter BPE model, with the given normalizer, pre-tokenizer,
 * decoder and post-processor (JSON text), loaded from memory. */
static int load_stages(struct tokenizer **t, const char *stages, struct bb_error *err)
{
	char json[2048];
	int n = snprintf(json, sizeof json,
			 "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, "
			 "\"<s>\": 2, \"</s>\": 3, \"<x>\": 4}, \"merges\": []}, %s}",
			 stages);
	return tokenizer_load_json(t, json, (size_t)n, NULL, 0, "mem.json", err);
}

/* Every stage reads its "Sequence" the same way: nested lists, and an error naming the
 * step by its place in them. */
TEST(sequence_errors_name_the_step)
{
	static const char *const cases[][2] = {
		{"\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}, "
		 "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Lowercase\"}]}]}",
		 "'mem.json': normalizer.normalizers[1].normalizers[0].type 'Lowercase' is not "
		 "supported"},
		{"\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": "
		 "[{\"type\": \"Punctuation\"}]}",
		 "'mem.json': pre_tokenizer.pretokenizers[0].type 'Punctuation' is not supported"},
		{"\"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Fuse\"}, "
		 "{\"type\": \"CTC\"}]}",
		 "'mem.json': decoder.decoders[1].type 'CTC' is not supported"},
		{"\"post_processor\": {\"type\": \"Sequence\", \"processors\": [{\"type\": "
		 "\"Sequence\", \"processors\": [{}]}]}",
		 "'mem.json': post_processor.processors[0].processors[0].type '(missing)' is not "
		 "supported"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tokenizer *t = NULL;
		struct bb_error err = {0};
		CHECK(load_stages(&t, cases[i][0], &err) == BB_EUNSUPPORTED && !t);
		CHECK_STR(err.msg, cases[i][1]);
	}
}

/* A post-processor Sequence: each processor wraps what the ones before it produced, so
 * the second one's <x> goes outside the first one's <s> ... </s>. */
TEST(post_processor_sequence_wraps_in_order)
{
	static const char stages[] =
		"\"post_processor\": {\"type\": \"Sequence\", \"processors\": ["
		"{\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": "
		"\"<s>\"}}, {\"Sequence\": {\"id\": \"A\"}}, {\"SpecialToken\": {\"id\": \"</s>\"}}],"
		" \"special_tokens\": {\"<s>\": {\"ids\": [2]}, \"</s>\": {\"ids\": [3]}}},"
		"{\"type\": \"Sequence\", \"processors\": [{\"type\": \"TemplateProcessing\", "
		"\"single\": [{\"SpecialToken\": {\"id\": \"<x>\"}}, {\"Sequence\": {\"id\": \"A\"}}],"
		" \"special_tokens\": {\"<x>\": {\"ids\": [4]}}}]}]}";
	struct tokenizer *t = NULL;
	struct bb_error err = {0};
	int *ids = NULL, n = 0;
	CHECK(load_stages(&t, stages, &err) == 0);
	if (!t)
		return;
	CHECK(tokenizer_encode(t, "ab", 2, -1, &ids, &n, &err) == 0);
	CHECK(n == 5 && ids[0] == 4 && ids[1] == 2 && ids[2] == 0 && ids[3] == 1 && ids[4] == 3);
	free(ids);
	tokenizer_free(t);
}

TEST(encode_rejects_bad_input)
{
	struct tokenizer *t = load_dir(FIX "llama3");
	struct bb_error err = {0};
	int *ids = NULL, n = 0;
	if (!t)
		return;
	CHECK(tokenizer_encode(t, "ab\xC3(", 4, -1, &ids, &n, &err) == BB_EINVAL);
	CHECK(ids == NULL && strstr(err.msg, "utf-8 at byte 2") != NULL);
	CHECK(tokenizer_encode(t, "ab", 2, 2, &ids, &n, &err) == BB_EINVAL);
	tokenizer_free(t);
}

// ---- concurrency and speed ----

/* Shared, read-only state of the concurrency test; each thread counts its own errors. */
enum { N_TEXTS = 48, N_THREADS = 4 };

struct shared_job {
	const struct tokenizer *tok[2];
	char text[N_TEXTS][96];
	int *want[N_TEXTS], nwant[N_TEXTS];
};

struct thread_job {
	const struct shared_job *s;
	int first, bad;
};

static void *encode_many(void *arg)
{
	struct thread_job *j = arg;
	int i;
	for (i = 0; i < 4 * N_TEXTS; i++) {
		struct bb_error e = {0};
		int k = (i + j->first) % N_TEXTS, *ids = NULL, n = 0;
		const char *x = j->s->text[k];
		if (tokenizer_encode(j->s->tok[k % 2], x, strlen(x), -1, &ids, &n, &e) ||
		    n != j->s->nwant[k] || memcmp(ids, j->s->want[k], (size_t)n * sizeof *ids))
			j->bad++;
		free(ids);
	}
	return NULL;
}

TEST(concurrent_encode_matches_serial)
{
	struct shared_job *s = calloc(1, sizeof *s);
	struct tokenizer *l = load_dir(FIX "llama3"), *ts = load_shared("tinystories-656k");
	struct thread_job jobs[N_THREADS];
	pthread_t th[N_THREADS];
	struct bb_error err = {0};
	int i, ready = s && l && ts;
	for (i = 0; i < N_TEXTS && ready; i++) {
		s->tok[0] = l;
		s->tok[1] = ts;
		snprintf(s->text[i], sizeof s->text[i],
			 "Lily had %d toys. She said \"it's fun\" %d times!", i * 37, i);
		ready = !tokenizer_encode(s->tok[i % 2], s->text[i], strlen(s->text[i]), -1,
					  &s->want[i], &s->nwant[i], &err);
	}
	CHECK(ready);
	/* several threads encode with the same two tokenizers at once */
	for (i = 0; i < N_THREADS && ready; i++) {
		jobs[i].s = s;
		jobs[i].first = i * 7;
		jobs[i].bad = 0;
		CHECK(pthread_create(&th[i], NULL, encode_many, &jobs[i]) == 0);
	}
	for (i = 0; i < N_THREADS && ready; i++) {
		pthread_join(th[i], NULL);
		CHECK(jobs[i].bad == 0);
	}
	for (i = 0; s && i < N_TEXTS; i++)
		free(s->want[i]);
	free(s);
	tokenizer_free(l);
	tokenizer_free(ts);
}

/* Best of three encode times of the first n bytes of text, in ms. */
/* The best of five runs in this thread's CPU time: other processes on a loaded machine
 * take the cores, not this thread's CPU time, so the ratio below measures the algorithm. */
static double encode_ms(const struct tokenizer *t, const char *text, size_t n)
{
	double best = 1e9;
	int r;
	for (r = 0; r < 5; r++) {
		struct bb_error err = {0};
		struct timespec a, b;
		int *ids = NULL, nid = 0;
		double ms;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		CHECK(tokenizer_encode(t, text, n, -1, &ids, &nid, &err) == 0);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
		CHECK(nid > (int)(n / 20) && ids && ids[0] == 1);
		free(ids);
	}
	return best;
}

TEST(long_text_encodes_in_near_linear_time)
{
	struct tokenizer *t = load_shared("tinystories-656k");
	const char *unit = "Once upon a time, there was a little girl named Lily. She liked "
			   "to play in the park with her friends. ";
	size_t ul = strlen(unit), n = 0, cap = 64 * 1024;
	char *text = malloc(cap + 1);
	double small, big;
	if (!t || !text) {
		CHECK(t && text);
		free(text);
		tokenizer_free(t);
		return;
	}
	while (n + ul <= cap) {
		memcpy(text + n, unit, ul);
		n += ul;
	}
	/* with no pre-tokenizer BPE runs over the whole text as one word: 8x the text must
	 * cost about 8-10x (heap, n log n), far from the 64x of a quadratic merge loop.
	 * A ratio, so that valgrind's slowdown cancels out. */
	small = encode_ms(t, text, n / 8);
	big = encode_ms(t, text, n);
	if (big >= 30 * small + 1.0)
		fprintf(stderr, "  %zu bytes: %.2f ms, %zu bytes: %.2f ms\n", n / 8, small, n, big);
	CHECK(big < 30 * small + 1.0);
	CHECK(big < 5000.0);
	free(text);
	tokenizer_free(t);
}

int main(void)
{
	RUN(tinystories_encode_source_md);
	RUN(tinystories_metadata);
	RUN(tinystories_decode_greedy);
	RUN(tinystories_encode_of_decode);
	RUN(tinystories_unknown_chars_fuse);
	RUN(tinystories_special_tokens_in_text);
	RUN(stories260k_source_md);
	RUN(decode_nul_byte_keeps_length);
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
	RUN(load_errors_name_the_file);
	RUN(sequence_errors_name_the_step);
	RUN(post_processor_sequence_wraps_in_order);
	RUN(encode_rejects_bad_input);
	RUN(concurrent_encode_matches_serial);
	RUN(long_text_encodes_in_near_linear_time);
	END_TESTS();
}
