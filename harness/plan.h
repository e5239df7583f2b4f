/*
 * plan.h: what an experiment needs done, and what is already done.
 *
 * Per model: the BF16 evaluation; the sensitivity scores once per model and option set
 * (when a row needs them); one recipe per strategy and budget; one quantize-and-evaluate
 * per recipe. Every job has a content key: the SHA-256 of everything that determines its
 * result (checkpoint identity, recipe, tasks, limit, evaluation settings including
 * log_samples, endpoint software version, bitbudget version). Evaluations always ask for
 * per-document samples, which the report's paired tests need. Results live under results/cache/<key>.json, shared by all
 * experiments, so a finished job is never redone and Table 1's BF16 row serves Table 2.
 * When the experiment measures kld, each quantized row also gets a KLD job (its key adds
 * the evaluation and calibration texts' SHA-256). A row whose budget a model cannot reach
 * gets no job: its items are marked unreachable, and the plan keeps each model's range.
 */
#ifndef BB_PLAN_H
#define BB_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/experiment.h"

/* PLAN_KLD: the KLD of one quantized row's recipe to the BF16 model over the evaluation
 * text, when the experiment measures kld; the BF16 side is cached by the job itself. */
enum plan_kind { PLAN_SCORES, PLAN_EVAL, PLAN_KLD };

struct plan_item {
	enum plan_kind kind;
	int model, row;             /* row is -1 for scores */
	char key[65];               /* empty while a sensitivity recipe waits for its scores */
	char *result;               /* malloc'd: where the result is (or will be); NULL without key */
	char *recipe;               /* malloc'd: the recipe file of a quantized evaluation, else NULL */
	char recipe_hash[65];       /* SHA-256 of the recipe file; "bf16" without a recipe */
	double achieved_avg_bits;   /* 16 for BF16; -1 when not known yet */
	double avg_bits[ACCOUNT_COUNT]; /* under every convention; -1 where n/a or not known */
	double predicted_loss;      /* summed scores of the recipe, -1 without scores */
	bool done;
	bool unreachable;           /* the row's budget is outside the model's range: no job */
	int of;                     /* PLAN_KLD: the evaluation item whose recipe it measures */
};

struct plan_settings {
	const char *results_dir;      /* "results" */
	int limit;                    /* 0: all documents */
	const char *endpoint_version; /* part of every evaluation key */
	const char *score_method;     /* deltaloss or proxy */
	int nsamples, seqlen;
	const char *calib;            /* calibration text file */
};

/* Where kld jobs keep the BF16 reference logits, under the results folder: one file per
 * model, text and context, shared by every recipe and experiment. */
#define PLAN_KLD_REFERENCE_DIR "cache/kld-reference"

/* Zero-initialise ({0}) before plan_build; plan_free releases it. */
struct plan {
	int n, cap;                /* items in use; slots allocated */
	struct plan_item *items;   /* malloc'd, grown as jobs are planned */
	char scores_note[256];
	double *reach_lo, *reach_hi; /* (n_models) the average bits each model can reach under
				      * the experiment's options (weights only) */
};

/* Build the plan: compute every recipe that can be computed now (all but the sensitivity
 * ones whose scores are not there yet) and mark what the cache already holds. p is
 * emptied first (what it held is freed), so a plan may be built again in place. */
int plan_build(struct plan *p, const struct experiment *e, const struct plan_settings *s,
	       struct bb_error *err);

/* Once the scores jobs have run: plan again the models whose scores were missing at
 * plan_build, now that their recipes can record the scores (and the sensitivity ones can
 * be made at all). The other models' items are left as they are. */
int plan_add_scores(struct plan *p, const struct experiment *e, const struct plan_settings *s,
		    struct bb_error *err);

/* Free what the plan holds; it is empty ({0}) again afterwards. */
void plan_free(struct plan *p);

/* Once the evaluation jobs have run: mark the items whose result is there now. Nothing is
 * planned again. */
void plan_collect(struct plan *p);

/* The sensitivity strategy's frontier for model m: the knapsack's optimum (summed score)
 * at n budgets evenly spaced over the reachable range of the experiment's options, from the
 * scores file at scores_path. Fills bits[n] (achieved, weights only) and loss[n]. Opens the
 * checkpoint and solves n knapsacks: called while collecting (plots_collect.c), never
 * while drawing. */
int plan_frontier(const struct experiment *e, int m, const char *scores_path, int n,
		  double *bits, double *loss, struct bb_error *err);

/* Print the plan as a table on out. */
void plan_print(const struct plan *p, const struct experiment *e, FILE *out);

/* How many items of a kind are still to do. */
int plan_pending(const struct plan *p, enum plan_kind kind);

#endif
