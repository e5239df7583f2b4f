/*
 * plots_collect.c: the pictures' data gathered at collection: the points of tables 1-3,
 * the recipes' maps and the sensitivity frontier. The one place that reads recipes and
 * plans the frontier for a picture; it never writes a file and never draws.
 */
#include "harness/plots_collect.h"

#include <stdlib.h>
#include <string.h>

#include "core/recipe.h"
#include "core/strbuf.h"

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
	return rc;
}

void plot_data_free(struct plot_data *d)
{
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
