/*
 * test_kld.c: the KLD measures (engine/model/kld.h) against independent computations: a float64
 * brute force written the other way round (probabilities first, then the sum of p log p/q),
 * a three-token case worked out by hand, a model against itself (0 exactly), mirror-image
 * distributions (KL(P||Q) = KL(Q||P)), percentiles and standard errors of hand-made lists,
 * and on the shared tinystories-656k model against its MXFP4 self: the reference file and
 * both passes against logits taken from model_logits over windows written out by hand.
 * Writes only inside its own mkdtemp folder.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/formats.h"
#include "core/recipe.h"
#include "engine/model/kld.h"
#include "engine/model/loglik.h"
#include "engine/model/model.h"
#include "engine/model/overlap.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/unit/check.h"

// ---- an independent float64 KL: softmax into probabilities, then sum p log(p / q) ----

static void softmax64(const float *logits, int V, double *p)
{
	double mx = -INFINITY, z = 0;
	for (int j = 0; j < V; j++)
		mx = fmax(mx, logits[j]);
	for (int j = 0; j < V; j++)
		z += (p[j] = exp((double)logits[j] - mx));
	for (int j = 0; j < V; j++)
		p[j] /= z;
}

static double brute_kl(const float *ref, const float *q, int V)
{
	double *p = malloc((size_t)V * sizeof *p), *r = malloc((size_t)V * sizeof *r), kl = 0;
	softmax64(ref, V, p);
	softmax64(q, V, r);
	for (int j = V - 1; j >= 0; j--) /* the other order, on purpose */
		kl += p[j] > 0 ? p[j] * log(p[j] / r[j]) : 0;
	free(p);
	free(r);
	return kl;
}

static void random_logits(float *x, int V, unsigned seed, double scale)
{
	srand(seed);
	for (int j = 0; j < V; j++)
		x[j] = (float)(scale * ((double)rand() / RAND_MAX - 0.5));
}

TEST(kld_should_equal_a_float64_brute_force)
{
	enum { V = 1000 };
	float a[V], b[V];
	double maxdiff = 0;
	for (unsigned s = 1; s <= 20; s++) {
		random_logits(a, V, s, 12);
		random_logits(b, V, s + 100, 12);
		struct kld_position pos;
		kld_compare(a, b, V, 7, &pos);
		double want = brute_kl(a, b, V);
		maxdiff = fmax(maxdiff, fabs(pos.kld - want) / want);
		double p[V];
		softmax64(a, V, p);
		CHECK_NEAR(pos.ref_logprob, log(p[7]), 1e-12);
	}
	printf("  brute force relative maxdiff %.2e\n", maxdiff);
	CHECK(maxdiff < 1e-12);
}

/* Logits (0, 0, ln 2) give P = (1/4, 1/4, 1/2); (0, 0, 0) give Q = (1/3, 1/3, 1/3).
 * KL(P||Q) = 2 * 1/4 ln(3/4) + 1/2 ln(3/2) = 1/2 ln(9/8) = 0.058891517...
 * Next token 2: log P = ln(1/2) = -0.693147..., log Q = ln(1/3) = -1.098612...
 * Top tokens: P's is 2, Q's is 0 (the first of a tie), so not the same.
 * (ln 2 is rounded to float: 1e-8 off, hence the tolerance.) */
TEST(kld_should_match_a_small_vocabulary_worked_by_hand)
{
	float ref[3] = {0, 0, (float)log(2.0)}, q[3] = {0, 0, 0};
	struct kld_position pos;
	kld_compare(ref, q, 3, 2, &pos);
	CHECK_NEAR(pos.kld, 0.0588915178, 1e-8);
	CHECK_NEAR(pos.ref_logprob, -0.6931471806, 1e-7);
	CHECK_NEAR(pos.q_logprob, -1.0986122887, 1e-7);
	CHECK(!pos.same_top);
	kld_compare(q, ref, 3, 0, &pos); /* KL(Q||P) = 2/3 ln(4/3) + 1/3 ln(2/3) = 0.0566330... */
	CHECK_NEAR(pos.kld, 2.0 / 3 * log(4.0 / 3) + 1.0 / 3 * log(2.0 / 3), 1e-8);
	CHECK_NEAR(pos.kld, 0.0566330123, 1e-8);
}

TEST(kld_of_a_distribution_against_itself_should_be_zero)
{
	enum { V = 4096 };
	static float a[V];
	random_logits(a, V, 3, 40);
	struct kld_position pos;
	kld_compare(a, a, V, 11, &pos);
	CHECK(pos.kld == 0);
	CHECK(pos.same_top);
	CHECK(pos.ref_logprob == pos.q_logprob);
}

/* Q is P read backwards, so KL(P||Q) and KL(Q||P) are the same sum in another order. */
TEST(kld_of_mirror_images_should_be_symmetric)
{
	enum { V = 777 };
	float p[V], q[V];
	random_logits(p, V, 9, 10);
	for (int j = 0; j < V; j++)
		q[j] = p[V - 1 - j];
	struct kld_position pq, qp;
	kld_compare(p, q, V, 0, &pq);
	kld_compare(q, p, V, 0, &qp);
	printf("  KL(P||Q) %.17g, KL(Q||P) %.17g\n", pq.kld, qp.kld);
	CHECK(pq.kld > 0.1);
	CHECK_NEAR(pq.kld, qp.kld, 1e-15 * 8);
}

/* Logits near 1000 overflow exp() even in double (past 709); shifted by the maximum they
 * are the distributions of (0, -1, -2) and (0, 0, 0), exactly representable either way. */
TEST(kld_should_not_overflow_on_large_logits)
{
	float a[3] = {1000, 999, 998}, b[3] = {1000, 1000, 1000};
	float a0[3] = {0, -1, -2}, b0[3] = {0, 0, 0};
	struct kld_position pos;
	kld_compare(a, b, 3, 1, &pos);
	CHECK(isfinite(pos.kld) && isfinite(pos.ref_logprob));
	/* 1000 is exact, but a double near it has steps of 1.1e-13 */
	CHECK_NEAR(pos.kld, brute_kl(a0, b0, 3), 1e-12);
	CHECK_NEAR(pos.ref_logprob, -1 - log(1 + exp(-1.0) + exp(-2.0)), 1e-12);
	CHECK_NEAR(pos.q_logprob, -log(3.0), 1e-12);
}

// ---- summaries ----

/* 1..10: median h = 4.5 -> 5.5; p90 h = 8.1 -> 9.1; p99 h = 8.91 -> 9.91. */
TEST(percentiles_should_interpolate_between_closest_ranks)
{
	double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, one[1] = {4};
	CHECK_NEAR(kld_percentile(x, 10, 0.5), 5.5, 1e-12);
	CHECK_NEAR(kld_percentile(x, 10, 0.9), 9.1, 1e-12);
	CHECK_NEAR(kld_percentile(x, 10, 0.99), 9.91, 1e-12);
	CHECK(kld_percentile(x, 10, 0) == 1 && kld_percentile(x, 10, 1) == 10);
	CHECK(kld_percentile(one, 1, 0.5) == 4);
}

/* KLDs 10, 9, ..., 1 (unsorted on purpose) in documents {10, 9, 8, 7} and {6, ..., 1}.
 * mean 5.5; sd (n - 1) = sqrt(82.5 / 9) = 3.0276504, se = 0.9574271.
 * Cluster: S = 34 and 21, n = 4 and 6: e = 34 - 22 = 12, 21 - 33 = -12;
 * se = sqrt(2/1 * 288) / 10 = 2.4.
 * ref logprob -1 everywhere, q logprob -2: perplexities e and e^2, ratio e, delta -1.
 * Same top token at 7 of the 10 positions: 70%. */
TEST(summary_should_match_hand_computed_figures)
{
	struct kld_position pos[10];
	for (int i = 0; i < 10; i++)
		pos[i] = (struct kld_position){.kld = 10 - i, .ref_logprob = -1, .q_logprob = -2,
					       .same_top = i < 7};
	long docs[3] = {0, 4, 10};
	struct kld_summary s;
	struct bb_error err = {0};
	CHECK(kld_summarize(pos, 10, docs, 2, &s, &err) == 0);
	CHECK(s.n_tokens == 10);
	CHECK_NEAR(s.mean_kld, 5.5, 1e-12);
	CHECK_NEAR(s.se_kld, 0.9574271, 1e-7);
	CHECK_NEAR(s.se_kld_documents, 2.4, 1e-12);
	CHECK_NEAR(s.median_kld, 5.5, 1e-12);
	CHECK_NEAR(s.p90_kld, 9.1, 1e-12);
	CHECK_NEAR(s.max_kld, 10, 0);
	CHECK_NEAR(s.top1_agreement, 0.7, 1e-12);
	CHECK_NEAR(s.ref_perplexity, exp(1), 1e-12);
	CHECK_NEAR(s.perplexity, exp(2), 1e-12);
	CHECK_NEAR(s.perplexity_ratio, exp(1), 1e-12);
	CHECK_NEAR(s.mean_delta_logprob, -1, 1e-12);
	CHECK(kld_summarize(pos, 10, NULL, 1, &s, &err) == 0 && isnan(s.se_kld_documents));
}

// ---- the shared model against its MXFP4 self ----

static void mxfp4_recipe(struct recipe *r, int blocks)
{
	static const char *names[7] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
				       "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
				       "mlp.down_proj"};
	struct format f;
	format_parse(&f, "MXFP4", NULL);
	*r = (struct recipe){.n_layers = blocks * 7, .n_options = 1, .options = {f}};
	r->layers = calloc((size_t)r->n_layers, sizeof *r->layers);
	for (int i = 0; i < r->n_layers; i++) {
		snprintf(r->layers[i].name, sizeof r->layers[i].name, "model.layers.%d.%s", i / 7,
			 names[i % 7]);
		r->layers[i].weight = f;
		r->layers[i].act = f;
	}
}

struct fixture {
	struct model *ref, *q;
	struct tokenizer *tok;
	int *ids, n;
	char dir[64];
};

static const char STORY[] =
	"Once upon a time, there was a little girl named Lily. She loved to play in the park "
	"with her red ball. One day, the ball rolled under a big tree and Lily could not reach "
	"it. A kind dog came and pushed the ball back to her. Lily was very happy and said thank "
	"you to the dog.";

static int fixture_open(struct fixture *f)
{
	char model_dir[1024];
	struct bb_error err = {0};
	struct recipe r;
	memset(f, 0, sizeof *f);
	snprintf(model_dir, sizeof model_dir, "%s/models/tinystories-656k", shared_dir());
	snprintf(f->dir, sizeof f->dir, "/tmp/bb-test-kld.XXXXXX");
	mxfp4_recipe(&r, 2);
	int rc = model_open(&f->ref, &f->tok, model_dir, NULL, &err) ||
		 model_load(&f->q, model_dir, &r, &err) ||
		 tokenizer_encode(f->tok, STORY, strlen(STORY), 0, &f->ids, &f->n, &err) ||
		 !mkdtemp(f->dir);
	recipe_free(&r);
	if (rc)
		fprintf(stderr, "  fixture: %s\n", err.msg);
	return rc ? -1 : 0;
}

static void fixture_close(struct fixture *f)
{
	model_free(f->ref);
	model_free(f->q);
	tokenizer_free(f->tok);
	free(f->ids);
	check_remove_tree(f->dir);
}

/* Compare the positions of kld_measure with brute_kl over logits of the window
 * (input, n_input) whose last n_targets rows predict targets. Returns the max difference. */
static double check_window(const struct fixture *f, const struct kld_position *pos,
			   const int *input, int n_input, const int *targets, int n_targets)
{
	int V = 2048;
	float *lr = malloc((size_t)n_input * V * sizeof(float));
	float *lq = malloc((size_t)n_input * V * sizeof(float));
	struct bb_error err = {0};
	double maxdiff = 0;
	CHECK(model_logits(f->ref, input, n_input, lr, &err) == 0);
	CHECK(model_logits(f->q, input, n_input, lq, &err) == 0);
	for (int i = 0; i < n_targets; i++) {
		size_t row = (size_t)(n_input - n_targets + i) * V;
		double want = brute_kl(lr + row, lq + row, V), p[2048];
		maxdiff = fmax(maxdiff, fabs(pos[i].kld - want));
		softmax64(lq + row, V, p);
		maxdiff = fmax(maxdiff, fabs(pos[i].q_logprob - log(p[targets[i]])));
	}
	free(lr);
	free(lq);
	return maxdiff;
}

/* Context 16 over the story's first 40 tokens, the windows written out by hand:
 * [BOS] + ids[0..15) predicts ids[0..16); ids[15..31) predicts ids[16..32);
 * ids[23..39) predicts ids[32..40). */
TEST(kld_passes_should_equal_float64_over_hand_made_windows_on_the_shared_model)
{
	struct fixture f;
	if (fixture_open(&f)) {
		CHECK(!"fixture");
		return;
	}
	CHECK(f.n >= 40);
	int n = 40, *ids[1] = {f.ids}, n_ids[1] = {n}, bos = tokenizer_bos(f.tok);
	struct kld_text t = {.n_docs = 1, .ids = ids, .n_ids = n_ids, .prefix_id = bos,
			     .context = 16};
	char key[SHA256_HEX_LEN], path[128];
	struct bb_error err = {0};
	struct kld_reference *ref = NULL;
	struct kld_position pos[40];
	kld_reference_key("model-id", &t, key);
	snprintf(path, sizeof path, "%s/ref.bin", f.dir);
	CHECK(kld_reference_write(f.ref, &t, key, path, NULL, NULL, &err) == 0);
	CHECK(kld_reference_open(&ref, path, key, n, 2048, &err) == 0);
	CHECK(ref && kld_measure(f.q, &t, ref, pos, NULL, NULL, &err) == 0);
	int first[16] = {bos};
	memcpy(first + 1, f.ids, 15 * sizeof(int));
	double d = check_window(&f, pos, first, 16, f.ids, 16);
	d = fmax(d, check_window(&f, pos + 16, f.ids + 15, 16, f.ids + 16, 16));
	d = fmax(d, check_window(&f, pos + 32, f.ids + 23, 16, f.ids + 32, 8));
	/* The engine packs the three windows into one forward pass, the check runs each alone:
	 * float32 sums in another order move a logit by ~1e-6, and where that moves an MXFP4
	 * activation across a rounding boundary the quantized logits move by more. The
	 * arithmetic itself is checked to 1e-12 above. */
	printf("  MXFP4 against BF16, 40 tokens in 3 windows: maxdiff %.2e\n", d);
	CHECK(d < 1e-4);
	struct kld_summary s;
	CHECK(kld_summarize(pos, n, NULL, 1, &s, &err) == 0);
	printf("  mean KLD %.6f, top-1 %.1f%%, ppl %.4f -> %.4f\n", s.mean_kld,
	       100 * s.top1_agreement, s.ref_perplexity, s.perplexity);
	CHECK(s.mean_kld > 1e-4); /* the quantized model does differ */
	kld_reference_close(ref);
	fixture_close(&f);
}

/* With the model's whole length, the reference side's log-likelihood is lm-eval's rolling
 * one (model_loglik_rolling), and the model against its own file gives exactly 0. */
TEST(kld_self_should_be_zero_and_match_rolling_loglik_on_the_shared_model)
{
	struct fixture f;
	if (fixture_open(&f)) {
		CHECK(!"fixture");
		return;
	}
	int *ids[2] = {f.ids, f.ids + 10}, n_ids[2] = {10, f.n - 10};
	int bos = tokenizer_bos(f.tok);
	struct kld_text t = {.n_docs = 2, .ids = ids, .n_ids = n_ids, .prefix_id = bos,
			     .context = model_max_length(f.ref)};
	char key[SHA256_HEX_LEN], path[128];
	struct bb_error err = {0};
	struct kld_reference *ref = NULL;
	struct kld_position *pos = calloc((size_t)f.n, sizeof *pos);
	kld_reference_key("model-id", &t, key);
	snprintf(path, sizeof path, "%s/ref.bin", f.dir);
	CHECK(kld_reference_write(f.ref, &t, key, path, NULL, NULL, &err) == 0);
	CHECK(kld_reference_open(&ref, path, key, f.n, 2048, &err) == 0);
	CHECK(ref && kld_measure(f.ref, &t, ref, pos, NULL, NULL, &err) == 0);
	double lp = 0, want = 0, part;
	for (int i = 0; i < f.n; i++) {
		CHECK(pos[i].kld == 0 && pos[i].same_top);
		lp += pos[i].ref_logprob;
	}
	for (int d = 0; d < 2; d++) {
		CHECK(model_loglik_rolling(f.ref, ids[d], n_ids[d], bos, &part, &err) == 0);
		want += part;
	}
	printf("  summed log-probability %.9f, rolling loglik %.9f\n", lp, want);
	CHECK_NEAR(lp, want, 1e-5 * fabs(want));
	kld_reference_close(ref);
	free(pos);
	fixture_close(&f);
}

// ---- the reference file, strictly ----

static int reopen(const char *path, const char *key, long n, char *msg)
{
	struct bb_error err = {0};
	struct kld_reference *ref = NULL;
	int rc = kld_reference_open(&ref, path, key, n, 2048, &err);
	kld_reference_close(ref);
	snprintf(msg, sizeof err.msg, "%s", err.msg);
	return rc;
}

TEST(reference_file_should_refuse_truncated_foreign_and_corrupted_files)
{
	struct fixture f;
	if (fixture_open(&f)) {
		CHECK(!"fixture");
		return;
	}
	int n = 20, *ids[1] = {f.ids}, n_ids[1] = {n};
	struct kld_text t = {.n_docs = 1, .ids = ids, .n_ids = n_ids,
			     .prefix_id = tokenizer_bos(f.tok), .context = 512};
	char key[SHA256_HEX_LEN], other[SHA256_HEX_LEN], path[128], msg[sizeof((struct bb_error *)0)->msg];
	struct bb_error err = {0};
	kld_reference_key("model-id", &t, key);
	kld_reference_key("another-model", &t, other);
	CHECK(strcmp(key, other) != 0);
	t.context = 64; /* the key covers the context */
	kld_reference_key("model-id", &t, other);
	CHECK(strcmp(key, other) != 0);
	t.context = 512;
	snprintf(path, sizeof path, "%s/ref.bin", f.dir);
	CHECK(kld_reference_write(f.ref, &t, key, path, NULL, NULL, &err) == 0);
	CHECK(reopen(path, key, n, msg) == 0);
	CHECK(reopen(path, other, n, msg) != 0 && strstr(msg, path) && strstr(msg, "key"));
	CHECK(reopen(path, key, n + 1, msg) != 0 && strstr(msg, path));
	FILE *fp = fopen(path, "r+b");
	fseek(fp, 1000, SEEK_SET);
	fputc(fgetc(fp) ^ 1, fp); /* one bit of one logit */
	fclose(fp);
	CHECK(reopen(path, key, n, msg) != 0 && strstr(msg, path) && strstr(msg, "corrupted"));
	CHECK(truncate(path, 152 + 4L * 2048 * n - 4) == 0);
	CHECK(reopen(path, key, n, msg) != 0 && strstr(msg, path) && strstr(msg, "truncated"));
	fp = fopen(path, "wb");
	fputs("{\"not\": \"a reference\"}", fp);
	for (int i = 0; i < 200; i++) /* longer than the header, so the magic is what fails */
		fputc(' ', fp);
	fclose(fp);
	CHECK(reopen(path, key, n, msg) != 0 && strstr(msg, path) && strstr(msg, "magic"));
	fixture_close(&f);
}

// ---- overlap ----

/* Words "a b c d e" against "x b c d y b c d": 3-grams abc, bcd, cde against xbc, bcd,
 * cdy, dyb, ybc, bcd: one distinct shared (bcd, counted once). A second document "c d e"
 * adds nothing new, and "d e" + "f" in two documents makes no "d e f" across the end. */
TEST(overlap_should_count_distinct_shared_ngrams_within_documents)
{
	struct ngram_set a, b;
	struct bb_error err = {0};
	ngram_set_init(&a, 3);
	ngram_set_init(&b, 3);
	CHECK(ngram_add_words(&a, "a b c d e", 9, &err) == 0);
	CHECK(ngram_add_words(&a, "  c\td\n e ", 9, &err) == 0);
	CHECK(ngram_add_words(&a, "d e", 3, &err) == 0);
	CHECK(ngram_add_words(&b, "x b c d y b c d", 15, &err) == 0);
	CHECK(ngram_add_words(&b, "f", 1, &err) == 0);
	ngram_set_finish(&a);
	ngram_set_finish(&b);
	printf("  distinct 3-grams %ld and %ld\n", a.n, b.n);
	CHECK(a.n == 3 && b.n == 5);
	CHECK(ngram_shared(&a, &b) == 1 && ngram_shared(&b, &a) == 1);
	ngram_set_free(&b);
	ngram_set_init(&b, 3);
	CHECK(ngram_add_words(&b, "c d e f", 7, &err) == 0); /* cde shared, def not */
	ngram_set_finish(&b);
	CHECK(ngram_shared(&a, &b) == 1);
	ngram_set_free(&a);
	ngram_set_free(&b);
	int x[6] = {1, 2, 3, 4, 5, 6}, y[4] = {9, 3, 4, 5}, z[2] = {1, 2};
	ngram_set_init(&a, 3);
	ngram_set_init(&b, 3);
	CHECK(ngram_add_ids(&a, x, 6, &err) == 0 && ngram_add_ids(&b, y, 4, &err) == 0);
	CHECK(ngram_add_ids(&b, z, 2, &err) == 0); /* too short for a 3-gram */
	ngram_set_finish(&a);
	ngram_set_finish(&b);
	CHECK(a.n == 4 && b.n == 2 && ngram_shared(&a, &b) == 1); /* 3 4 5 */
	ngram_set_free(&a);
	ngram_set_free(&b);
}

int main(void)
{
	RUN(kld_should_equal_a_float64_brute_force);
	RUN(kld_should_match_a_small_vocabulary_worked_by_hand);
	RUN(kld_of_a_distribution_against_itself_should_be_zero);
	RUN(kld_of_mirror_images_should_be_symmetric);
	RUN(kld_should_not_overflow_on_large_logits);
	RUN(percentiles_should_interpolate_between_closest_ranks);
	RUN(summary_should_match_hand_computed_figures);
	RUN(kld_passes_should_equal_float64_over_hand_made_windows_on_the_shared_model);
	RUN(kld_self_should_be_zero_and_match_rolling_loglik_on_the_shared_model);
	RUN(reference_file_should_refuse_truncated_foreign_and_corrupted_files);
	RUN(overlap_should_count_distinct_shared_ngrams_within_documents);
	END_TESTS();
}
