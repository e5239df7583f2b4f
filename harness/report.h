/*
 * report.h: the collected report, what the tables and pictures show: rows are the
 * strategies, columns the models. A cell holds the mean accuracy over the tasks with an
 * accuracy, its per-task values, the average bits of its recipe under every accounting
 * with its SHA-256 and its predicted loss; beside the cells, the paired tests between the
 * rows and the proxy's rank correlation.
 *
 * Types only. Filled once by report_collect (report_collect.h) with the statistics of
 * report_stats.h; read, never changed, by the writers (report_write.h, plots_write.h).
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
	struct report_kld kld;
	bool unreachable; /* the row's budget is outside the model's reachable range: no job */
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

/* Consecutive random:SEED rows at one budget (two or more), which the main tables fold
 * into one row: the spread over seeds of chance, the null the other rows are read
 * against. Per model over the seeds with a result: mean, sample sd, min and max. */
struct report_seed_group {
	int first, n_rows;             /* rows first .. first + n_rows - 1 */
	int n_have[EXP_MAX];
	double mean[EXP_MAX], sd[EXP_MAX], min[EXP_MAX], max[EXP_MAX];
	double ratio[EXP_MAX];         /* the mean's ratio to BF16, or -1 */
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
	int n_seed_groups;
	struct report_seed_group seed_groups[EXP_MAX];
	char endpoint[256], lm_eval_version[128], date[64];
	int limit;
};

#endif
