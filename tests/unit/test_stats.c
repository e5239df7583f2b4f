/*
 * test_stats.c: the report's statistics (harness/stats.c) against small examples worked
 * out by hand: McNemar's exact and chi-square p, the paired bootstrap's interval and p on
 * examples whose resampling distribution can be enumerated, its symmetry and fixed-seed
 * reproducibility, Spearman's rho with ties, and the bootstrap intervals of a ratio of
 * sums (per-document KLD) and of rho.
 * Never writes a file.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"
#include "tests/unit/check.h"

// ---- McNemar ----

TEST(mcnemar_should_give_exact_binomial_p_for_small_counts)
{
	/* b = 10, c = 2: p = 2 P(X <= 2 | n = 12, 1/2) = 2 (1 + 12 + 66) / 4096 = 0.0386 */
	struct mcnemar t = stats_mcnemar(10, 2);
	CHECK(t.exact && t.b == 10 && t.c == 2);
	CHECK_NEAR(t.p, 158.0 / 4096, 1e-12);
	CHECK_NEAR(stats_mcnemar(2, 10).p, 158.0 / 4096, 1e-12); /* two-sided: symmetric */
	/* b = c: the tail is over half, so p = 1; no discordant pairs: p = 1 */
	CHECK(stats_mcnemar(5, 5).p == 1 && stats_mcnemar(0, 0).p == 1);
	/* 0 of 5: 2 / 32; 1 of 6: 2 (1 + 6) / 64 */
	CHECK_NEAR(stats_binomial_two_sided(0, 5), 0.0625, 1e-12);
	CHECK_NEAR(stats_binomial_two_sided(5, 6), 14.0 / 64, 1e-12);
	/* 24 discordant pairs is still exact: 4 of 24, 2 (C(24,0) + ... + C(24,4)) / 2^24 */
	t = stats_mcnemar(4, 20);
	CHECK(t.exact);
	CHECK_NEAR(t.p, 2.0 * (1 + 24 + 276 + 2024 + 10626) / 16777216.0, 1e-12);
}

TEST(mcnemar_should_use_chi_square_with_continuity_correction_from_25_pairs)
{
	/* b = 30, c = 10: chi2 = (|30 - 10| - 1)^2 / 40 = 9.025; P(chi2_1 > 9.025) = 0.0026631 */
	struct mcnemar t = stats_mcnemar(30, 10);
	CHECK(!t.exact);
	CHECK_NEAR(t.p, 0.0026631192591386, 1e-12);
	CHECK(!stats_mcnemar(13, 12).exact);                 /* 25 pairs */
	CHECK_NEAR(stats_mcnemar(13, 12).p, 1.0, 1e-12);     /* |13 - 12| - 1 = 0 */
}

// ---- the paired bootstrap ----

static int boot(const double *a, const double *b, int n, uint64_t seed, struct bootstrap *out)
{
	struct paired_task t = {n, a, b};
	return stats_paired_bootstrap(&t, 1, BOOTSTRAP_RESAMPLES, seed, out);
}

TEST(bootstrap_should_match_the_enumerated_distribution_of_a_three_document_task)
{
	/* Differences (1, 1, 0): a resample's mean is k/3 with k ~ Binomial(3, 2/3), so
	 * P(0) = 1/27 = 0.037, P(1/3) = 6/27, P(2/3) = 12/27, P(1) = 8/27. The 2.5% point falls
	 * in P(0) (3.7% > 2.5%) and the 97.5% point in P(1): the interval is exactly [0, 1].
	 * p = 2 #{mean <= 0} / B, about 2/27 = 0.074 (sd 0.004 at 10,000 resamples). */
	const double a[3] = {1, 1, 0}, b[3] = {0, 0, 0};
	struct bootstrap r;
	CHECK(boot(a, b, 3, BOOTSTRAP_SEED, &r) == 0);
	CHECK_NEAR(r.diff, 2.0 / 3, 1e-15);
	CHECK(r.lo == 0 && r.hi == 1);
	CHECK_NEAR(r.p, 2.0 / 27, 0.015);
	CHECK(!stats_significant(&r) && r.resamples == BOOTSTRAP_RESAMPLES);
}

TEST(bootstrap_should_give_a_point_interval_when_every_document_differs_alike)
{
	/* Every difference +1 in one task and 0 in another of another size: every resample has
	 * mean (1 + 0) / 2 = 0.5 (tasks weigh alike, documents are not pooled: pooled would be
	 * 4/11); no resample is <= 0, so p = 0 (reported as < 1/B). */
	const double one[4] = {1, 1, 1, 1}, zero[7] = {0};
	struct paired_task tasks[2] = {{4, one, zero}, {7, zero, zero}};
	struct bootstrap r;
	CHECK(stats_paired_bootstrap(tasks, 2, BOOTSTRAP_RESAMPLES, 1, &r) == 0);
	CHECK(r.diff == 0.5 && r.lo == 0.5 && r.hi == 0.5 && r.p == 0);
	CHECK(stats_significant(&r));
	/* identical outcomes: difference 0, interval [0, 0], p = 1 */
	const double same[5] = {1, 0, 1, 1, 0};
	CHECK(boot(same, same, 5, 7, &r) == 0);
	CHECK(r.diff == 0 && r.lo == 0 && r.hi == 0 && r.p == 1 && !stats_significant(&r));
}

static void random_outcomes(double *a, double *b, int n, uint64_t seed)
{
	for (int i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		a[i] = (seed >> 40) % 10 < 6;  /* about 60% right */
		b[i] = (seed >> 50) % 10 < 5;  /* about 50% right */
	}
}

TEST(bootstrap_should_be_reproducible_with_a_fixed_seed_and_antisymmetric)
{
	static double a[300], b[300];
	random_outcomes(a, b, 300, 99);
	struct bootstrap r1, r2, r3, swapped;
	CHECK(boot(a, b, 300, BOOTSTRAP_SEED, &r1) == 0);
	CHECK(boot(a, b, 300, BOOTSTRAP_SEED, &r2) == 0);
	CHECK(memcmp(&r1, &r2, sizeof r1) == 0);
	CHECK(boot(a, b, 300, BOOTSTRAP_SEED + 1, &r3) == 0);
	CHECK(r3.diff == r1.diff && (r3.lo != r1.lo || r3.hi != r1.hi || r3.p != r1.p));
	/* b - a with the same seed draws the same documents: every resample negates */
	CHECK(boot(b, a, 300, BOOTSTRAP_SEED, &swapped) == 0);
	CHECK(swapped.diff == -r1.diff && swapped.lo == -r1.hi && swapped.hi == -r1.lo);
	CHECK(swapped.p == r1.p);
	/* the interval holds the observed difference; its width is near 2 x 1.96 x the
	 * standard error of a mean of 300 paired differences */
	CHECK(r1.lo <= r1.diff && r1.diff <= r1.hi);
	double mean = 0, var = 0;
	for (int i = 0; i < 300; i++)
		mean += (a[i] - b[i]) / 300;
	for (int i = 0; i < 300; i++)
		var += (a[i] - b[i] - mean) * (a[i] - b[i] - mean) / 300;
	CHECK_NEAR(r1.hi - r1.lo, 2 * 1.96 * sqrt(var / 300), 0.15 * 2 * 1.96 * sqrt(var / 300));
}

/* The method as docs/statistics.md states it, one sequential stream of draws: splitmix64
 * from the seed, an index by multiply-shift, task after task, resample after resample. */
static uint64_t ref_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static void ref_bootstrap(const struct paired_task *tasks, int n_tasks, int B, uint64_t seed,
			  double *lo, double *hi, double *p)
{
	static double draws[2000];
	uint64_t s = seed;
	int le = 0, ge = 0;
	for (int r = 0; r < B; r++) {
		double mean = 0;
		for (int t = 0; t < n_tasks; t++) {
			double sum = 0;
			for (int i = 0; i < tasks[t].n; i++) {
				int k = (int)(((unsigned __int128)ref_splitmix64(&s) * (unsigned)tasks[t].n) >> 64);
				sum += tasks[t].a[k] - tasks[t].b[k];
			}
			mean += sum / tasks[t].n / n_tasks;
		}
		draws[r] = mean;
		le += mean <= 0, ge += mean >= 0;
	}
	qsort(draws, (size_t)B, sizeof *draws, cmp_double);
	*lo = draws[(int)floor(0.025 * B)];
	*hi = draws[(int)ceil(0.975 * B) - 1];
	*p = fmin(1.0, 2.0 * (le < ge ? le : ge) / B);
}

/* The resamples run in parallel, each starting its draws where the sequential stream
 * would be; any thread count must give the sequential answer exactly. */
TEST(bootstrap_should_equal_one_sequential_stream_whatever_the_thread_count)
{
	static double a[3][97], b[3][97];
	static const int n[3] = {97, 41, 13};
	struct paired_task tasks[3];
	uint64_t s = 7;
	for (int t = 0; t < 3; t++) {
		for (int i = 0; i < n[t]; i++) {
			a[t][i] = ref_splitmix64(&s) % 10 < 6;
			b[t][i] = ref_splitmix64(&s) % 10 < 5;
		}
		tasks[t] = (struct paired_task){n[t], a[t], b[t]};
	}
	double lo, hi, p;
	ref_bootstrap(tasks, 3, 2000, 12345, &lo, &hi, &p);
	CHECK(lo < hi);
	for (int threads = 1; threads <= 4; threads += 3) {
		omp_set_num_threads(threads);
		struct bootstrap out;
		CHECK(stats_paired_bootstrap(tasks, 3, 2000, 12345, &out) == 0);
		CHECK(out.lo == lo && out.hi == hi && out.p == p);
	}
}

TEST(bootstrap_should_refuse_empty_input)
{
	struct bootstrap r;
	const double x[1] = {1};
	struct paired_task empty = {0, x, x};
	CHECK(stats_paired_bootstrap(&empty, 1, 100, 1, &r) == -1);
	CHECK(stats_paired_bootstrap(&empty, 0, 100, 1, &r) == -1);
}

// ---- Spearman ----

TEST(holm_should_match_a_hand_worked_family)
{
	/* sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> kept
	 * at the running maximum 0.06 (adjusted p never decrease along the sorted order) */
	const double p[4] = {0.01, 0.04, 0.03, 0.005};
	double adj[4];
	CHECK(stats_holm(p, 4, adj) == 0);
	CHECK_NEAR(adj[0], 0.03, 1e-15);
	CHECK_NEAR(adj[1], 0.06, 1e-15);
	CHECK_NEAR(adj[2], 0.06, 1e-15);
	CHECK_NEAR(adj[3], 0.02, 1e-15);
	/* capped at 1; ties keep their order; one test is not adjusted */
	const double q[3] = {0.5, 0.5, 0.2};
	CHECK(stats_holm(q, 3, adj) == 0);
	CHECK_NEAR(adj[2], 0.6, 1e-15);
	CHECK(adj[0] == 1 && adj[1] == 1);
	CHECK(stats_holm(p + 1, 1, adj) == 0 && adj[0] == 0.04);
}

TEST(ranks_should_average_ties)
{
	const double x[4] = {3, 1, 2, 2};
	double r[4];
	stats_ranks(x, 4, r);
	CHECK(r[0] == 4 && r[1] == 1 && r[2] == 2.5 && r[3] == 2.5);
}

TEST(spearman_should_match_hand_examples_with_ties)
{
	/* x = (1, 2, 2, 3) ranks (1, 2.5, 2.5, 4); y = (1, 3, 2, 4) ranks (1, 3, 2, 4). Centred
	 * at 2.5: dx = (-1.5, 0, 0, 1.5), dy = (-1.5, 0.5, -0.5, 1.5); Sxy = 4.5, Sxx = 4.5,
	 * Syy = 5; rho = 4.5 / sqrt(22.5) = sqrt(0.9) = 0.948683. */
	const double x[4] = {1, 2, 2, 3}, y[4] = {1, 3, 2, 4};
	CHECK_NEAR(stats_spearman(x, y, 4), sqrt(0.9), 1e-12);
	/* ties on both sides cancelling: x ranks (1.5, 1.5, 3.5, 3.5), y (1.5, 3.5, 1.5, 3.5) */
	const double u[4] = {1, 1, 2, 2}, v[4] = {1, 2, 1, 2};
	CHECK_NEAR(stats_spearman(u, v, 4), 0, 1e-12);
	/* monotone either way, whatever the spacing */
	const double p[5] = {10, 20, 30, 40, 50}, q[5] = {5, 4, 3, 2, 1}, s[5] = {1, 2, 4, 8, 100};
	CHECK_NEAR(stats_spearman(p, q, 5), -1, 1e-12);
	CHECK_NEAR(stats_spearman(p, s, 5), 1, 1e-12);
	/* undefined: one point, or a constant variable */
	const double c[3] = {2, 2, 2};
	CHECK(isnan(stats_spearman(p, q, 1)) && isnan(stats_spearman(p, c, 3)));
}

// ---- bootstrap intervals of one statistic ----

TEST(spearman_bootstrap_should_contain_rho_and_pin_a_monotone_set)
{
	/* monotone: every resample with two distinct points has rho 1 (those with one point
	 * have none and are left out) */
	const double p[6] = {1, 2, 3, 4, 5, 6}, q[6] = {0.1, 0.4, 0.5, 0.9, 2, 7};
	double lo = NAN, hi = NAN;
	CHECK(stats_spearman_bootstrap(p, q, 6, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &lo, &hi) == 0);
	CHECK(lo == 1 && hi == 1);
	/* a hand-ranked set with ties (the example above, rho = sqrt(0.9)), more points */
	const double x[8] = {1, 2, 2, 3, 5, 4, 7, 6}, y[8] = {1, 3, 2, 4, 4, 6, 5, 8};
	double rho = stats_spearman(x, y, 8);
	CHECK(stats_spearman_bootstrap(x, y, 8, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &lo, &hi) == 0);
	CHECK(lo <= rho && rho <= hi && lo < hi && hi <= 1 && lo >= -1);
	/* the same seed, the same interval */
	double lo2, hi2;
	CHECK(stats_spearman_bootstrap(x, y, 8, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &lo2, &hi2) == 0);
	CHECK(lo2 == lo && hi2 == hi);
	/* undefined in every resample: a constant variable; or too few pairs */
	const double c[4] = {2, 2, 2, 2};
	CHECK(stats_spearman_bootstrap(c, p, 4, 100, 1, &lo, &hi) == -1);
	CHECK(stats_spearman_bootstrap(p, q, 1, 100, 1, &lo, &hi) == -1);
}

int main(void)
{
	RUN(mcnemar_should_give_exact_binomial_p_for_small_counts);
	RUN(mcnemar_should_use_chi_square_with_continuity_correction_from_25_pairs);
	RUN(bootstrap_should_match_the_enumerated_distribution_of_a_three_document_task);
	RUN(bootstrap_should_give_a_point_interval_when_every_document_differs_alike);
	RUN(bootstrap_should_be_reproducible_with_a_fixed_seed_and_antisymmetric);
	RUN(bootstrap_should_equal_one_sequential_stream_whatever_the_thread_count);
	RUN(bootstrap_should_refuse_empty_input);
	RUN(holm_should_match_a_hand_worked_family);
	RUN(ranks_should_average_ties);
	RUN(spearman_should_match_hand_examples_with_ties);
	RUN(spearman_bootstrap_should_contain_rho_and_pin_a_monotone_set);
	END_TESTS();
}
