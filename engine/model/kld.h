/*
 * kld.h: how far a quantized model's next-token distributions are from the unquantized
 * model's over a text: per position KL(P_ref || P_q) over the whole vocabulary, whether
 * the top token is the same and the log-probability of the actual next token under each;
 * then their summary per document and overall (docs/statistics.md, "KL divergence").
 *
 * The reference side (the unquantized model's logits at every measured position) is
 * computed once per (model, token ids, context) and kept in a file under a content key
 * (docs/formats.md, "KLD reference"), so each recipe costs one forward pass, not two.
 * Positions follow lm-eval's rolling windows, as model_loglik_rolling: every token of a
 * document is predicted exactly once, the first from the prefix token alone.
 * Never prints, never exits; the passes report progress through a callback.
 */
#ifndef BB_KLD_H
#define BB_KLD_H

#include <stdbool.h>

#include "core/error.h"
#include "core/hash.h"
#include "engine/model/model.h"

// ---- one position ----

struct kld_position {
	double kld;          /* KL(P_ref || P_q) in nats, >= 0 */
	double ref_logprob;  /* log P_ref(next token) */
	double q_logprob;    /* log P_q(next token) */
	bool same_top;       /* the two argmaxes are the same token (the first on ties) */
};

/* Compare two logit rows (V) predicting the token next. Log-softmax in double, each side
 * shifted by its maximum (log-sum-exp), so no logit overflows; equal rows give exactly 0. */
void kld_compare(const float *ref_logits, const float *q_logits, int V, int next,
		 struct kld_position *out);

// ---- summaries ----

struct kld_summary {
	long n_tokens;
	double mean_kld;
	double se_kld;            /* sd / sqrt(n) over tokens, as if they were independent */
	double se_kld_documents;  /* cluster standard error, documents as clusters; NAN with
				   * fewer than 2 documents */
	double median_kld, p90_kld, p99_kld, max_kld;
	double top1_agreement;    /* fraction of positions with the same top token */
	double ref_perplexity;    /* exp(-mean ref_logprob) over the same next tokens */
	double perplexity;        /* exp(-mean q_logprob) */
	double perplexity_ratio;  /* perplexity / ref_perplexity */
	double mean_delta_logprob; /* mean (q_logprob - ref_logprob) */
};

/* The p-quantile (0 <= p <= 1) of sorted values x (n >= 1), interpolated linearly between
 * the closest ranks (numpy's default, "linear"): h = (n - 1) p, x[floor h] + (h - floor h)
 * (x[floor h + 1] - x[floor h]). */
double kld_percentile(const double *sorted, long n, double p);

/* Summarize positions pos (n >= 1). doc_start (n_docs + 1 offsets into pos, doc_start[0]
 * = 0, doc_start[n_docs] = n) gives the documents for the cluster standard error; NULL
 * means one document. Fails only when out of memory (the percentiles sort a copy). */
int kld_summarize(const struct kld_position *pos, long n, const long *doc_start, int n_docs,
		  struct kld_summary *s, struct bb_error *err);

// ---- the text and its positions ----

struct kld_text {
	int n_docs;
	int *const *ids;   /* (n_docs) token ids of each document, without the prefix */
	const int *n_ids;  /* (n_docs) each >= 1 */
	int prefix_id;     /* BOS, else EOS: what each document's first window starts from */
	int context;       /* window length (lm-eval's max_length), 1 .. model_max_length */
};

/* Positions measured: every token of every document, once. */
long kld_text_positions(const struct kld_text *t);

/* Called after each window of a pass: positions done so far, and the total. */
typedef void (*kld_progress_fn)(void *ctx, long done, long total);

// ---- the reference file (docs/formats.md) ----

/* The reference's content key: SHA-256 of the model's identity (core/hash.h
 * checkpoint_identity), the token ids of every document with the prefix (so the text and
 * the tokenizer as far as they matter), the context, the file's schema and the bitbudget
 * version (the engine's arithmetic). */
void kld_reference_key(const char *model_id, const struct kld_text *t, char *hex);

/* Run ref over t and write every position's logits to path atomically, headed by key.
 * Non-finite logits are an error (the forward pass broke), and no file is left. */
int kld_reference_write(const struct model *ref, const struct kld_text *t, const char *key,
			const char *path, kld_progress_fn progress, void *progress_ctx,
			struct bb_error *err);

struct kld_reference;

/* Map a reference file and check it strictly: magic, schema, key, vocabulary, position
 * count, exact size and the data's SHA-256. Any mismatch is an error naming path. */
int kld_reference_open(struct kld_reference **out, const char *path, const char *key,
		       long n_positions, int V, struct bb_error *err);
void kld_reference_close(struct kld_reference *r);

/* Run q over t and compare each position with the reference: out (kld_text_positions)
 * in document order. The reference must have been opened for t and q's vocabulary. */
int kld_measure(const struct model *q, const struct kld_text *t,
		const struct kld_reference *ref, struct kld_position *out,
		kld_progress_fn progress, void *progress_ctx, struct bb_error *err);

#endif
