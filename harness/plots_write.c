/*
 * plots_write.c: the pictures drawn from a collected report and the plots' data
 * (plots_collect.h): numbers into data files, text into gnuplot scripts as gnuplot
 * strings, then gnuplot on each script. Drawing only: it never reads a result or a
 * recipe, opens a checkpoint or solves a knapsack.
 */
#include "harness/plots_write.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/hash.h"
#include "core/spawn.h"
#include "core/strbuf.h"
#include "harness/gnuplot_string.h"
#include "harness/plot_script.h"
#include "harness/plots_write_measures.h"
#include "harness/report_stats.h"

static const char *const kinds[LAYER_KINDS] = {"q", "k", "v", "o", "gate", "up", "down"};

/* Seconds gnuplot may take for one script (a few pictures; under a second unloaded). */
#define GNUPLOT_DEADLINE_S 300
/* What gnuplot may print before it is stopped: its messages, never data. */
#define GNUPLOT_MAX_OUTPUT (1 << 20)

// ---- scripts ----

/* gnuplot SCRIPT, no shell: the script's path is one argument. On failure, the first
 * line gnuplot printed. */
static int run_gnuplot(const char *script_path, struct bb_error *err)
{
	char *argv[] = {"gnuplot", (char *)script_path, NULL};
	struct spawn_opts o = {.capture_stdout = true, .stderr_to_stdout = true,
			       .max_output = GNUPLOT_MAX_OUTPUT, .deadline_s = GNUPLOT_DEADLINE_S,
			       .own_group = true};
	struct spawn_result r;
	int rc = spawn_run(argv, &o, &r, err);
	if (rc) {
		free(r.out);
		return bb_fail(err, BB_EIO, "cannot run gnuplot (make deps installs gnuplot-nox)");
	}
	const char *said = r.out ? r.out + strspn(r.out, "\n") : "";
	int said_len = (int)strcspn(said, "\n");
	if (r.timed_out)
		rc = bb_fail(err, BB_EIO, "gnuplot on '%s' ran past %d seconds and was stopped",
			     script_path, GNUPLOT_DEADLINE_S);
	else if (r.output_too_big)
		rc = bb_fail(err, BB_EIO, "gnuplot on '%s' printed more than %d bytes and was stopped",
			     script_path, GNUPLOT_MAX_OUTPUT);
	else if (r.status != 0)
		rc = bb_fail(err, BB_EIO, "gnuplot failed on '%s': %.*s", script_path,
			     said_len > 300 ? 300 : said_len, said_len ? said : "is it installed? (make deps)");
	free(r.out);
	return rc;
}

// ---- bars ----

static void bars_body(FILE *f, const struct experiment *e, const char *data)
{
	fputs("set title ", f);
	gnuplot_write_string(f, e->title);
	fputs(".\"\\n\".", f);
	gnuplot_write_string(f, e->set_label);
	fputs(" noenhanced\n"
	      "set style data histograms\nset style histogram clustered gap 1\n"
	      "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
	      "set ylabel 'mean accuracy over the tasks'\nset xlabel 'model'\n"
	      "set yrange [0:*]\nset grid ytics\nset key outside right top noenhanced\n"
	      "set xtics noenhanced (",
	      f);
	for (int m = 0; m < e->n_models; m++) {
		fputs(m ? ", " : "", f);
		gnuplot_write_string(f, e->models[m].name);
		fprintf(f, " %d", m);
	}
	fputs(")\nplot ", f);
	for (int row = 0; row < e->n_rows; row++) {
		fputs(row ? ", " : "", f);
		gnuplot_write_string(f, row ? "" : data);
		fprintf(f, " using %d title ", row + 2);
		gnuplot_write_string(f, e->rows[row].label);
	}
}

/* Numbers only: the model's index, then each row's mean accuracy (NaN: no result). The
 * names and labels are in the script, as gnuplot strings. */
static int bars(const struct report *r, const char *dir, struct plot_scripts *out,
		struct bb_error *err)
{
	const struct experiment *e = r->e;
	char *data = plot_data_path(dir, e->name, "-means.dat", err);
	if (!data)
		return BB_ENOMEM;
	FILE *f = fopen(data, "w");
	if (!f) {
		int rc = bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
		free(data);
		return rc;
	}
	fprintf(f, "# model index, then the mean accuracy of each row\n");
	for (int m = 0; m < e->n_models; m++) {
		fprintf(f, "%d", m);
		for (int row = 0; row < e->n_rows; row++)
			fprintf(f, r->cells[row][m].have ? "\t%.6f" : "\tNaN", r->cells[row][m].mean_acc);
		fputc('\n', f);
	}
	fclose(f);
	char *name = str_printf(err, "%s-bars", e->name);
	struct plot_script s;
	int rc = name ? plot_script_begin(&s, err) : BB_ENOMEM;
	if (!rc)
		bars_body(s.f, e, data);
	free(data); /* the script holds it as text now */
	if (!rc)
		rc = plot_script_end(&s, dir, name, "900,500", out, err);
	free(name);
	return rc;
}

// ---- accuracy against bits ----

/* For later tables' accuracy-against-bits pictures (plots_collect.c reads it). */
static int points_file(const struct report *r, const char *dir, struct bb_error *err)
{
	char *data = plot_data_path(dir, r->e->name, "-points.tsv", err);
	if (!data)
		return BB_ENOMEM;
	FILE *f = fopen(data, "w");
	int rc = f ? 0 : bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	if (f) {
		plot_points_write(r, f);
		fclose(f);
	}
	free(data);
	return rc;
}

/* One gnuplot data block per strategy: bits and mean accuracy. */
static void series_data(const struct plot_model *pm, const char *path)
{
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < pm->n_series; i++) {
		const struct plot_series *sv = &pm->series[i];
		fprintf(f, "# series %d\n", i);
		for (int k = 0; k < sv->n; k++)
			fprintf(f, "%.6f %.6f\n", sv->bits[k], sv->acc[k]);
		fprintf(f, "\n\n");
	}
	if (f)
		fclose(f);
}

/* The accuracy-against-bits picture named name. */
static int accuracy_vs_bits_in(const struct report *r, const struct plot_model *pm, int m,
			       const char *dir, const char *name, struct plot_scripts *out,
			       struct bb_error *err)
{
	const char *model = r->e->models[m].name;
	char *data = plot_data_path(dir, name, ".dat", err);
	if (!data)
		return BB_ENOMEM;
	series_data(pm, data);
	struct plot_script s;
	int rc = plot_script_begin(&s, err);
	if (rc) {
		free(data);
		return rc;
	}
	fputs("set title ", s.f);
	gnuplot_write_string(s.f, model);
	fputs(".': mean accuracy against average bits (tables 1-3)' noenhanced\n"
	      "set xlabel 'achieved average bits per weight'\nset ylabel 'mean accuracy'\n"
	      "set grid\nset key bottom right noenhanced\nset offsets 0.2, 0.2, 0.01, 0.01\nplot ",
	      s.f);
	for (int i = 0; i < pm->n_series; i++) {
		fputs(i ? ", " : "", s.f);
		gnuplot_write_string(s.f, data);
		fprintf(s.f, " index %d with linespoints pt 7 ps 1.3 lw 2 title ", i);
		gnuplot_write_string(s.f, plot_series_title(pm->series[i].strategy));
	}
	free(data);
	return plot_script_end(&s, dir, name, "800,500", out, err);
}

static int accuracy_vs_bits(const struct report *r, const struct plot_model *pm, int m,
			    const char *dir, struct plot_scripts *out, struct bb_error *err)
{
	if (pm->n_series == 0)
		return 0; /* no points from tables 1-3 for this model (yet) */
	char *name = plot_picture_name("accuracy-vs-bits-", r->e->models[m].name, err);
	int rc = name ? accuracy_vs_bits_in(r, pm, m, dir, name, out, err) : BB_ENOMEM;
	free(name);
	return rc;
}

// ---- recipe maps ----

/* Rows: layer kinds; columns: blocks; value: bits per weight. */
static int map_data(const struct recipe_map *map, const char *path, struct bb_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	for (int k = 0; k < LAYER_KINDS; k++) {
		for (int b = 0; b < map->n_blocks; b++)
			fprintf(f, "%s%d", b ? " " : "", map->bits[k * map->n_blocks + b]);
		fputc('\n', f);
	}
	fclose(f);
	return 0;
}

static void recipe_maps_head(FILE *f, const struct experiment *e, int m, int panels)
{
	fprintf(f, "set multiplot layout %d,1 title ", panels);
	gnuplot_write_string(f, e->name);
	fputs(".': '.", f);
	gnuplot_write_string(f, e->models[m].name);
	fputs(".', where each strategy spends its bits' noenhanced\n"
	      /* four bands on a log2 scale centred on 2, 4, 8 and 16 bits */
	      "set logscale cb 2\nset cbrange [1.4142:22.627]\nset cbtics ('2' 2, '4' 4, '8' 8, '16' 16)\n"
	      "set palette maxcolors 4\nset palette defined (0 '#7b3294', 1 '#4393c3', 2 '#f4a582', 3 '#bababa')\n"
	      "set cblabel 'bits per weight'\nset ytics (",
	      f);
	for (int k = 0; k < LAYER_KINDS; k++)
		fprintf(f, "%s'%s' %d", k ? ", " : "", kinds[k], k);
	fputs(")\nset xtics 1 out nomirror\nset xlabel 'decoder block'\nunset key\n", f);
}

/* The recipe maps' picture named name; pm has maps. */
static int recipe_maps_in(const struct report *r, const struct plot_model *pm, int m,
			  const char *dir, const char *name, struct plot_scripts *out,
			  struct bb_error *err)
{
	const struct experiment *e = r->e;
	struct plot_script s;
	int rc = plot_script_begin(&s, err);
	if (rc)
		return rc;
	recipe_maps_head(s.f, e, m, pm->n_maps);
	for (int i = 0; i < pm->n_maps && !rc; i++) {
		const struct recipe_map *map = &pm->maps[i];
		char suffix[32]; /* "-<row>.map": an int's digits */
		snprintf(suffix, sizeof suffix, "-%d.map", map->row);
		char *data = plot_data_path(dir, name, suffix, err);
		if (!data || (rc = map_data(map, data, err))) {
			rc = data ? rc : BB_ENOMEM;
			free(data);
			break;
		}
		fputs("set title ", s.f);
		gnuplot_write_string(s.f, e->rows[map->row].label);
		fprintf(s.f, ".' (%.3f bits)' noenhanced\nset xrange [-0.5:%d.5]\nset yrange [-0.5:6.5]\nplot ",
			map->achieved_avg_bits, map->n_blocks - 1);
		gnuplot_write_string(s.f, data);
		fputs(" matrix with image\n", s.f);
		free(data);
	}
	if (rc) {
		fclose(s.f);
		free(s.body);
		return rc;
	}
	fputs("unset multiplot\n", s.f);
	char size[32]; /* as wide as the last map needs: two ints' digits */
	snprintf(size, sizeof size, "%d,%d", 700 + 8 * pm->maps[pm->n_maps - 1].n_blocks,
		 60 + 190 * pm->n_maps);
	return plot_script_end(&s, dir, name, size, out, err);
}

static int recipe_maps(const struct report *r, const struct plot_model *pm, int m,
		       const char *dir, struct plot_scripts *out, struct bb_error *err)
{
	if (!pm->n_maps)
		return 0;
	char *prefix = str_printf(err, "%s-recipes-", r->e->name);
	char *name = prefix ? plot_picture_name(prefix, r->e->models[m].name, err) : NULL;
	int rc = name ? recipe_maps_in(r, pm, m, dir, name, out, err) : BB_ENOMEM;
	free(prefix), free(name);
	return rc;
}

// ---- the sensitivity frontier ----

/* Frontier line in block 0; then per quantized row one block "bits predicted accuracy"
 * (NaN where unknown). Returns the number of row blocks written. */
static int frontier_data(const struct report *r, const struct plot_model *pm, int m,
			 const char *path, int *rows)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# knapsack optimum: avg bits, summed score\n");
	for (int i = 0; i < FRONTIER_POINTS; i++)
		fprintf(f, "%.6f %.9g\n", pm->frontier_bits[i], pm->frontier_loss[i]);
	int n = 0;
	for (int row = 0; row < r->e->n_rows; row++) {
		const struct report_cell *c = &r->cells[row][m];
		if (row == r->bf16_row || c->achieved_avg_bits < 0)
			continue;
		fprintf(f, "\n\n# row %d\n%.6f ", row, c->achieved_avg_bits);
		fprintf(f, c->predicted_loss >= 0 ? "%.9g " : "NaN ", c->predicted_loss);
		fprintf(f, c->have ? "%.6f\n" : "NaN\n", c->mean_acc);
		rows[n++] = row;
	}
	fclose(f);
	return n;
}

static void frontier_plot(FILE *f, const struct report *r, int m, const char *data,
			  const int *rows, int n)
{
	const struct experiment *e = r->e;
	fputs("set title ", f);
	gnuplot_write_string(f, e->models[m].name);
	fputs(".', '.", f);
	gnuplot_write_string(f, e->name);
	fputs(".': the frontier of the sensitivity strategy and the measured accuracy' noenhanced\n"
	      "set xlabel 'average bits per weight (weights only)'\n"
	      "set ylabel 'predicted loss increase (summed scores, left)'\n"
	      "set y2label 'measured mean accuracy (right)'\nset ytics nomirror\nset y2tics\n"
	      "set grid\nset key outside right top vertical noenhanced spacing 1.3\nplot ",
	      f);
	gnuplot_write_string(f, data);
	fputs(" index 0 with linespoints pt 7 ps 0.4 lw 2 lc rgb '#222222' title 'Ours: knapsack optimum at each budget (left)'",
	      f);
	for (int i = 0; i < n; i++) {
		const char *label = e->rows[rows[i]].label;
		fputs(", ", f);
		gnuplot_write_string(f, data);
		fprintf(f, " index %d using 1:2 with points pt 6 ps 2 lw 2 lc %d title ", i + 1, i + 1);
		gnuplot_write_string(f, label);
		fputs(".': predicted (left)', ", f);
		gnuplot_write_string(f, data);
		fprintf(f, " index %d using 1:3 axes x1y2 with points pt 7 ps 1.6 lc %d title ", i + 1, i + 1);
		gnuplot_write_string(f, label);
		fputs(".': measured (right)'", f);
	}
	if (r->bf16_row >= 0 && r->cells[r->bf16_row][m].have)
		fprintf(f, ", %.6f axes x1y2 with lines dt 2 lc rgb '#888888' title 'BF16 accuracy (right)'",
			r->cells[r->bf16_row][m].mean_acc);
	fputc('\n', f);
}

/* The frontier picture named name, its data in the file data. */
static int frontier_in(const struct report *r, const struct plot_model *pm, int m,
		       const char *dir, const char *name, const char *data,
		       struct plot_scripts *out, struct bb_error *err)
{
	int *rows = malloc(sizeof *rows * ((size_t)r->e->n_rows + 1));
	if (!rows)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	int n = frontier_data(r, pm, m, data, rows);
	struct plot_script s;
	int rc = n < 0 ? bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno))
		       : plot_script_begin(&s, err);
	if (!rc) {
		frontier_plot(s.f, r, m, data, rows, n);
		rc = plot_script_end(&s, dir, name, "1100,550", out, err);
	}
	free(rows);
	return rc;
}

static int frontier(const struct report *r, const struct plot_model *pm, int m,
		    const char *dir, struct plot_scripts *out, struct bb_error *err)
{
	if (!pm->have_frontier)
		return 0; /* no sensitivity row, or its scores are not there yet */
	char *name = plot_picture_name("frontier-", r->e->models[m].name, err);
	char *data = name ? plot_data_path(dir, name, ".dat", err) : NULL;
	int rc = data ? frontier_in(r, pm, m, dir, name, data, out, err) : BB_ENOMEM;
	free(name), free(data);
	return rc;
}

// ---- the proxy against accuracy ----

/* The points are numbers in the data file; each point's label is a gnuplot label. */
static void proxy_plot(FILE *f, const struct report *r, int m, const char *data,
		       const char *rho)
{
	const struct experiment *e = r->e;
	fputs("set title ", f);
	gnuplot_write_string(f, e->models[m].name);
	fputs(".': predicted against measured loss ('.", f);
	gnuplot_write_string(f, e->name);
	fprintf(f, ".'; %s)' noenhanced\n"
		"set xlabel 'predicted loss increase (summed scores of the recipe)'\n"
		"set ylabel 'measured accuracy loss (BF16 mean acc - recipe mean acc)'\n"
		"set grid\nunset key\nset xzeroaxis lt -1 dt 2\n"
		"set offsets graph 0.1, graph 0.3, graph 0.1, graph 0.1\n"
		"set label 1 'each point: one recipe of the experiment (strategy and budget)' at graph 0.02, graph 0.96 left\n",
		rho);
	for (int row = 0, tag = 2; row < e->n_rows; row++) {
		double x, y;
		if (!report_proxy_point(r, row, m, &x, &y))
			continue;
		fprintf(f, "set label %d ", tag++);
		gnuplot_write_string(f, e->rows[row].label);
		fprintf(f, " at first %.9g, first %.6f offset char 1,0.8 left noenhanced front\n", x, y);
	}
	fputs("plot ", f);
	gnuplot_write_string(f, data);
	fputs(" using 1:2 with points pt 7 ps 1.8 lc rgb '#1f77b4'\n", f);
}

/* The proxy picture named name, its data in the file data. */
static int proxy_vs_accuracy_in(const struct report *r, int m, const char *dir,
				const char *name, const char *data, struct plot_scripts *out,
				struct bb_error *err)
{
	const struct experiment *e = r->e;
	char rho[64]; /* the longest, "Spearman rho = -1.000 over <int> recipes", fits */
	FILE *f = fopen(data, "w");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", data, strerror(errno));
	fprintf(f, "# predicted (summed scores), measured (BF16 - acc)\n");
	for (int row = 0; row < e->n_rows; row++) {
		double x, y;
		if (report_proxy_point(r, row, m, &x, &y))
			fprintf(f, "%.9g %.6f\n", x, y);
	}
	fclose(f);
	if (isnan(r->proxy_rho[m]))
		snprintf(rho, sizeof rho, "Spearman rho undefined, %d recipes", r->proxy_n[m]);
	else
		snprintf(rho, sizeof rho, "Spearman rho = %.3f over %d recipes", r->proxy_rho[m],
			 r->proxy_n[m]);
	struct plot_script s;
	int rc = plot_script_begin(&s, err);
	if (rc)
		return rc;
	proxy_plot(s.f, r, m, data, rho);
	return plot_script_end(&s, dir, name, "800,550", out, err);
}

static int proxy_vs_accuracy(const struct report *r, int m, const char *dir,
			     struct plot_scripts *out, struct bb_error *err)
{
	if (r->proxy_n[m] == 0)
		return 0;
	char *name = plot_picture_name("proxy-vs-accuracy-", r->e->models[m].name, err);
	char *data = name ? plot_data_path(dir, name, ".dat", err) : NULL;
	int rc = data ? proxy_vs_accuracy_in(r, m, dir, name, data, out, err) : BB_ENOMEM;
	free(name), free(data);
	return rc;
}

int plots_write_scripts(const struct report *r, const struct plot_data *d, const char *dir,
			struct plot_scripts *out, struct bb_error *err)
{
	*out = (struct plot_scripts){0};
	char *data_dir = str_printf(err, "%s/data", dir);
	if (!data_dir)
		return BB_ENOMEM;
	mkdir(dir, 0755);
	mkdir(data_dir, 0755);
	free(data_dir);
	int rc = bars(r, dir, out, err);
	if (!rc)
		rc = points_file(r, dir, err);
	for (int m = 0; !rc && m < r->e->n_models; m++) {
		const struct plot_model *pm = &d->models[m];
		rc = accuracy_vs_bits(r, pm, m, dir, out, err);
		if (!rc)
			rc = recipe_maps(r, pm, m, dir, out, err);
		if (!rc)
			rc = frontier(r, pm, m, dir, out, err);
		if (!rc)
			rc = proxy_vs_accuracy(r, m, dir, out, err);
		if (!rc && d->measures)
			rc = plots_write_measures(r, &d->measures[m], m, dir, out, err);
	}
	return rc;
}

// ---- drawing, where something changed ----

static bool is_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The SHA-256 (hex) of the name and bytes of every data file under dir/data/, in name
 * order, scripts and stamps left out: all a picture may read besides its script (the
 * accuracy-against-bits pictures read other tables' points). */
static int data_digest(const char *dir, char *hex, struct bb_error *err)
{
	char *data_dir = str_printf(err, "%s/data", dir);
	struct dirent **names = NULL;
	int n = data_dir ? scandir(data_dir, &names, NULL, alphasort) : -1;
	struct sha256 *h = sha256_new();
	int rc = n < 0 || !h ? bb_fail(err, BB_EIO, "cannot list '%s/data'", dir) : 0;
	for (int i = 0; i < (n > 0 ? n : 0); i++) {
		const char *name = names[i]->d_name;
		char *path = NULL, *bytes = NULL;
		size_t len = 0;
		if (!rc && name[0] != '.' && !is_suffix(name, ".gp") && !is_suffix(name, ".drawn") &&
		    (path = str_printf(err, "%s/%s", data_dir, name)) &&
		    !(rc = read_file(path, &bytes, &len, err))) {
			sha256_add(h, name, strlen(name) + 1);
			sha256_add(h, bytes, len);
		}
		free(path), free(bytes), free(names[i]);
	}
	if (h)
		sha256_finish(h, hex);
	free(names), free(data_dir);
	return rc;
}

/* A picture is a pure function of its script and the data: its key is the SHA-256 of the
 * two, kept in <script>.drawn once gnuplot has drawn it. True when the stamp holds key and
 * the PNG and SVG are there: drawing again would make the same files (a warm run of the
 * 145-row frontier spent 3 of its 8 seconds in gnuplot). */
static bool drawn_already(const char *script, const char *dir, const char *key)
{
	char *stamp_path = str_printf(NULL, "%s.drawn", script), *stamp = NULL;
	const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
	int name_len = (int)strlen(base) - 3; /* without ".gp" */
	char *png = str_printf(NULL, "%s/%.*s.png", dir, name_len, base);
	char *svg = str_printf(NULL, "%s/%.*s.svg", dir, name_len, base);
	struct bb_error ignored;
	size_t len = 0;
	bool same = stamp_path && png && svg && !read_file(stamp_path, &stamp, &len, &ignored) &&
		    len == 64 && memcmp(stamp, key, 64) == 0 && file_exists(png) == 1 &&
		    file_exists(svg) == 1;
	free(stamp_path), free(stamp), free(png), free(svg);
	return same;
}

/* gnuplot on script unless drawn_already; its stamp written after it drew. */
static int draw(const char *script, const char *dir, const char *digest, struct bb_error *err)
{
	char *text = NULL, key[65];
	size_t len = 0;
	int rc = read_file(script, &text, &len, err);
	struct sha256 *h = rc ? NULL : sha256_new();
	if (!rc && !h)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (h) {
		sha256_add(h, text, len);
		sha256_add(h, digest, 64);
		sha256_finish(h, key);
	}
	free(text);
	if (rc || drawn_already(script, dir, key))
		return rc;
	char *stamp_path = str_printf(err, "%s.drawn", script);
	rc = stamp_path ? run_gnuplot(script, err) : BB_ENOMEM;
	if (!rc)
		rc = write_file_atomic(stamp_path, key, 64, err);
	free(stamp_path);
	return rc;
}

int plots_write(const struct report *r, const struct plot_data *d, const char *dir,
		struct bb_error *err)
{
	struct plot_scripts *scripts = calloc(1, sizeof *scripts);
	char digest[65];
	int rc = scripts ? plots_write_scripts(r, d, dir, scripts, err)
			 : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = data_digest(dir, digest, err);
	for (int i = 0; !rc && i < scripts->n; i++)
		rc = draw(scripts->path[i], dir, digest, err);
	if (scripts)
		plot_scripts_free(scripts);
	free(scripts);
	return rc;
}

void plot_scripts_free(struct plot_scripts *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->path[i]);
	free(s->path);
	*s = (struct plot_scripts){0};
}
