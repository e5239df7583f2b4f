/*
 * test_formats_mx.c: the MX formats' quantize-dequantize (core/formats.c).
 *
 * Checks MXFP4 (E2M1) and MXFP8 (E4M3) against grids enumerated from the spec
 * (../shared/docs/autoround-autoscheme.md 2.1, 2.2; tests/unit/formats_reference.h):
 * nearest grid value, ties to the even code, saturation, subnormals, zeros, NaN/Inf, the
 * E8M0 exponent clamp, blocks along a row; and the scan for non-finite values.
 * test_formats.c holds the INT formats, the whole-tensor path, idempotence and names.
 * Never writes a file.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/formats.h"
#include "tests/unit/check.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/formats_reference.h"

// ---- helpers ----

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
	RUN(int_should_make_whole_group_nan_when_one_element_is_nan);
	RUN(format_first_nonfinite_should_find_the_first_nan_or_inf);
	END_TESTS();
}
