/*
 * plots_write_measures.h: the measure pictures of one model, drawn where the report has
 * KLD: mean KLD and mean accuracy against achieved bits per strategy (bands: the 95%
 * interval over documents; random: min-max over seeds) and the predicted loss against
 * the measured KLD with Spearman's rho and its interval. Drawing only: every number was
 * computed while collecting (plots_collect.h).
 */
#ifndef BB_PLOTS_WRITE_MEASURES_H
#define BB_PLOTS_WRITE_MEASURES_H

#include "harness/plots_collect.h"
#include "harness/plots_write.h"
#include "harness/report.h"

/* The pictures of model m that have something to show (a model can have no result yet,
 * or reach none of the rows): "<exp>-<what>-<model slug>", data beside each, the scripts
 * added to out. */
int plots_write_measures(const struct report *r, const struct measure_model *mm, int m,
			 const char *dir, struct plot_scripts *out, struct bb_error *err);

#endif
