/*
 * formats.h: the number formats a layer can be given, and their quantize-dequantize.
 *
 * Round to nearest, computed in float32, exactly as AutoRound's RTN path
 * (../shared/docs/autoround-autoscheme.md sections 2 and 3):
 *   MXFP4 (E2M1) / MXFP8 (E4M3): blocks of 32 along the last dimension, shared exponent
 *     floor(log2(amax)) - emax clamped to [-127, 127], saturation, round half to even;
 *   W<b>G<g>: integer, groups of g along the last dimension, fp16 scale; symmetric
 *     full-range by default (AutoRound's W4A16 preset), "-asym" for min/max + zero point;
 *   BF16: kept.
 * The same MX function quantizes activations per token along the hidden dimension.
 * Format descriptors are immutable values; the qdq functions are pure and thread-safe.
 */
#ifndef BB_FORMATS_H
#define BB_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum format_kind { FMT_KEEP, FMT_MX, FMT_INT };

struct format {
	char name[24];          /* canonical: "MXFP4", "MXFP8", "W4G128", "W4G128-asym", "BF16" */
	enum format_kind kind;
	int bits;               /* 4, 8, 2..8; 16 for BF16 */
	int block;              /* MX block (32) or INT group size; 0 for BF16 */
	bool sym;               /* INT only */
	/* MX element format */
	int ebits, mbits, emax; /* mbits counts sign and implicit bit, as AutoRound does */
	float max_norm;
};

/* Parse a name (case-insensitive): MXFP4, MXFP8, BF16, W<b>G<g>[-asym|-sym]. */
int format_parse(struct format *f, const char *name, struct bb_error *err);

/* The BF16 "keep" format. */
struct format format_bf16(void);

/* Whether rows of in_features values can take the format: MX needs whole blocks of 32;
 * INT needs a multiple of 32 (a row shorter than a group is one group), as AutoRound. */
bool format_fits(const struct format *f, int64_t in_features);
/* Whether an [out, in] weight can take the format; INT also needs out % 32 == 0. A layer
 * that cannot is kept in BF16, as AutoRound does (spec 1.2). */
bool format_fits_layer(const struct format *f, int64_t out, int64_t in);

/* Whether the format also quantizes the Linear's input (MX formats do). */
bool format_quantizes_activations(const struct format *f);

enum bit_accounting {
	ACCOUNT_WEIGHTS = 0,    /* b bits per weight: the published tables */
	ACCOUNT_SCALES = 1      /* plus scale and zero-point bits, AutoRound's compute_layer_bits */
};

/* Exact integer bit cost of an [out, in] weight in format f. */
int64_t format_layer_bits(const struct format *f, int64_t out, int64_t in,
			  enum bit_accounting acc);

/* Quantize-dequantize rows x[rows][cols] in place along cols (blocks of f->block).
 * Requires format_fits(f, cols) unless cols < block (then a whole row is one block for MX).
 * BF16 leaves x unchanged (the caller rounds to the storage dtype). */
void format_qdq(const struct format *f, float *x, size_t rows, size_t cols);

/* One MX block of n <= 32 (or a whole short row) in place. */
void mx_qdq_block(const struct format *f, float *x, size_t n);
/* One INT group of n values in place. */
void int_qdq_group(const struct format *f, float *x, size_t n);

#endif
