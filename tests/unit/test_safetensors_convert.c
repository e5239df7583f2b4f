/*
 * test_safetensors_convert.c: the 16-bit float conversions of core/safetensors.c (BF16 and
 * F16 to and from float32), checked against bit patterns worked by hand and, exhaustively
 * over every 16-bit pattern, against a decoder and a round-to-nearest-even written here;
 * and their refusal of non-float dtypes. Never writes a file.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/safetensors.h"
#include "tests/unit/check.h"

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}
static float bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

// ---- conversions ----

TEST(bf16_conversions_should_match_known_bit_patterns)
{
	CHECK(f32_to_bf16(1.0f) == 0x3F80);
	CHECK(bf16_to_f32(0x3F80) == 1.0f);
	CHECK(f32_to_bf16(-2.5f) == 0xC020);
	CHECK(bf16_to_f32(0xC020) == -2.5f);
	/* 65504 = 0x477FE000: lower half 0xE000 > 0x8000, rounds up to 65536 */
	CHECK(f32_to_bf16(65504.0f) == 0x4780);
	CHECK(bf16_to_f32(0x4780) == 65536.0f);
	/* 1 + 2^-8 = 0x3F808000 is a tie between 0x3F80 and 0x3F81: to even */
	CHECK(f32_to_bf16(1.0f + 0x1.0p-8f) == 0x3F80);
	CHECK(f32_to_bf16(1.0f + 3 * 0x1.0p-8f) == 0x3F82);
	CHECK(f32_to_bf16(1.0f + 0x1.0p-8f + 0x1.0p-20f) == 0x3F81);
	CHECK(f32_to_bf16(-0.0f) == 0x8000);
	CHECK(f32_to_bf16(INFINITY) == 0x7F80);
	CHECK(f32_to_bf16(bits_f32(0x7F7FFFFF)) == 0x7F80); /* FLT_MAX rounds to Inf */
	CHECK(isnan(bf16_to_f32(f32_to_bf16(NAN))));
	CHECK(isnan(bf16_to_f32(f32_to_bf16(bits_f32(0x7F800001))))); /* sNaN, low bits only */
	CHECK(isnan(bf16_to_f32(f32_to_bf16(bits_f32(0xFFFFFFFF)))));
}

TEST(f16_conversions_should_match_known_bit_patterns)
{
	CHECK(f32_to_f16(1.0f) == 0x3C00);
	CHECK(f16_to_f32(0x3C00) == 1.0f);
	CHECK(f32_to_f16(-2.5f) == 0xC100);
	CHECK(f16_to_f32(0xC100) == -2.5f);
	CHECK(f32_to_f16(65504.0f) == 0x7BFF);
	CHECK(f16_to_f32(0x7BFF) == 65504.0f);
	CHECK(f32_to_f16(65519.99f) == 0x7BFF);
	CHECK(f32_to_f16(65520.0f) == 0x7C00); /* tie with 65536 -> even -> overflow */
	CHECK(f32_to_f16(1e6f) == 0x7C00);
	CHECK(f32_to_f16(-INFINITY) == 0xFC00);
	CHECK(isinf(f16_to_f32(0x7C00)) && f16_to_f32(0x7C00) > 0);
	/* subnormals */
	CHECK(f32_to_f16(0x1.0p-24f) == 0x0001);
	CHECK(f16_to_f32(0x0001) == 0x1.0p-24f);
	CHECK(f16_to_f32(0x03FF) == 1023 * 0x1.0p-24f);
	CHECK(f16_to_f32(0x0400) == 0x1.0p-14f);
	CHECK(f32_to_f16(0x1.0p-25f) == 0x0000);   /* tie with 0 -> even */
	CHECK(f32_to_f16(3 * 0x1.0p-25f) == 0x0002); /* tie 1 or 2 -> 2 */
	CHECK(f32_to_f16(0x1.0p-26f) == 0x0000);
	CHECK(f32_to_f16(-0x1.0p-24f) == 0x8001);
	CHECK(f32_to_f16(0x1.0p-14f - 0x1.0p-30f) == 0x0400); /* rounds up into the normals */
	CHECK(f32_to_f16(-0.0f) == 0x8000);
	/* ties in the normal range */
	CHECK(f32_to_f16(1.0f + 0x1.0p-11f) == 0x3C00);
	CHECK(f32_to_f16(1.0f + 3 * 0x1.0p-11f) == 0x3C02);
	CHECK(f32_to_f16(2047.5f) == f32_to_f16(2048.0f)); /* 2047.5 -> 2048 (even) */
	CHECK(isnan(f16_to_f32(f32_to_f16(NAN))));
	CHECK(isnan(f16_to_f32(0x7E00)));
	CHECK(isnan(f16_to_f32(0xFC01)));
}

/* Value of an fp16 bit pattern, decoded from the IEEE definition. */
static double ref_f16_decode(uint16_t h)
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY)
						    : ldexp(1024 + m, e - 25);
	return s ? -v : v;
}

TEST(f16_conversions_should_round_trip_every_bit_pattern)
{
	int bad_decode = 0, bad_trip = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		float v = f16_to_f32((uint16_t)h);
		double want = ref_f16_decode((uint16_t)h);
		if (isnan(want)) {
			bad_decode += !isnan(v);
			bad_trip += !isnan(f16_to_f32(f32_to_f16(v)));
			continue;
		}
		bad_decode += (double)v != want || !signbit(v) != !signbit(want);
		bad_trip += f32_to_f16(v) != h;
	}
	CHECK(bad_decode == 0);
	CHECK(bad_trip == 0);
}

TEST(bf16_conversions_should_round_trip_every_bit_pattern)
{
	int bad = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		float v = bf16_to_f32((uint16_t)h);
		bad += f32_bits(v) != h << 16;
		if (!isnan(v))
			bad += f32_to_bf16(v) != h;
		else
			bad += !isnan(bf16_to_f32(f32_to_bf16(v)));
	}
	CHECK(bad == 0);
}

/* Nearest value with `bits` significant bits (ties to even), exponent floor at min_exp
 * (subnormal spacing 2^(min_exp - bits + 1)). */
static double ref_round(double x, int bits, int min_exp)
{
	if (x == 0)
		return x;
	int e;
	frexp(fabs(x), &e); /* |x| in [2^(e-1), 2^e) */
	e -= 1;
	if (e < min_exp)
		e = min_exp;
	double q = ldexp(1.0, e - (bits - 1));
	return nearbyint(x / q) * q;
}

TEST(f32_to_16bit_should_round_random_values_to_nearest_even)
{
	uint64_t st = 0x1234567;
	int bad16 = 0, badbf = 0;
	for (int i = 0; i < 200000; i++) {
		st = st * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t u = (uint32_t)(st >> 32);
		float x = bits_f32(u);
		if (isnan(x) || isinf(x))
			continue;
		/* bf16: 8 significant bits, same exponent range as float */
		double wb = ref_round(x, 8, -126);
		if (fabs(wb) >= 0x1.0p128)
			wb = copysign(INFINITY, x);
		float gb = bf16_to_f32(f32_to_bf16(x));
		badbf += (double)gb != wb;
		/* f16: 11 significant bits, exponent >= -14, overflow past 65504 (ties at 65520) */
		float y = bits_f32((u & 0x807FFFFFu) | ((uint32_t)(100 + (st >> 11) % 50) << 23));
		double wh = ref_round(y, 11, -14);
		if (fabs(wh) > 65504)
			wh = copysign(INFINITY, y);
		float gh = f16_to_f32(f32_to_f16(y));
		bad16 += (double)gh != wh;
	}
	CHECK(badbf == 0);
	CHECK(bad16 == 0);
}

TEST(st_conversions_should_refuse_non_float_dtypes)
{
	float x[2] = {1, 2};
	uint8_t raw[16];
	CHECK(st_to_f32(ST_I32, raw, x, 2) == BB_EUNSUPPORTED);
	CHECK(st_from_f32(ST_I8, x, raw, 2) == BB_EUNSUPPORTED);
	CHECK(st_from_f32(ST_BF16, x, raw, 2) == 0);
	CHECK(raw[0] == 0x80 && raw[1] == 0x3F && raw[2] == 0x00 && raw[3] == 0x40);
	CHECK(st_from_f32(ST_F16, x, raw, 2) == 0);
	CHECK(raw[0] == 0x00 && raw[1] == 0x3C && raw[2] == 0x00 && raw[3] == 0x40);
	CHECK(st_dtype_size(ST_F64) == 8 && st_dtype_size(ST_BOOL) == 1);
	CHECK_STR(st_dtype_name(ST_BF16), "BF16");
}

int main(void)
{
	RUN(bf16_conversions_should_match_known_bit_patterns);
	RUN(f16_conversions_should_match_known_bit_patterns);
	RUN(f16_conversions_should_round_trip_every_bit_pattern);
	RUN(bf16_conversions_should_round_trip_every_bit_pattern);
	RUN(f32_to_16bit_should_round_random_values_to_nearest_even);
	RUN(st_conversions_should_refuse_non_float_dtypes);
	END_TESTS();
}
