/*
 * test_knapsack.c: the exact multiple-choice knapsack mckp_solve (core/knapsack.c).
 *
 * Compared with brute force over every assignment on hundreds of small random instances
 * (equal costs, zero and tied losses), with a plain capacity-indexed DP written here on
 * medium instances, and on a 2,000-item problem checked for feasibility, against a
 * Lagrangian + greedy solution written here, and for single-item local optimality.
 * Never writes a file.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/knapsack.h"
#include "tests/unit/check.h"

static uint64_t rng = 0xC0FFEE1234ull;
static uint64_t next_u64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static int64_t rand_int(int64_t lo, int64_t hi) /* inclusive */
{
	return lo + (int64_t)(next_u64() % (uint64_t)(hi - lo + 1));
}
static double rand_unit(void) { return (double)(next_u64() >> 11) * 0x1.0p-53; }

struct best {
	double loss;
	int64_t cost;
	int feasible;
};

/* Every assignment: the minimum loss within capacity, then the minimum cost. */
static struct best brute_force(int n, int K, const int64_t *c, const double *l, int64_t cap)
{
	struct best b = {INFINITY, 0, 0};
	int pick[16] = {0};
	for (;;) {
		int64_t cost = 0;
		double loss = 0;
		for (int i = 0; i < n; i++)
			cost += c[i * K + pick[i]], loss += l[i * K + pick[i]];
		if (cost <= cap && (loss < b.loss || (loss == b.loss && cost < b.cost)))
			b = (struct best){loss, cost, 1};
		int i = 0;
		while (i < n && ++pick[i] == K)
			pick[i++] = 0;
		if (i == n)
			break;
	}
	return b;
}

static void totals(int n, int K, const int64_t *c, const double *l, const int *choice,
		   int64_t *cost, double *loss)
{
	*cost = 0, *loss = 0;
	for (int i = 0; i < n; i++)
		*cost += c[i * K + choice[i]], *loss += l[i * K + choice[i]];
}

static void cost_range(int n, int K, const int64_t *c, int64_t *lo, int64_t *hi)
{
	*lo = 0, *hi = 0;
	for (int i = 0; i < n; i++) {
		int64_t mn = c[i * K], mx = c[i * K];
		for (int k = 1; k < K; k++)
			mn = c[i * K + k] < mn ? c[i * K + k] : mn,
			mx = c[i * K + k] > mx ? c[i * K + k] : mx;
		*lo += mn, *hi += mx;
	}
}

static int valid_choice(int n, int K, const int *choice)
{
	for (int i = 0; i < n; i++)
		if (choice[i] < 0 || choice[i] >= K)
			return 0;
	return 1;
}

TEST(mckp_should_match_brute_force_on_small_random_instances)
{
	int wrong_loss = 0, wrong_cost = 0, over = 0, errors = 0, invalid = 0;
	for (int t = 0; t < 600; t++) {
		int n = (int)rand_int(1, 8), K = (int)rand_int(1, 4);
		int integer_losses = t % 2 == 0;
		int64_t c[32];
		double l[32];
		int64_t cost_hi = t % 3 == 0 ? 3 : 20; /* small ranges make equal costs common */
		for (int i = 0; i < n * K; i++) {
			c[i] = rand_int(0, cost_hi);
			if (integer_losses)
				l[i] = (double)rand_int(0, 6); /* zeros and ties */
			else
				l[i] = rand_unit() < 0.1 ? 0.0 : rand_unit() * 100;
		}
		int64_t lo, hi;
		cost_range(n, K, c, &lo, &hi);
		int64_t cap = rand_int(lo, hi);
		struct best b = brute_force(n, K, c, l, cap);
		int choice[8];
		struct bb_error err = {0};
		if (mckp_solve(n, K, c, l, cap, choice, &err) != 0) {
			errors++;
			continue;
		}
		if (!valid_choice(n, K, choice)) {
			invalid++;
			continue;
		}
		int64_t cost;
		double loss;
		totals(n, K, c, l, choice, &cost, &loss);
		over += cost > cap;
		if (integer_losses) {
			wrong_loss += loss != b.loss;
			wrong_cost += loss == b.loss && cost != b.cost; /* ties go to the lower cost */
		} else {
			wrong_loss += fabs(loss - b.loss) > 1e-12 * fmax(1.0, fabs(b.loss));
		}
	}
	CHECK(errors == 0);
	CHECK(invalid == 0);
	CHECK(over == 0);
	CHECK(wrong_loss == 0);
	CHECK(wrong_cost == 0);
	if (wrong_loss || wrong_cost || over || errors)
		fprintf(stderr, "  errors %d, over %d, wrong loss %d, wrong cost %d\n", errors, over,
			wrong_loss, wrong_cost);
}

TEST(mckp_should_match_brute_force_with_realistic_bit_costs)
{
	/* Layer shapes [out, in] and costs bits x params for W2G128, W4G128, MXFP4, MXFP8
	 * with scale bits: 2n + 18 out in/128, 4n + 20 out in/128, 4.25 n, 8.25 n. */
	static const int64_t shapes[8][2] = {{128, 128},   {64, 128},    {384, 128},
					     {128, 384},   {4096, 4096}, {1024, 4096},
					     {14336, 4096}, {4096, 14336}};
	int bad = 0;
	for (int t = 0; t < 150; t++) {
		int n = (int)rand_int(2, 8), K = 4;
		int64_t c[32];
		double l[32];
		for (int i = 0; i < n; i++) {
			const int64_t *s = shapes[rand_int(0, 7)];
			int64_t p = s[0] * s[1], g = s[0] * (s[1] / 128);
			c[i * 4 + 0] = 2 * p + 18 * g;
			c[i * 4 + 1] = 4 * p + 20 * g;
			c[i * 4 + 2] = 4 * p + p / 4;
			c[i * 4 + 3] = 8 * p + p / 4;
			double base = rand_unit() * 10 + 0.01;
			l[i * 4 + 0] = base * (4 + rand_unit());
			l[i * 4 + 1] = base * (1 + rand_unit() * 0.5);
			l[i * 4 + 2] = base * (1 + rand_unit() * 0.5);
			l[i * 4 + 3] = base * rand_unit() * 0.1;
		}
		int64_t lo, hi;
		cost_range(n, K, c, &lo, &hi);
		int64_t cap = lo + (int64_t)((double)(hi - lo) * rand_unit());
		struct best b = brute_force(n, K, c, l, cap);
		int choice[8];
		struct bb_error err = {0};
		if (mckp_solve(n, K, c, l, cap, choice, &err) != 0 || !valid_choice(n, K, choice)) {
			bad++;
			continue;
		}
		int64_t cost;
		double loss;
		totals(n, K, c, l, choice, &cost, &loss);
		bad += cost > cap || fabs(loss - b.loss) > 1e-12 * fmax(1.0, b.loss);
	}
	CHECK(bad == 0);
}

TEST(mckp_should_take_cheapest_at_minimum_capacity_and_best_at_maximum)
{
	/* 3 items, costs {1, 2, 4}, losses {5, 2, 0}: at capacity 3 only all-cheapest fits;
	 * at 12 all-best (loss 0). At 5 the best is two upgrades to cost 2 (loss 2+2+5=9) vs
	 * one to cost 4 (0+5+5=10): 9, cost 5. */
	int64_t c[9] = {1, 2, 4, 1, 2, 4, 1, 2, 4};
	double l[9] = {5, 2, 0, 5, 2, 0, 5, 2, 0};
	int ch[3];
	struct bb_error err = {0};
	CHECK(mckp_solve(3, 3, c, l, 3, ch, &err) == 0);
	CHECK(ch[0] == 0 && ch[1] == 0 && ch[2] == 0);
	CHECK(mckp_solve(3, 3, c, l, 12, ch, &err) == 0);
	CHECK(ch[0] == 2 && ch[1] == 2 && ch[2] == 2);
	CHECK(mckp_solve(3, 3, c, l, 5, ch, &err) == 0);
	int64_t cost;
	double loss;
	totals(3, 3, c, l, ch, &cost, &loss);
	CHECK(loss == 9 && cost == 5);
	/* an option that costs more and loses more is never taken; equal-loss options go to
	 * the cheaper one even with room to spare */
	int64_t c2[3] = {10, 3, 7};
	double l2[3] = {1, 1, 4};
	CHECK(mckp_solve(1, 3, c2, l2, 100, ch, &err) == 0);
	CHECK(ch[0] == 1);
	/* no items */
	CHECK(mckp_solve(0, 2, c2, l2, 0, ch, &err) == 0);
}

TEST(mckp_should_fail_with_einval_when_nothing_fits)
{
	int64_t c[4] = {3, 5, 2, 9};
	double l[4] = {1, 0, 1, 0};
	int ch[2];
	struct bb_error err = {0};
	CHECK(mckp_solve(2, 2, c, l, 4, ch, &err) == BB_EINVAL); /* cheapest total is 5 */
	CHECK(err.code == BB_EINVAL);
	CHECK(mckp_solve(2, 2, c, l, 5, ch, &err) == 0);
	CHECK(ch[0] == 0 && ch[1] == 0);
	CHECK(mckp_solve(2, 2, c, l, -1, ch, &err) == BB_EINVAL);
	CHECK(mckp_solve(2, 0, c, l, 100, ch, &err) == BB_EINVAL);   /* no options */
	CHECK(mckp_solve(1, 256, c, l, 100, ch, &err) == BB_EINVAL); /* too many */
}

/* Minimum loss over total cost <= cap by the textbook DP over exact costs; with integer
 * losses the sums are exact, so the loss and the cheapest optimal cost compare exactly. */
static struct best table_dp(int n, int K, const int64_t *c, const double *l, int64_t cap)
{
	double *cur = malloc(sizeof *cur * (size_t)(cap + 1));
	double *nxt = malloc(sizeof *nxt * (size_t)(cap + 1));
	for (int64_t x = 0; x <= cap; x++)
		cur[x] = x == 0 ? 0 : INFINITY;
	for (int i = 0; i < n; i++) {
		for (int64_t x = 0; x <= cap; x++)
			nxt[x] = INFINITY;
		for (int64_t x = 0; x <= cap; x++) {
			if (cur[x] == INFINITY)
				continue;
			for (int k = 0; k < K; k++) {
				int64_t y = x + c[i * K + k];
				if (y <= cap && cur[x] + l[i * K + k] < nxt[y])
					nxt[y] = cur[x] + l[i * K + k];
			}
		}
		double *t = cur;
		cur = nxt, nxt = t;
	}
	struct best b = {INFINITY, 0, 0};
	for (int64_t x = 0; x <= cap; x++)
		if (cur[x] < b.loss)
			b = (struct best){cur[x], x, 1};
	free(cur);
	free(nxt);
	return b;
}

TEST(mckp_should_match_table_dp_on_medium_instances)
{
	int bad = 0;
	for (int t = 0; t < 12; t++) {
		int n = 150 + 10 * t, K = 1 + t % 4;
		int64_t *c = malloc(sizeof *c * (size_t)(n * K));
		double *l = malloc(sizeof *l * (size_t)(n * K));
		for (int i = 0; i < n; i++)
			for (int k = 0; k < K; k++) {
				/* costs rise and losses fall with k, as for bit widths, plus noise */
				c[i * K + k] = 4 * (k + 1) + rand_int(0, 6);
				l[i * K + k] = (double)((K - k) * rand_int(0, 50));
			}
		int64_t lo, hi;
		cost_range(n, K, c, &lo, &hi);
		int64_t cap = lo + (hi - lo) * (t + 1) / 13;
		struct best b = table_dp(n, K, c, l, cap);
		int *choice = malloc(sizeof *choice * (size_t)n);
		struct bb_error err = {0};
		int rc = mckp_solve(n, K, c, l, cap, choice, &err);
		int64_t cost = 0;
		double loss = 0;
		if (!rc)
			totals(n, K, c, l, choice, &cost, &loss);
		if (rc || loss != b.loss || cost != b.cost || cost > cap) {
			fprintf(stderr, "  n %d K %d: loss %g (want %g), cost %lld (want %lld)\n", n,
				K, loss, b.loss, (long long)cost, (long long)b.cost);
			bad++;
		}
		free(c);
		free(l);
		free(choice);
	}
	CHECK(bad == 0);
}

TEST(mckp_should_handle_many_identical_items)
{
	/* 300 identical items, costs {1, 2, 3}, losses {2, 1, 0}: every upgrade saves 1 per
	 * unit of cost, so with capacity 300 + x the optimum is 600 - x (massive ties). */
	enum { N = 300, K = 3 };
	static int64_t c[N * K];
	static double l[N * K];
	static int ch[N];
	for (int i = 0; i < N; i++)
		for (int k = 0; k < K; k++)
			c[i * K + k] = k + 1, l[i * K + k] = 2 - k;
	const int64_t extra[4] = {0, 1, 299, 600};
	for (int t = 0; t < 4; t++) {
		struct bb_error err = {0};
		CHECK(mckp_solve(N, K, c, l, N + extra[t], ch, &err) == 0);
		int64_t cost;
		double loss;
		totals(N, K, c, l, ch, &cost, &loss);
		CHECK(loss == 600 - extra[t]);
		CHECK(cost == N + extra[t]);
	}
}

/* Per item, the option minimising loss + lam * cost (ties to the lower cost); returns
 * the total cost. */
static int64_t relaxed(int n, int K, const int64_t *c, const double *l, double lam, int *ch)
{
	int64_t cost = 0;
	for (int i = 0; i < n; i++) {
		int b = 0;
		for (int k = 1; k < K; k++) {
			double vk = l[i * K + k] + lam * (double)c[i * K + k];
			double vb = l[i * K + b] + lam * (double)c[i * K + b];
			if (vk < vb || (vk == vb && c[i * K + k] < c[i * K + b]))
				b = k;
		}
		ch[i] = b;
		cost += c[i * K + b];
	}
	return cost;
}

/* A feasible solution by bisection on lambda, then greedy single-item improvements that
 * fit. Returns its loss. */
static double lagrangian_greedy(int n, int K, const int64_t *c, const double *l, int64_t cap,
				int *ch)
{
	double hi = 0;
	if (relaxed(n, K, c, l, 0, ch) > cap) {
		hi = 1e-30;
		while (relaxed(n, K, c, l, hi, ch) > cap && hi < 1e300)
			hi *= 4;
		double lo = hi / 4;
		for (int it = 0; it < 200; it++) {
			double mid = 0.5 * (lo + hi);
			if (relaxed(n, K, c, l, mid, ch) > cap)
				lo = mid;
			else
				hi = mid;
		}
	}
	int64_t spent = relaxed(n, K, c, l, hi, ch);
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < n; i++)
			for (int k = 0; k < K; k++) {
				int64_t d = c[i * K + k] - c[i * K + ch[i]];
				if (l[i * K + k] < l[i * K + ch[i]] && spent + d <= cap)
					spent += d, ch[i] = k, changed = 1;
			}
	}
	double loss = 0;
	for (int i = 0; i < n; i++)
		loss += l[i * K + ch[i]];
	return loss;
}

TEST(mckp_should_solve_2000_items_feasibly_and_locally_optimally)
{
	enum { N = 2000, K = 4 };
	static int64_t c[N * K];
	static double l[N * K];
	static int ch[N], ref[N];
	static const int64_t shapes[4][2] = {{4096, 4096}, {1024, 4096}, {14336, 4096},
					     {4096, 14336}};
	for (int i = 0; i < N; i++) {
		const int64_t *s = shapes[i % 4];
		int64_t p = s[0] * s[1], g = s[0] * (s[1] / 128);
		c[i * K + 0] = 2 * p + 18 * g;
		c[i * K + 1] = 4 * p + 20 * g;
		c[i * K + 2] = 4 * p + p / 4;
		c[i * K + 3] = 8 * p + p / 4;
		double base = exp(rand_unit() * 6 - 3);
		l[i * K + 0] = base * (8 + 4 * rand_unit());
		l[i * K + 1] = base * (1 + rand_unit());
		l[i * K + 2] = base * (1 + rand_unit());
		l[i * K + 3] = base * 0.05 * rand_unit();
	}
	int64_t lo, hi;
	cost_range(N, K, c, &lo, &hi);
	for (int t = 0; t < 3; t++) {
		int64_t cap = lo + (hi - lo) * (t + 1) / 4;
		struct bb_error err = {0};
		clock_t t0 = clock();
		int rc = mckp_solve(N, K, c, l, cap, ch, &err);
		double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
		CHECK(rc == 0);
		if (rc)
			continue;
		CHECK(valid_choice(N, K, ch));
		int64_t cost;
		double loss;
		totals(N, K, c, l, ch, &cost, &loss);
		CHECK(cost <= cap);
		double ref_loss = lagrangian_greedy(N, K, c, l, cap, ref);
		int64_t ref_cost;
		double ref_loss2;
		totals(N, K, c, l, ref, &ref_cost, &ref_loss2);
		CHECK(ref_cost <= cap); /* the reference itself is feasible */
		CHECK(loss <= ref_loss * (1 + 1e-12));
		/* no single-item change that fits lowers the loss */
		int improvable = 0;
		for (int i = 0; i < N; i++)
			for (int k = 0; k < K; k++) {
				int64_t d = c[i * K + k] - c[i * K + ch[i]];
				double gain = l[i * K + ch[i]] - l[i * K + k];
				improvable += cost + d <= cap && gain > 1e-12 * fabs(loss);
			}
		CHECK(improvable == 0);
		/* and no pair of changes on neighbouring items either (a cheap stronger check) */
		int pair = 0;
		for (int i = 0; i + 1 < N; i++)
			for (int a = 0; a < K; a++)
				for (int b = 0; b < K; b++) {
					int64_t d = c[i * K + a] - c[i * K + ch[i]] +
						    c[(i + 1) * K + b] - c[(i + 1) * K + ch[i + 1]];
					double gain = l[i * K + ch[i]] - l[i * K + a] +
						      l[(i + 1) * K + ch[i + 1]] - l[(i + 1) * K + b];
					pair += cost + d <= cap && gain > 1e-12 * fabs(loss);
				}
		CHECK(pair == 0);
		fprintf(stderr, "  cap %d/4: loss %.6g (Lagrangian+greedy %.6g), %.2f s\n", t + 1,
			loss, ref_loss, secs);
		CHECK(secs < 60);
	}
}

int main(void)
{
	RUN(mckp_should_match_brute_force_on_small_random_instances);
	RUN(mckp_should_match_brute_force_with_realistic_bit_costs);
	RUN(mckp_should_take_cheapest_at_minimum_capacity_and_best_at_maximum);
	RUN(mckp_should_fail_with_einval_when_nothing_fits);
	RUN(mckp_should_match_table_dp_on_medium_instances);
	RUN(mckp_should_handle_many_identical_items);
	RUN(mckp_should_solve_2000_items_feasibly_and_locally_optimally);
	END_TESTS();
}
