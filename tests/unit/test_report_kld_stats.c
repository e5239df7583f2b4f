/*
 * test_report_kld_stats.c: the report's KLD statistics and text (harness/report_stats_kld.c,
 * harness/report_write_kld.c) on reports filled by hand, so every expected number is
 * worked out here independently of the code: the bootstrap over documents of a
 * token-weighted mean and of a paired difference (identical rows, a row with every
 * document's KLD doubled, a two-document case whose resampling distribution can be
 * enumerated), Holm over a model's comparisons with Ours, the Markdown of a small report
 * against tests/golden/kld-mini.md (UPDATE_GOLDEN=1 rewrites it, refused inside
 * tests/run.sh), the "who wins" sentence when Ours loses, and unreachable cells.
 * Never writes a file, except the golden file with UPDATE_GOLDEN=1.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests/unit/report_fixture.h"
#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/report_stats.h"
#include "harness/report_write.h"
#include "harness/stats.h"

// ---- the bootstrap over documents ----

TEST(weighted_bootstrap_of_identical_rows_should_give_zero_and_p_one)
{
	double tokens[4] = {10, 20, 30, 40}, kld[4] = {0.5, 0.1, 0.9, 0.2};
	struct weighted_docs a = {kld, tokens};
	struct bootstrap b;
	CHECK(stats_weighted_bootstrap(&a, &a, 4, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &b) == 0);
	/* every resample draws the same documents for both rows: each difference is exactly 0 */
	CHECK(b.diff == 0 && b.lo == 0 && b.hi == 0 && b.p == 1);
	CHECK(!stats_significant(&b));
}

TEST(weighted_bootstrap_of_doubled_kld_should_give_the_mean_and_exclude_zero)
{
	double tokens[4] = {10, 20, 30, 40}, kld[4] = {0.5, 0.1, 0.9, 0.2}, doubled[4];
	for (int i = 0; i < 4; i++)
		doubled[i] = 2 * kld[i];
	struct weighted_docs a = {doubled, tokens}, b = {kld, tokens};
	struct bootstrap t;
	CHECK(stats_weighted_bootstrap(&a, &b, 4, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &t) == 0);
	/* 2S/N - S/N = S/N: the mean KLD itself, (0.5 + 0.1 + 0.9 + 0.2) / 100 = 0.017; in
	 * every resample the difference is its own mean, positive: p = 0 (below 1/B) */
	CHECK_NEAR(t.diff, 0.017, 1e-15);
	CHECK(t.lo > 0 && t.hi > t.lo && stats_significant(&t) && t.p == 0);
	/* and inside the range of the per-document means, 0.1/20 = 0.005 to 0.5/10 = 0.05 */
	CHECK(t.lo >= 0.005 && t.hi <= 0.05);
}

TEST(weighted_bootstrap_should_weigh_documents_by_their_tokens)
{
	/* Two documents: 1 token with KLD 0.4 and 3 tokens summing 0.3. The token-weighted
	 * mean is 0.7 / 4 = 0.175 (not the mean of the documents' means, 0.25). A resample of
	 * two draws both first documents (1/4: 0.8 / 2 = 0.4), both second (1/4: 0.6 / 6 = 0.1)
	 * or one of each (1/2: 0.175), so the 2.5% and 97.5% points are 0.1 and 0.4. */
	double tokens[2] = {1, 3}, kld[2] = {0.4, 0.3};
	struct weighted_docs a = {kld, tokens};
	struct bootstrap b;
	CHECK(stats_weighted_bootstrap(&a, NULL, 2, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &b) == 0);
	CHECK_NEAR(b.diff, 0.175, 1e-15);
	CHECK_NEAR(b.lo, 0.1, 1e-15);
	CHECK_NEAR(b.hi, 0.4, 1e-15);
	CHECK(stats_weighted_bootstrap(&a, NULL, 0, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, &b) == -1);
}

// ---- a report filled by hand ----

/* Rows of the hand-filled report; the random seeds are consecutive at one budget, so
 * they fold into one row. */
enum { BF16, TAIL, HEAD, RANDOM1, RANDOM2, OURS, N_ROWS };

#define N_DOCS 4
static double doc_tokens[N_DOCS] = {10, 20, 30, 40}; /* 100 tokens */

/* A malloc'd copy of n values: report_free frees what a cell and the report hold. */
static double *copy_of(const double *v, int n)
{
	double *c = malloc(sizeof *c * (size_t)n);
	memcpy(c, v, sizeof *c * (size_t)n);
	return c;
}

/* Per-document sums for a recipe whose every token has KLD kld, agrees on its top token
 * with probability top1 and adds nll_increase to BF16's NLL of 2 nats: the intervals over
 * documents are then exactly [value, value], which keeps the golden file hand-checkable
 * (the bootstrap's spread is checked above). */
static void fill_kld(struct report_cell *c, double kld, double top1, double nll_increase)
{
	double sum_kld[N_DOCS], sum_top1[N_DOCS], nll_ref[N_DOCS], nll_quant[N_DOCS];
	for (int d = 0; d < N_DOCS; d++) {
		sum_kld[d] = kld * doc_tokens[d];
		sum_top1[d] = top1 * doc_tokens[d];
		nll_ref[d] = 2.0 * doc_tokens[d];
		nll_quant[d] = (2.0 + nll_increase) * doc_tokens[d];
	}
	c->kld = (struct report_kld){
		.have = true, .n_tokens = 100, .mean_kld = kld, .top1 = top1,
		.ppl_ref = exp(2.0), .ppl_quant = exp(2.0 + nll_increase),
		.ppl_ratio = exp(nll_increase), .n_docs = N_DOCS,
		.doc_tokens = copy_of(doc_tokens, N_DOCS), .doc_kld = copy_of(sum_kld, N_DOCS),
		.doc_top1 = copy_of(sum_top1, N_DOCS), .doc_nll_ref = copy_of(nll_ref, N_DOCS),
		.doc_nll_quant = copy_of(nll_quant, N_DOCS)};
}

static struct experiment e;
static struct report r;
static double reach_lo[2] = {4.0, 6.92}, reach_hi[2] = {8.0, 9.94};

static void fill_experiment(void)
{
	static const char *const labels[N_ROWS] = {"BF16", "Tail layers 8-bit", "Head layers 8-bit",
						   "Random 1", "Random 2", "Ours"};
	static const char *const strategies[N_ROWS] = {"bf16", "tail", "head", "random:1",
						       "random:2", "sensitivity"};
	static char tasks[1][EXP_TASK_MAX];
	static struct exp_model models[2];
	static struct exp_row rows[N_ROWS];
	struct bb_error err;
	memset(&e, 0, sizeof e);
	e.tasks = tasks, e.models = models, e.rows = rows;
	snprintf(e.name, sizeof e.name, "kld-mini");
	snprintf(e.title, sizeof e.title, "KLD mini: recipes at 5 bits");
	e.set_note = "A report filled by hand.";
	e.set = MODEL_SET_DEMO;
	e.n_options = 2;
	format_parse(&e.options[0], "MXFP4", &err);
	format_parse(&e.options[1], "MXFP8", &err);
	e.n_tasks = 1;
	snprintf(e.tasks[0], sizeof e.tasks[0], "tinystories_cloze");
	e.n_models = 2;
	snprintf(e.models[0].name, sizeof e.models[0].name, "TinyStories-656K");
	snprintf(e.models[1].name, sizeof e.models[1].name, "stories260k");
	e.n_rows = N_ROWS;
	for (int row = 0; row < N_ROWS; row++) {
		snprintf(e.rows[row].label, sizeof e.rows[row].label, "%s", labels[row]);
		snprintf(e.rows[row].strategy, sizeof e.rows[row].strategy, "%s", strategies[row]);
		e.rows[row].avg_bits = row == BF16 ? 0 : 5;
	}
}

static void fill_cell(int row, int m, double acc)
{
	struct report_cell *c = &r.cells[row][m];
	c->have = true;
	c->mean_acc = c->task_value[0] = acc;
	c->mean_acc_se = 0.01; /* its 95% interval: acc -+ 0.0196 */
	c->task_have[0] = true;
	c->achieved_avg_bits = row == BF16 ? 16 : 5;
	c->predicted_loss = -1;
	for (int a = 0; a < ACCOUNT_COUNT; a++)
		c->avg_bits[a] = c->achieved_avg_bits;
}

/* TinyStories-656K: Ours has KLD 0.01 per token; tail and head tail_factor and
 * head_factor times that; the two random seeds 3 and 4 times. stories260k reaches
 * 6.92-9.94 bits only: its BF16 row alone has a result. */
static void fill_report(double tail_factor, double head_factor)
{
	static const double acc[N_ROWS] = {0.40, 0.38, 0.39, 0.36, 0.35, 0.37};
	static const double factor[N_ROWS] = {0, 0, 0, 3, 4, 1};
	struct bb_error err;
	report_free(&r);
	fill_experiment();
	CHECK(report_alloc(&r, &e, &err) == 0);
	r.bf16_row = BF16;
	snprintf(r.task_names[0], sizeof r.task_names[0], "tinystories_cloze");
	snprintf(r.date, sizeof r.date, "2026-01-01 00:00 UTC");
	for (int row = 0; row < N_ROWS; row++) {
		fill_cell(row, 0, acc[row]);
		double f = row == HEAD ? head_factor : row == TAIL ? tail_factor : factor[row];
		if (row != BF16) /* top-1 falls by 10 points per step of the factor */
			fill_kld(&r.cells[row][0], 0.01 * f, 1 - 0.1 * f, 0.01 * f);
		r.cells[row][1].unreachable = row != BF16;
		r.cells[row][1].achieved_avg_bits = r.cells[row][1].predicted_loss = -1;
		for (int a = 0; a < ACCOUNT_COUNT; a++)
			r.cells[row][1].avg_bits[a] = -1;
	}
	fill_cell(BF16, 1, 0.30);
	r.kld_tokens = 100;
	r.kld_docs = N_DOCS;
	r.kld_text = str_printf(NULL, "the default evaluation text");
	r.overlap_shared = 0;
	r.overlap_total = 1234;
	r.reach_lo = copy_of(reach_lo, 2);
	r.reach_hi = copy_of(reach_hi, 2);
	struct cell_outcomes *oc = calloc((size_t)N_ROWS * 2, sizeof *oc);
	CHECK(cell_outcomes_alloc(&oc[OURS * 2], 1) == 0);
	oc[OURS * 2].n[0] = 327; /* the documents behind a mean acc (no per-item outcomes) */
	CHECK(report_compute_statistics(&r, oc) == 0);
	cell_outcomes_free(&oc[OURS * 2], 1);
	free(oc);
}

/* What fn writes for the report filled above, malloc'd. */
static char *render(void (*fn)(const struct report *, FILE *))
{
	return render_report(fn, &r);
}

TEST(report_should_test_every_row_against_ours_with_holm_per_measure)
{
	fill_report(1, 2);
	CHECK(report_any_kld(&r));
	CHECK(report_kld_reference_row(&r, HEAD) == OURS && report_kld_reference_row(&r, BF16) < 0);
	CHECK(report_kld_reference_row(&r, OURS) < 0);
	/* Tail: the same documents as Ours, exactly: difference 0, p = 1. */
	const struct bootstrap *tail = report_kld_test(&r, TAIL, 0, KLD_MEAN);
	CHECK(tail && tail->diff == 0 && tail->p == 1);
	/* Head - Ours: 0.02 - 0.01 per token in every document, so in every resample. */
	const struct bootstrap *head = report_kld_test(&r, HEAD, 0, KLD_MEAN);
	CHECK(head && head->p == 0);
	CHECK_NEAR(head->diff, 0.01, 1e-15);
	CHECK_NEAR(head->lo, 0.01, 1e-15);
	CHECK_NEAR(head->hi, 0.01, 1e-15);
	CHECK_NEAR(report_kld_test(&r, HEAD, 0, KLD_TOP1)->diff, -0.1, 1e-12);
	CHECK_NEAR(report_kld_test(&r, HEAD, 0, KLD_LOG_PPL_RATIO)->diff, 0.01, 1e-12);
	/* Holm over the four tests of a measure: p = (1, 0, 0, 0), a 0 entering as 1/B =
	 * 0.0001. Sorted: 0.0001 x 4 = 0.0004, then max(0.0004, 3 x 0.0001), max(0.0004,
	 * 2 x 0.0001), and max(0.0004, 1 x 1) = 1 for the tail. */
	for (int k = 0; k < KLD_MEASURE_COUNT; k++) {
		CHECK_NEAR(r.cells[TAIL][0].kld_stats.p_holm[k], 1, 1e-15);
		CHECK_NEAR(r.cells[HEAD][0].kld_stats.p_holm[k], 0.0004, 1e-15);
		CHECK_NEAR(r.cells[RANDOM1][0].kld_stats.p_holm[k], 0.0004, 1e-15);
		CHECK(!report_kld_significant(&r, TAIL, 0, k) && report_kld_significant(&r, HEAD, 0, k));
	}
	/* No test for Ours itself, for BF16, or on a model whose budget is unreachable. */
	CHECK(!report_kld_test(&r, OURS, 0, KLD_MEAN) && !report_kld_test(&r, BF16, 0, KLD_MEAN));
	CHECK(!report_kld_test(&r, HEAD, 1, KLD_MEAN));
	/* The seeds: KLD 0.03 and 0.04: mean 0.035, sd 0.01 / sqrt(2); top-1 0.7 and 0.6. */
	const struct report_seed_group *g = report_seed_group_of(&r, RANDOM1);
	const struct report_kld_stats *seeds = &r.cells[RANDOM1][0].kld_stats;
	CHECK(g && g->first == RANDOM1 && seeds->seeds_have == 2);
	CHECK(r.cells[RANDOM1][1].kld_stats.seeds_have == 0);
	CHECK_NEAR(seeds->seeds_mean[KLD_MEAN], 0.035, 1e-15);
	CHECK_NEAR(seeds->seeds_sd[KLD_MEAN], 0.01 / sqrt(2), 1e-15);
	CHECK_NEAR(seeds->seeds_min[KLD_TOP1], 0.6, 1e-15);
	CHECK_NEAR(seeds->seeds_max[KLD_TOP1], 0.7, 1e-15);
}

TEST(report_should_draw_the_kld_table_and_sentences_as_the_golden_file)
{
	fill_report(1, 2);
	char *md = render(report_markdown), *csv = render(report_csv), *tex = render(report_latex);
	CHECK(strstr(md, "| TinyStories-656K | Head layers 8-bit | 0.0200 [0.0200, 0.0200] | "
			 "80.00% [80.00%, 80.00%] | 1.0202 [1.0202, 1.0202] | 0.3900 (97.5%) [0.3704, "
			 "0.4096] |\n"));
	CHECK(strstr(md, "| stories260k | Head layers 8-bit | unreachable | unreachable | "
			 "unreachable | unreachable |\n"));
	CHECK(strstr(md, "accuracy over 327 items of a tiny model cannot separate recipes; KLD "
			 "over 100 tokens can."));
	CHECK(strstr(md, "which reaches 6.92-9.94 bits with MXFP4/MXFP8"));
	CHECK(strstr(md, "Ours is lower than Head layers 8-bit and random; Ours is level with "
			 "Tail layers 8-bit; the difference is significant against Head layers 8-bit "
			 "and random only.\n"));
	/* CSV: Head's KLD difference from Ours and its Holm p; stories260k's cells empty */
	CHECK(strstr(csv, ",\"Ours\",0.01,0.01,0.01,0,0.0004,"));
	CHECK(strstr(csv, ",unreachable: budget outside the model's range\n"));
	/* every line has the header's columns (no label or note here holds a comma) */
	int header_commas = -1, commas = 0;
	for (const char *ch = csv; *ch; ch++) {
		commas += *ch == ',';
		if (*ch != '\n')
			continue;
		if (header_commas < 0)
			header_commas = commas;
		CHECK(commas == header_commas);
		commas = 0;
	}
	CHECK(strstr(tex, "TinyStories-656K & Head layers 8-bit & 0.0200 & 80.00\\% & 1.0202 & "
			  "0.3900 (97.5\\%) [0.3704, 0.4096] \\\\"));
	CHECK(strstr(tex, "stories260k & Ours & --- & --- & --- & --- \\\\"));
	check_golden("tests/golden/kld-mini.md", md);
	free(md), free(csv), free(tex);
}

TEST(report_should_say_so_when_ours_loses)
{
	fill_report(1, 0.5); /* head: half of Ours' KLD, top-1 95%: better than Ours everywhere */
	char *md = render(report_markdown);
	CHECK(strstr(md, "At 5 bits on TinyStories-656K, over 100 tokens in 4 documents, Ours "
			 "has mean KLD 0.0100 [0.0100, 0.0100] against Tail layers 8-bit 0.0100 (p_Holm 1.0000, not "
			 "significant), Head layers 8-bit 0.0050 (p_Holm 0.0004, significant) and "
			 "random (2 seeds) mean 0.0350 (range 0.0300 to 0.0400; 2 of 2 seeds "
			 "significant): Ours is not the lowest: Head layers 8-bit is lower; Ours "
			 "is lower than random; Ours is level with Tail layers 8-bit; the difference "
			 "is significant against Head layers 8-bit and random only.\n"));
	CHECK(strstr(md, "Ours has top-1 agreement 90.00% [90.00%, 90.00%] against") &&
	      strstr(md, "Ours is not the highest: Head layers 8-bit is higher; Ours is higher "
			 "than random; Ours is level with Tail layers 8-bit;"));
	free(md);
}

TEST(report_should_say_when_only_some_random_seeds_differ)
{
	fill_report(1.5, 2);
	/* seed 1 measured as Ours is: its test is not significant, seed 2's (4x) is */
	free(r.cells[RANDOM1][0].kld.doc_kld);
	free(r.cells[RANDOM1][0].kld.doc_tokens), free(r.cells[RANDOM1][0].kld.doc_top1);
	free(r.cells[RANDOM1][0].kld.doc_nll_ref), free(r.cells[RANDOM1][0].kld.doc_nll_quant);
	fill_kld(&r.cells[RANDOM1][0], 0.01, 0.9, 0.01);
	struct cell_outcomes *oc = calloc((size_t)N_ROWS * 2, sizeof *oc);
	CHECK(oc && report_compute_statistics(&r, oc) == 0);
	free(oc);
	char *md = render(report_markdown);
	CHECK(strstr(md, "random (2 seeds) mean 0.0250 (range 0.0100 to 0.0400; 1 of 2 seeds "
			 "significant): Ours is lower than all three; the difference is significant "
			 "against Tail layers 8-bit and Head layers 8-bit only (random counts as "
			 "significant only when every seed is).\n"));
	free(md);
}

TEST(report_should_say_so_when_ours_wins_everywhere)
{
	fill_report(1.5, 2); /* tail now 1.5 times Ours in every document: p = 0 */
	char *md = render(report_markdown);
	CHECK(strstr(md, "Tail layers 8-bit 0.0150 (p_Holm 0.0004, significant)"));
	CHECK(strstr(md, ": Ours is lower than all three; every difference is significant.\n"));
	CHECK(strstr(md, ": Ours is higher than all three; every difference is significant.\n"));
	free(md);
}

TEST(report_should_lead_with_accuracy_on_the_paper_models)
{
	fill_report(1, 2);
	e.set = MODEL_SET_PAPER;
	char *md = render(report_markdown), *tex = render(report_latex);
	CHECK(strstr(md, "Mean accuracy first, as published; the KLD over 100 tokens beside it"));
	CHECK(strstr(md, "| Model | Row | Mean acc (ratio to BF16) | Mean KLD [95% CI] |"));
	CHECK(strstr(md, "| TinyStories-656K | Head layers 8-bit | 0.3900 (97.5%) [0.3704, 0.4096] | 0.0200 [0.0200, "
			 "0.0200] |"));
	CHECK(strstr(tex, "Model & Row & Mean acc & Mean KLD & Top-1 agreement & PPL ratio \\\\"));
	free(md), free(tex);
}

TEST(report_should_give_each_model_its_own_tokens)
{
	fill_report(1, 2);
	/* stories260k's tokenizer splits the same text into 120 tokens: Ours measured there */
	r.cells[OURS][1].unreachable = false;
	fill_kld(&r.cells[OURS][1], 0.01, 1, 0.01);
	r.cells[OURS][1].kld.n_tokens = 120;
	char *md = render(report_markdown);
	CHECK(strstr(md, "\nKLD over the default evaluation text: TinyStories-656K 100 tokens in 4 "
			 "documents, stories260k 120 tokens in 4 documents; calibration overlap: 0 "
			 "of 1234 13-grams.\n"));
	CHECK(strstr(md, "KLD over 100 tokens can.")); /* the fewer */
	free(md);
}

TEST(accuracy_tests_should_pair_seeds_with_ours_alone_and_by_budget_when_asked)
{
	fill_report(1, 2);
	CHECK(!report_pair_tested(&r, RANDOM1, RANDOM2)); /* seeds against one another */
	CHECK(!report_pair_tested(&r, RANDOM1, BF16) && !report_pair_tested(&r, TAIL, RANDOM2));
	CHECK(report_pair_tested(&r, RANDOM1, OURS) && report_pair_tested(&r, OURS, RANDOM2));
	CHECK(report_pair_tested(&r, TAIL, HEAD) && report_pair_tested(&r, BF16, HEAD));
	e.rows[HEAD].avg_bits = 6; /* its reference is still Ours, the nearest sensitivity row */
	CHECK(report_pair_tested(&r, TAIL, HEAD)); /* every pair: the default */
	e.tests_by_budget = true;
	CHECK(!report_pair_tested(&r, TAIL, HEAD));
	CHECK(report_pair_tested(&r, HEAD, BF16) && report_pair_tested(&r, HEAD, OURS));
	CHECK(report_pair_tested(&r, TAIL, OURS) && !report_pair_tested(&r, RANDOM1, HEAD));
	e.tests_by_budget = false;
	e.rows[HEAD].avg_bits = 5;
}

int main(void)
{
	RUN(weighted_bootstrap_of_identical_rows_should_give_zero_and_p_one);
	RUN(weighted_bootstrap_of_doubled_kld_should_give_the_mean_and_exclude_zero);
	RUN(weighted_bootstrap_should_weigh_documents_by_their_tokens);
	RUN(report_should_test_every_row_against_ours_with_holm_per_measure);
	RUN(report_should_draw_the_kld_table_and_sentences_as_the_golden_file);
	RUN(report_should_say_so_when_ours_loses);
	RUN(report_should_say_when_only_some_random_seeds_differ);
	RUN(report_should_say_so_when_ours_wins_everywhere);
	RUN(report_should_lead_with_accuracy_on_the_paper_models);
	RUN(report_should_give_each_model_its_own_tokens);
	RUN(accuracy_tests_should_pair_seeds_with_ours_alone_and_by_budget_when_asked);
	report_free(&r);
	END_TESTS();
}
