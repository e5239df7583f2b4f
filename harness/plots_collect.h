/*
 * plots_collect.h: everything the pictures show beyond the report's cells, gathered while
 * collecting results, so that drawing (plots_write.h) only draws: it never reads a recipe,
 * opens a checkpoint or solves a knapsack.
 *   - accuracy against bits: per model, one series per strategy over tables 1-3 (this
 *     experiment's points from its report, the other tables' from the points files they
 *     left under the plots folder);
 *   - recipe maps: per model, each quantized row's bits per decoder block and layer kind,
 *     read from its recipe;
 *   - the sensitivity frontier: per model with done scores, the knapsack's optimum summed
 *     score at FRONTIER_POINTS budgets across the reachable range (plan_frontier);
 *   - the measures (only when the report has KLD): per model and strategy, mean KLD and
 *     mean accuracy at each budget with their bands, and the predicted loss against the
 *     measured KLD of every recipe with Spearman's rho and its bootstrap interval.
 * Collecting reads; it never writes a file (the writer writes the points file).
 */
#ifndef BB_PLOTS_COLLECT_H
#define BB_PLOTS_COLLECT_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/plan.h"
#include "harness/report.h"

#define FRONTIER_POINTS 49
#define LAYER_KINDS 7 /* q, k, v, o, gate, up, down: a decoder block's linear layers */

/* One strategy's points, sorted by bits. */
struct plot_series {
	char *strategy;     /* malloc'd */
	int n, cap;
	double *bits, *acc; /* malloc'd, room for cap points */
};

/* Where one row's recipe spends its bits. */
struct recipe_map {
	int row;
	double achieved_avg_bits;
	int n_blocks;
	int *bits; /* (LAYER_KINDS, n_blocks): bits per weight of kind k in block b */
};

struct plot_model {
	int n_series, cap_series;
	struct plot_series *series;        /* malloc'd, room for cap_series */
	int n_maps;                        /* in plan order */
	struct recipe_map *maps;           /* malloc'd, room for every quantized row */
	bool have_frontier;                /* the model's scores are done */
	double frontier_bits[FRONTIER_POINTS], frontier_loss[FRONTIER_POINTS];
};

/* One budget of a strategy on the measure pictures. A random:SEED family's point is the
 * mean over its seeds and its band the min-max over them; any other strategy's KLD band is
 * the 95% bootstrap interval over documents (the report's own, report_kld_stats) and its accuracy band
 * has no width. */
struct measure_point {
	double budget;                   /* the rows' avg_bits */
	double bits;                     /* achieved average bits (the seeds' mean) */
	int n_kld, n_acc;                /* rows (seeds) with a KLD, with an accuracy */
	double kld, kld_lo, kld_hi;
	double acc, acc_lo, acc_hi;
};

/* A strategy's line: "pure", "head", "tail", "random" (every seed), "sensitivity", or an
 * external:CMD as written. Points sorted by achieved bits. */
struct measure_series {
	char *strategy;                  /* malloc'd */
	int n, seeds;                    /* points; distinct seeds (random), else 1 */
	struct measure_point *points;    /* (n) malloc'd */
};

/* The proxy check against KLD: every recipe with a predicted loss and a measured KLD. */
struct measure_proxy {
	int n;
	double *predicted, *kld;         /* (n) malloc'd */
	double rho, rho_lo, rho_hi;      /* NAN when undefined */
};

struct measure_model {
	int n_series;
	struct measure_series *series;   /* (n_series) malloc'd, in the order rows name them */
	bool kld_log_axis;               /* every band is above zero: KLD drawn on a log axis */
	struct measure_proxy proxy;
};

struct plot_data {
	int n_models;
	struct plot_model *models; /* malloc'd: the experiment's models */
	struct measure_model *measures;  /* (n_models) malloc'd when the report has KLD, else NULL */
	int n_measure_models;
};

/* The measures of model m (plots_collect calls it; the tests call it on hand-filled
 * reports). Free with measure_model_free, also after a failure. */
int measures_collect(struct measure_model *mm, const struct report *r, int m,
		     struct bb_error *err);
void measure_model_free(struct measure_model *mm);

/* Fill d for r's experiment: the recipes and scores named by p, the other tables' points
 * under dir/data/. Free with plot_data_free, also after a failure. */
int plots_collect(struct plot_data *d, const struct report *r, const struct plan *p,
		  const char *dir, struct bb_error *err);

/* Frees the maps' bits and empties d; NULL is allowed. */
void plot_data_free(struct plot_data *d);

/* The points file of r's experiment (dir/data/<name>-points.tsv), which later tables
 * read: one line per cell with a result and known bits, tab-separated, no quotes:
 * model, strategy, row, achieved bits, mean accuracy. */
void plot_points_write(const struct report *r, FILE *f);

#endif
