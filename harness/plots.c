/*
 * plots.c: data files and gnuplot scripts for the three kinds of picture; gnuplot draws.
 */
#include "harness/plots.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/recipe.h"

static const char *const kinds[7] = {"q", "k", "v", "o", "gate", "up", "down"};

static int run_gnuplot(const char *script_path, struct bb_error *err)
{
	char cmd[1300];
	snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", script_path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return bb_fail(err, BB_EIO, "cannot run gnuplot (make deps installs gnuplot-nox)");
	char line[512], first[512] = "";
	while (fgets(line, sizeof line, p))
		if (!first[0])
			snprintf(first, sizeof first, "%s", line);
	int status = pclose(p);
	if (status != 0) {
		first[strcspn(first, "\n")] = 0;
		return bb_fail(err, BB_EIO, "gnuplot failed on '%s': %s", script_path,
			       first[0] ? first : "is it installed? (make deps)");
	}
	return 0;
}

/* Every picture twice: a PNG for reading, an SVG for papers. */
static void terminals(FILE *gp, const char *dir, const char *name, const char *size_png,
		      const char *size_svg, const char *body)
{
	fprintf(gp, "set terminal pngcairo size %s font 'Sans,10'\nset output '%s/%s.png'\n%s\n",
		size_png, dir, name, body);
	fprintf(gp, "set terminal svg size %s font 'Sans,10'\nset output '%s/%s.svg'\n%s\n",
		size_svg, dir, name, body);
}

static FILE *open_script(const char *dir, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/data/%s.gp", dir, name);
	return fopen(path, "w");
}

// ---- bars ----

static int bars(const struct report *r, const char *dir, struct bb_error *err)
{
	const struct experiment *e = r->e;
	char data[1200], script[1200], name[128], body[4096];
	snprintf(data, sizeof data, "%s/data/%s-means.dat", dir, e->name);
	FILE *f = fopen(data, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	fprintf(f, "model");
	for (int row = 0; row < e->n_rows; row++)
		fprintf(f, "\t\"%s\"", e->rows[row].label);
	fputc('\n', f);
	for (int m = 0; m < e->n_models; m++) {
		fprintf(f, "\"%s\"", e->models[m].name);
		for (int row = 0; row < e->n_rows; row++)
			fprintf(f, r->cells[row][m].have ? "\t%.6f" : "\tNaN", r->cells[row][m].mean_acc);
		fputc('\n', f);
	}
	fclose(f);
	snprintf(name, sizeof name, "%s-bars", e->name);
	snprintf(body, sizeof body,
		 "set title \"%s\\n{/*0.8 %s}\" noenhanced\n"
		 "set style data histograms\nset style histogram clustered gap 1\n"
		 "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
		 "set ylabel 'mean accuracy over the tasks'\nset xlabel 'model'\n"
		 "set yrange [0:*]\nset grid ytics\nset key outside right top noenhanced\n"
		 "plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)\n",
		 e->title, e->set_label, e->n_rows + 1, data);
	FILE *gp = open_script(dir, name, script, sizeof script);
	if (!gp)
		return bb_fail(err, BB_EIO, "'%s': %s", script, strerror(errno));
	terminals(gp, dir, name, "900,500", "900,500", body);
	fclose(gp);
	return run_gnuplot(script, err);
}

// ---- accuracy against bits ----

/* Tab-separated, no quotes: model, strategy, row, achieved bits, mean accuracy. */
static int points_file(const struct report *r, const char *dir, struct bb_error *err)
{
	const struct experiment *e = r->e;
	char data[1200];
	snprintf(data, sizeof data, "%s/data/%s-points.tsv", dir, e->name);
	FILE *f = fopen(data, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			if (c->have && c->achieved_avg_bits >= 0)
				fprintf(f, "%s\t%s\t%s\t%.6f\t%.6f\n", e->models[m].name,
					e->rows[row].strategy, e->rows[row].label, c->achieved_avg_bits,
					c->mean_acc);
		}
	fclose(f);
	return 0;
}

struct series {
	char strategy[512];
	int n;
	double bits[64], acc[64];
};

/* Gather the model's points from tables 1-3, one series per strategy, sorted by bits. */
static int gather_points(const char *dir, const char *model, struct series *sv, int max)
{
	int n = 0;
	for (int t = 1; t <= 3; t++) {
		char path[1200], line[2048];
		snprintf(path, sizeof path, "%s/data/table%d-points.tsv", dir, t);
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof line, f)) {
			char *save, *fields[5];
			int k = 0;
			for (char *tok = strtok_r(line, "\t\n", &save); tok && k < 5;
			     tok = strtok_r(NULL, "\t\n", &save))
				fields[k++] = tok;
			if (k != 5 || strcmp(fields[0], model) != 0)
				continue;
			int i = 0;
			while (i < n && strcmp(sv[i].strategy, fields[1]) != 0)
				i++;
			if (i == n && n < max)
				snprintf(sv[n++].strategy, sizeof sv[0].strategy, "%s", fields[1]);
			if (i < n && sv[i].n < 64) {
				int at = sv[i].n++;
				double b = atof(fields[3]), a = atof(fields[4]);
				while (at > 0 && sv[i].bits[at - 1] > b) { /* insertion sort by bits */
					sv[i].bits[at] = sv[i].bits[at - 1];
					sv[i].acc[at] = sv[i].acc[at - 1];
					at--;
				}
				sv[i].bits[at] = b, sv[i].acc[at] = a;
			}
		}
		if (f)
			fclose(f);
	}
	return n;
}

static const char *series_title(const char *strategy)
{
	static const char *const names[][2] = {{"bf16", "BF16"}, {"pure", "Pure"}, {"tail", "Tail"},
					       {"head", "Head"}, {"sensitivity", "Ours (sensitivity)"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(strategy, names[i][0]) == 0)
			return names[i][1];
	return strategy;
}

static int accuracy_vs_bits(const struct report *r, int m, const char *dir,
			    struct bb_error *err)
{
	const char *model = r->e->models[m].name;
	struct series *sv = calloc(EXP_MAX, sizeof *sv);
	int n = sv ? gather_points(dir, model, sv, EXP_MAX) : 0;
	char slug[96], name[160], data[1300], script[1200], body[8192];
	slugify(model, slug, sizeof slug);
	snprintf(name, sizeof name, "accuracy-vs-bits-%s", slug);
	snprintf(data, sizeof data, "%s/data/%s.dat", dir, name);
	FILE *f = n ? fopen(data, "w") : NULL;
	for (int i = 0; f && i < n; i++) { /* one gnuplot data block per strategy */
		fprintf(f, "# %s\n", sv[i].strategy);
		for (int k = 0; k < sv[i].n; k++)
			fprintf(f, "%.6f %.6f\n", sv[i].bits[k], sv[i].acc[k]);
		fprintf(f, "\n\n");
	}
	if (f)
		fclose(f);
	size_t at = (size_t)snprintf(body, sizeof body,
				     "set title \"%s: mean accuracy against average bits (tables 1-3)\" noenhanced\n"
				     "set xlabel 'achieved average bits per weight'\nset ylabel 'mean accuracy'\n"
				     "set grid\nset key bottom right noenhanced\nset offsets 0.2, 0.2, 0.01, 0.01\nplot ",
				     model);
	for (int i = 0; i < n && at < sizeof body; i++)
		at += (size_t)snprintf(body + at, sizeof body - at,
				       "%s'%s' index %d with linespoints pt 7 ps 1.3 lw 2 title '%s'",
				       i ? ", " : "", data, i, series_title(sv[i].strategy));
	free(sv);
	if (n == 0)
		return 0; /* no points from tables 1-3 for this model (yet) */
	FILE *gp = open_script(dir, name, script, sizeof script);
	if (!gp)
		return bb_fail(err, BB_EIO, "'%s': %s", script, strerror(errno));
	terminals(gp, dir, name, "800,500", "800,500", body);
	fclose(gp);
	return run_gnuplot(script, err);
}

// ---- recipe maps ----

static int map_data(const struct plan_item *it, const char *path, int n_blocks,
		    struct bb_error *err)
{
	struct recipe rec;
	int rc = recipe_read(&rec, it->recipe, err);
	if (rc)
		return rc;
	FILE *f = fopen(path, "w");
	if (!f) {
		recipe_free(&rec);
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	}
	for (int k = 0; k < 7; k++) { /* rows: layer kinds; columns: blocks; value: bits */
		for (int b = 0; b < n_blocks; b++) {
			const struct recipe_layer *l = k < 7 && b * 7 + k < rec.n_layers
							       ? &rec.layers[b * 7 + k]
							       : NULL;
			fprintf(f, "%s%d", b ? " " : "", l ? l->weight.bits : 16);
		}
		fputc('\n', f);
	}
	fclose(f);
	recipe_free(&rec);
	return 0;
}

static int recipe_maps(const struct report *r, const struct plan *p, int m, const char *dir,
		       struct bb_error *err)
{
	const struct experiment *e = r->e;
	char slug[96], name[200], script[1200], body[16384] = "", ytics[256] = "";
	slugify(e->models[m].name, slug, sizeof slug);
	snprintf(name, sizeof name, "%s-recipes-%s", e->name, slug);
	for (int k = 0; k < 7; k++)
		snprintf(ytics + strlen(ytics), sizeof ytics - strlen(ytics), "%s'%s' %d", k ? ", " : "",
			 kinds[k], k);
	int panels = 0, n_blocks = 0;
	for (int i = 0; i < p->n; i++)
		panels += p->items[i].model == m && p->items[i].recipe[0];
	if (!panels)
		return 0;
	size_t at = (size_t)snprintf(body, sizeof body,
				     "set multiplot layout %d,1 title \"%s: %s, where each strategy spends its bits\" noenhanced\n"
				     /* four bands on a log2 scale centred on 2, 4, 8 and 16 bits */
				     "set logscale cb 2\nset cbrange [1.4142:22.627]\nset cbtics ('2' 2, '4' 4, '8' 8, '16' 16)\n"
				     "set palette maxcolors 4\nset palette defined (0 '#7b3294', 1 '#4393c3', 2 '#f4a582', 3 '#bababa')\n"
				     "set cblabel 'bits per weight'\nset ytics (%s)\nset xtics 1 out nomirror\n"
				     "set xlabel 'decoder block'\nunset key\n",
				     panels, e->name, e->models[m].name, ytics);
	for (int i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		if (it->model != m || !it->recipe[0])
			continue;
		char data[1300];
		snprintf(data, sizeof data, "%s/data/%s-%d.map", dir, name, it->row);
		struct recipe probe;
		if (recipe_read(&probe, it->recipe, err))
			return err->code;
		n_blocks = probe.n_layers / 7;
		recipe_free(&probe);
		int rc = map_data(it, data, n_blocks, err);
		if (rc)
			return rc;
		at += (size_t)snprintf(body + at, sizeof body - at,
				       "set title \"%s (%.3f bits)\" noenhanced\n"
				       "set xrange [-0.5:%d.5]\nset yrange [-0.5:6.5]\n"
				       "plot '%s' matrix with image\n",
				       e->rows[it->row].label, it->achieved_avg_bits, n_blocks - 1, data);
		if (at >= sizeof body)
			return bb_fail(err, BB_EINVAL, "too many recipes to draw for %s", e->models[m].name);
	}
	snprintf(body + at, sizeof body - at, "unset multiplot\n");
	FILE *gp = open_script(dir, name, script, sizeof script);
	if (!gp)
		return bb_fail(err, BB_EIO, "'%s': %s", script, strerror(errno));
	char size[32];
	snprintf(size, sizeof size, "%d,%d", 700 + 8 * n_blocks, 60 + 190 * panels);
	terminals(gp, dir, name, size, size, body);
	fclose(gp);
	return run_gnuplot(script, err);
}

// ---- the sensitivity frontier ----

#define FRONTIER_POINTS 49

/* The done scores job of model m, or NULL. */
static const char *scores_of(const struct plan *p, int m)
{
	for (int i = 0; i < p->n; i++)
		if (p->items[i].kind == PLAN_SCORES && p->items[i].model == m && p->items[i].done)
			return p->items[i].result;
	return NULL;
}

/* Frontier line in block 0; then per quantized row one block "bits predicted accuracy"
 * (NaN where unknown). Returns the number of row blocks written. */
static int frontier_data(const struct report *r, int m, const char *path, const double *bits,
			 const double *loss, int *rows)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# knapsack optimum: avg bits, summed score\n");
	for (int i = 0; i < FRONTIER_POINTS; i++)
		fprintf(f, "%.6f %.9g\n", bits[i], loss[i]);
	int n = 0;
	for (int row = 0; row < r->e->n_rows; row++) {
		const struct report_cell *c = &r->cells[row][m];
		if (row == r->bf16_row || c->achieved_avg_bits < 0)
			continue;
		fprintf(f, "\n\n# %s\n%.6f ", r->e->rows[row].label, c->achieved_avg_bits);
		fprintf(f, c->predicted_loss >= 0 ? "%.9g " : "NaN ", c->predicted_loss);
		fprintf(f, c->have ? "%.6f\n" : "NaN\n", c->mean_acc);
		rows[n++] = row;
	}
	fclose(f);
	return n;
}

static int frontier(const struct report *r, const struct plan *p, int m, const char *dir,
		    struct bb_error *err)
{
	const struct experiment *e = r->e;
	const char *scores = scores_of(p, m);
	if (!scores)
		return 0; /* no sensitivity row, or its scores are not there yet */
	double bits[FRONTIER_POINTS], loss[FRONTIER_POINTS];
	int rows[EXP_MAX];
	int rc = plan_frontier(e, m, scores, FRONTIER_POINTS, bits, loss, err);
	if (rc)
		return rc;
	char slug[96], name[160], data[1300], script[1200], body[8192];
	slugify(e->models[m].name, slug, sizeof slug);
	snprintf(name, sizeof name, "frontier-%s", slug);
	snprintf(data, sizeof data, "%s/data/%s.dat", dir, name);
	int n = frontier_data(r, m, data, bits, loss, rows);
	if (n < 0)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	size_t at = (size_t)snprintf(body, sizeof body,
		"set title \"%s, %s: the sensitivity strategy's frontier and the measured accuracy\" noenhanced\n"
		"set xlabel 'average bits per weight (weights only)'\n"
		"set ylabel 'predicted loss increase (summed scores, left)'\n"
		"set y2label 'measured mean accuracy (right)'\nset ytics nomirror\nset y2tics\n"
		"set grid\nset key outside right top vertical noenhanced spacing 1.3\n"
		"plot '%s' index 0 with linespoints pt 7 ps 0.4 lw 2 lc rgb '#222222' title 'Ours: knapsack optimum at each budget (left)'",
		e->models[m].name, e->name, data);
	for (int i = 0; i < n && at < sizeof body; i++)
		at += (size_t)snprintf(body + at, sizeof body - at,
			", '%s' index %d using 1:2 with points pt 6 ps 2 lw 2 lc %d title '%s: predicted (left)'"
			", '%s' index %d using 1:3 axes x1y2 with points pt 7 ps 1.6 lc %d title '%s: measured (right)'",
			data, i + 1, i + 1, e->rows[rows[i]].label, data, i + 1, i + 1, e->rows[rows[i]].label);
	if (r->bf16_row >= 0 && r->cells[r->bf16_row][m].have && at < sizeof body)
		at += (size_t)snprintf(body + at, sizeof body - at,
				       ", %.6f axes x1y2 with lines dt 2 lc rgb '#888888' title 'BF16 accuracy (right)'",
				       r->cells[r->bf16_row][m].mean_acc);
	if (at >= sizeof body)
		return bb_fail(err, BB_EINVAL, "too many rows to draw for %s", e->models[m].name);
	FILE *gp = open_script(dir, name, script, sizeof script);
	if (!gp)
		return bb_fail(err, BB_EIO, "'%s': %s", script, strerror(errno));
	terminals(gp, dir, name, "1100,550", "1100,550", body);
	fclose(gp);
	return run_gnuplot(script, err);
}

// ---- the proxy against accuracy ----

static int proxy_vs_accuracy(const struct report *r, int m, const char *dir, struct bb_error *err)
{
	const struct experiment *e = r->e;
	if (r->proxy_n[m] == 0)
		return 0;
	char slug[96], name[160], data[1300], script[1200], body[4096], rho[64];
	slugify(e->models[m].name, slug, sizeof slug);
	snprintf(name, sizeof name, "proxy-vs-accuracy-%s", slug);
	snprintf(data, sizeof data, "%s/data/%s.dat", dir, name);
	FILE *f = fopen(data, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	fprintf(f, "# predicted (summed scores), measured (BF16 - acc), row\n");
	for (int row = 0; row < e->n_rows; row++) {
		double x, y;
		if (report_proxy_point(r, row, m, &x, &y))
			fprintf(f, "%.9g %.6f \"%s\"\n", x, y, e->rows[row].label);
	}
	fclose(f);
	if (isnan(r->proxy_rho[m]))
		snprintf(rho, sizeof rho, "Spearman rho undefined, %d recipes", r->proxy_n[m]);
	else
		snprintf(rho, sizeof rho, "Spearman rho = %.3f over %d recipes", r->proxy_rho[m],
			 r->proxy_n[m]);
	snprintf(body, sizeof body,
		 "set title \"%s: predicted against measured loss (%s; %s)\" noenhanced\n"
		 "set xlabel 'predicted loss increase (summed scores of the recipe)'\n"
		 "set ylabel 'measured accuracy loss (BF16 mean acc - recipe mean acc)'\n"
		 "set grid\nunset key\nset xzeroaxis lt -1 dt 2\n"
		 "set offsets graph 0.1, graph 0.3, graph 0.1, graph 0.1\n"
		 "set label 1 'each point: one recipe of the experiment (strategy and budget)' at graph 0.02, graph 0.96 left\n"
		 "plot '%s' using 1:2 with points pt 7 ps 1.8 lc rgb '#1f77b4', "
		 "'' using 1:2:3 with labels offset char 1,0.8 left noenhanced notitle\n",
		 e->models[m].name, e->name, rho, data);
	FILE *gp = open_script(dir, name, script, sizeof script);
	if (!gp)
		return bb_fail(err, BB_EIO, "'%s': %s", script, strerror(errno));
	terminals(gp, dir, name, "800,550", "800,550", body);
	fclose(gp);
	return run_gnuplot(script, err);
}

int plots_write(const struct report *r, const struct plan *p, const char *dir,
		struct bb_error *err)
{
	char data_dir[1100];
	snprintf(data_dir, sizeof data_dir, "%s/data", dir);
	mkdir(dir, 0755);
	mkdir(data_dir, 0755);
	int rc = bars(r, dir, err);
	if (!rc)
		rc = points_file(r, dir, err);
	for (int m = 0; !rc && m < r->e->n_models; m++) {
		rc = accuracy_vs_bits(r, m, dir, err);
		if (!rc)
			rc = recipe_maps(r, p, m, dir, err);
		if (!rc)
			rc = frontier(r, p, m, dir, err);
		if (!rc)
			rc = proxy_vs_accuracy(r, m, dir, err);
	}
	return rc;
}
