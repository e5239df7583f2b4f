/*
 * formats_reference.h: the references the format tests compare against, written from the
 * spec (../shared/docs/autoround-autoscheme.md sections 2 and 3) independently of
 * core/formats.c: a seeded random source, fp16 rounding, the E2M1 and E4M3 grids with a
 * nearest-value search, and one MX block and one INT group quantized the slow way.
 * Shared by test_formats.c and test_formats_mx.c. Never calls core/formats.c: a reference
 * that used the code under test would agree with any bug in it.
 */
#ifndef BB_FORMATS_REFERENCE_H
#define BB_FORMATS_REFERENCE_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t rng_next(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static inline double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }
/* Roughly normal, from the sum of four uniforms. */
static inline double rng_gauss(void) { return (rng_unit() + rng_unit() + rng_unit() + rng_unit() - 2.0) * 1.7; }

static inline int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Round to the nearest fp16 value (ties to even), as a double; no overflow handling. */
static inline double ref_f16(double x)
{
	double a = fabs(x);
	if (a == 0)
		return 0;
	double quantum;
	if (a < 0x1.0p-14) {
		quantum = 0x1.0p-24;
	} else {
		int e;
		frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
		quantum = ldexp(1.0, e - 1 - 10);
	}
	return nearbyint(x / quantum) * quantum;
}

/* The E2M1 magnitudes, sorted; the index is the 3-bit code without sign. */
static const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};

/* The 127 non-negative E4M3 values as the spec enumerates them; returns the count. */
static inline int e4m3_grid(float *g)
{
	int n = 0;
	g[n++] = 0;
	for (int k = 1; k <= 7; k++)
		g[n++] = (float)ldexp(k, -9);
	for (int p = -6; p <= 8; p++)
		for (int m = 0; m < 8; m++) {
			double v = ldexp(1.0 + m / 8.0, p);
			if (v <= 448.0)
				g[n++] = (float)v;
		}
	return n;
}

/* Nearest grid value to |y| (grid sorted ascending, index = code), ties to the even code,
 * values past the top saturating to the top. Sign restored; zero gives +0. */
static inline float nearest_on_grid(const float *g, int n, double y)
{
	double a = fabs(y);
	int best = 0;
	if (a >= g[n - 1]) {
		best = n - 1;
	} else {
		for (int i = 0; i + 1 < n; i++) {
			if (a >= g[i] && a <= g[i + 1]) {
				double dl = a - g[i], du = g[i + 1] - a;
				best = dl < du ? i : du < dl ? i + 1 : (i % 2 == 0 ? i : i + 1);
				break;
			}
		}
	}
	float q = g[best];
	return y > 0 ? q : y < 0 ? -q : 0.0f;
}

/* floor(log2(a)) for a finite positive double, by stepping powers of two. */
static inline int ref_floor_log2(double a)
{
	int e = 0;
	while (ldexp(1.0, e) > a)
		e--;
	while (ldexp(1.0, e + 1) <= a)
		e++;
	return e;
}

/* An MX block quantize-dequantize written from the spec with grid search. */
static inline void ref_mx_block(int bits, const float *x, float *out, int n)
{
	float g4[8], g8[127];
	const float *g;
	int gn, emax;
	if (bits == 4) {
		memcpy(g4, e2m1, sizeof g4);
		g = g4, gn = 8, emax = 2;
	} else {
		gn = e4m3_grid(g8);
		g = g8, emax = 8;
	}
	double amax = 0;
	for (int i = 0; i < n; i++)
		amax = fmax(amax, fabs(x[i]));
	int e = (amax == 0 ? 1 : ref_floor_log2(amax)) - emax;
	if (e < -127)
		e = -127;
	if (e > 127)
		e = 127;
	double X = ldexp(1.0, e);
	for (int i = 0; i < n; i++)
		out[i] = (float)(nearest_on_grid(g, gn, x[i] / X) * X);
}

/* INT group quantize-dequantize transcribed from spec section 3 (float32 steps). */
static inline void ref_int_group(int bits, int sym, const float *x, float *out, int n)
{
	float wmin = 0, wmax = 0;
	for (int i = 0; i < n; i++) {
		if (x[i] < wmin)
			wmin = x[i];
		if (x[i] > wmax)
			wmax = x[i];
	}
	float thresh = (float)ref_f16(1e-5);
	if (sym) {
		float maxq = (float)(1 << (bits - 1));
		float max_v = fabsf(wmin) > wmax ? fabsf(wmin) : -wmax;
		float scale = (float)ref_f16(max_v / maxq);
		if (fabsf(scale) < thresh)
			scale = scale < 0 ? -thresh : thresh;
		for (int i = 0; i < n; i++) {
			float q = rintf(x[i] / scale);
			q = q < -maxq ? -maxq : q > maxq - 1 ? maxq - 1 : q;
			out[i] = scale * q;
		}
	} else {
		float maxq = (float)((1 << bits) - 1);
		float scale = (float)ref_f16((wmax - wmin) / maxq);
		if (scale < thresh)
			scale = thresh;
		float zp = rintf(-wmin / scale);
		for (int i = 0; i < n; i++) {
			float q = rintf(x[i] / scale) + zp;
			q = q < 0 ? 0 : q > maxq ? maxq : q;
			out[i] = scale * (q - zp);
		}
	}
}

#endif
