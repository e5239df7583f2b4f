/*
 * report.h: the collected report, what the tables and pictures show: rows are the
 * strategies, columns the models. A cell holds the mean accuracy over the tasks with an
 * accuracy, its per-task values, the average bits of its recipe under every accounting
 * with its SHA-256 and its predicted loss; beside the cells, the paired tests between the
 * rows and the proxy's rank correlation.
 *
 * Types, and their memory (report.c): every table is sized by the experiment (rows,
 * models, tasks), with no fixed limit. Filled once by report_collect (report_collect.h)
 * with the statistics of report_stats.h; read, never changed, by the writers
 * (report_write.h, plots_write.h).
 */
#ifndef BB_REPORT_H
#define BB_REPORT_H

#include <stdbool.h>

#include "core/formats.h"
#include "harness/experiment.h"
#include "harness/stats.h"

struct report_cell {
	bool have;                     /* a result exists */
	double mean_acc;               /* mean of acc over the tasks that report one */
	double achieved_avg_bits;      /* -1 when unknown */
	double avg_bits[ACCOUNT_COUNT]; /* under every accounting; -1 where n/a or unknown */
	double predicted_loss;         /* summed scores of the recipe, -1 when none */
	double *task_value;            /* [task]: acc, or the perplexity of a perplexity-only task */
	bool *task_have;               /* [task] */
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
	int *task;                     /* the acc tasks tested (indices into task_names) */
	struct mcnemar *mc;            /* per task; b: row hi right and row lo wrong */
};

/* Consecutive random:SEED rows at one budget (two or more), which the main tables fold
 * into one row: the spread over seeds of chance, the null the other rows are read
 * against. Per model over the seeds with a result: mean, sample sd, min and max. */
struct report_seed_group {
	int first, n_rows;             /* rows first .. first + n_rows - 1 */
	int *n_have;                   /* each of these: [model] */
	double *mean, *sd, *min, *max;
	double *ratio;                 /* the mean's ratio to BF16, or -1 */
};

struct report {
	const struct experiment *e;
	char (*task_names)[128];        /* [task]: as they appear in the results ("story_cloze") */
	bool *task_is_perplexity;       /* [task] */
	struct report_cell **cells;     /* [row][model] */
	int bf16_row;                   /* -1 when the experiment has none */
	/* [model][lo][hi], lo < hi. tests[m][lo] is NULL where row lo has no per-document
	 * outcomes: nothing to test it with. Only pairs whose cells both have them are tested
	 * (have, with per-task arrays); the others are zero. Look up through report_test_of
	 * (report_stats.h). */
	struct report_test ***tests;
	int *proxy_n;                   /* [model]: recipes with a predicted and a measured loss */
	double *proxy_rho;              /* [model]: Spearman's rho between them; NAN when undefined */
	int n_seed_groups;
	struct report_seed_group *seed_groups;
	char *endpoint, *lm_eval_version, date[64]; /* the first two malloc'd or NULL */
	int limit;
};

/* Room in r for e's cells and per-task and per-model values, zeroed (no result yet, no
 * test, no seed group); r->e = e. Freed by report_free, also after a failure. */
int report_alloc(struct report *r, const struct experiment *e, struct bb_error *err);

/* Free what r holds (its experiment is not its own) and empty it; NULL is allowed. */
void report_free(struct report *r);

#endif
