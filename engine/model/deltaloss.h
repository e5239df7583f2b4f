/*
 * deltaloss.h: per-layer, per-option sensitivity scores for the bit allocator
 * (deltaloss.c): AutoRound's DeltaLoss from calibration text, or a data-free proxy, and
 * the body of a scores file.
 *
 * model_scores swaps weights in place while it runs: the model must not be shared during
 * it. Never prints, never exits: failures return a negative enum bb_err with one line in
 * err.
 */
#ifndef BB_MODEL_DELTALOSS_H
#define BB_MODEL_DELTALOSS_H

#include <signal.h>
#include <stdbool.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"
#include "engine/model/model.h"

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
