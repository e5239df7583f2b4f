/*
 * loglik.h: log-likelihoods as lm-eval computes them (loglik.c): a continuation given its
 * context, many requests packed into forward passes, and a whole text in rolling windows.
 *
 * Read-only on the model, safe from several threads at once. Never prints, never exits:
 * failures return a negative enum bb_err with one line in err.
 */
#ifndef BB_MODEL_LOGLIK_H
#define BB_MODEL_LOGLIK_H

#include <stdbool.h>

#include "core/error.h"
#include "engine/model/model.h"

/* Sum of log-softmax of the continuation tokens given the context, and whether each
 * continuation token is the argmax at its position. The model is fed ctx + cont; when
 * that exceeds max_length + 1 tokens the oldest context tokens are dropped, as lm-eval
 * does ((ctx + cont)[-(max_length + 1):][:-1]). Errors: n_ctx < 1 (pass the BOS/prefix
 * token for an empty context, as lm-eval does), n_cont < 1, n_cont > max_length, or a
 * token id outside the vocabulary. */
int model_loglik(const struct model *m, const int *ctx, int n_ctx, const int *cont,
		 int n_cont, double *logprob, bool *is_greedy, struct bb_error *err);

struct loglik_request {
	const int *ctx;
	int n_ctx;
	const int *cont;
	int n_cont;
	double logprob;  /* out */
	bool is_greedy;  /* out */
};

/* model_loglik over many requests, packed several to a forward pass. Validates every
 * request before running any; the error names the request index. */
int model_loglik_batch(const struct model *m, struct loglik_request *reqs, int n,
		       struct bb_error *err);

/* Summed log-probability of every token of ids (n >= 1) under lm-eval's rolling windows
 * (get_rolling_token_windows with max_seq_len = max_length, context_len = 1): the first
 * window predicts ids[0..] from prefix_id (BOS, or EOS when there is none), later windows
 * of max_length tokens predict only the tokens not yet scored. Perplexity is
 * exp(-logprob / n); bits per byte is -logprob / (bytes * ln 2). */
int model_loglik_rolling(const struct model *m, const int *ids, int n, int prefix_id,
			 double *logprob, struct bb_error *err);

#endif
