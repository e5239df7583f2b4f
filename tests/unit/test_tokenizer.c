/*
 * test_tokenizer.c: engine/tokenizer against known ids and text.
 *
 * SentencePiece-style BPE is checked on the two shared TinyStories models (ids from
 * their SOURCE.md); then the errors a bad tokenizer.json gets, and encoding from many
 * threads at once. The byte-level and Metaspace layouts are in test_tokenizer_layouts.c.
 * Run from the repository root; the shared models come from $SHARED (../shared).
 * Tests never write anywhere.
 */
#include "engine/tokenizer/tokenizer.h"

#include <pthread.h>
#include <time.h>

#include "tests/unit/check.h"
#include "tests/unit/tokenizer_check.h"

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
	RUN(load_errors_name_the_file);
	RUN(sequence_errors_name_the_step);
	RUN(post_processor_sequence_wraps_in_order);
	RUN(encode_rejects_bad_input);
	RUN(concurrent_encode_matches_serial);
	RUN(long_text_encodes_in_near_linear_time);
	END_TESTS();
}
