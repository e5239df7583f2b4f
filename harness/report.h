/*
 * report.h: an experiment's results as the published table, in Markdown, CSV and LaTeX.
 *
 * Rows are the strategies, columns the models; a cell is the mean accuracy over the tasks
 * with an accuracy and its ratio to the same model's BF16 row, "0.6857 (96.9%)", computed
 * here, never copied. Beneath: the achieved average bits of every cell, a per-task
 * breakdown, the published figures with the difference, and the settings. Collecting
 * reads the result files; rendering is pure, so golden-file tests pin it.
 */
#ifndef BB_REPORT_H
#define BB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/experiment.h"
#include "harness/plan.h"

struct report_cell {
	bool have;                     /* a result exists */
	double mean_acc;               /* mean of acc over the tasks that report one */
	double achieved_avg_bits;      /* -1 when unknown */
	double predicted_loss;         /* summed scores of the recipe, -1 when none */
	double task_value[EXP_MAX];    /* acc, or the perplexity of a perplexity-only task */
	bool task_have[EXP_MAX];
	char key[65];
};

struct report {
	const struct experiment *e;
	char task_names[EXP_MAX][128];  /* as they appear in the results ("story_cloze") */
	bool task_is_perplexity[EXP_MAX];
	struct report_cell cells[EXP_MAX][EXP_MAX]; /* [row][model] */
	int bf16_row;                   /* -1 when the experiment has none */
	char endpoint[256], lm_eval_version[128], date[64];
	int limit;
};

/* Fill r from the plan's result files. */
int report_collect(struct report *r, const struct experiment *e, const struct plan *p,
		   int limit, struct bb_error *err);

/* BF16 ratio of a cell, or -1 when it has no BF16 reference. */
double report_ratio(const struct report *r, int row, int model);

void report_markdown(const struct report *r, FILE *out);
void report_csv(const struct report *r, FILE *out);
void report_latex(const struct report *r, FILE *out);

/* Write reports/<name>.md, .csv and .tex atomically. */
int report_write(const struct report *r, const char *dir, struct bb_error *err);

#endif
