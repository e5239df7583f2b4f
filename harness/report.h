/*
 * report.h: an experiment's results as the published table, in Markdown, CSV and LaTeX.
 *
 * Rows are the strategies, columns the models; a cell is the mean accuracy over the tasks
 * with an accuracy and its ratio to the same model's BF16 row, "0.6857 (96.9%)", computed
 * here, never copied; a dagger marks a cell not significantly different from "Ours" (the
 * sensitivity row). Beneath: the average bits of every recipe under every accounting with
 * its SHA-256, a per-task breakdown, paired significance tests between the rows (a
 * bootstrap of the mean accuracy and McNemar per task, over the same documents), the
 * proxy (summed scores) against the measured accuracy loss with Spearman's rho, the
 * published figures with the difference, and the settings. Collecting reads the result
 * files and computes the statistics; rendering is pure, so golden-file tests pin it.
 */
#ifndef BB_REPORT_H
#define BB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/experiment.h"
#include "harness/plan.h"
#include "harness/stats.h"

struct report_cell {
	bool have;                     /* a result exists */
	double mean_acc;               /* mean of acc over the tasks that report one */
	double achieved_avg_bits;      /* -1 when unknown */
	double avg_bits[ACCOUNT_COUNT]; /* under every accounting; -1 where n/a or unknown */
	double predicted_loss;         /* summed scores of the recipe, -1 when none */
	double task_value[EXP_MAX];    /* acc, or the perplexity of a perplexity-only task */
	bool task_have[EXP_MAX];
	bool samples;                  /* the result has per-document outcomes for its acc tasks */
	char key[65];
	char recipe_hash[65];          /* SHA-256 of the recipe file; "bf16" without a recipe */
};

/* A paired comparison of two rows of one model: row hi minus row lo, over the same
 * documents. */
struct report_test {
	bool have;                     /* both rows have per-document outcomes for every task */
	struct bootstrap boot;         /* of the mean accuracy over the acc tasks */
	double p_holm;                 /* boot.p adjusted over the model's tests (Holm) */
	int n_tasks;
	int task[EXP_MAX];             /* the acc tasks tested (indices into task_names) */
	struct mcnemar mc[EXP_MAX];    /* per task; b: row hi right and row lo wrong */
};

struct report {
	const struct experiment *e;
	char task_names[EXP_MAX][128];  /* as they appear in the results ("story_cloze") */
	bool task_is_perplexity[EXP_MAX];
	struct report_cell cells[EXP_MAX][EXP_MAX]; /* [row][model] */
	int bf16_row;                   /* -1 when the experiment has none */
	struct report_test tests[EXP_MAX][EXP_MAX][EXP_MAX]; /* [model][lo][hi], lo < hi */
	int proxy_n[EXP_MAX];           /* recipes with a predicted and a measured loss */
	double proxy_rho[EXP_MAX];      /* Spearman's rho between them; NAN when undefined */
	char endpoint[256], lm_eval_version[128], date[64];
	int limit;
};

/* Fill r from the plan's result files. */
int report_collect(struct report *r, const struct experiment *e, const struct plan *p,
		   int limit, struct bb_error *err);

/* The paired test of rows a and b (either order; the test is of the later row minus the
 * earlier), or NULL when a == b. */
const struct report_test *report_test_of(const struct report *r, int model, int a, int b);

/* The "Ours" row a row is compared with: the sensitivity row nearest in target bits (the
 * first on ties); -1 when the experiment has none or row is one. */
int report_reference_row(const struct report *r, int row);

/* Whether the cell carries a dagger: its paired test against its reference row exists and
 * its 95% interval contains zero. */
bool report_not_significant(const struct report *r, int row, int model);

/* A recipe's predicted loss (summed scores) and measured loss (BF16 mean accuracy minus
 * its own); false when the cell lacks either. */
bool report_proxy_point(const struct report *r, int row, int model, double *predicted,
			double *measured);

/* BF16 ratio of a cell, or -1 when it has no BF16 reference. */
double report_ratio(const struct report *r, int row, int model);

void report_markdown(const struct report *r, FILE *out);
void report_csv(const struct report *r, FILE *out);
void report_latex(const struct report *r, FILE *out);

/* Write reports/<name>.md, .csv and .tex atomically. */
int report_write(const struct report *r, const char *dir, struct bb_error *err);

#endif
