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
 *
 * Text from the experiment (title, row labels, model names, the experiment's name, paths)
 * reaches a script only as a gnuplot string written by gnuplot_write_string, with
 * enhanced-text markup off; data files hold numbers only. gnuplot gets the script's path
 * as one argument (core/spawn.h), no shell.
 */
#ifndef BB_PLOTS_H
#define BB_PLOTS_H

#include "harness/plan.h"
#include "harness/report.h"

#include <stdio.h>

/* s as a gnuplot string expression whose value is exactly s: runs of printable characters
 * in single quotes (gnuplot substitutes nothing there: no backslash escapes, no `command`,
 * no @macro), each quote and control character as "\ooo", joined by '.'. "" gives ''. */
void gnuplot_write_string(FILE *f, const char *s);

/* The inverse, for the tests and the fuzzer: the value of the string expression at expr
 * in the form above (malloc'd; *end, when not NULL, just past it), or NULL when expr is
 * not of that form. */
char *gnuplot_read_string(const char *expr, const char **end);

#define PLOTS_MAX (1 + 4 * EXP_MAX) /* bars, then up to four pictures per model */

struct plot_scripts {
	int n;
	char path[PLOTS_MAX][1200];
};

/* Write the data files and the scripts under dir (dir/data/), running nothing. */
int plots_write_scripts(const struct report *r, const struct plan *p, const char *dir,
			struct plot_scripts *out, struct bb_error *err);

/* plots_write_scripts, then gnuplot on each script. */
int plots_write(const struct report *r, const struct plan *p, const char *dir,
		struct bb_error *err);

#endif
