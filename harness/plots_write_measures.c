/*
 * plots_write_measures.c: the measure pictures (plots_write_measures.h): numbers into data
 * files, text into gnuplot scripts as gnuplot strings. Never runs gnuplot, never reads a
 * result.
 */
#include "harness/plots_write_measures.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "harness/gnuplot_string.h"
#include "harness/plot_script.h"

/* One gnuplot data block per series, points by bits: bits, KLD and its band, accuracy and
 * its band (NaN where unmeasured). */
static int measures_data(const struct measure_model *mm, const char *path, struct bb_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	for (int i = 0; i < mm->n_series; i++) {
		fprintf(f, "# series %d: bits, mean KLD, low, high, mean acc, low, high\n", i);
		for (int k = 0; k < mm->series[i].n; k++) {
			const struct measure_point *pt = &mm->series[i].points[k];
			fprintf(f, "%.6f %.9g %.9g %.9g %.6f %.6f %.6f\n", pt->bits, pt->kld,
				pt->kld_lo, pt->kld_hi, pt->acc, pt->acc_lo, pt->acc_hi);
		}
		fprintf(f, "\n\n");
	}
	return fclose(f) == 0 ? 0 : bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
}

/* The key's name of a series: random's says how many seeds its mean and band are over. */
static void measure_series_title(FILE *f, const struct measure_series *sv)
{
	if (strcmp(sv->strategy, "random") != 0) {
		gnuplot_write_string(f, plot_series_title(sv->strategy));
		return;
	}
	fprintf(f, "'Random (mean of %d seeds, band: min-max)'", sv->seeds);
}

/* Per series a band (columns lo, hi) under a line (column value). */
static void measure_lines(FILE *f, const struct measure_model *mm, const char *data, int value)
{
	fputs("set style fill transparent solid 0.2 noborder\n"
	      "set offsets graph 0.03, graph 0.03, 0, 0\nplot ", f);
	for (int i = 0; i < mm->n_series; i++) {
		fputs(i ? ", " : "", f);
		gnuplot_write_string(f, data);
		fprintf(f, " index %d using 1:%d:%d with filledcurves lc %d notitle, ", i, value + 1,
			value + 2, i + 1);
		gnuplot_write_string(f, data);
		fprintf(f, " index %d using 1:%d with linespoints pt 7 ps 1 lw 2 lc %d title ", i,
			value, i + 1);
		measure_series_title(f, &mm->series[i]);
	}
	fputc('\n', f);
}

/* The title: "<model>, <experiment>: <what>", then the line detail (text of ours, no
 * quotes). */
static void measure_title(FILE *f, const struct report *r, int m, const char *what,
			  const char *detail)
{
	fputs("set title ", f);
	gnuplot_write_string(f, r->e->models[m].name);
	fputs(".', '.", f);
	gnuplot_write_string(f, r->e->name);
	fprintf(f, ".': %s'.\"\\n\".'%s' noenhanced\n", what, detail);
}

static int kld_vs_bits(const struct report *r, const struct measure_model *mm, int m,
		       const char *dir, const char *name, const char *data,
		       struct plot_scripts *out, struct bb_error *err)
{
	struct plot_script s;
	int rc = plot_script_begin(&s, err);
	if (rc)
		return rc;
	measure_title(s.f, r, m, "mean KL divergence to BF16 against average bits",
		      "bands: 95% bootstrap interval over documents; random: min-max over seeds");
	fprintf(s.f, "set xlabel 'achieved average bits per weight (weights only)'\n"
		"set ylabel 'mean KLD to BF16 per token (nats%s)'\n%s"
		"set grid\nset key outside right top noenhanced\n",
		mm->kld_log_axis ? ", log scale" : "", mm->kld_log_axis ? "set logscale y\n" : "");
	measure_lines(s.f, mm, data, 2);
	return plot_script_end(&s, dir, name, "1000,550", out, err);
}

static int acc_vs_bits(const struct report *r, const struct measure_model *mm, int m,
		       const char *dir, const char *name, const char *data,
		       struct plot_scripts *out, struct bb_error *err)
{
	struct plot_script s;
	int rc = plot_script_begin(&s, err);
	if (rc)
		return rc;
	measure_title(s.f, r, m, "mean accuracy against average bits",
		      "random: the mean over seeds, its band their min-max");
	fputs("set xlabel 'achieved average bits per weight (weights only)'\n"
	      "set ylabel 'mean accuracy over the tasks'\nset grid\n"
	      "set key outside right top noenhanced\n", s.f);
	if (r->bf16_row >= 0 && r->cells[r->bf16_row][m].have)
		fprintf(s.f, "set arrow 1 from graph 0, first %.6f to graph 1, first %.6f nohead dt 2 "
			"lc rgb '#888888'\n"
			"set label 1 'BF16' at graph 0.01, first %.6f offset 0,0.6\n",
			r->cells[r->bf16_row][m].mean_acc, r->cells[r->bf16_row][m].mean_acc,
			r->cells[r->bf16_row][m].mean_acc);
	measure_lines(s.f, mm, data, 5);
	return plot_script_end(&s, dir, name, "1000,550", out, err);
}

static int proxy_vs_kld(const struct report *r, const struct measure_model *mm, int m,
			const char *dir, const char *name, const char *data,
			struct plot_scripts *out, struct bb_error *err)
{
	const struct measure_proxy *pr = &mm->proxy;
	FILE *f = fopen(data, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	fprintf(f, "# predicted loss (summed scores), measured mean KLD\n");
	for (int i = 0; i < pr->n; i++)
		fprintf(f, "%.9g %.9g\n", pr->predicted[i], pr->kld[i]);
	if (fclose(f) != 0)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	char rho[128]; /* three "%.3f" of at most 6 characters and an int: fits */
	if (isnan(pr->rho))
		snprintf(rho, sizeof rho, "Spearman rho undefined over %d recipes", pr->n);
	else
		snprintf(rho, sizeof rho, "Spearman rho = %.3f [%.3f, %.3f] over %d recipes "
			 "(95%% bootstrap interval, recipes resampled)", pr->rho, pr->rho_lo,
			 pr->rho_hi, pr->n);
	struct plot_script s;
	int rc = plot_script_begin(&s, err);
	if (rc)
		return rc;
	measure_title(s.f, r, m, "predicted loss against measured mean KLD", rho);
	fprintf(s.f, "set xlabel 'predicted loss increase (summed scores of the recipe)'\n"
		"set ylabel 'measured mean KLD to BF16 per token (nats)'\n%s"
		"set grid\nunset key\nset offsets graph 0.03, graph 0.03, 0, 0\nplot ",
		mm->kld_log_axis ? "set logscale y\n" : "");
	gnuplot_write_string(s.f, data);
	fputs(" using 1:2 with points pt 7 ps 1.2 lc rgb '#1f77b4'\n", s.f);
	return plot_script_end(&s, dir, name, "800,550", out, err);
}

typedef int measure_picture(const struct report *r, const struct measure_model *mm, int m,
			    const char *dir, const char *name, const char *data,
			    struct plot_scripts *out, struct bb_error *err);

/* Whether mm has a point with a KLD (kld true) or with an accuracy. */
static bool measured(const struct measure_model *mm, bool kld)
{
	for (int i = 0; i < mm->n_series; i++)
		for (int k = 0; k < mm->series[i].n; k++)
			if (kld ? mm->series[i].points[k].n_kld : mm->series[i].points[k].n_acc)
				return true;
	return false;
}

/* The measure pictures of model m that have something to show (a model can have no
 * result yet, or reach none of the rows): "<exp>-<what>-<model slug>", data beside each. */
int plots_write_measures(const struct report *r, const struct measure_model *mm, int m,
			 const char *dir, struct plot_scripts *out, struct bb_error *err)
{
	static const char *const whats[] = {"kld-vs-bits", "acc-vs-bits", "proxy-vs-kld"};
	static measure_picture *const draw[] = {kld_vs_bits, acc_vs_bits, proxy_vs_kld};
	const bool shown[] = {measured(mm, true), measured(mm, false), mm->proxy.n > 0};
	char slug[96];
	slugify(r->e->models[m].name, slug, sizeof slug);
	int rc = 0;
	char *lines = NULL; /* the kld and accuracy pictures share one data file */
	for (int i = 0; !rc && i < 3; i++) {
		char *name = str_printf(err, "%s-%s-%s", r->e->name, whats[i], slug);
		char *data = name ? plot_data_path(dir, name, ".dat", err) : NULL;
		if (!data)
			rc = BB_ENOMEM;
		if (!rc && i == 0 && !(rc = measures_data(mm, data, err)))
			lines = data, data = NULL;
		if (!rc && shown[i])
			rc = draw[i](r, mm, m, dir, name, i < 2 ? lines : data, out, err);
		free(name);
		free(data);
	}
	free(lines);
	return rc;
}

