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
 * Never prints, exits or keeps state between calls.
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

/* Index of the first NaN or Inf in x[0..n), or -1 (quantize refuses such weights unless
 * asked to pass them through: docs/formats.md, "Non-finite weights"). */
int64_t format_first_nonfinite(const float *x, size_t n);

/* Whether the format also quantizes the Linear's input (MX formats do). */
bool format_quantizes_activations(const struct format *f);

/* How a layer's bits are counted (docs/formats.md, "Accounting"). The budget can be set in
 * the first three; GGUF is reported only. Per group of g weights along in_features:
 *   weights    b bits per weight, nothing else: the published tables;
 *   scales     plus the scale: 8 bits (MX shared exponent) or 16 (INT fp16 scale);
 *   scales+zp  plus a b-bit zero point for INT, symmetric included: AutoRound's default
 *              compute_layer_bits (spec 1.3); MX has no zero point;
 *   gguf       the storage of the GGUF type with the same block layout and code width
 *              (format_gguf_type), or none. */
enum bit_accounting {
	ACCOUNT_WEIGHTS = 0,
	ACCOUNT_SCALES = 1,
	ACCOUNT_SCALES_ZP = 2,
	ACCOUNT_GGUF = 3,
	ACCOUNT_COUNT = 4
};

/* "weights", "scales", "scales+zp", "gguf". */
const char *accounting_name(enum bit_accounting acc);
/* The convention called name (case-sensitive, the names above), or -1. */
int accounting_parse(const char *name);

/* Exact integer bit cost of an [out, in] weight in format f; -1 under ACCOUNT_GGUF when
 * the format has no GGUF equivalent. BF16 is 16 bits per weight under every convention. */
int64_t format_layer_bits(const struct format *f, int64_t out, int64_t in,
			  enum bit_accounting acc);

/* The GGUF (ggml) type storing f's blocks: "Q4_0" for W4G32, "Q4_1" for W4G32-asym,
 * "Q5_0"/"Q5_1" for W5G32[-asym], "Q8_0" for W8G32, "MXFP4" for MXFP4, "BF16" for BF16;
 * NULL for every other format (MXFP8, group sizes other than 32, 2/3/6/7-bit codes).
 * *block_bits is the bits of one block of 32 weights (16 per weight for BF16). */
const char *format_gguf_type(const struct format *f, int64_t *block_bits);

/* Quantize-dequantize rows x[rows][cols] in place along cols (blocks of f->block).
 * Requires format_fits(f, cols) unless cols < block (then a whole row is one block for MX).
 * BF16 leaves x unchanged (the caller rounds to the storage dtype). */
void format_qdq(const struct format *f, float *x, size_t rows, size_t cols);

/* One MX block of n <= 32 (or a whole short row) in place. */
void mx_qdq_block(const struct format *f, float *x, size_t n);
/* One INT group of n values in place. */
void int_qdq_group(const struct format *f, float *x, size_t n);

#endif
