/*
 * model.h: a Llama-family causal LM (Llama 2/3, Mistral, Qwen2, Qwen3) run on the CPU in
 * float32, with per-layer fake quantization: loading the weights and the forward pass.
 * What evaluation and planning ask of it has a header each beside it: session.h (greedy
 * generation), loglik.h (lm-eval style log-likelihoods), deltaloss.h (DeltaLoss layer
 * sensitivities).
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

#include "core/checkpoint.h"
#include "core/error.h"
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

#endif
