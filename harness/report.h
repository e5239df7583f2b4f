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

/* The KLD measurement of one recipe against the BF16 model over the evaluation text (a
 * kld result, docs/endpoint.md): its summary and the per-document sums the paired tests
 * resample (documents are the unit of resampling: tokens within one are not independent). */
struct report_kld {
	bool have;
	long n_tokens;
	double mean_kld, se_kld, median_kld, p90_kld, p99_kld, max_kld;
	double top1;                 /* fraction of positions whose top token agrees, 0..1 */
	double ppl_ref, ppl_quant, ppl_ratio;
	int n_docs;
	double *doc_tokens;          /* (n_docs) positions measured in each document */
	double *doc_kld;             /* (n_docs) summed KLD over its positions */
	double *doc_top1;            /* (n_docs) positions whose top token agrees */
	double *doc_nll_ref, *doc_nll_quant; /* (n_docs) summed negative log-likelihood */
};

/* The three measures of a KLD result the report tests, each a token-weighted mean over
 * the evaluation text: mean KLD, top-1 agreement (a fraction) and the log of the
 * perplexity ratio (mean NLL of the recipe minus that of BF16). */
enum kld_measure { KLD_MEAN, KLD_TOP1, KLD_LOG_PPL_RATIO, KLD_MEASURE_COUNT };

/* A cell's statistics of its KLD result: per measure the 95% interval over documents of
 * its own value, and the paired test of its row minus "Ours" (the sensitivity row at its
 * budget) over the documents both measured, Holm-adjusted per model and measure. */
struct report_kld_stats {
	bool have_interval;            /* the result has per-document sums */
	struct bootstrap interval[KLD_MEASURE_COUNT]; /* diff: the value; lo, hi */
	bool tested;                   /* vs_ours and p_holm hold a test */
	int ours;                      /* the row compared with */
	struct bootstrap vs_ours[KLD_MEASURE_COUNT];  /* row minus Ours */
	double p_holm[KLD_MEASURE_COUNT];
	/* at the first row of a random:SEED group (report.h): per measure the mean, sample sd,
	 * lowest and highest over the group's seeds with a KLD result */
	int seeds_have;
	double seeds_mean[KLD_MEASURE_COUNT], seeds_sd[KLD_MEASURE_COUNT];
	double seeds_min[KLD_MEASURE_COUNT], seeds_max[KLD_MEASURE_COUNT];
};

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
	struct report_kld kld;
	bool unreachable; /* the row's budget is outside the model's reachable range: no job */

	struct report_kld_stats kld_stats; /* its intervals and tests (report_stats_kld.c) */
	double mean_acc_se; /* standard error of mean_acc from the tasks' acc_stderr (lm-eval's,
			     * sqrt(p(1-p)/(n-1)) each): sqrt(sum se^2) / tasks; NAN without */
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
	long kld_tokens;                /* the KLD results' tokens and documents, */
	int kld_docs;
	char *kld_text;                 /* text (malloc'd, NULL: none) and */
	long overlap_shared, overlap_total; /* 13-grams it shares with the calibration text, of its total */
	double *reach_lo, *reach_hi;    /* (n_models) malloc'd: the average bits each model can
					 * reach under the options; NULL when not computed */
	int acc_items; /* documents behind a cell's mean acc, the most of any cell (report_stats.c) */
};

/* Room in r for e's cells and per-task and per-model values, zeroed (no result yet, no
 * test, no seed group); r->e = e. Freed by report_free, also after a failure. */
int report_alloc(struct report *r, const struct experiment *e, struct bb_error *err);

/* Free what r holds (its experiment is not its own) and empty it; NULL is allowed. */
void report_free(struct report *r);

#endif
