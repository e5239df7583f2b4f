/*
 * formats.c: format descriptors, bit costs, and round-to-nearest quantize-dequantize.
 *
 * The arithmetic follows AutoRound's RTN path step by step (spec sections 2.2 and 3) in
 * float32, with one deliberate difference: floor(log2(.)) is taken exactly from the
 * binary exponent (frexpf) rather than from a rounded float log2, so an amax a hair below
 * a power of two never lands in the wrong binade. Pure functions; no state.
 */
#include "core/formats.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safetensors.h"

// ---- descriptors ----

struct format format_bf16(void)
{
	struct format f = {.name = "BF16", .kind = FMT_KEEP, .bits = 16};
	return f;
}

static struct format mx_format(int bits)
{
	struct format f = {.kind = FMT_MX, .bits = bits, .block = 32};
	if (bits == 4) {
		snprintf(f.name, sizeof f.name, "MXFP4");
		f.ebits = 2, f.mbits = 3, f.emax = 2, f.max_norm = 6.0f;
	} else {
		snprintf(f.name, sizeof f.name, "MXFP8");
		f.ebits = 4, f.mbits = 5, f.emax = 8, f.max_norm = 448.0f;
	}
	return f;
}

/* W<b>G<g>[-asym|-sym], or AutoRound's W<b>A16 preset (group 128, symmetric). */
static int parse_int_format(struct format *f, const char *s)
{
	int bits, group = 128, used = 0;
	char tail[16] = "";
	for (const char *c = s; *c; c++) /* %d would skip blanks and take a '+' */
		if (isspace((unsigned char)*c) || *c == '+')
			return -1;
	if (sscanf(s, "W%dA16%n", &bits, &used) == 1 && s[used] == 0)
		;
	else if (sscanf(s, "W%dG%d%n", &bits, &group, &used) == 2 &&
		 strlen(s + used) < sizeof tail) /* the whole rest, not its first word */
		strcpy(tail, s + used);
	else
		return -1;
	bool sym = true;
	if (strcmp(tail, "-ASYM") == 0)
		sym = false;
	else if (tail[0] && strcmp(tail, "-SYM") != 0)
		return -1;
	if (bits < 2 || bits > 8 || group < 1 || group > 65536)
		return -1;
	*f = (struct format){.kind = FMT_INT, .bits = bits, .block = group, .sym = sym};
	snprintf(f->name, sizeof f->name, "W%dG%d%s", bits, group, sym ? "" : "-asym");
	return 0;
}

int format_parse(struct format *f, const char *name, struct bb_error *err)
{
	char up[32];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof up)
		return bb_fail(err, BB_EINVAL, "unknown format '%.40s'", name);
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	if (strcmp(up, "MXFP4") == 0)
		*f = mx_format(4);
	else if (strcmp(up, "MXFP8") == 0)
		*f = mx_format(8);
	else if (strcmp(up, "BF16") == 0)
		*f = format_bf16();
	else if (parse_int_format(f, up) < 0)
		return bb_fail(err, BB_EINVAL,
			       "unknown format '%s' (MXFP4, MXFP8, BF16, W<bits>G<group>[-asym])",
			       name);
	return 0;
}

bool format_fits(const struct format *f, int64_t in_features)
{
	/* AutoRound keeps at 16 bits an MX layer whose in_features is not a multiple of the
	 * block, and an INT layer with a dimension that is not a multiple of 32; a row shorter
	 * than an INT group is one (short) group (spec 1.2 and 2.2.1). */
	int64_t unit = f->kind == FMT_INT ? 32 : f->block;
	return f->kind == FMT_KEEP || (in_features > 0 && in_features % unit == 0);
}

bool format_fits_layer(const struct format *f, int64_t out, int64_t in)
{
	return format_fits(f, in) && (f->kind != FMT_INT || out % 32 == 0);
}

bool format_quantizes_activations(const struct format *f) { return f->kind == FMT_MX; }

static const char *const accounting_names[ACCOUNT_COUNT] = {"weights", "scales", "scales+zp",
								  "gguf"};

const char *accounting_name(enum bit_accounting acc)
{
	return acc >= 0 && acc < ACCOUNT_COUNT ? accounting_names[acc] : "?";
}

int accounting_parse(const char *name)
{
	for (int a = 0; a < ACCOUNT_COUNT; a++)
		if (strcmp(name, accounting_names[a]) == 0)
			return a;
	return -1;
}

/* ggml's block layouts (ggml-common.h), 32 weights a block: Q4_0 = fp16 d + 16 bytes,
 * Q4_1 = fp16 d + fp16 m + 16 bytes, Q5_0 = d + 4 bytes of high bits + 16, Q5_1 = d + m
 * + 4 + 16, Q8_0 = d + 32 bytes, MXFP4 = one E8M0 byte + 16 bytes. */
const char *format_gguf_type(const struct format *f, int64_t *block_bits)
{
	static const struct {
		int bits;
		bool sym;
		const char *name;
		int64_t block_bits;
	} ints[] = {{4, true, "Q4_0", 144}, {4, false, "Q4_1", 160}, {5, true, "Q5_0", 176},
		    {5, false, "Q5_1", 192}, {8, true, "Q8_0", 272}};
	*block_bits = 0;
	if (f->kind == FMT_KEEP)
		return (*block_bits = 16 * 32), "BF16";
	if (f->kind == FMT_MX)
		return f->bits == 4 ? (*block_bits = 136, "MXFP4") : NULL;
	for (size_t i = 0; f->block == 32 && i < sizeof ints / sizeof ints[0]; i++)
		if (ints[i].bits == f->bits && ints[i].sym == f->sym)
			return (*block_bits = ints[i].block_bits), ints[i].name;
	return NULL;
}

int64_t format_layer_bits(const struct format *f, int64_t out, int64_t in,
			  enum bit_accounting acc)
{
	int64_t n = out * in, bits = (int64_t)f->bits * n;
	if (f->kind == FMT_KEEP || acc == ACCOUNT_WEIGHTS)
		return bits;
	int64_t groups = out * ((in + f->block - 1) / f->block);
	if (acc == ACCOUNT_GGUF) {
		int64_t block_bits;
		if (!format_gguf_type(f, &block_bits) || in % 32)
			return -1;
		return out * (in / 32) * block_bits;
	}
	/* MX: an 8-bit shared exponent, no zero point. INT: a 16-bit scale, plus under
	 * scales+zp a b-bit zero point, which AutoRound charges to symmetric INT as well
	 * (spec 1.3). */
	int64_t per_group = f->kind == FMT_MX ? 8 : 16;
	if (acc == ACCOUNT_SCALES_ZP && f->kind == FMT_INT)
		per_group += f->bits;
	return bits + groups * per_group;
}

// ---- MX (spec 2.2) ----

static inline uint32_t float_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static inline float bits_float(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

/* floor(log2(v)) for finite v > 0, exactly: the exponent field (frexpf for subnormals). */
static int floor_log2(float v)
{
	int biased = (int)(float_bits(v) >> 23) & 0xff;
	if (biased)
		return biased - 127;
	int e;
	frexpf(v, &e);
	return e - 1;
}

/* 2^e for e in [-127, 127] (2^-127 is a subnormal), without a libm call. */
static inline float pow2f(int e)
{
	return e >= -126 ? bits_float((uint32_t)(e + 127) << 23) : bits_float(0x00400000u);
}

/* Constants of one MX element format, computed once per block. */
struct mx_grid {
	uint32_t min_normal_bits; /* 2^min_exp, min_exp = 2 - 2^(ebits-1): below, subnormals */
	float magic;              /* 2^(23 + min_exp - mantissa bits): its ulp is the step */
	uint32_t shift;           /* float32 mantissa bits to drop: 23 - mantissa bits */
	uint32_t max_norm_bits;
};

static struct mx_grid mx_grid_of(const struct format *f)
{
	int mant_bits = f->mbits - 2, min_exp = 2 - (1 << (f->ebits - 1));
	struct mx_grid g = {float_bits(pow2f(min_exp)), pow2f(23 + min_exp - mant_bits),
			    (uint32_t)(23 - mant_bits), float_bits(f->max_norm)};
	return g;
}

/* Spec 2.2.5: p = max(floor(log2 a), min_exp), t = a / 2^p * 2^m rounded half to even,
 * q = t / 2^m * 2^p, then the clamp to max_norm. For a normal a that is half-even rounding
 * of the float32 mantissa to m bits (done on the bits, the carry moving into the exponent
 * as it should); below 2^min_exp the step is fixed, and adding `magic` makes the FPU round
 * to it, half to even. a is never negative or NaN here, so comparing bit patterns as
 * integers orders the values, and the selects stay branch-free: the loop vectorizes. */
static inline uint32_t mx_round_magnitude(const struct mx_grid *g, uint32_t a)
{
	float subnormal = (bits_float(a) + g->magic) - g->magic;
	uint32_t u = a + (1u << (g->shift - 1)) - 1 + ((a >> g->shift) & 1);
	u &= ~((1u << g->shift) - 1);
	uint32_t q = a < g->min_normal_bits ? float_bits(subnormal) : u;
	return q < g->max_norm_bits ? q : g->max_norm_bits;
}

/* Inlined (always) into format_qdq's AVX2 clone: called across the function boundary, the
 * block loop would run in the baseline SSE2 code, without unsigned vector compares. */
#define KERNEL static inline __attribute__((always_inline))

KERNEL void mx_qdq(const struct format *f, float *x, size_t n)
{
	/* amax on the bits of |x|: non-negative floats order like integers, NaN above Inf. */
	uint32_t amax_bits = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t a = float_bits(x[i]) & 0x7fffffffu;
		amax_bits = a > amax_bits ? a : amax_bits;
	}
	if (amax_bits > 0x7f800000u || n == 0) { /* a NaN makes the whole block NaN */
		for (size_t i = 0; i < n; i++)
			x[i] = NAN;
		return;
	}
	/* amax == 0: AutoRound takes log2 as 1; every output is 0 regardless.
	 * amax == Inf: log2 is Inf, so e clamps to 127 (spec 2.2.8). */
	float amax = bits_float(amax_bits);
	int e = amax == 0.0f ? 1 - f->emax : isinf(amax) ? 127 : floor_log2(amax) - f->emax;
	e = e < -127 ? -127 : e > 127 ? 127 : e;
	/* Dividing by 2^e and multiplying by 2^-e round identically: 2^-e is exact. */
	float X = pow2f(e), inv_X = pow2f(-e);
	struct mx_grid g = mx_grid_of(f);
	for (size_t i = 0; i < n; i++) {
		uint32_t bits = float_bits(x[i]);
		uint32_t y = float_bits(bits_float(bits & 0x7fffffffu) * inv_X);
		y = y < g.max_norm_bits ? y : g.max_norm_bits; /* saturate */
		/* Keep the sign, zeros included: a small negative value rounds to -0 as in
		 * torch (sign(y) * 0), and -0 stays -0, so quantizing twice changes no byte. */
		float q = bits_float(mx_round_magnitude(&g, y)) * X;
		x[i] = bits_float(float_bits(q) | (bits & 0x80000000u));
	}
}

void mx_qdq_block(const struct format *f, float *x, size_t n) { mx_qdq(f, x, n); }

// ---- INT group-wise (spec 3) ----

/* Round half to even for |v| < 2^22 without a libm call: adding 1.5 * 2^23 leaves no
 * fraction bits, so the FPU's default rounding does the work. */
static inline float round_half_even(float v)
{
	const float magic = 12582912.0f;
	return copysignf((v + magic) - magic, v); /* torch.round(-0.3) is -0 */
}

/* min/max without libm's NaN rules (which make fminf a call); inputs here are numbers. */
static inline float clampf(float v, float lo, float hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static float to_f16_value(float v) { return f16_to_f32(f32_to_f16(v)); }

KERNEL void int_qdq_asym(const struct format *f, float *x, size_t n, float wmin, float wmax)
{
	const float maxq = (float)((1 << f->bits) - 1);
	float scale = fmaxf(to_f16_value((wmax - wmin) / maxq), to_f16_value(1e-5f));
	float zp = nearbyintf(-wmin / scale);
	for (size_t i = 0; i < n; i++) {
		float q = clampf(round_half_even(x[i] / scale) + zp, 0.0f, maxq);
		x[i] = scale * (q - zp);
	}
}

KERNEL void int_qdq_sym(const struct format *f, float *x, size_t n, float wmin, float wmax)
{
	const float maxq = (float)(1 << (f->bits - 1));
	/* Full range: the larger extreme maps to -maxq, so the grid is [-maxq, maxq - 1]. */
	float max_v = fabsf(wmin) > wmax ? fabsf(wmin) : -wmax;
	float scale = to_f16_value(max_v / maxq);
	float min_scale = to_f16_value(1e-5f);
	if (fabsf(scale) < min_scale)
		scale = scale < 0 ? -min_scale : min_scale;
	for (size_t i = 0; i < n; i++) {
		float q = clampf(round_half_even(x[i] / scale), -maxq, maxq - 1.0f);
		x[i] = scale * q;
	}
}

KERNEL void int_qdq(const struct format *f, float *x, size_t n)
{
	/* The range always contains 0, so a short last group equals a zero-padded one. */
	float wmin = 0.0f, wmax = 0.0f;
	int has_nan = 0;
	for (size_t i = 0; i < n; i++) {
		wmin = x[i] < wmin ? x[i] : wmin;
		wmax = x[i] > wmax ? x[i] : wmax;
		has_nan |= x[i] != x[i];
	}
	/* torch's min and max propagate a NaN, so in AutoRound it makes the scale and the whole
	 * group NaN; the comparisons above would skip it and quantize the rest as if it were
	 * absent. Only reached with quantize --nonfinite passthrough (docs/formats.md). */
	if (has_nan) {
		for (size_t i = 0; i < n; i++)
			x[i] = NAN;
		return;
	}
	if (f->sym)
		int_qdq_sym(f, x, n, wmin, wmax);
	else
		int_qdq_asym(f, x, n, wmin, wmax);
}

void int_qdq_group(const struct format *f, float *x, size_t n) { int_qdq(f, x, n); }

// ---- non-finite values ----

/* The largest |x| as bits orders NaN above Inf above every finite value, so one max
 * (branch-free, vectorized like mx_qdq's amax) says whether the row needs searching. */
__attribute__((target_clones("avx2", "default")))
int64_t format_first_nonfinite(const float *x, size_t n)
{
	uint32_t amax_bits = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t a = float_bits(x[i]) & 0x7fffffffu;
		amax_bits = a > amax_bits ? a : amax_bits;
	}
	for (size_t i = 0; amax_bits >= 0x7f800000u && i < n; i++)
		if (!isfinite(x[i]))
			return (int64_t)i;
	return -1;
}

// ---- whole tensors ----

/* Compiled twice, for AVX2 and for any x86-64, chosen at load time: 8 lanes instead of 4
 * for the same IEEE operations (no FMA contraction: see the Makefile), so the same bits. */
__attribute__((target_clones("avx2", "default")))
void format_qdq(const struct format *f, float *x, size_t rows, size_t cols)
{
	if (f->kind == FMT_KEEP)
		return;
	size_t block = (size_t)f->block;
	for (size_t r = 0; r < rows; r++) {
		float *row = x + r * cols;
		for (size_t c = 0; c < cols; c += block) {
			size_t n = cols - c < block ? cols - c : block;
			if (f->kind == FMT_MX)
				mx_qdq(f, row + c, n);
			else
				int_qdq(f, row + c, n);
		}
	}
}
