/*
 * test_allocate.c: the allocation problem (core/allocate.c) and the built-in strategies
 * (baselines/): option sorting, fixed layers, exact bit budgets, feasibility and snapping,
 * the head/tail/pure baselines on Llama-3.1-8B (planning mode) and stories260k, and
 * recipe checking; the sensitivity strategy is in test_allocate_sensitivity.c.
 * Expected values are worked out by hand in the comments.
 * Never writes a file.
 */
#include <stdint.h>
#include <string.h>

#include "baselines/registry.h"
#include "core/allocate.h"
#include "core/checkpoint.h"
#include "tests/unit/check.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/strategy_fixture.h"

static const char *llama_dir = "experiments/models/Llama-3.1-8B-Instruct";

/* Llama-3.1-8B: every block holds P_b = 218,103,808 parameters, N = 32 P_b. */
#define LLAMA_PB 218103808LL
#define LLAMA_N (32 * LLAMA_PB)

static int init_mx(struct alloc_problem *p, const struct inventory *inv, double target,
		   enum bit_accounting acc, struct bb_error *err)
{
	/* given highest first, to check the problem sorts them */
	struct format opts[2] = {fmt("MXFP8"), fmt("MXFP4")};
	return alloc_problem_init(p, inv, opts, 2, acc, target, NULL, err);
}

// ---- problem set-up ----

TEST(alloc_problem_should_sort_options_and_price_layers_exactly)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 5.0, ACCOUNT_WEIGHTS, &err) == 0);
	CHECK(p.n_options == 2);
	CHECK_STR(p.options[0].name, "MXFP4");
	CHECK_STR(p.options[1].name, "MXFP8");
	CHECK(p.min_bits == 4 * LLAMA_N);
	CHECK(p.max_bits == 8 * LLAMA_N);
	CHECK(p.fixed_bits == 0);
	CHECK(p.budget_bits == 5 * LLAMA_N);
	CHECK(p.target_avg_bits == 5.0);
	for (int i = 0; i < m.inv.n; i++)
		CHECK(!p.fixed[i]);
	/* q_proj [4096, 4096]: 4 and 8 bits per weight */
	CHECK(p.cost[0] == 4LL * 4096 * 4096 && p.cost[1] == 8LL * 4096 * 4096);
	/* down_proj [4096, 14336] */
	CHECK(p.cost[6 * 2] == 4LL * 4096 * 14336);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

TEST(alloc_problem_should_reject_bad_option_lists)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct alloc_problem p;
	struct bb_error err = {0};
	struct format twice[2] = {fmt("MXFP4"), fmt("MXFP4")};
	CHECK(alloc_problem_init(&p, &m.inv, twice, 2, ACCOUNT_WEIGHTS, 4, NULL, &err) ==
	      BB_EINVAL);
	CHECK(strstr(err.msg, "MXFP4") != NULL);
	CHECK(alloc_problem_init(&p, &m.inv, twice, 0, ACCOUNT_WEIGHTS, 4, NULL, &err) ==
	      BB_EINVAL);
	struct format many[9];
	const char *names[9] = {"W2G128", "W3G128", "W4G128", "W5G128", "W6G128",
				"W7G128", "W8G128", "MXFP4", "MXFP8"};
	for (int i = 0; i < 9; i++)
		many[i] = fmt(names[i]);
	CHECK(alloc_problem_init(&p, &m.inv, many, 9, ACCOUNT_WEIGHTS, 4, NULL, &err) ==
	      BB_EINVAL);
	CHECK(alloc_problem_init(&p, &m.inv, many, 8, ACCOUNT_WEIGHTS, 4, NULL, &err) == 0);
	for (int k = 1; k < p.n_options; k++)
		CHECK(p.options[k - 1].bits <= p.options[k].bits);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

TEST(alloc_problem_should_reject_infeasible_targets)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct alloc_problem p;
	const double bad[] = {3.9, 8.1, 3.998, 8.0015, 0, -1, 16};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct bb_error err = {0};
		int rc = init_mx(&p, &m.inv, bad[i], ACCOUNT_WEIGHTS, &err);
		CHECK(rc == BB_EINVAL);
		CHECK(err.code == BB_EINVAL && strstr(err.msg, "infeasible") != NULL);
		CHECK(p.cost == NULL && p.fixed == NULL); /* freed */
	}
	fixture_checkpoint_close(&m);
}

TEST(alloc_problem_should_snap_targets_within_1e3_of_an_end)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct {
		double target, snapped;
	} cases[] = {{4.0005, 4.0}, {3.9995, 4.0}, {4.00099, 4.0}, {7.9995, 8.0}, {8.0009, 8.0}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct alloc_problem p;
		struct bb_error err = {0};
		CHECK(init_mx(&p, &m.inv, cases[i].target, ACCOUNT_WEIGHTS, &err) == 0);
		CHECK(p.target_avg_bits == cases[i].snapped);
		CHECK(p.budget_bits == (int64_t)cases[i].snapped * LLAMA_N);
		alloc_problem_free(&p);
	}
	/* 4.002 is inside and not snapped: budget floor(N * 4.002) */
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 4.002, ACCOUNT_WEIGHTS, &err) == 0);
	CHECK(p.target_avg_bits == 4.002);
	/* N * 4.002 = 27,917,287,424 + 0.002 * 6,979,321,856 = 27,931,246,067.712 */
	CHECK(p.budget_bits == 27931246067LL);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

// ---- baselines on Llama-3.1-8B ----

/* Check that exactly the blocks in [lo, hi] are at option 1 (all 7 layers). */
static int blocks_raised(const struct inventory *inv, const int *choice, int lo, int hi)
{
	int bad = 0;
	for (int i = 0; i < inv->n; i++) {
		int b = inv->layers[i].block;
		bad += choice[i] != (b >= lo && b <= hi ? 1 : 0);
	}
	return bad == 0;
}

TEST(head_and_tail_should_raise_whole_blocks_at_5_and_4_5_bits)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	static int choice[224];
	struct {
		double target;
		int head_lo, tail_hi;
	} cases[] = {
		/* 5 bits: N extra bits, each block costs 4 P_b more at MXFP8: 32/4 = 8 blocks */
		{5.0, 24, 7},
		/* 4.5 bits: 16 P_b extra: 4 blocks */
		{4.5, 28, 3},
	};
	for (size_t c = 0; c < 2; c++) {
		struct alloc_problem p;
		struct bb_error err = {0};
		CHECK(init_mx(&p, &m.inv, cases[c].target, ACCOUNT_WEIGHTS, &err) == 0);
		CHECK(run_strategy("head", &p, choice) == 0);
		CHECK(blocks_raised(&m.inv, choice, cases[c].head_lo, 31));
		CHECK(alloc_total_bits(&p, choice) == (int64_t)(cases[c].target * 2) * LLAMA_N / 2);
		struct recipe r;
		CHECK(alloc_to_recipe(&p, choice, "head", &r, &err) == 0);
		CHECK(r.achieved_avg_bits == cases[c].target);
		CHECK(r.target_avg_bits == cases[c].target);
		CHECK(r.n_layers == 224);
		CHECK_STR(r.strategy, "head");
		CHECK_STR(r.layers[223].weight.name, "MXFP8");
		CHECK_STR(r.layers[223].act.name, "MXFP8"); /* MX quantizes activations too */
		CHECK_STR(r.layers[0].weight.name, "MXFP4");
		CHECK_STR(r.layers[0].act.name, "MXFP4");
		CHECK(r.accounting == ACCOUNT_WEIGHTS);
		int back[224];
		CHECK(alloc_check_recipe(&p, &r, back, &err) == 0);
		CHECK(memcmp(back, choice, sizeof back) == 0);
		recipe_free(&r);

		CHECK(run_strategy("tail", &p, choice) == 0);
		CHECK(blocks_raised(&m.inv, choice, 0, cases[c].tail_hi));
		CHECK(alloc_total_bits(&p, choice) == (int64_t)(cases[c].target * 2) * LLAMA_N / 2);
		alloc_problem_free(&p);
	}
	fixture_checkpoint_close(&m);
}

TEST(pure_should_give_lowest_option_and_4_or_4_25_bits)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	static int choice[224];
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 4.0, ACCOUNT_WEIGHTS, &err) == 0);
	for (int i = 0; i < 224; i++)
		choice[i] = 7;
	CHECK(run_strategy("pure", &p, choice) == 0);
	int zeros = 0;
	for (int i = 0; i < 224; i++)
		zeros += choice[i] == 0;
	CHECK(zeros == 224);
	struct recipe r;
	CHECK(alloc_to_recipe(&p, choice, "pure", &r, &err) == 0);
	CHECK(r.achieved_avg_bits == 4.0);
	recipe_free(&r);
	alloc_problem_free(&p);
	/* --count-scale-bits: MXFP4 is 4 + 8/32 = 4.25 bits per weight, MXFP8 8.25 */
	CHECK(init_mx(&p, &m.inv, 4.25, ACCOUNT_SCALES, &err) == 0);
	CHECK(p.min_bits == 17 * LLAMA_N / 4);
	CHECK(p.max_bits == 33 * LLAMA_N / 4);
	CHECK(run_strategy("pure", &p, choice) == 0);
	CHECK(alloc_to_recipe(&p, choice, "pure", &r, &err) == 0);
	CHECK(r.achieved_avg_bits == 4.25);
	CHECK(r.accounting == ACCOUNT_SCALES);
	recipe_free(&r);
	alloc_problem_free(&p);
	/* under scale accounting 4.0 is out of range [4.25, 8.25] */
	CHECK(init_mx(&p, &m.inv, 4.0, ACCOUNT_SCALES, &err) == BB_EINVAL);
	/* head at 5 with scales: 0.75 N extra, 4 P_b per block: 0.75 * 32 / 4 = 6 blocks */
	CHECK(init_mx(&p, &m.inv, 5.0, ACCOUNT_SCALES, &err) == 0);
	CHECK(run_strategy("head", &p, choice) == 0);
	CHECK(blocks_raised(&m.inv, choice, 26, 31));
	CHECK(alloc_total_bits(&p, choice) == 5 * LLAMA_N);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

TEST(strategy_find_should_know_builtins_and_external)
{
	const char *arg = (const char *)1;
	CHECK(strategy_find("pure", &arg) != NULL && arg == NULL);
	CHECK(strategy_find("head", &arg) != NULL);
	CHECK(strategy_find("tail", &arg) != NULL);
	const struct strategy *s = strategy_find("sensitivity", &arg);
	CHECK(s != NULL && s->needs_scores);
	s = strategy_find("external:cat x", &arg);
	CHECK(s != NULL && arg && strcmp(arg, "cat x") == 0);
	CHECK(strategy_find("external:", &arg) == NULL);
	CHECK(strategy_find("nope", &arg) == NULL);
	CHECK(strategy_find("Head", &arg) == NULL);
	CHECK(n_strategies >= 5);
}

// ---- stories260k: fixed layers ----

/* stories260k: 5 blocks; per block q 4096, k 2048, v 2048, o 4096, gate 11008, up 11008,
 * down 11008 = 45312; N = 226,560. down_proj has in_features 172, not a multiple of 32:
 * the five down_proj layers (55,040 params) are fixed at BF16 = 880,640 bits.
 * min bits = 4 * 171,520 + 880,640 = 1,566,720 (6.91525 avg);
 * max bits = 8 * 171,520 + 880,640 = 2,252,800 (9.94350 avg). */
TEST(stories260k_should_fix_down_proj_in_bf16_and_count_it)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, stories_dir());
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 8.0, ACCOUNT_WEIGHTS, &err) == 0);
	for (int i = 0; i < m.inv.n; i++)
		CHECK(p.fixed[i] == (i % 7 == 6));
	CHECK(p.fixed_bits == 880640);
	CHECK(p.min_bits == 1566720);
	CHECK(p.max_bits == 2252800);
	CHECK(p.budget_bits == 8 * 226560);
	CHECK(p.cost[6 * 2] == 16 * 11008 && p.cost[6 * 2 + 1] == 16 * 11008);
	/* tail at 8: 245,760 spare bits, raising costs 4 bits per parameter:
	 * block 0 q,k,v,o,gate,up = 4 * 34,304 = 137,216 (down fixed, skipped);
	 * block 1 q 16,384, k 8,192, v 8,192, o 16,384, gate 44,032 (total 93,184; 15,360
	 * left), up 44,032 does not fit: the walk stops there. */
	int choice[35];
	CHECK(run_strategy("tail", &p, choice) == 0);
	for (int i = 0; i < 35; i++) {
		int want = i < 6 || (i >= 7 && i < 12);
		CHECK(p.fixed[i] || choice[i] == want);
	}
	CHECK(alloc_total_bits(&p, choice) == 1566720 + 137216 + 93184);
	struct recipe r;
	CHECK(alloc_to_recipe(&p, choice, "tail", &r, &err) == 0);
	CHECK(r.layers[6].fixed);
	CHECK_STR(r.layers[6].weight.name, "BF16");
	CHECK_STR(r.layers[6].act.name, "BF16");
	CHECK(!r.layers[5].fixed);
	CHECK(r.achieved_avg_bits == 1797120.0 / 226560.0);
	int back[35];
	CHECK(alloc_check_recipe(&p, &r, back, &err) == 0);
	recipe_free(&r);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

TEST(stories260k_should_have_feasible_range_from_fixed_layers)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, stories_dir());
	if (!m.ok) {
		CHECK(0);
		return;
	}
	const double lo = 1566720.0 / 226560.0, hi = 2252800.0 / 226560.0;
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 4.0, ACCOUNT_WEIGHTS, &err) == BB_EINVAL);
	CHECK(init_mx(&p, &m.inv, 6.9, ACCOUNT_WEIGHTS, &err) == BB_EINVAL);
	CHECK(init_mx(&p, &m.inv, 10.0, ACCOUNT_WEIGHTS, &err) == BB_EINVAL);
	CHECK(init_mx(&p, &m.inv, 6.9155, ACCOUNT_WEIGHTS, &err) == 0); /* snaps to lo */
	CHECK(p.target_avg_bits == lo && p.budget_bits == 1566720);
	alloc_problem_free(&p);
	CHECK(init_mx(&p, &m.inv, 9.9435, ACCOUNT_WEIGHTS, &err) == 0); /* snaps to hi */
	CHECK(p.target_avg_bits == hi && p.budget_bits == 2252800);
	alloc_problem_free(&p);
	CHECK(init_mx(&p, &m.inv, lo, ACCOUNT_WEIGHTS, &err) == 0);
	int choice[35];
	CHECK(run_strategy("pure", &p, choice) == 0);
	CHECK(alloc_total_bits(&p, choice) == 1566720);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

// ---- checking recipes ----

TEST(alloc_check_recipe_should_reject_bad_recipes)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, stories_dir());
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 7.5, ACCOUNT_WEIGHTS, &err) == 0);
	int choice[35] = {0}, back[35];
	struct recipe r;
	CHECK(alloc_to_recipe(&p, choice, "pure", &r, &err) == 0);
	CHECK(alloc_check_recipe(&p, &r, back, &err) == 0);

	/* a layer missing (the last one dropped) */
	r.n_layers--;
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "model.layers.4.mlp.down_proj") != NULL);
	r.n_layers++;

	/* a layer renamed to one the model lacks */
	char saved[128];
	memcpy(saved, r.layers[3].name, sizeof saved);
	snprintf(r.layers[3].name, sizeof r.layers[3].name, "model.layers.9.self_attn.o_proj");
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "model.layers.") != NULL);
	memcpy(r.layers[3].name, saved, sizeof saved);
	CHECK(alloc_check_recipe(&p, &r, back, &err) == 0);

	/* a format outside the options */
	r.layers[2].weight = fmt("W4G128");
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "W4G128") && strstr(err.msg, r.layers[2].name));
	r.layers[2].weight = fmt("BF16"); /* BF16 is not an option either */
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	r.layers[2].weight = fmt("MXFP4");

	/* a fixed layer (down_proj, in 172) not in BF16 */
	r.layers[13].weight = fmt("MXFP8");
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "model.layers.1.mlp.down_proj") != NULL);
	r.layers[13].weight = fmt("BF16");
	CHECK(alloc_check_recipe(&p, &r, back, &err) == 0);

	/* over budget: every non-fixed layer at MXFP8 is 9.94 bits > 7.5 */
	for (int i = 0; i < 35; i++)
		if (!r.layers[i].fixed)
			r.layers[i].weight = fmt("MXFP8");
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "budget") != NULL);
	recipe_free(&r);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

TEST(alloc_check_recipe_should_accept_a_recipe_exactly_at_budget)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, llama_dir);
	if (!m.ok) {
		CHECK(0);
		return;
	}
	struct alloc_problem p;
	struct bb_error err = {0};
	CHECK(init_mx(&p, &m.inv, 5.0, ACCOUNT_WEIGHTS, &err) == 0);
	static int choice[224], back[224];
	for (int i = 0; i < 224; i++) /* 8 blocks anywhere: blocks 3, 5, ..., 17 */
		choice[i] = m.inv.layers[i].block % 2 == 1 && m.inv.layers[i].block < 18 &&
			    m.inv.layers[i].block > 1;
	CHECK(alloc_total_bits(&p, choice) == 5 * LLAMA_N);
	struct recipe r;
	CHECK(alloc_to_recipe(&p, choice, "x", &r, &err) == 0);
	CHECK(alloc_check_recipe(&p, &r, back, &err) == 0);
	/* one more layer (the smallest, a k_proj of 4,194,304 params) tips it over */
	r.layers[1].weight = fmt("MXFP8");
	CHECK(alloc_check_recipe(&p, &r, back, &err) == BB_EINVAL);
	recipe_free(&r);
	alloc_problem_free(&p);
	fixture_checkpoint_close(&m);
}

int main(void)
{
	RUN(alloc_problem_should_sort_options_and_price_layers_exactly);
	RUN(alloc_problem_should_reject_bad_option_lists);
	RUN(alloc_problem_should_reject_infeasible_targets);
	RUN(alloc_problem_should_snap_targets_within_1e3_of_an_end);
	RUN(head_and_tail_should_raise_whole_blocks_at_5_and_4_5_bits);
	RUN(pure_should_give_lowest_option_and_4_or_4_25_bits);
	RUN(strategy_find_should_know_builtins_and_external);
	RUN(stories260k_should_fix_down_proj_in_bf16_and_count_it);
	RUN(stories260k_should_have_feasible_range_from_fixed_layers);
	RUN(alloc_check_recipe_should_reject_bad_recipes);
	RUN(alloc_check_recipe_should_accept_a_recipe_exactly_at_budget);
	END_TESTS();
}
