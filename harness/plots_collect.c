/*
 * plots_collect.c: the pictures' data gathered at collection: the points of tables 1-3,
 * the recipes' maps, the sensitivity frontier and the measures (KLD, accuracy and the
 * proxy against KLD, with their intervals). The one place that reads recipes and
 * plans the frontier for a picture; it never writes a file and never draws.
 */
#include "harness/plots_collect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/recipe.h"
#include "core/strbuf.h"
#include "harness/report_stats.h"

// ---- accuracy against bits ----

void plot_points_write(const struct report *r, FILE *f)
{
	const struct experiment *e = r->e;
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			if (c->have && c->achieved_avg_bits >= 0)
				fprintf(f, "%s\t%s\t%s\t%.6f\t%.6f\n", e->models[m].name,
					e->rows[row].strategy, e->rows[row].label, c->achieved_avg_bits,
					c->mean_acc);
		}
}

/* The series of strategy in pm, a new one (empty) when pm has none yet; NULL when out of
 * memory. */
static struct plot_series *series_of(struct plot_model *pm, const char *strategy)
{
	for (int i = 0; i < pm->n_series; i++)
		if (strcmp(pm->series[i].strategy, strategy) == 0)
			return &pm->series[i];
	if (pm->n_series == pm->cap_series) {
		int cap = pm->cap_series ? 2 * pm->cap_series : 8;
		struct plot_series *grown = realloc(pm->series, sizeof *grown * (size_t)cap);
		if (!grown)
			return NULL;
		pm->series = grown, pm->cap_series = cap;
	}
	struct plot_series *s = &pm->series[pm->n_series];
	*s = (struct plot_series){.strategy = str_printf(NULL, "%s", strategy)};
	if (!s->strategy)
		return NULL;
	pm->n_series++;
	return s;
}

/* Room for one more point in s; -1 when out of memory. */
static int series_grow(struct plot_series *s)
{
	if (s->n < s->cap)
		return 0;
	int cap = s->cap ? 2 * s->cap : 16;
	double *bits = realloc(s->bits, sizeof *bits * (size_t)cap);
	if (bits)
		s->bits = bits;
	double *acc = realloc(s->acc, sizeof *acc * (size_t)cap);
	if (acc)
		s->acc = acc;
	if (!bits || !acc)
		return -1;
	s->cap = cap;
	return 0;
}

/* One point into its strategy's series, kept sorted by bits; -1 when out of memory. */
static int add_point(struct plot_model *pm, const char *strategy, double bits, double acc)
{
	struct plot_series *s = series_of(pm, strategy);
	if (!s || series_grow(s))
		return -1;
	int at = s->n++;
	while (at > 0 && s->bits[at - 1] > bits) { /* insertion sort by bits */
		s->bits[at] = s->bits[at - 1];
		s->acc[at] = s->acc[at - 1];
		at--;
	}
	s->bits[at] = bits, s->acc[at] = acc;
	return 0;
}

/* The lines of one points file that are model's; -1 when out of memory. A line is read
 * whole, whatever its length. */
static int read_points(FILE *f, const char *model, struct plot_model *pm)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (!rc && getline(&line, &cap, f) >= 0) {
		char *save, *fields[5];
		int k = 0;
		for (char *tok = strtok_r(line, "\t\n", &save); tok && k < 5;
		     tok = strtok_r(NULL, "\t\n", &save))
			fields[k++] = tok;
		if (k == 5 && strcmp(fields[0], model) == 0)
			rc = add_point(pm, fields[1], atof(fields[3]), atof(fields[4]));
	}
	free(line);
	return rc;
}

/* Tables 1-3 in order. This experiment's own points are read from the same text its
 * points file will hold (the figures rounded as there), so the picture does not depend
 * on whether the file was written yet. */
static int gather_points(const struct report *r, const char *dir, const char *model,
			 struct plot_model *pm, struct bb_error *err)
{
	int rc = 0;
	for (int t = 1; !rc && t <= 3; t++) {
		char name[16], *text = NULL; /* name: "table<digit>" */
		size_t len = 0;
		snprintf(name, sizeof name, "table%d", t);
		FILE *f = NULL;
		if (strcmp(r->e->name, name) == 0) {
			FILE *mem = open_memstream(&text, &len);
			if (mem) {
				plot_points_write(r, mem);
				fclose(mem);
				f = len ? fmemopen(text, len, "r") : NULL;
			}
		} else {
			char *path = str_printf(NULL, "%s/data/%s-points.tsv", dir, name);
			f = path ? fopen(path, "r") : NULL; /* no memory: drawn without those points */
			free(path);
		}
		if (f) {
			rc = read_points(f, model, pm);
			fclose(f);
		}
		free(text);
	}
	return rc ? bb_fail(err, BB_ENOMEM, "out of memory") : 0;
}

// ---- recipe maps ----

static int read_map(struct recipe_map *map, const struct plan_item *it, struct bb_error *err)
{
	struct recipe rec;
	int rc = recipe_read(&rec, it->recipe, err);
	if (rc)
		return rc;
	map->row = it->row;
	map->achieved_avg_bits = it->achieved_avg_bits;
	map->n_blocks = rec.n_layers / LAYER_KINDS;
	map->bits = malloc(sizeof *map->bits * (size_t)(LAYER_KINDS * map->n_blocks + 1));
	if (!map->bits)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	for (int k = 0; !rc && k < LAYER_KINDS; k++) /* layers in block order, kinds within */
		for (int b = 0; b < map->n_blocks; b++)
			map->bits[k * map->n_blocks + b] = rec.layers[b * LAYER_KINDS + k].weight.bits;
	recipe_free(&rec);
	return rc;
}

/* Every recipe of model m, in plan order. */
static int gather_maps(const struct plan *p, int m, struct plot_model *pm, struct bb_error *err)
{
	for (int i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		if (it->model != m || !it->recipe)
			continue;
		if (!pm->maps && !(pm->maps = calloc((size_t)p->n, sizeof *pm->maps)))
			return bb_fail(err, BB_ENOMEM, "out of memory"); /* room for every item */
		int rc = read_map(&pm->maps[pm->n_maps], it, err);
		if (rc)
			return rc;
		pm->n_maps++;
	}
	return 0;
}

// ---- the sensitivity frontier ----

/* The done scores job of model m, or NULL. */
static const char *scores_of(const struct plan *p, int m)
{
	for (int i = 0; i < p->n; i++)
		if (p->items[i].kind == PLAN_SCORES && p->items[i].model == m && p->items[i].done)
			return p->items[i].result;
	return NULL;
}

static int gather_frontier(const struct experiment *e, const struct plan *p, int m,
			   struct plot_model *pm, struct bb_error *err)
{
	const char *scores = scores_of(p, m);
	if (!scores)
		return 0; /* no sensitivity row, or its scores are not there yet */
	int rc = plan_frontier(e, m, scores, FRONTIER_POINTS, pm->frontier_bits,
			       pm->frontier_loss, err);
	pm->have_frontier = rc == 0;
	return rc;
}

// ---- the measures: KLD and accuracy against bits, predicted loss against KLD ----

/* The line a strategy belongs to: "random:7" -> "random" (its seeds are one line, the
 * null baseline's mean and spread); any other strategy as written. */
static size_t family_len(const char *strategy)
{
	return strncmp(strategy, "random:", 7) == 0 ? strlen("random") : strlen(strategy);
}

static struct measure_series *measure_series_of(struct measure_model *mm, const char *strategy,
					struct bb_error *err)
{
	size_t len = family_len(strategy);
	for (int i = 0; i < mm->n_series; i++)
		if (strlen(mm->series[i].strategy) == len &&
		    strncmp(mm->series[i].strategy, strategy, len) == 0)
			return &mm->series[i];
	struct measure_series *grown = realloc(mm->series, sizeof *grown * (size_t)(mm->n_series + 1));
	if (!grown)
		return bb_fail(err, BB_ENOMEM, "out of memory"), NULL;
	mm->series = grown;
	struct measure_series *s = &grown[mm->n_series];
	*s = (struct measure_series){.strategy = strndup(strategy, len)};
	if (!s->strategy)
		return bb_fail(err, BB_ENOMEM, "out of memory"), NULL;
	mm->n_series++;
	return s;
}

/* The point of budget in s, a new one when there is none yet (finish_series fills it). */
static struct measure_point *measure_point_of(struct measure_series *s, double budget,
				      struct bb_error *err)
{
	for (int i = 0; i < s->n; i++)
		if (s->points[i].budget == budget)
			return &s->points[i];
	struct measure_point *grown = realloc(s->points, sizeof *grown * (size_t)(s->n + 1));
	if (!grown)
		return bb_fail(err, BB_ENOMEM, "out of memory"), NULL;
	s->points = grown;
	grown[s->n] = (struct measure_point){.budget = budget};
	return &grown[s->n++];
}

/* One row's cell into its point: sums for the means, extremes for the seeds' spread. */
static void add_cell(struct measure_point *pt, const struct report_cell *c, int *rows)
{
	(*rows)++;
	pt->bits += c->achieved_avg_bits;
	if (c->kld.have) {
		pt->n_kld++;
		pt->kld += c->kld.mean_kld;
		pt->kld_lo = fmin(pt->kld_lo, c->kld.mean_kld);
		pt->kld_hi = fmax(pt->kld_hi, c->kld.mean_kld);
	}
	if (c->have) {
		pt->n_acc++;
		pt->acc += c->mean_acc;
		pt->acc_lo = fmin(pt->acc_lo, c->mean_acc);
		pt->acc_hi = fmax(pt->acc_hi, c->mean_acc);
	}
}

/* Sums into means. A point of one measured row gets its KLD's 95% bootstrap interval
 * over documents (the same seed and resamples as the report's tests) instead of a
 * spread. */
static int finish_point(struct measure_point *pt, int rows, const struct report_cell *only,
			struct bb_error *err)
{
	pt->bits /= rows;
	pt->kld = pt->n_kld ? pt->kld / pt->n_kld : NAN;
	pt->acc = pt->n_acc ? pt->acc / pt->n_acc : NAN;
	if (!pt->n_kld)
		pt->kld_lo = pt->kld_hi = NAN;
	if (!pt->n_acc)
		pt->acc_lo = pt->acc_hi = NAN;
	if (pt->n_kld != 1)
		return 0;
	const struct report_kld_stats *st = &only->kld_stats; /* report_stats_kld.c's */
	if (!st->have_interval)
		return bb_fail(err, BB_EINVAL,
			       "no interval for a KLD of %d documents (no tokens, or out of memory)",
			       only->kld.n_docs);
	pt->kld_lo = st->interval[KLD_MEAN].lo, pt->kld_hi = st->interval[KLD_MEAN].hi;
	return 0;
}

static int by_bits(const void *x, const void *y)
{
	const struct measure_point *a = x, *b = y;
	return (a->bits > b->bits) - (a->bits < b->bits);
}

/* Every point of series s: the cells of its rows at each budget of model m. */
static int finish_series(struct measure_series *s, const struct report *r, int m,
			 struct bb_error *err)
{
	size_t len = strlen(s->strategy);
	for (int i = 0; i < s->n; i++) {
		struct measure_point *pt = &s->points[i];
		const struct report_cell *only = NULL;
		int rows = 0; /* sums and extremes until finish_point */
		*pt = (struct measure_point){.budget = pt->budget, .kld_lo = INFINITY,
					     .kld_hi = -INFINITY, .acc_lo = INFINITY,
					     .acc_hi = -INFINITY};
		for (int row = 0; row < r->e->n_rows; row++) {
			const struct exp_row *er = &r->e->rows[row];
			const struct report_cell *c = &r->cells[row][m];
			if (row == r->bf16_row || er->avg_bits != pt->budget ||
			    family_len(er->strategy) != len || strncmp(er->strategy, s->strategy, len) ||
			    !(c->have || c->kld.have) || c->achieved_avg_bits < 0)
				continue;
			add_cell(pt, c, &rows);
			only = c->kld.have ? c : only;
		}
		s->seeds = rows > s->seeds ? rows : s->seeds;
		int rc = finish_point(pt, rows, only, err);
		if (rc)
			return rc;
	}
	qsort(s->points, (size_t)s->n, sizeof *s->points, by_bits);
	return 0;
}

/* The series and their budgets, in the order the rows name them: a budget gets a point
 * when one of its rows has a result. */
static int gather_series(struct measure_model *mm, const struct report *r, int m,
			 struct bb_error *err)
{
	for (int row = 0; row < r->e->n_rows; row++) {
		const struct report_cell *c = &r->cells[row][m];
		if (row == r->bf16_row || !(c->have || c->kld.have) || c->achieved_avg_bits < 0)
			continue;
		struct measure_series *s = measure_series_of(mm, r->e->rows[row].strategy, err);
		if (!s || !measure_point_of(s, r->e->rows[row].avg_bits, err))
			return BB_ENOMEM;
	}
	int rc = 0;
	for (int i = 0; !rc && i < mm->n_series; i++)
		rc = finish_series(&mm->series[i], r, m, err);
	return rc;
}

/* Whether the recipe of row was already counted: identical recipe files are one recipe. */
static bool earlier_recipe(const struct report *r, int row, int m)
{
	for (int k = 0; k < row; k++)
		if (strcmp(r->cells[k][m].recipe_hash, r->cells[row][m].recipe_hash) == 0 &&
		    r->cells[k][m].kld.have && r->cells[k][m].predicted_loss >= 0)
			return true;
	return false;
}

/* Every distinct recipe of model m with a predicted loss and a measured KLD, Spearman's
 * rho between the two and its 95% bootstrap interval over recipes. */
static int gather_proxy(struct measure_proxy *pr, const struct report *r, int m,
			struct bb_error *err)
{
	size_t cap = (size_t)r->e->n_rows + 1;
	pr->predicted = malloc(sizeof *pr->predicted * cap);
	pr->kld = malloc(sizeof *pr->kld * cap);
	if (!pr->predicted || !pr->kld)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int row = 0; row < r->e->n_rows; row++) {
		const struct report_cell *c = &r->cells[row][m];
		if (row == r->bf16_row || !c->kld.have || c->predicted_loss < 0 ||
		    earlier_recipe(r, row, m))
			continue;
		pr->predicted[pr->n] = c->predicted_loss;
		pr->kld[pr->n++] = c->kld.mean_kld;
	}
	pr->rho = stats_spearman(pr->predicted, pr->kld, pr->n);
	pr->rho_lo = pr->rho_hi = NAN;
	if (!isnan(pr->rho) && stats_spearman_bootstrap(pr->predicted, pr->kld, pr->n,
							BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED,
							&pr->rho_lo, &pr->rho_hi) != 0)
		pr->rho_lo = pr->rho_hi = NAN; /* no resample with a rho: the title says so */
	return 0;
}

int measures_collect(struct measure_model *mm, const struct report *r, int m,
		     struct bb_error *err)
{
	*mm = (struct measure_model){0};
	int rc = gather_series(mm, r, m, err);
	if (!rc)
		rc = gather_proxy(&mm->proxy, r, m, err);
	mm->kld_log_axis = !rc;
	for (int i = 0; i < mm->n_series; i++)
		for (int k = 0; k < mm->series[i].n; k++)
			if (mm->series[i].points[k].n_kld && !(mm->series[i].points[k].kld_lo > 0))
				mm->kld_log_axis = false;
	return rc;
}

void measure_model_free(struct measure_model *mm)
{
	if (!mm)
		return;
	for (int i = 0; i < mm->n_series; i++) {
		free(mm->series[i].strategy);
		free(mm->series[i].points);
	}
	free(mm->series);
	free(mm->proxy.predicted);
	free(mm->proxy.kld);
	*mm = (struct measure_model){0};
}

/* The measures of every model, when the report has KLD. */
static int gather_measures(struct plot_data *d, const struct report *r, struct bb_error *err)
{
	if (!report_any_kld(r))
		return 0;
	d->measures = calloc((size_t)r->e->n_models, sizeof *d->measures);
	if (!d->measures)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	int rc = 0;
	for (int m = 0; !rc && m < r->e->n_models; m++, d->n_measure_models++)
		rc = measures_collect(&d->measures[m], r, m, err);
	return rc;
}

// ---- all of it ----

int plots_collect(struct plot_data *d, const struct report *r, const struct plan *p,
		  const char *dir, struct bb_error *err)
{
	memset(d, 0, sizeof *d);
	if (!(d->models = calloc((size_t)r->e->n_models + 1, sizeof *d->models)))
		return bb_fail(err, BB_ENOMEM, "out of memory");
	d->n_models = r->e->n_models;
	int rc = 0;
	for (int m = 0; !rc && m < r->e->n_models; m++) {
		struct plot_model *pm = &d->models[m];
		rc = gather_points(r, dir, r->e->models[m].name, pm, err);
		if (!rc)
			rc = gather_maps(p, m, pm, err);
		if (!rc)
			rc = gather_frontier(r->e, p, m, pm, err);
	}
	return rc ? rc : gather_measures(d, r, err);
}

/* The measures of d, NULL allowed. */
static void measures_free(struct plot_data *d)
{
	for (int m = 0; d && m < d->n_measure_models; m++)
		measure_model_free(&d->measures[m]);
	if (d)
		free(d->measures);
}

void plot_data_free(struct plot_data *d)
{
	measures_free(d);
	if (!d)
		return;
	for (int m = 0; d->models && m < d->n_models; m++) {
		struct plot_model *pm = &d->models[m];
		for (int i = 0; i < pm->n_maps; i++)
			free(pm->maps[i].bits);
		free(pm->maps);
		for (int i = 0; i < pm->n_series; i++)
			free(pm->series[i].strategy), free(pm->series[i].bits), free(pm->series[i].acc);
		free(pm->series);
	}
	free(d->models);
	memset(d, 0, sizeof *d);
}
