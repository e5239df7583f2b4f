/*
 * test_formats.c: number formats and their quantize-dequantize (core/formats.c).
 *
 * Checks MXFP4 (E2M1) and MXFP8 (E4M3) against grids enumerated here from the spec
 * (../shared/docs/autoround-autoscheme.md 2.1, 2.2): nearest grid value, ties to the even
 * code, saturation, subnormals, zeros, NaN/Inf, the E8M0 exponent clamp; INT sym/asym
 * group quantization against hand-worked groups and a literal float32 transcription of
 * spec section 3 with an fp16 rounding written here; idempotence of qdq; format names;
 * format_fits; and bit costs against the spec's table (1.3).
 * Never writes a file.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/formats.h"
#include "tests/unit/check.h"
#include "tests/unit/core_fixture.h"

// ---- helpers written independently of the library ----

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }
/* Roughly normal, from the sum of four uniforms. */
static double rng_gauss(void) { return (rng_unit() + rng_unit() + rng_unit() + rng_unit() - 2.0) * 1.7; }

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Round to the nearest fp16 value (ties to even), as a double; no overflow handling. */
static double ref_f16(double x)
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
static int e4m3_grid(float *g)
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
static float nearest_on_grid(const float *g, int n, double y)
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
static int ref_floor_log2(double a)
{
	int e = 0;
	while (ldexp(1.0, e) > a)
		e--;
	while (ldexp(1.0, e + 1) <= a)
		e++;
	return e;
}

/* An MX block quantize-dequantize written from the spec with grid search. */
static void ref_mx_block(int bits, const float *x, float *out, int n)
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
static void ref_int_group(int bits, int sym, const float *x, float *out, int n)
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

/* Quantize one value inside a 32-element MX block whose other elements are anchor and
 * zeros, so the shared exponent is set by the anchor. */
static float mx_one(const struct format *f, float v, float anchor)
{
	float b[32] = {0};
	b[0] = v;
	b[1] = anchor;
	mx_qdq_block(f, b, 32);
	return b[0];
}

// ---- MXFP4 ----

TEST(mxfp4_should_reproduce_spec_examples_at_scale_one)
{
	struct format f = fmt("MXFP4");
	/* amax 6 -> floor(log2 6) = 2, shared exponent 2 - emax 2 = 0, scale 1. */
	float in[32] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 5.1f, 6.0f};
	float want[32] = {0, 1, 1, 2, 2, 4, 4, 6, 6};
	float x[32];
	memcpy(x, in, sizeof x);
	mx_qdq_block(&f, x, 32);
	for (int i = 0; i < 32; i++)
		CHECK(same_bits(x[i], want[i]));
	/* the same with a 4.0 anchor (floor(log2 4) = 2) and negated values */
	for (int i = 0; i < 8; i++) {
		CHECK(mx_one(&f, in[i], 4.0f) == want[i]);
		CHECK(mx_one(&f, -in[i], 4.0f) == -want[i]);
	}
}

TEST(mxfp4_should_keep_every_grid_value_and_round_midpoints_to_even)
{
	struct format f = fmt("MXFP4");
	for (int i = 0; i < 8; i++) {
		CHECK(mx_one(&f, e2m1[i], 4.0f) == e2m1[i]);
		CHECK(mx_one(&f, -e2m1[i], 4.0f) == -e2m1[i]);
	}
	for (int i = 0; i + 1 < 8; i++) {
		float mid = (e2m1[i] + e2m1[i + 1]) / 2;
		float even = e2m1[i % 2 == 0 ? i : i + 1];
		CHECK(mx_one(&f, mid, 4.0f) == even);
		CHECK(mx_one(&f, -mid, 4.0f) == -even);
		CHECK(mx_one(&f, nextafterf(mid, 0), 4.0f) == e2m1[i]);
		CHECK(mx_one(&f, nextafterf(mid, 100), 4.0f) == e2m1[i + 1]);
	}
}

TEST(mxfp4_should_saturate_block_max_between_6_and_8_to_6_times_scale)
{
	struct format f = fmt("MXFP4");
	CHECK(mx_one(&f, 7.0f, 1.0f) == 6.0f);      /* e = 2 - 2 = 0 */
	CHECK(mx_one(&f, 7.99f, 1.0f) == 6.0f);
	CHECK(mx_one(&f, -7.5f, 1.0f) == -6.0f);
	/* amax 14: e = 3 - 2 = 1, X = 2: 14/2 = 7 -> 6 -> 12; 3/2 = 1.5 -> 3 */
	float b[32] = {14.0f, 3.0f, -13.0f, 0.6f};
	mx_qdq_block(&f, b, 32);
	CHECK(b[0] == 12.0f);
	CHECK(b[1] == 3.0f);
	CHECK(b[2] == -12.0f);  /* 6.5 -> 6 (6 is the top, saturates) */
	CHECK(b[3] == 1.0f);    /* 0.6/2 = 0.3 -> 0.5 (nearer than 0) -> 1.0 */
}

TEST(mxfp4_should_match_grid_search_reference_on_random_blocks)
{
	struct format f = fmt("MXFP4");
	int bad = 0;
	for (int r = 0; r < 2000; r++) {
		float x[32], want[32];
		double s = ldexp(1.0, (int)(rng_next() % 40) - 20);
		for (int i = 0; i < 32; i++)
			x[i] = (float)(rng_gauss() * s);
		ref_mx_block(4, x, want, 32);
		mx_qdq_block(&f, x, 32);
		for (int i = 0; i < 32; i++)
			bad += !same_bits(x[i], want[i]);
	}
	CHECK(bad == 0);
}

// ---- MXFP8 ----

TEST(e4m3_grid_should_have_127_values_topped_by_448)
{
	float g[200];
	int n = e4m3_grid(g);
	CHECK(n == 127);
	CHECK(g[126] == 448.0f);
	CHECK(g[1] == (float)ldexp(1, -9));
	for (int i = 1; i < n; i++)
		CHECK(g[i] > g[i - 1]);
}

TEST(mxfp8_should_keep_every_e4m3_grid_value_at_scale_one)
{
	struct format f = fmt("MXFP8");
	float g[200];
	int n = e4m3_grid(g), bad = 0;
	/* anchor 256: floor(log2 256) = 8, e = 8 - 8 = 0; a grid value up to 448 keeps it */
	for (int i = 0; i < n; i++) {
		bad += mx_one(&f, g[i], 256.0f) != g[i];
		bad += mx_one(&f, -g[i], 256.0f) != -g[i];
	}
	CHECK(bad == 0);
}

TEST(mxfp8_should_round_e4m3_midpoints_to_even_code)
{
	struct format f = fmt("MXFP8");
	float g[200];
	int n = e4m3_grid(g), bad = 0;
	for (int i = 0; i + 1 < n; i++) {
		float mid = (g[i] + g[i + 1]) / 2; /* exact in float32 */
		float even = g[i % 2 == 0 ? i : i + 1];
		bad += mx_one(&f, mid, 256.0f) != even;
		bad += mx_one(&f, -mid, 256.0f) != -even;
		bad += mx_one(&f, nextafterf(mid, 0), 256.0f) != g[i];
		bad += mx_one(&f, nextafterf(mid, 1000), 256.0f) != g[i + 1];
	}
	CHECK(bad == 0);
	/* spot checks worked by hand */
	CHECK(mx_one(&f, 432.0f, 256.0f) == 448.0f);  /* between 416 (m=5) and 448 (m=6) */
	CHECK(mx_one(&f, 272.0f, 256.0f) == 256.0f);  /* between 256 (m=0) and 288 (m=1) */
	CHECK(mx_one(&f, (float)ldexp(1, -10), 256.0f) == 0.0f); /* half the least subnormal */
	CHECK(mx_one(&f, (float)ldexp(15, -10), 256.0f) == (float)ldexp(1, -6)); /* 7.5 * 2^-9 */
}

TEST(mxfp8_should_saturate_block_max_between_448_and_512_to_448)
{
	struct format f = fmt("MXFP8");
	CHECK(mx_one(&f, 449.0f, 1.0f) == 448.0f);
	CHECK(mx_one(&f, 460.0f, 1.0f) == 448.0f);
	CHECK(mx_one(&f, 464.0f, 1.0f) == 448.0f);  /* the 448/480 midpoint */
	CHECK(mx_one(&f, 500.0f, 1.0f) == 448.0f);
	CHECK(mx_one(&f, 511.9f, 1.0f) == 448.0f);
	CHECK(mx_one(&f, -500.0f, 1.0f) == -448.0f);
	/* amax 1000: e = 9 - 8 = 1, X = 2: 500 -> 448 -> 896; 3/2 = 1.5 on grid -> 3 */
	float b[32] = {1000.0f, 3.0f};
	mx_qdq_block(&f, b, 32);
	CHECK(b[0] == 896.0f);
	CHECK(b[1] == 3.0f);
}

TEST(mxfp8_should_produce_subnormals_relative_to_the_shared_scale)
{
	struct format f = fmt("MXFP8");
	/* amax 1: e = 0 - 8 = -8, X = 2^-8; the least subnormal is 2^-9 X = 2^-17 */
	float b[32] = {1.0f, (float)ldexp(1, -17), (float)ldexp(1, -19), (float)ldexp(3, -18),
		       (float)ldexp(5, -18), (float)ldexp(7, -17)};
	mx_qdq_block(&f, b, 32);
	CHECK(b[0] == 1.0f);
	CHECK(b[1] == (float)ldexp(1, -17));
	CHECK(b[2] == 0.0f);                  /* 2^-11 relative: below half of 2^-9 */
	CHECK(b[3] == (float)ldexp(1, -16));  /* 1.5 * 2^-9: tie -> code 2 */
	CHECK(b[4] == (float)ldexp(1, -16));  /* 2.5 * 2^-9: tie -> code 2 */
	CHECK(b[5] == (float)ldexp(7, -17));  /* 7 * 2^-9 is a subnormal code */
}

TEST(mxfp8_should_match_grid_search_reference_on_random_blocks)
{
	struct format f = fmt("MXFP8");
	int bad = 0;
	for (int r = 0; r < 2000; r++) {
		float x[32], want[32];
		double s = ldexp(1.0, (int)(rng_next() % 60) - 30);
		for (int i = 0; i < 32; i++) {
			double v = rng_gauss() * s;
			if (i % 7 == 3) /* spread magnitudes so subnormal codes are hit */
				v *= ldexp(1.0, -(int)(rng_next() % 12));
			x[i] = (float)v;
		}
		ref_mx_block(8, x, want, 32);
		mx_qdq_block(&f, x, 32);
		for (int i = 0; i < 32; i++)
			bad += !same_bits(x[i], want[i]);
	}
	CHECK(bad == 0);
}

// ---- MX special values ----

TEST(mx_should_return_zeros_for_all_zero_block)
{
	const char *names[2] = {"MXFP4", "MXFP8"};
	for (int k = 0; k < 2; k++) {
		struct format f = fmt(names[k]);
		float b[32] = {0};
		mx_qdq_block(&f, b, 32);
		for (int i = 0; i < 32; i++)
			CHECK(b[i] == 0.0f && !signbit(b[i]) && !isnan(b[i]));
	}
}

/* formats.c documents (since commit 65e93a6) that the sign is kept, zeros included:
 * -0 stays -0 and a small negative that rounds to zero gives -0, as torch's
 * sign(y) * 0 does; +0 stays +0. (The original brief said -0 -> +0.) */
TEST(mx_should_keep_the_sign_of_zeros)
{
	const char *names[2] = {"MXFP4", "MXFP8"};
	for (int k = 0; k < 2; k++) {
		struct format f = fmt(names[k]);
		float b[32] = {1.0f, -0.0f, -1e-30f, 0.0f, 1e-30f};
		mx_qdq_block(&f, b, 32);
		CHECK(b[0] == 1.0f);
		CHECK(b[1] == 0.0f && signbit(b[1]));
		CHECK(b[2] == 0.0f && signbit(b[2]));
		CHECK(b[3] == 0.0f && !signbit(b[3]));
		CHECK(b[4] == 0.0f && !signbit(b[4]));
		float z[32] = {0};
		z[5] = -0.0f; /* all-zero block with one -0 */
		mx_qdq_block(&f, z, 32);
		CHECK(z[5] == 0.0f && signbit(z[5]));
		CHECK(z[4] == 0.0f && !signbit(z[4]));
	}
}

TEST(mx_should_make_whole_block_nan_when_one_element_is_nan)
{
	const char *names[2] = {"MXFP4", "MXFP8"};
	for (int k = 0; k < 2; k++) {
		struct format f = fmt(names[k]);
		float b[64];
		for (int i = 0; i < 64; i++)
			b[i] = 1.0f + (float)i;
		b[7] = NAN;
		format_qdq(&f, b, 1, 64);
		for (int i = 0; i < 32; i++)
			CHECK(isnan(b[i]));
		/* the second block is untouched by the NaN: 33..64, amax 64 */
		float want[32], in[32];
		for (int i = 0; i < 32; i++)
			in[i] = 33.0f + (float)i;
		ref_mx_block(f.bits, in, want, 32);
		for (int i = 0; i < 32; i++)
			CHECK(same_bits(b[32 + i], want[i]));
	}
}

/* As torch's min and max in AutoRound: a NaN makes the scale NaN, so its whole group is
 * NaN; the next group is quantized as if the NaN did not exist. */
TEST(int_should_make_whole_group_nan_when_one_element_is_nan)
{
	const char *names[2] = {"W4G32", "W4G32-asym"};
	for (int k = 0; k < 2; k++) {
		struct format f = fmt(names[k]);
		float b[64], in[32], want[32];
		for (int i = 0; i < 64; i++)
			b[i] = 0.25f * (float)(i - 20);
		for (int i = 0; i < 32; i++)
			in[i] = b[32 + i];
		b[5] = NAN;
		format_qdq(&f, b, 1, 64);
		for (int i = 0; i < 32; i++)
			CHECK(isnan(b[i]));
		ref_int_group(f.bits, f.sym, in, want, 32);
		for (int i = 0; i < 32; i++)
			CHECK(same_bits(b[32 + i], want[i]));
	}
}

TEST(format_first_nonfinite_should_find_the_first_nan_or_inf)
{
	float x[100];
	for (int i = 0; i < 100; i++)
		x[i] = (float)(i - 50) * 1e30f; /* large but finite, FLT_MAX included below */
	x[99] = 3.4028235e38f;
	CHECK(format_first_nonfinite(x, 100) == -1);
	CHECK(format_first_nonfinite(x, 0) == -1);
	x[70] = -INFINITY;
	x[90] = NAN;
	CHECK(format_first_nonfinite(x, 100) == 70);
	CHECK(format_first_nonfinite(x + 71, 29) == 19);
	x[3] = INFINITY;
	CHECK(format_first_nonfinite(x, 100) == 3);
}

TEST(mx_should_clamp_shared_exponent_at_minus_127_for_tiny_blocks)
{
	struct format f8 = fmt("MXFP8");
	/* floor(log2 2^-130) - 8 = -138 -> clamped to -127, X = 2^-127:
	 * 2^-130 / X = 2^-3 (on grid), 3*2^-133 / X = 3*2^-6 (on grid), 2^-140 / X = 2^-13 -> 0.
	 * Without the clamp, 2^-140 would survive. */
	float b[32] = {(float)ldexp(1, -130), (float)ldexp(3, -133), (float)ldexp(1, -140)};
	mx_qdq_block(&f8, b, 32);
	CHECK(b[0] == (float)ldexp(1, -130));
	CHECK(b[1] == (float)ldexp(3, -133));
	CHECK(b[2] == 0.0f);

	struct format f4 = fmt("MXFP4");
	/* floor(log2 2^-126) - 2 = -128 -> -127: 2^-126 / X = 2 -> 2; 2^-129 / X = 0.25 -> 0
	 * (tie, even). Without the clamp, 2^-129 / 2^-128 = 0.5 would survive. */
	float c[32] = {(float)ldexp(1, -126), (float)ldexp(1, -129)};
	mx_qdq_block(&f4, c, 32);
	CHECK(c[0] == (float)ldexp(1, -126));
	CHECK(c[1] == 0.0f);
}

/* Values that only the right clamp passes: each is on the element grid at X = 2^-127 and
 * off it at 2^-126 (or below a tie to zero there), so a clamp one step off changes its
 * output. Expected values by hand from autoround-autoscheme.md 2.2 (e = floor(log2 amax)
 * - emax clamped to [-127, 127]; q = x / 2^e rounded to the element grid, ties to the
 * even code; the output is q * 2^e). Each value is a float32 subnormal, so exact. */
TEST(mx_should_clamp_shared_exponent_at_exactly_minus_127)
{
	/* MXFP4 (emax 2): amax 1.5*2^-127 gives floor(log2) = -127, e = -129 -> -127.
	 * 1.5*2^-127 / 2^-127 = 1.5 (a grid value): it stays 1.5*2^-127. At 2^-126 it
	 * would be 0.75, a tie between 0.5 and 1 going to the even code (1): 2^-126.
	 * 2^-128 / 2^-127 = 0.5 stays; at 2^-126, 0.25 would tie to 0. */
	struct format f4 = fmt("MXFP4");
	float a[32] = {(float)ldexp(1.5, -127), (float)ldexp(1, -128), -(float)ldexp(1, -128)};
	mx_qdq_block(&f4, a, 32);
	CHECK(a[0] == (float)ldexp(1.5, -127));
	CHECK(a[1] == (float)ldexp(1, -128));
	CHECK(a[2] == -(float)ldexp(1, -128));

	/* MXFP8 (E4M3, emax 8, smallest subnormal 2^-9): amax 2^-136 gives e = -144 -> -127;
	 * 2^-136 / 2^-127 = 2^-9, the smallest subnormal: it stays. At 2^-126 it would be
	 * 2^-10, a tie between 0 and 2^-9 going to 0. */
	struct format f8 = fmt("MXFP8");
	float b[32] = {(float)ldexp(1, -136), (float)ldexp(1, -137)};
	mx_qdq_block(&f8, b, 32);
	CHECK(b[0] == (float)ldexp(1, -136));
	CHECK(b[1] == 0.0f); /* 2^-10 at the right scale: the tie goes to 0 */
}

/* The other end. No finite float32 reaches the clamp at 127 (floor(log2 FLT_MAX) = 127 and
 * emax >= 2), so the largest finite block pins the largest unclamped exponent and the
 * saturation: MXFP4: e = 127 - 2 = 125, FLT_MAX / 2^125 = 15.99... saturates to 6, and
 * 6 * 2^125 = 1.5 * 2^127. MXFP8: e = 127 - 8 = 119, FLT_MAX / 2^119 = 511.99...
 * saturates to 448, and 448 * 2^119 = 1.75 * 2^127. An Inf reaches the clamp (spec
 * 2.2.8): e = 127, and an MXFP8 2^117 beside it is 2^-10 there, a tie to 0 (at 2^126 it
 * would be 2^-9, kept). */
TEST(mx_should_saturate_the_largest_finite_block_and_clamp_at_127_for_mxfp8)
{
	struct format f4 = fmt("MXFP4"), f8 = fmt("MXFP8");
	float a[32] = {FLT_MAX, -FLT_MAX, (float)ldexp(1, 125)};
	mx_qdq_block(&f4, a, 32);
	CHECK(a[0] == (float)ldexp(1.5, 127) && a[1] == -(float)ldexp(1.5, 127));
	CHECK(a[2] == (float)ldexp(1, 125)); /* 1, on the grid */
	float b[32] = {FLT_MAX, (float)ldexp(1, 110)};
	mx_qdq_block(&f8, b, 32);
	CHECK(b[0] == (float)ldexp(1.75, 127));
	CHECK(b[1] == (float)ldexp(1, 110)); /* 2^-9, the smallest subnormal, kept */
	float c[32] = {INFINITY, (float)ldexp(1, 117), (float)ldexp(1, 118)};
	mx_qdq_block(&f8, c, 32);
	CHECK(isinf(c[0]));
	CHECK(c[1] == 0.0f);
	CHECK(c[2] == (float)ldexp(1, 118)); /* 2^-9 at 2^127: kept */
}

TEST(mx_should_clamp_shared_exponent_at_127_for_infinite_blocks)
{
	/* Spec 2.2.8: an Inf makes e = clamp(inf, -127, 127) = 127; the other elements are
	 * divided by 2^127 and the Inf comes back as max_norm * 2^127 = Inf. */
	struct format f8 = fmt("MXFP8");
	float b[32] = {INFINITY, (float)ldexp(1, 115), 1.0f, -INFINITY};
	mx_qdq_block(&f8, b, 32);
	CHECK(isinf(b[0]) && b[0] > 0);
	CHECK(b[1] == 0.0f); /* 2^115 / 2^127 = 2^-12 < 2^-10 -> 0 */
	CHECK(b[2] == 0.0f);
	CHECK(isinf(b[3]) && b[3] < 0);

	struct format f4 = fmt("MXFP4");
	float c[32] = {INFINITY, (float)ldexp(3, 123), 1.0f};
	mx_qdq_block(&f4, c, 32);
	CHECK(isinf(c[0]) && c[0] > 0);
	CHECK(c[1] == 0.0f); /* 1.5*2^124 / 2^127 = 0.1875 -> 0 */
	CHECK(c[2] == 0.0f);
}

TEST(mx_should_treat_a_short_row_as_one_block)
{
	struct format f = fmt("MXFP4");
	float x[20], want[20];
	for (int i = 0; i < 20; i++)
		x[i] = (float)(rng_gauss() * 3.0);
	x[19] = 11.0f; /* amax 11 -> e = 1 for the whole row */
	ref_mx_block(4, x, want, 20);
	format_qdq(&f, x, 1, 20);
	for (int i = 0; i < 20; i++)
		CHECK(same_bits(x[i], want[i]));
}

TEST(mx_should_quantize_each_32_block_of_each_row_independently)
{
	struct format f = fmt("MXFP8");
	enum { R = 3, C = 96 };
	float x[R * C], want[R * C];
	for (int i = 0; i < R * C; i++)
		x[i] = (float)(rng_gauss() * ldexp(1.0, (i / 32) * 3 - 4));
	for (int b = 0; b < R * C / 32; b++)
		ref_mx_block(8, x + 32 * b, want + 32 * b, 32);
	format_qdq(&f, x, R, C);
	int bad = 0;
	for (int i = 0; i < R * C; i++)
		bad += !same_bits(x[i], want[i]);
	CHECK(bad == 0);
}

// ---- INT ----

TEST(int_asym_should_match_hand_computed_2bit_group)
{
	struct format f = fmt("W2G128-asym");
	/* min -1, max 2, maxq 3: scale (2 - -1)/3 = 1 (fp16-exact), zp round(1/1) = 1,
	 * grid scale*(q - zp), q in 0..3 = {-1, 0, 1, 2}. */
	float x[10] = {-1.0f, 2.0f, -0.6f, -0.5f, 0.49f, 0.5f, 1.2f, 1.5f, 0.0f, -0.4f};
	float want[10] = {-1, 2, -1, 0, 0, 0, 1, 2, 0, 0};
	int_qdq_group(&f, x, 10);
	for (int i = 0; i < 10; i++)
		CHECK(x[i] == want[i]);
}

TEST(int_asym_should_include_zero_in_range_and_handle_one_signed_groups)
{
	struct format f = fmt("W4G128-asym");
	/* all positive, max 3: wmin 0, scale 3/15 = 0.2 -> fp16, zp 0 */
	float s = (float)ref_f16(3.0f / 15.0f);
	float x[4] = {3.0f, 1.0f, 0.5f, 0.1f};
	float want[4];
	for (int i = 0; i < 4; i++)
		want[i] = s * rintf(x[i] / s);
	want[0] = s * fminf(rintf(3.0f / s), 15.0f);
	int_qdq_group(&f, x, 4);
	for (int i = 0; i < 4; i++)
		CHECK(x[i] == want[i]);
	/* a constant negative group c: wmax 0, scale fp16(|c|/15), zp = 15, q = 0 -> -15 * scale.
	 * c = -1.875: 1.875/15 = 0.125 is fp16-exact, so the output is exactly c. */
	float y[3] = {-1.875f, -1.875f, -1.875f};
	int_qdq_group(&f, y, 3);
	for (int i = 0; i < 3; i++)
		CHECK(y[i] == -1.875f);
	/* c = -1.5: 0.1 is not fp16-exact (fp16(0.1) = 1638 * 2^-14), so -15 * 1638 * 2^-14 */
	float z[3] = {-1.5f, -1.5f, -1.5f};
	CHECK((float)ref_f16(0.1f) == (float)ldexp(1638, -14));
	int_qdq_group(&f, z, 3);
	for (int i = 0; i < 3; i++)
		CHECK(z[i] == (float)ldexp(-15 * 1638, -14));
	/* a constant positive group: zp 0, q = 15 */
	float w[2] = {0.9375f, 0.9375f}; /* 0.9375/15 = 0.0625 exact */
	int_qdq_group(&f, w, 2);
	CHECK(w[0] == 0.9375f && w[1] == 0.9375f);
}

TEST(int_sym_4bit_should_use_full_range_grid_with_larger_extreme_at_minus_8)
{
	struct format f = fmt("W4G128");
	/* |wmin| = 8 > wmax: scale = 8/8 = 1; grid [-8, 7] */
	float x[8] = {-8.0f, 6.4f, 6.5f, 7.5f, 7.0f, -3.5f, 0.5f, 1.5f};
	float want[8] = {-8, 6, 6, 7, 7, -4, 0, 2};
	int_qdq_group(&f, x, 8);
	for (int i = 0; i < 8; i++)
		CHECK(x[i] == want[i]);
	/* wmax = 8 > |wmin|: scale = -8/8 = -1, 8 -> q -8 -> 8; -7.9 -> q 7.9 -> 8 -> clamp 7 -> -7 */
	float y[5] = {8.0f, -7.9f, -3.0f, 2.5f, 3.5f};
	float wy[5] = {8, -7, -3, 2, 4};
	int_qdq_group(&f, y, 5);
	for (int i = 0; i < 5; i++)
		CHECK(y[i] == wy[i]);
	/* equal extremes: max_v = -wmax (spec: +|wmin| only if strictly larger):
	 * scale -1, 8 -> 8, -8 -> q 8 -> clamp 7 -> -7 */
	float z[2] = {8.0f, -8.0f};
	int_qdq_group(&f, z, 2);
	CHECK(z[0] == 8.0f);
	CHECK(z[1] == -7.0f);
}

TEST(int_sym_2bit_should_use_grid_minus_2_to_1)
{
	struct format f = fmt("W2G128");
	/* maxq 2: |wmin| 2 -> scale 1; grid [-2, 1] */
	float x[6] = {-2.0f, 1.0f, 1.6f, -1.5f, 0.5f, -0.5f};
	float want[6] = {-2, 1, 1, -2, 0, 0};
	int_qdq_group(&f, x, 6);
	for (int i = 0; i < 6; i++)
		CHECK(x[i] == want[i]);
	/* wmax 1 larger: scale -0.5; 1 -> q -2 -> 1; -0.5 -> q 1 -> -0.5; -0.9 -> q 1.8 -> 2 -> clamp 1 -> -0.5 */
	float y[3] = {1.0f, -0.5f, -0.9f};
	int_qdq_group(&f, y, 3);
	CHECK(y[0] == 1.0f);
	CHECK(y[1] == -0.5f);
	CHECK(y[2] == -0.5f);
}

TEST(int_sym_should_round_scale_to_fp16)
{
	struct format f = fmt("W4G128");
	/* |wmin| 0.3: scale 0.3/8 = 0.0375 is not fp16-exact; fp16(0.0375) = 1229 * 2^-15 */
	float s = (float)ref_f16(0.3f / 8.0f);
	CHECK(s == (float)ldexp(1229, -15));
	CHECK(s != 0.3f / 8.0f);
	float x[3] = {-0.3f, 0.1f, 0.2f};
	float want[3] = {-8 * s, s * rintf(0.1f / s), s * rintf(0.2f / s)};
	int_qdq_group(&f, x, 3);
	for (int i = 0; i < 3; i++)
		CHECK(x[i] == want[i]);
	CHECK(x[0] != -0.3f); /* an fp32 scale would give back -0.3 exactly */
}

TEST(int_asym_should_round_scale_to_fp16)
{
	struct format f = fmt("W4G128-asym");
	/* range 0.7 - -0.3 = 1.0 (float), /15 -> fp16 */
	float s = (float)ref_f16((0.7f - -0.3f) / 15.0f);
	CHECK(s != (0.7f - -0.3f) / 15.0f);
	float zp = rintf(0.3f / s);
	float x[3] = {-0.3f, 0.7f, 0.33f};
	float want[3];
	for (int i = 0; i < 3; i++) {
		float q = fminf(fmaxf(rintf(x[i] / s) + zp, 0), 15);
		want[i] = s * (q - zp);
	}
	int_qdq_group(&f, x, 3);
	for (int i = 0; i < 3; i++)
		CHECK(x[i] == want[i]);
}

TEST(int_should_floor_scale_at_fp16_1e5_and_zero_groups_stay_zero)
{
	const char *names[3] = {"W4G128", "W4G128-asym", "W2G128"};
	for (int k = 0; k < 3; k++) {
		struct format f = fmt(names[k]);
		float x[128] = {0};
		x[3] = -0.0f;
		format_qdq(&f, x, 1, 128);
		for (int i = 0; i < 128; i++)
			CHECK(x[i] == 0.0f && !isnan(x[i]));
	}
	/* tiny sym group: 4e-5 / 8 = 5e-6 < 1e-5 -> floor fp16(1e-5) = 168 * 2^-24 (subnormal) */
	struct format f = fmt("W4G128");
	float thresh = (float)ref_f16(1e-5);
	CHECK(thresh == (float)ldexp(168, -24));
	float y[2] = {-4e-5f, 1e-5f};
	int_qdq_group(&f, y, 2);
	CHECK(y[0] == -4 * thresh); /* -4e-5 / 1.0014e-5 = -3.99 -> -4 */
	CHECK(y[1] == thresh);      /* 0.9986 -> 1 */
}

TEST(int_should_match_spec_transcription_on_random_groups)
{
	const char *names[4] = {"W4G128", "W2G128", "W4G128-asym", "W2G128-asym"};
	int bad = 0;
	for (int k = 0; k < 4; k++) {
		struct format f = fmt(names[k]);
		for (int r = 0; r < 300; r++) {
			float x[256], want[256];
			double s = ldexp(1.0, (int)(rng_next() % 16) - 10);
			double shift = (r % 3 == 0) ? rng_gauss() * s * 2 : 0; /* one-signed groups */
			for (int i = 0; i < 256; i++)
				x[i] = (float)(rng_gauss() * s + shift);
			ref_int_group(f.bits, f.sym, x, want, 128);
			ref_int_group(f.bits, f.sym, x + 128, want + 128, 128);
			format_qdq(&f, x, 1, 256);
			for (int i = 0; i < 256; i++)
				bad += !same_bits(x[i], want[i]);
		}
	}
	CHECK(bad == 0);
}

// ---- the whole-tensor path ----

/* format_qdq is compiled for AVX2 and for any x86-64, with the block kernels inlined into
 * each; mx_qdq_block and int_qdq_group are compiled once, for any x86-64. The same IEEE
 * operations must give the same bits in both, on ordinary values and on the edge cases
 * (zeros of both signs, subnormals, values at the saturation bound, Inf, NaN). */
TEST(whole_tensor_qdq_should_equal_block_qdq_bit_for_bit)
{
	const char *names[4] = {"MXFP4", "MXFP8", "W4G128", "W2G128-asym"};
	const float edge[8] = {0.0f, -0.0f, 0x1.0p-140f, -0x1.8p-130f, 448.0f, -6.0f, FLT_MAX, INFINITY};
	enum { R = 64, C = 384 };
	static float x[R * C], y[R * C];
	for (int k = 0; k < 4; k++) {
		struct format f = fmt(names[k]);
		for (int r = 0; r < R; r++) {
			double s = ldexp(1.0, (int)(rng_next() % 60) - 30);
			for (int c = 0; c < C; c++)
				x[r * C + c] = (float)(rng_gauss() * s);
			if (r % 2 == 1 && f.kind == FMT_MX) /* INT groups must be finite */
				x[r * C + (int)(rng_next() % C)] = edge[rng_next() % 8];
		}
		x[5 * C + 7] = NAN;
		if (f.kind != FMT_MX)
			x[5 * C + 7] = 0.0f;
		memcpy(y, x, sizeof x);
		format_qdq(&f, x, R, C);
		for (int i = 0; i < R * C; i += f.block)
			if (f.kind == FMT_MX)
				mx_qdq_block(&f, y + i, (size_t)f.block);
			else
				int_qdq_group(&f, y + i, (size_t)f.block);
		int bad = 0;
		for (int i = 0; i < R * C; i++)
			bad += !same_bits(x[i], y[i]) && !(isnan(x[i]) && isnan(y[i]));
		if (bad)
			fprintf(stderr, "  %s: %d values differ\n", names[k], bad);
		CHECK(bad == 0);
	}
}

// ---- idempotence ----

TEST(qdq_should_be_idempotent_bit_for_bit)
{
	const char *names[4] = {"MXFP4", "MXFP8", "W4G128", "W2G128"};
	enum { R = 300, C = 256 };
	static float x[R * C], y[R * C];
	for (int k = 0; k < 4; k++) {
		struct format f = fmt(names[k]);
		for (int r = 0; r < R; r++) {
			double s = ldexp(1.0, (int)(rng_next() % 24) - 12);
			double shift = r % 4 == 1 ? rng_gauss() * s : 0;
			for (int c = 0; c < C; c++)
				x[r * C + c] = (float)(rng_gauss() * s + shift);
		}
		format_qdq(&f, x, R, C);
		memcpy(y, x, sizeof x);
		format_qdq(&f, y, R, C);
		int bad = 0;
		for (int i = 0; i < R * C; i++)
			bad += !same_bits(x[i], y[i]);
		if (bad)
			fprintf(stderr, "  %s: %d values moved on the second pass\n", names[k], bad);
		CHECK(bad == 0);
	}
}

/* Asymmetric INT is idempotent whenever the first pass uses both ends of the grid
 * (q = 0 and q = maxq, i.e. output max - min = maxq * scale). It is not always so, by the
 * spec's own formula: see the next test. */
TEST(int_asym_qdq_should_be_idempotent_when_first_pass_spans_grid)
{
	const char *names[2] = {"W4G128-asym", "W2G128-asym"};
	enum { R = 300, C = 256 };
	static float x[R * C], y[R * C], orig[R * C];
	for (int k = 0; k < 2; k++) {
		struct format f = fmt(names[k]);
		float maxq = (float)((1 << f.bits) - 1);
		for (int r = 0; r < R; r++) {
			double s = ldexp(1.0, (int)(rng_next() % 24) - 12);
			double shift = r % 4 == 1 ? rng_gauss() * s : 0;
			for (int c = 0; c < C; c++)
				x[r * C + c] = (float)(rng_gauss() * s + shift);
		}
		memcpy(orig, x, sizeof x);
		format_qdq(&f, x, R, C);
		memcpy(y, x, sizeof x);
		format_qdq(&f, y, R, C);
		int groups = 0, spanning = 0, bad = 0;
		for (int g = 0; g < R * C / 128; g++) {
			const float *o = orig + 128 * g, *a = x + 128 * g, *b = y + 128 * g;
			float wmin = 0, wmax = 0, amin = 0, amax = 0;
			for (int i = 0; i < 128; i++) {
				wmin = fminf(wmin, o[i]), wmax = fmaxf(wmax, o[i]);
				amin = fminf(amin, a[i]), amax = fmaxf(amax, a[i]);
			}
			float s = (float)ref_f16((wmax - wmin) / maxq);
			groups++;
			if (amax - amin != maxq * s)
				continue;
			spanning++;
			for (int i = 0; i < 128; i++)
				bad += !same_bits(a[i], b[i]);
		}
		CHECK(bad == 0);
		CHECK(spanning * 10 >= groups * 9); /* the exception is rare on random data */
	}
}

TEST(int_asym_should_follow_spec_even_where_it_is_not_idempotent)
{
	/* 4-bit asym, group [-7.4995, 7.4995]: range 14.999 / 15 = 0.99993 -> fp16 1.0;
	 * zp = round(7.4995) = 7; q(7.4995) = 7 + 7 = 14, q(-7.4995) = -7 + 7 = 0:
	 * the first pass gives [-7, 7] and never reaches q = 15. */
	struct format f = fmt("W4G128-asym");
	float x[2] = {-7.4995f, 7.4995f};
	int_qdq_group(&f, x, 2);
	CHECK(x[0] == -7.0f);
	CHECK(x[1] == 7.0f);
	/* second pass: scale fp16(14/15), zp = round(7 / s2) = 8 (7/0.9331 = 7.502),
	 * q(7) = round(7.502) + 8 = 16 -> 15 -> 7 * s2; q(-7) = -8 + 8 = 0 -> -8 * s2 */
	float s2 = (float)ref_f16(14.0f / 15.0f);
	CHECK(rintf(7.0f / s2) == 8.0f);
	int_qdq_group(&f, x, 2);
	CHECK(x[0] == -8 * s2);
	CHECK(x[1] == 7 * s2);
}

TEST(bf16_qdq_should_leave_values_unchanged)
{
	struct format f = fmt("BF16");
	float x[4] = {1.1f, -2.2f, 3e-20f, NAN};
	format_qdq(&f, x, 2, 2);
	CHECK(x[0] == 1.1f && x[1] == -2.2f && x[2] == 3e-20f && isnan(x[3]));
}

// ---- names, fits, bits ----

TEST(format_parse_should_accept_known_names)
{
	struct format f;
	struct bb_error err = {0};
	CHECK(format_parse(&f, "MXFP4", &err) == 0);
	CHECK_STR(f.name, "MXFP4");
	CHECK(f.kind == FMT_MX && f.bits == 4 && f.block == 32 && f.max_norm == 6.0f);
	CHECK(f.ebits == 2 && f.mbits == 3 && f.emax == 2);
	CHECK(format_parse(&f, "mxfp8", &err) == 0);
	CHECK_STR(f.name, "MXFP8");
	CHECK(f.kind == FMT_MX && f.bits == 8 && f.block == 32 && f.max_norm == 448.0f);
	CHECK(f.ebits == 4 && f.mbits == 5 && f.emax == 8);
	CHECK(format_parse(&f, "BF16", &err) == 0);
	CHECK_STR(f.name, "BF16");
	CHECK(f.kind == FMT_KEEP && f.bits == 16);
	CHECK(format_parse(&f, "bf16", &err) == 0 && f.kind == FMT_KEEP);
	CHECK(format_parse(&f, "W4G128", &err) == 0);
	CHECK_STR(f.name, "W4G128");
	CHECK(f.kind == FMT_INT && f.bits == 4 && f.block == 128 && f.sym);
	CHECK(format_parse(&f, "W4G128-asym", &err) == 0);
	CHECK_STR(f.name, "W4G128-asym");
	CHECK(f.kind == FMT_INT && f.bits == 4 && f.block == 128 && !f.sym);
	CHECK(format_parse(&f, "w4g128-ASYM", &err) == 0);
	CHECK_STR(f.name, "W4G128-asym");
	CHECK(format_parse(&f, "W2G128", &err) == 0);
	CHECK_STR(f.name, "W2G128");
	CHECK(f.bits == 2 && f.block == 128 && f.sym);
	CHECK(format_parse(&f, "W4A16", &err) == 0);
	CHECK_STR(f.name, "W4G128");
	CHECK(f.kind == FMT_INT && f.bits == 4 && f.block == 128 && f.sym);
	CHECK(format_parse(&f, "W8G32", &err) == 0);
	CHECK(f.bits == 8 && f.block == 32);
	CHECK(format_parse(&f, "W4G128-sym", &err) == 0);
	CHECK_STR(f.name, "W4G128");
}

TEST(format_parse_should_reject_unknown_names_with_einval)
{
	const char *bad[] = {"W1G128", "W4G0", "MXFP5", "", "W4G128-foo", "W9G128", "W4",
			     "MXFP4 ", "W4G128-asym junk", "W4G128 -asym", "FP8", "W4A8",
			     "W4G-128", "W-4G128", "W+4G128", "W 4G128", "W4A16-asym"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct format f;
		struct bb_error err = {0};
		int rc = format_parse(&f, bad[i], &err);
		if (rc != BB_EINVAL)
			fprintf(stderr, "  '%s' was accepted (rc %d)\n", bad[i], rc);
		CHECK(rc == BB_EINVAL);
		CHECK(err.code == BB_EINVAL);
		CHECK(strstr(err.msg, "unknown format") != NULL);
	}
}

TEST(format_fits_should_require_whole_blocks)
{
	struct format mx4 = fmt("MXFP4"), w4 = fmt("W4G128"), bf = fmt("BF16");
	/* stories260k: intermediate 172 is a multiple of neither 32 nor 128 */
	CHECK(!format_fits(&mx4, 172));
	CHECK(!format_fits(&w4, 172));
	CHECK(format_fits(&bf, 172));
	CHECK(format_fits(&mx4, 64));
	CHECK(format_fits(&w4, 64));            /* one short group, as AutoRound */
	CHECK(!format_fits(&w4, 48));           /* INT needs multiples of 32 */
	CHECK(format_fits_layer(&w4, 64, 64));
	CHECK(!format_fits_layer(&w4, 172, 64)); /* stories260k's gate_proj: out 172 */
	CHECK(format_fits_layer(&mx4, 172, 64)); /* MX only looks at in_features */
	CHECK(format_fits(&mx4, 4096));
	CHECK(format_fits(&w4, 4096));
	CHECK(format_fits(&w4, 14336)); /* 112 groups */
	CHECK(!format_fits(&mx4, 0));
	CHECK(format_quantizes_activations(&mx4));
	CHECK(!format_quantizes_activations(&w4));
	CHECK(!format_quantizes_activations(&bf));
}

TEST(format_layer_bits_should_match_spec_table)
{
	const int64_t n = 4096LL * 4096;
	struct {
		const char *name;
		double with_scales, weights_only;
	} rows[] = {
		{"MXFP4", 4.25, 4},           {"MXFP8", 8.25, 8},
		{"W4G128", 4.15625, 4},       {"W4G128-asym", 4.15625, 4},
		{"W2G128", 2.140625, 2},      {"W2G128-asym", 2.140625, 2},
		{"BF16", 16, 16},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct format f = fmt(rows[i].name);
		int64_t a = format_layer_bits(&f, 4096, 4096, ACCOUNT_SCALES_ZP);
		int64_t w = format_layer_bits(&f, 4096, 4096, ACCOUNT_WEIGHTS);
		CHECK(a == (int64_t)(rows[i].with_scales * (double)n)); /* exact: n is 2^24 */
		CHECK(w == (int64_t)(rows[i].weights_only * (double)n));
	}
	/* partial last group: ceil(in / gs) groups per row */
	struct format w4 = fmt("W4G128"), mx4 = fmt("MXFP4");
	CHECK(format_layer_bits(&w4, 3, 100, ACCOUNT_SCALES_ZP) == 4 * 300 + 3 * 1 * (16 + 4));
	CHECK(format_layer_bits(&w4, 3, 300, ACCOUNT_SCALES_ZP) == 4 * 900 + 3 * 3 * (16 + 4));
	CHECK(format_layer_bits(&mx4, 2, 40, ACCOUNT_SCALES_ZP) == 4 * 80 + 2 * 2 * 8);
	/* a Llama-3.1-8B down_proj [4096, 14336] under W2G128: 2n + 4096*112*18 */
	struct format w2 = fmt("W2G128");
	CHECK(format_layer_bits(&w2, 4096, 14336, ACCOUNT_SCALES_ZP) ==
	      2LL * 4096 * 14336 + 4096LL * 112 * 18);
}

int main(void)
{
	RUN(mxfp4_should_reproduce_spec_examples_at_scale_one);
	RUN(mxfp4_should_keep_every_grid_value_and_round_midpoints_to_even);
	RUN(mxfp4_should_saturate_block_max_between_6_and_8_to_6_times_scale);
	RUN(mxfp4_should_match_grid_search_reference_on_random_blocks);
	RUN(e4m3_grid_should_have_127_values_topped_by_448);
	RUN(mxfp8_should_keep_every_e4m3_grid_value_at_scale_one);
	RUN(mxfp8_should_round_e4m3_midpoints_to_even_code);
	RUN(mxfp8_should_saturate_block_max_between_448_and_512_to_448);
	RUN(mxfp8_should_produce_subnormals_relative_to_the_shared_scale);
	RUN(mxfp8_should_match_grid_search_reference_on_random_blocks);
	RUN(mx_should_return_zeros_for_all_zero_block);
	RUN(mx_should_keep_the_sign_of_zeros);
	RUN(mx_should_make_whole_block_nan_when_one_element_is_nan);
	RUN(mx_should_clamp_shared_exponent_at_minus_127_for_tiny_blocks);
	RUN(mx_should_clamp_shared_exponent_at_127_for_infinite_blocks);
	RUN(mx_should_clamp_shared_exponent_at_exactly_minus_127);
	RUN(mx_should_saturate_the_largest_finite_block_and_clamp_at_127_for_mxfp8);
	RUN(mx_should_treat_a_short_row_as_one_block);
	RUN(mx_should_quantize_each_32_block_of_each_row_independently);
	RUN(int_asym_should_match_hand_computed_2bit_group);
	RUN(int_asym_should_include_zero_in_range_and_handle_one_signed_groups);
	RUN(int_sym_4bit_should_use_full_range_grid_with_larger_extreme_at_minus_8);
	RUN(int_sym_2bit_should_use_grid_minus_2_to_1);
	RUN(int_sym_should_round_scale_to_fp16);
	RUN(int_asym_should_round_scale_to_fp16);
	RUN(int_should_floor_scale_at_fp16_1e5_and_zero_groups_stay_zero);
	RUN(int_should_match_spec_transcription_on_random_groups);
	RUN(whole_tensor_qdq_should_equal_block_qdq_bit_for_bit);
	RUN(qdq_should_be_idempotent_bit_for_bit);
	RUN(int_asym_qdq_should_be_idempotent_when_first_pass_spans_grid);
	RUN(int_asym_should_follow_spec_even_where_it_is_not_idempotent);
	RUN(bf16_qdq_should_leave_values_unchanged);
	RUN(format_parse_should_accept_known_names);
	RUN(format_parse_should_reject_unknown_names_with_einval);
	RUN(format_fits_should_require_whole_blocks);
	RUN(format_layer_bits_should_match_spec_table);
	RUN(int_should_make_whole_group_nan_when_one_element_is_nan);
	RUN(format_first_nonfinite_should_find_the_first_nan_or_inf);
	END_TESTS();
}
