/*
 * test_model.c: the engine against the reference values of the shared trained models
 * (tinystories-656k and stories260k SOURCE.md, from an independent float64 forward), and
 * the consistency of its paths on them: KV-cached decoding vs full sequences, batched vs
 * single log-likelihoods, rolling windows vs hand-made windows, training loss vs NLL.
 * Tolerance: 1e-4 plus 5e-5 for the references' 4-decimal rounding. Prints maxdiff.
 * Reads ../shared (SHARED); never writes anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/loglik.h"
#include "engine/model/model.h"
#include "engine/model/model_internal.h"
#include "engine/model/model_ops.h"
#include "engine/model/session.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/unit/check.h"

#define REF_TOL 1.5e-4

static const int GREEDY32[32] = {147, 201, 282, 215, 286, 598, 1662, 356, 499, 826, 1363,
				 1145, 1652, 615, 242, 1482, 951, 628, 499, 826, 872, 921,
				 318, 385, 628, 499, 826, 617, 242, 198, 1047, 425};

static struct model *load_shared(const char *name)
{
	char dir[1024];
	struct bb_error err = {0};
	struct model *m = NULL;
	snprintf(dir, sizeof dir, "%s/models/%s", shared_dir(), name);
	if (model_load(&m, dir, NULL, &err))
		fprintf(stderr, "  load %s: %s\n", name, err.msg);
	return m;
}

/* The k largest entries of x (n), best first. */
static void top_k(const float *x, int n, int k, int *idx)
{
	for (int j = 0; j < k; j++) {
		int best = -1;
		for (int i = 0; i < n; i++) {
			bool taken = false;
			for (int t = 0; t < j; t++)
				taken |= idx[t] == i;
			if (!taken && (best < 0 || x[i] > x[best]))
				best = i;
		}
		idx[j] = best;
	}
}

/* Check the top 5 logits of row against (ids, values); returns the max value diff. */
static double check_top5(const float *row, int V, const int *ids, const double *vals)
{
	int idx[5];
	double maxdiff = 0;
	top_k(row, V, 5, idx);
	for (int j = 0; j < 5; j++) {
		CHECK(idx[j] == ids[j]);
		double d = fabs(row[ids[j]] - vals[j]);
		maxdiff = d > maxdiff ? d : maxdiff;
		CHECK_NEAR(row[ids[j]], vals[j], REF_TOL);
	}
	return maxdiff;
}

TEST(model_should_match_tinystories_logits_at_step0)
{
	struct model *m = load_shared("tinystories-656k");
	CHECK(m != NULL);
	if (!m)
		return;
	const int ids[5] = {147, 429, 1166, 299, 875};
	const double vals[5] = {14.7817, 12.9551, 10.1302, 9.9054, 9.8035};
	float *logits = malloc(2048 * sizeof(float));
	int bos = 1;
	struct bb_error err = {0};
	CHECK(model_logits(m, &bos, 1, logits, &err) == 0);
	printf("  tinystories step-0 top-5 maxdiff %.2e\n", check_top5(logits, 2048, ids, vals));
	free(logits);
	model_free(m);
}

TEST(model_should_match_tinystories_logits_after_prompt)
{
	struct model *m = load_shared("tinystories-656k");
	CHECK(m != NULL);
	if (!m)
		return;
	const int prompt[6] = {1, 80, 147, 201, 282, 57};
	const int ids[5] = {313, 8, 1773, 404, 547};
	const double vals[5] = {17.3808, 13.7726, 13.7435, 12.6918, 11.3585};
	float *logits = malloc(6 * 2048 * sizeof(float));
	struct bb_error err = {0};
	CHECK(model_logits(m, prompt, 6, logits, &err) == 0);
	printf("  tinystories prompt top-5 maxdiff %.2e\n",
	       check_top5(logits + 5 * 2048, 2048, ids, vals));
	const int next20[20] = {313, 598, 303, 1049, 1468, 267, 628, 333, 94, 1210,
				263, 251, 604, 94, 1030, 94, 1030, 94, 436, 220};
	int out[20], n = 0;
	CHECK(model_generate(m, prompt, 6, 20, -1, out, &n, &err) == 0);
	CHECK(n == 20 && memcmp(out, next20, sizeof next20) == 0);
	free(logits);
	model_free(m);
}

TEST(model_should_generate_tinystories_greedy_ids_and_nll)
{
	struct model *m = load_shared("tinystories-656k");
	CHECK(m != NULL);
	if (!m)
		return;
	int bos = 1, out[32], n = 0, seq[33] = {1};
	struct bb_error err = {0};
	CHECK(model_generate(m, &bos, 1, 32, -1, out, &n, &err) == 0);
	CHECK(n == 32 && memcmp(out, GREEDY32, sizeof GREEDY32) == 0);
	char dir[1024], *text = NULL;
	struct tokenizer *tok = NULL;
	snprintf(dir, sizeof dir, "%s/models/tinystories-656k", shared_dir());
	CHECK(tokenizer_load(&tok, dir, &err) == 0);
	CHECK(tok && tokenizer_decode(tok, GREEDY32, 32, &text, &err) == 0);
	CHECK(text && strncmp(text, "Once upon a time, there was a little girl named Lily.", 53) == 0);
	free(text);
	tokenizer_free(tok);
	double lp = 0, loss = 0;
	bool greedy = false;
	CHECK(model_loglik(m, &bos, 1, GREEDY32, 32, &lp, &greedy, &err) == 0);
	CHECK(greedy);
	CHECK_NEAR(-lp / 32, 1.0570, REF_TOL);
	memcpy(seq + 1, GREEDY32, sizeof GREEDY32);
	CHECK(model_train_step(m, seq, 1, 33, NULL, false, &loss, &err) == 0);
	CHECK_NEAR(loss, -lp / 32, 1e-5);
	printf("  tinystories greedy NLL %.6f (ref 1.0570), training loss %.6f\n", -lp / 32, loss);
	model_free(m);
}

TEST(model_should_match_stories260k_logprobs_and_text)
{
	struct model *m = load_shared("stories260k");
	CHECK(m != NULL);
	if (!m)
		return;
	const int prompt[4] = {1, 410, 469, 347}, ids[5] = {286, 464, 410, 431, 269};
	const double want[5] = {-1.5853, -2.1038, -2.1232, -2.6762, -3.1232};
	float *logits = malloc(4 * 512 * sizeof(float));
	struct bb_error err = {0};
	double maxdiff = 0;
	CHECK(model_logits(m, prompt, 4, logits, &err) == 0);
	for (int j = 0; j < 5; j++) {
		double lp = token_logprob(logits + 3 * 512, 512, ids[j], NULL);
		CHECK_NEAR(lp, want[j], REF_TOL);
		maxdiff = fabs(lp - want[j]) > maxdiff ? fabs(lp - want[j]) : maxdiff;
	}
	printf("  stories260k log-prob maxdiff %.2e\n", maxdiff);

	char dir[1024], *text = NULL;
	struct tokenizer *tok = NULL;
	int out[64], n = 0, all[68];
	snprintf(dir, sizeof dir, "%s/models/stories260k", shared_dir());
	CHECK(tokenizer_load(&tok, dir, &err) == 0);
	CHECK(model_generate(m, prompt, 4, 64, 2, out, &n, &err) == 0);
	memcpy(all, prompt, sizeof prompt);
	memcpy(all + 4, out, (size_t)n * sizeof(int));
	if (tok && tokenizer_decode_ex(tok, all, 4 + n, TOKENIZER_SKIP_SPECIAL, &text, NULL,
				       &err) == 0) {
		const char *want_text = "Zoo was a little girl named Lily. She loved to play "
					"outside in the park. One day, she saw a big, red ball.";
		CHECK(strncmp(text, want_text, strlen(want_text)) == 0);
		printf("  stories260k: %.100s\n", text);
	}
	free(text);
	tokenizer_free(tok);
	free(logits);
	model_free(m);
}

TEST(model_should_decode_incrementally_like_the_full_sequence)
{
	struct model *m = load_shared("tinystories-656k");
	CHECK(m != NULL);
	if (!m)
		return;
	int seq[33] = {1}, V = 2048;
	memcpy(seq + 1, GREEDY32, sizeof GREEDY32);
	float *full = malloc(33 * (size_t)V * sizeof(float)), *step = malloc((size_t)V * sizeof(float));
	struct model_session *s = NULL;
	struct bb_error err = {0};
	double maxdiff = 0;
	CHECK(model_logits(m, seq, 33, full, &err) == 0);
	CHECK(model_session_new(&s, m, 33, &err) == 0);
	CHECK(model_session_feed(s, seq, 5, step, &err) == 0); /* a chunk, then one by one */
	for (int t = 4; t < 33; t++) {
		if (t > 4)
			CHECK(model_session_feed(s, seq + t, 1, step, &err) == 0);
		for (int j = 0; j < V; j++)
			maxdiff = fmax(maxdiff, fabs(step[j] - full[(size_t)t * V + j]));
	}
	CHECK(maxdiff < 1e-4);
	CHECK(model_session_feed(s, seq, 1, step, &err) == BB_EINVAL); /* full */
	printf("  incremental vs full logits maxdiff %.2e\n", maxdiff);
	model_session_free(s);
	free(full);
	free(step);
	model_free(m);
}

TEST(model_should_batch_logliks_like_single_requests)
{
	struct model *m = load_shared("tinystories-656k");
	CHECK(m != NULL);
	if (!m)
		return;
	struct loglik_request r[3] = {
		{.ctx = (const int[]){1}, .n_ctx = 1, .cont = GREEDY32, .n_cont = 32},
		{.ctx = (const int[]){1, 80, 147}, .n_ctx = 3, .cont = (const int[]){201, 282}, .n_cont = 2},
		{.ctx = GREEDY32, .n_ctx = 10, .cont = GREEDY32 + 10, .n_cont = 5},
	};
	struct bb_error err = {0};
	double maxdiff = 0;
	CHECK(model_loglik_batch(m, r, 3, &err) == 0);
	for (int i = 0; i < 3; i++) {
		double lp;
		bool g;
		CHECK(model_loglik(m, r[i].ctx, r[i].n_ctx, r[i].cont, r[i].n_cont, &lp, &g, &err) == 0);
		maxdiff = fmax(maxdiff, fabs(lp - r[i].logprob));
		CHECK(g == r[i].is_greedy);
	}
	CHECK(r[0].is_greedy && r[1].is_greedy);
	CHECK(maxdiff < 1e-4);
	printf("  batched vs single loglik maxdiff %.2e\n", maxdiff);
	CHECK(model_loglik(m, r[0].ctx, 0, GREEDY32, 3, &maxdiff, NULL, &err) == BB_EINVAL);
	CHECK(model_loglik(m, r[0].ctx, 1, GREEDY32, 0, &maxdiff, NULL, &err) == BB_EINVAL);
	model_free(m);
}

/* Sum of log p(ids[t] | input[..]) over the rows of one hand-made window. */
static double window_logprob(const struct model *m, const int *input, int n_in,
			     const int *targets, int n_tgt)
{
	float *logits = malloc((size_t)n_in * m->V * sizeof(float));
	struct bb_error err = {0};
	double lp = 0;
	CHECK(model_logits(m, input, n_in, logits, &err) == 0);
	for (int t = 0; t < n_tgt; t++)
		lp += token_logprob(logits + (size_t)(n_in - n_tgt + t) * m->V, m->V, targets[t], NULL);
	free(logits);
	return lp;
}

TEST(model_should_roll_windows_like_lm_eval)
{
	struct model *m = load_shared("stories260k");
	CHECK(m != NULL);
	if (!m)
		return;
	int L = model_max_length(m), n = 2 * L + 100, *ids = malloc((size_t)n * sizeof(int));
	for (int i = 0; i < n; i++)
		ids[i] = GREEDY32[i % 32] % 512;
	/* Windows for context_len 1: [BOS]+ids[0:L-1] -> ids[0:L]; ids[L-1:2L-1] -> ids[L:2L];
	 * then the last L inputs before n predict the last 100. */
	int *first = malloc((size_t)L * sizeof(int));
	first[0] = 1;
	memcpy(first + 1, ids, (size_t)(L - 1) * sizeof(int));
	double want = window_logprob(m, first, L, ids, L) +
		      window_logprob(m, ids + L - 1, L, ids + L, L) +
		      window_logprob(m, ids + n - L - 1, L, ids + 2 * L, 100);
	double got = 0, short_lp = 0;
	struct bb_error err = {0};
	CHECK(model_loglik_rolling(m, ids, n, 1, &got, &err) == 0);
	CHECK_NEAR(got, want, 1e-3);
	printf("  rolling %d tokens: %.4f vs hand-made windows %.4f\n", n, got, want);
	CHECK(model_loglik_rolling(m, ids, 20, 1, &short_lp, &err) == 0);
	CHECK_NEAR(short_lp, window_logprob(m, first, 20, ids, 20), 1e-4);
	free(first);
	free(ids);
	model_free(m);
}

int main(void)
{
	RUN(model_should_match_tinystories_logits_at_step0);
	RUN(model_should_match_tinystories_logits_after_prompt);
	RUN(model_should_generate_tinystories_greedy_ids_and_nll);
	RUN(model_should_match_stories260k_logprobs_and_text);
	RUN(model_should_decode_incrementally_like_the_full_sequence);
	RUN(model_should_batch_logliks_like_single_requests);
	RUN(model_should_roll_windows_like_lm_eval);
	END_TESTS();
}
