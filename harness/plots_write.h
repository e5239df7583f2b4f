/*
 * plots_write.h: gnuplot pictures of an experiment, PNG and SVG, under plots/, drawn from
 * the collected report (report_collect.h) and the plots' data (plots_collect.h):
 *   <exp>-bars:            grouped bars, mean accuracy per model and strategy;
 *   accuracy-vs-bits-<m>:  mean accuracy against achieved average bits per strategy, over
 *                          every table of tables 1-3 that has results (data files are kept
 *                          per experiment under plots/data/ so later tables add points);
 *   <exp>-recipes-<m>:     where each strategy spends its bits: decoder blocks x layer
 *                          kinds, coloured by format;
 *   frontier-<m>:          the sensitivity strategy's whole frontier (the knapsack's optimum
 *                          summed score at budgets across the reachable range) with each
 *                          recipe's predicted score and measured accuracy (second axis);
 *   proxy-vs-accuracy-<m>: each recipe's predicted loss (summed scores) against its measured
 *                          accuracy loss (BF16 - acc), with Spearman's rho.
 * When the report has KLD, three more per model (plots_collect.h computes their numbers):
 *   <exp>-kld-vs-bits-<m>:  mean KLD to BF16 against achieved bits, one line per strategy,
 *                          each point's 95% bootstrap interval over documents as a band
 *                          (random: the mean over seeds, the band their min-max);
 *   <exp>-acc-vs-bits-<m>:  mean accuracy against achieved bits, the same lines (random's
 *                          band: min-max over seeds);
 *   <exp>-proxy-vs-kld-<m>: each recipe's predicted loss against its measured mean KLD, with
 *                          Spearman's rho and its bootstrap interval over recipes.
 * The data and the gnuplot scripts stay under plots/data/ so a picture can be remade;
 * gnuplot runs only where a script or the data changed, or a picture is missing.
 *
 * Drawing only: nothing here reads a result or a recipe, opens a checkpoint or solves a
 * knapsack. Text from the experiment (title, row labels, model names, the experiment's
 * name, paths) reaches a script only as a gnuplot string (gnuplot_string.h), with
 * enhanced-text markup off; data files hold numbers only. gnuplot gets the script's path
 * as one argument (core/spawn.h), no shell.
 */
#ifndef BB_PLOTS_WRITE_H
#define BB_PLOTS_WRITE_H

#include "harness/plots_collect.h"
#include "harness/report.h"

/* Zero-initialise ({0}) to start empty. */
struct plot_scripts {
	int n, cap;
	char **path; /* malloc'd, each malloc'd: the scripts written, in order */
};

/* Write the data files and the scripts under dir (dir/data/), running nothing. */
int plots_write_scripts(const struct report *r, const struct plot_data *d, const char *dir,
			struct plot_scripts *out, struct bb_error *err);

/* Free the paths s holds (after plots_write_scripts, whether it failed or not); s is
 * empty again. */
void plot_scripts_free(struct plot_scripts *s);

/* plots_write_scripts, then gnuplot on each script whose picture is not already drawn
 * from the same script and data (a stamp, <script>.drawn, holds their SHA-256). */
int plots_write(const struct report *r, const struct plot_data *d, const char *dir,
		struct bb_error *err);

#endif
