/*
 * quantize.h: write a fake-quantized copy of a checkpoint.
 *
 * Every budget weight the recipe assigns a format is replaced by its quantize-dequantize
 * values in its own dtype; every other tensor, the safetensors headers and the shard
 * layout are copied byte for byte; other files in the folder are copied; config.json
 * gains "quantization_config" (the recipe) so an evaluator knows which activations to
 * quantize. Everything is written into a temporary folder beside the destination and
 * renamed into place at the end: a failed or cancelled run leaves nothing under out_dir.
 * Never prints, never exits.
 */
#ifndef BB_QUANTIZE_H
#define BB_QUANTIZE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/checkpoint.h"
#include "core/recipe.h"

struct quantize_opts {
	int threads;                          /* 0: OpenMP's default */
	volatile sig_atomic_t *cancel;        /* checked between work units; may be NULL */
	void (*progress)(void *ctx, uint64_t done_bytes, uint64_t total_bytes);
	void *progress_ctx;                   /* progress is called from one thread only */
	bool nonfinite_passthrough;           /* false: a NaN or Inf in a quantized weight is an
					       * error naming the tensor and the first bad flat
					       * index; true: quantized as the arithmetic does
					       * (docs/formats.md, "Non-finite weights") */
};

/* Check a recipe against the inventory: every layer exactly once, no unknown layers, and
 * no format a layer's in_features cannot take. */
int recipe_check_layers(const struct recipe *r, const struct inventory *inv,
			struct bb_error *err);

int quantize_checkpoint(const struct checkpoint *ck, const struct inventory *inv,
			const struct recipe *r, const char *out_dir,
			const struct quantize_opts *opts, struct bb_error *err);

#endif
