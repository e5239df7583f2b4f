/*
 * report_stats.h: the statistics of a collected report, computed once while collecting
 * and then only looked up: paired tests between the rows of one model (a bootstrap of the
 * mean accuracy, McNemar per task, over the same documents, Holm-adjusted per model), the
 * proxy (summed scores) against the measured loss with Spearman's rho, ratios to BF16 and
 * which cells carry a dagger; and the same for the KLD results (report_stats_kld.c).
 *
 * The writers (report_write.h, plots_write.h) ask these questions and never compute a
 * statistic themselves. Nothing here reads a file or prints.
 */
#ifndef BB_REPORT_STATS_H
#define BB_REPORT_STATS_H

#include <stdbool.h>

#include "harness/report.h"

/* One cell's per-document acc per task, as collected from its result's samples: the
 * tests' input, freed once the tests are computed. */
struct cell_outcomes {
	int *n;        /* each of these: [task], NULL until the cell's result is read */
	double **acc;
	int **doc;
};

/* Room for n_tasks tasks' outcomes, none yet; -1 when out of memory. */
int cell_outcomes_alloc(struct cell_outcomes *o, int n_tasks);
void cell_outcomes_free(struct cell_outcomes *o, int n_tasks);

/* Fill r's tests, their Holm adjustment and the proxy correlation from r's cells and the
 * cells' outcomes oc[row * n_models + model]. -1 when out of memory. */
int report_compute_statistics(struct report *r, const struct cell_outcomes *oc);

/* The paired test of rows a and b (either order; the test is of the later row minus the
 * earlier), or NULL when a == b or the pair was not tested (a cell without per-document
 * outcomes). */
const struct report_test *report_test_of(const struct report *r, int model, int a, int b);

/* The "Ours" row a row is compared with: the sensitivity row nearest in target bits (the
 * first on ties); -1 when the experiment has none or row is one. */
int report_reference_row(const struct report *r, int row);

/* Whether the accuracy tests compare rows a and b: a row and its reference row, and any
 * two rows neither of which is a random seed, or, where the experiment tests by budget
 * ("paired_tests": "budget"), such rows when one is BF16 or both have one budget. A seed
 * is the null Ours is read against, so it meets Ours alone: seeds against one another, or
 * a frontier's every pair across budgets, would be thousands of tests nobody reads, each
 * widening Holm's family. */
bool report_pair_tested(const struct report *r, int a, int b);

/* Whether the cell carries a dagger: its paired test against its reference row exists and
 * its 95% interval contains zero. */
bool report_not_significant(const struct report *r, int row, int model);

/* A recipe's predicted loss (summed scores) and measured loss (BF16 mean accuracy minus
 * its own); false when the cell lacks either. */
bool report_proxy_point(const struct report *r, int row, int model, double *predicted,
			double *measured);

/* The group of random:SEED rows that row is one of, or NULL (report.h). */
const struct report_seed_group *report_seed_group_of(const struct report *r, int row);

/* BF16 ratio of a cell, or -1 when it has no BF16 reference. */
double report_ratio(const struct report *r, int row, int model);

// ---- the KLD results (report_stats_kld.c) ----

/* Fill every cell's kld_stats and the seed groups' KLD spread from the cells' KLD results
 * (called by report_compute_statistics, after the seed groups are found). -1 when out of
 * memory. */
int report_compute_kld_statistics(struct report *r);

/* Whether any cell has a KLD result or is unreachable: the tables then show the KLD
 * measures; otherwise they are those of accuracy alone. */
bool report_any_kld(const struct report *r);

/* A measure of a KLD result: mean KLD, top-1 agreement (0..1), log perplexity ratio. */
double report_kld_value(const struct report_kld *k, enum kld_measure measure);

/* The "Ours" row of a row's KLD tests: the sensitivity row at the same target bits; -1
 * for BF16, a sensitivity row, or a budget without one. */
int report_kld_reference_row(const struct report *r, int row);

/* The cell's test of its row minus Ours, or NULL when there is none. */
const struct bootstrap *report_kld_test(const struct report *r, int row, int model,
					enum kld_measure measure);

/* Whether that test exists and its Holm-adjusted p is below 0.05. */
bool report_kld_significant(const struct report *r, int row, int model, enum kld_measure measure);

#endif
