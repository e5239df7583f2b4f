/*
 * plots.h: gnuplot pictures of an experiment, PNG and SVG, under plots/.
 *   <exp>-bars:            grouped bars, mean accuracy per model and strategy;
 *   accuracy-vs-bits-<m>:  mean accuracy against achieved average bits per strategy, over
 *                          every table of tables 1-3 that has results (data files are kept
 *                          per experiment under plots/data/ so later tables add points);
 *   <exp>-recipes-<m>:     where each strategy spends its bits: decoder blocks x layer
 *                          kinds, coloured by format;
 *   frontier-<m>:          the sensitivity strategy's whole frontier (the knapsack's optimum
 *                          summed score at budgets across the reachable range, from the
 *                          experiment's cached scores) with each recipe's predicted score and
 *                          measured accuracy (second axis);
 *   proxy-vs-accuracy-<m>: each recipe's predicted loss (summed scores) against its measured
 *                          accuracy loss (BF16 - acc), with Spearman's rho.
 * The data and the gnuplot scripts stay under plots/data/ so a picture can be remade.
 */
#ifndef BB_PLOTS_H
#define BB_PLOTS_H

#include "harness/plan.h"
#include "harness/report.h"

int plots_write(const struct report *r, const struct plan *p, const char *dir,
		struct bb_error *err);

#endif
