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
	if (sscanf(s, "W%dA16%n", &bits, &used) == 1 && s[used] == 0)
		;
	else if (sscanf(s, "W%dG%d%n", &bits, &group, &used) == 2 &&
		 (s[used] == 0 || sscanf(s + used, "%15s", tail) == 1))
		;
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
	return f->kind == FMT_KEEP || (in_features > 0 && in_features % f->block == 0);
}

bool format_quantizes_activations(const struct format *f) { return f->kind == FMT_MX; }

int64_t format_layer_bits(const struct format *f, int64_t out, int64_t in,
			  enum bit_accounting acc)
{
	int64_t n = out * in, bits = (int64_t)f->bits * n;
	if (f->kind == FMT_KEEP || acc == ACCOUNT_WEIGHTS)
		return bits;
	int64_t groups = out * ((in + f->block - 1) / f->block);
	/* MX: an 8-bit shared exponent. INT: a 16-bit scale plus a b-bit zero point, which
	 * AutoRound charges to symmetric INT as well (spec 1.3). */
	int64_t per_group = f->kind == FMT_MX ? 8 : 16 + f->bits;
	return bits + groups * per_group;
}

// ---- MX (spec 2.2) ----

/* floor(log2(|v|)) for finite v != 0, exactly. */
static int floor_log2(float v)
{
	int e;
	frexpf(v, &e);
	return e - 1;
}

static float mx_element(const struct format *f, float y)
{
	const int min_exp = 2 - (1 << (f->ebits - 1));
	const float mant_scale = (float)(1 << (f->mbits - 2));
	float a = fabsf(y);
	int p = a == 0.0f ? 0 : floor_log2(a);
	if (p < min_exp)
		p = min_exp;
	float t = nearbyintf(ldexpf(a, -p) * mant_scale); /* half to even */
	float q = ldexpf(t / mant_scale, p);
	if (q > f->max_norm)
		q = f->max_norm;
	/* Keep the sign, zeros included: a small negative value rounds to -0 as it does in
	 * torch (sign(y) * 0), and -0 stays -0, so quantizing twice changes no byte. */
	return copysignf(q, y);
}

void mx_qdq_block(const struct format *f, float *x, size_t n)
{
	float amax = 0.0f;
	for (size_t i = 0; i < n; i++)
		amax = fmaxf(amax, fabsf(x[i]));
	if (isnan(amax) || n == 0) {
		for (size_t i = 0; i < n; i++)
			x[i] = NAN;
		return;
	}
	/* amax == 0: AutoRound takes log2 as 1; every output is 0 regardless. */
	int e = (amax == 0.0f ? 1 : isinf(amax) ? 128 : floor_log2(amax)) - f->emax;
	if (e < -127)
		e = -127;
	if (e > 127)
		e = 127;
	float X = ldexpf(1.0f, e);
	for (size_t i = 0; i < n; i++) {
		float y = x[i] / X;
		y = fminf(fmaxf(y, -f->max_norm), f->max_norm);
		x[i] = mx_element(f, y) * X;
	}
}

// ---- INT group-wise (spec 3) ----

static float to_f16_value(float v) { return f16_to_f32(f32_to_f16(v)); }

static void int_qdq_asym(const struct format *f, float *x, size_t n, float wmin, float wmax)
{
	const float maxq = (float)((1 << f->bits) - 1);
	float scale = fmaxf(to_f16_value((wmax - wmin) / maxq), to_f16_value(1e-5f));
	float zp = nearbyintf(-wmin / scale);
	for (size_t i = 0; i < n; i++) {
		float q = fminf(fmaxf(nearbyintf(x[i] / scale) + zp, 0.0f), maxq);
		x[i] = scale * (q - zp);
	}
}

static void int_qdq_sym(const struct format *f, float *x, size_t n, float wmin, float wmax)
{
	const float maxq = (float)(1 << (f->bits - 1));
	/* Full range: the larger extreme maps to -maxq, so the grid is [-maxq, maxq - 1]. */
	float max_v = fabsf(wmin) > wmax ? fabsf(wmin) : -wmax;
	float scale = to_f16_value(max_v / maxq);
	float min_scale = to_f16_value(1e-5f);
	if (fabsf(scale) < min_scale)
		scale = scale < 0 ? -min_scale : min_scale;
	for (size_t i = 0; i < n; i++) {
		float q = fminf(fmaxf(nearbyintf(x[i] / scale), -maxq), maxq - 1.0f);
		x[i] = scale * q;
	}
}

void int_qdq_group(const struct format *f, float *x, size_t n)
{
	/* The range always contains 0, so a short last group equals a zero-padded one. */
	float wmin = 0.0f, wmax = 0.0f;
	for (size_t i = 0; i < n; i++) {
		wmin = fminf(wmin, x[i]);
		wmax = fmaxf(wmax, x[i]);
	}
	if (f->sym)
		int_qdq_sym(f, x, n, wmin, wmax);
	else
		int_qdq_asym(f, x, n, wmin, wmax);
}

// ---- whole tensors ----

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
				mx_qdq_block(f, row + c, n);
			else
				int_qdq_group(f, row + c, n);
		}
	}
}
