/*
 * model.h: a Llama-family causal LM (Llama 2/3, Mistral, Qwen2, Qwen3) run on the CPU in
 * float32, with per-layer fake quantization, and what evaluation and planning ask of it:
 * greedy generation, lm-eval style log-likelihoods and DeltaLoss layer sensitivities.
 *
 * Weights are held once, as float32, and activations stay float32 (Hugging Face in bf16
 * rounds them; the difference is bf16 noise). A loaded model is read-only: every function
 * taking a const struct model * may run from several threads at once; each call allocates
 * its workspace once, never per token. model_scores is the exception: it swaps weights in
 * place while it runs. A session belongs to one thread at a time.
 * Never prints, never exits: failures return a negative enum bb_err with one line in err.
 */
#ifndef BB_MODEL_H
#define BB_MODEL_H

#include <signal.h>
#include <stdbool.h>

#include <cJSON.h>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"

struct model;

// ---- loading ----

/* Load the checkpoint folder dir: every tensor is checked against config.json (a mismatch
 * names the tensor) and converted once to float32. Activation formats come from
 * override if not NULL, else from config.json's "quantization_config" recipe, else none:
 * an MX layer fake-quantizes each token of its input in blocks of 32 before the matmul.
 * override's weight formats are also applied to the weights (quantize-dequantize, then
 * rounded through the stored dtype), so an original checkpoint evaluates as quantized.
 * On success *out owns everything (free with model_free); on failure *out is NULL. */
int model_load(struct model **out, const char *dir, const struct recipe *override,
	       struct bb_error *err);
void model_free(struct model *m);

const struct model_config *model_config(const struct model *m);

struct tokenizer;
/* What a command or the endpoint opens: model_load on dir with the recipe file at
 * recipe_path (NULL for none) as override, and dir's tokenizer (tok may be NULL when no
 * text is involved). On failure nothing is left allocated and *m, *tok are NULL. */
int model_open(struct model **m, struct tokenizer **tok, const char *dir,
	       const char *recipe_path, struct bb_error *err);

/* Longest sequence the model runs: max_position_embeddings, or the sliding window when
 * smaller (Mistral; Qwen with use_sliding_window), so attention is always exact.
 * lm-eval's max_length. */
int model_max_length(const struct model *m);

// ---- forward ----

/* Logits of every position of one sequence: logits (n, vocab). 1 <= n <= max length. */
int model_logits(const struct model *m, const int *ids, int n, float *logits,
		 struct bb_error *err);

/* An incremental decoder: a KV cache for up to capacity tokens of one sequence. */
struct model_session;
int model_session_new(struct model_session **out, const struct model *m, int capacity,
		      struct bb_error *err);
/* Append n tokens; if logits is not NULL it receives the last token's logits (vocab).
 * Past the capacity is an error and leaves the session unchanged. */
int model_session_feed(struct model_session *s, const int *ids, int n, float *logits,
		       struct bb_error *err);
void model_session_free(struct model_session *s);

/* Greedy decoding: up to max_new tokens after prompt (n_prompt >= 1), stopping after
 * stop_id (pass -1 for none). out (max_new) receives the new tokens, *n_out their count. */
int model_generate(const struct model *m, const int *prompt, int n_prompt, int max_new,
		   int stop_id, int *out, int *n_out, struct bb_error *err);

// ---- log-likelihood (lm-eval semantics) ----

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

// ---- layer sensitivity scores ----

enum score_method {
	SCORE_DELTALOSS, /* AutoRound's first-order |dL| estimate from calibration data */
	SCORE_PROXY      /* data-free: sum (W - Q(W))^2 of each weight, a cheap stand-in */
};

/* Called after each calibration batch: option index, batch index, batch count and that
 * batch's mean cross-entropy on the option-quantized model. */
typedef void (*score_progress_fn)(void *ctx, int option, int batch, int n_batches,
				  double loss);

struct score_config {
	enum score_method method;
	int n_options;
	struct format options[RECIPE_MAX_OPTIONS];
	int batch;                   /* sequences per forward+backward (AutoRound: 8) */
	score_progress_fn progress;  /* may be NULL */
	void *progress_ctx;
	volatile sig_atomic_t *cancel; /* may be NULL; when it becomes non-zero, the scoring stops
				      * after the batch in progress with "cancelled" */
};

struct layer_score {
	char name[128];              /* "model.layers.3.mlp.up_proj" */
	int block;
	enum layer_kind kind;
	int64_t out, in;
	bool fixed;                  /* some option does not fit in_features: kept unquantized
				      * in every pass and not scored */
	double score[RECIPE_MAX_OPTIONS];
};

struct score_result {
	int n_layers;                /* every Linear of the blocks, execution order */
	struct layer_score *layers;
	double loss[RECIPE_MAX_OPTIONS]; /* DeltaLoss: mean calibration loss per option */
};

/* Score every budget layer (the Linears of the decoder blocks) for every option.
 * DeltaLoss, per non-BF16 option k: every non-fixed layer gets k (weights through
 * quantize-dequantize, MX inputs fake-quantized), then forward + backward of the mean
 * causal-LM cross-entropy over batches of tokens (nseq, seqlen) (labels = ids shifted),
 * summing over batches, in double:
 *   act score    sum |dL/dQ(x) * (x - Q(x))|    (MX options)
 *   weight score sum |dL/dQ(W) * (W - Q(W))|    (only when some option is weight-only)
 * BF16 scores 0. Proxy ignores tokens (may be NULL). res is filled (free with
 * score_result_free); the model's weights are restored before returning. */
int model_scores(struct model *m, const struct score_config *cfg, const int *tokens,
		 int nseq, int seqlen, struct score_result *res, struct bb_error *err);
void score_result_free(struct score_result *res);

/* Add the scores file's body to root: "fixed" (layers no option fits) and "scores"
 * ({layer: {option: score}}), as core/scores.h reads it. */
void score_result_add_json(cJSON *root, const struct score_result *res,
			   const struct format *options, int n_options);

#endif
