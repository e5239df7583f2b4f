/*
 * test_allocate_sensitivity.c: the sensitivity strategy (baselines/sensitivity.c) on
 * TinyStories-656K: its choice against brute force over every assignment of the 14
 * layers for scores written here, and its refusal of scores that miss a layer.
 * Never writes outside its own mkdtemp folder.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/allocate.h"
#include "core/checkpoint.h"
#include "tests/unit/check.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/strategy_fixture.h"

static char tmpdir[64];

// ---- scores and the sensitivity strategy ----

static const char *write_scores(const struct inventory *inv, const double *s4,
				const double *s8, int skip_layer)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/scores.json", tmpdir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"options\": [\"MXFP4\", \"MXFP8\"], \"scores\": {");
	int first = 1;
	for (int i = 0; i < inv->n; i++) {
		if (i == skip_layer)
			continue;
		fprintf(f, "%s\"%s\": {\"MXFP4\": %.17g, \"MXFP8\": %.17g}", first ? "" : ", ",
			inv->layers[i].name, s4[i], s8[i]);
		first = 0;
	}
	fprintf(f, "}}\n");
	fclose(f);
	return path;
}

TEST(sensitivity_should_match_brute_force_on_tinystories)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, tinystories_dir());
	if (!m.ok) {
		CHECK(0);
		return;
	}
	const int n = m.inv.n; /* 14 layers: 2^14 assignments */
	double s4[14], s8[14];
	uint64_t st = 42;
	int bad = 0;
	for (int trial = 0; trial < 12; trial++) {
		for (int i = 0; i < n; i++) { /* integer scores: sums are exact, ties are real */
			st = st * 6364136223846793005ull + 1442695040888963407ull;
			s8[i] = (double)((st >> 33) % 5);
			s4[i] = s8[i] + (double)((st >> 40) % 20);
		}
		struct scores sc;
		struct bb_error err = {0};
		CHECK(scores_read(&sc, write_scores(&m.inv, s4, s8, -1), &err) == 0);
		double target = 4.0 + 4.0 * (trial + 0.5) / 12;
		struct alloc_problem p;
		struct format opts[2] = {fmt("MXFP4"), fmt("MXFP8")};
		CHECK(alloc_problem_init(&p, &m.inv, opts, 2, ACCOUNT_WEIGHTS, target, &sc, &err) ==
		      0);
		/* brute force: minimum loss within budget, then minimum cost */
		double best = INFINITY;
		int64_t best_cost = 0;
		for (int mask = 0; mask < 1 << n; mask++) {
			int64_t cost = 0;
			double loss = 0;
			for (int i = 0; i < n; i++) {
				int k = mask >> i & 1;
				cost += (k ? 8 : 4) * m.inv.layers[i].params;
				loss += k ? s8[i] : s4[i];
			}
			if (cost > p.budget_bits)
				continue;
			if (loss < best || (loss == best && cost < best_cost))
				best = loss, best_cost = cost;
		}
		int choice[14];
		CHECK(run_strategy("sensitivity", &p, choice) == 0);
		double got = alloc_total_loss(&p, choice);
		int64_t got_cost = alloc_total_bits(&p, choice);
		bad += got != best || got_cost != best_cost || got_cost > p.budget_bits;
		alloc_problem_free(&p);
		scores_free(&sc);
	}
	CHECK(bad == 0);
	fixture_checkpoint_close(&m);
}

TEST(sensitivity_should_require_scores_for_every_layer)
{
	struct fixture_checkpoint m;
	fixture_checkpoint_open(&m, tinystories_dir());
	if (!m.ok) {
		CHECK(0);
		return;
	}
	double s4[14], s8[14];
	for (int i = 0; i < 14; i++)
		s4[i] = 1, s8[i] = 0;
	struct scores sc;
	struct bb_error err = {0};
	CHECK(scores_read(&sc, write_scores(&m.inv, s4, s8, 5), &err) == 0);
	struct alloc_problem p;
	struct format opts[2] = {fmt("MXFP4"), fmt("MXFP8")};
	CHECK(alloc_problem_init(&p, &m.inv, opts, 2, ACCOUNT_WEIGHTS, 5, &sc, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, m.inv.layers[5].name) != NULL);
	scores_free(&sc);
	/* an option the scores lack */
	CHECK(scores_read(&sc, write_scores(&m.inv, s4, s8, -1), &err) == 0);
	struct format opts2[2] = {fmt("MXFP4"), fmt("W4G128")};
	CHECK(alloc_problem_init(&p, &m.inv, opts2, 2, ACCOUNT_WEIGHTS, 4.0, &sc, &err) ==
	      BB_EINVAL);
	CHECK(strstr(err.msg, "W4G128") != NULL);
	/* BF16 needs no score */
	struct format opts3[2] = {fmt("MXFP4"), fmt("BF16")};
	CHECK(alloc_problem_init(&p, &m.inv, opts3, 2, ACCOUNT_WEIGHTS, 4.0, &sc, &err) == 0);
	CHECK(p.loss[1] == 0 && p.loss[0] == 1);
	alloc_problem_free(&p);
	/* the strategy refuses to run without scores */
	CHECK(alloc_problem_init(&p, &m.inv, opts, 2, ACCOUNT_WEIGHTS, 5, NULL, &err) == 0);
	const char *arg;
	const struct strategy *s = strategy_find("sensitivity", &arg);
	int choice[14];
	CHECK(s && s->allocate(&p, choice, &err) == BB_EINVAL);
	alloc_problem_free(&p);
	scores_free(&sc);
	fixture_checkpoint_close(&m);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bb-test-al-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(sensitivity_should_match_brute_force_on_tinystories);
	RUN(sensitivity_should_require_scores_for_every_layer);
	if (check_remove_tree(tmpdir) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	END_TESTS();
}
