/*
 * test_plots.c: text in gnuplot scripts (harness/gnuplot_string.h). gnuplot_write_string's output
 * for a few strings, written out by hand from gnuplot's documented string syntax; the
 * round trip through gnuplot_read_string for hostile and random strings; and the real
 * judge: the installed gnuplot prints each hostile string back exactly, and the commands
 * hidden in them do not run. Then the split between collecting and drawing: the writer
 * draws a recipe map and a frontier from collected numbers alone (given no plan, no recipe
 * and no checkpoint), and collecting is where an unreadable recipe is found. Last, the
 * measure pictures of a hand-filled report with KLD: seeds folded, bands from documents,
 * Spearman's rho over distinct recipes, every strategy named, every point drawn.
 * Never writes outside its own mkdtemp folder.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/spawn.h"
#include "core/strbuf.h"
#include "harness/gnuplot_string.h"
#include "harness/plots_collect.h"
#include "harness/plots_write.h"
#include "harness/report_collect.h"
#include "harness/report_stats.h"
#include "tests/unit/check.h"

static char tmpdir[] = "/tmp/bb-test-plots-XXXXXX";

/* gnuplot_write_string(s) as a malloc'd string. */
static char *quoted(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	gnuplot_write_string(f, s);
	fclose(f);
	return text;
}

static void check_quotes_to(const char *s, const char *expected)
{
	char *q = quoted(s);
	CHECK_STR(q, expected);
	free(q);
}

/* read(write(s)) == s, the whole expression consumed. */
static bool round_trips(const char *s)
{
	char *q = quoted(s);
	const char *end = NULL;
	char *back = gnuplot_read_string(q, &end);
	bool ok = back && strcmp(back, s) == 0 && end && *end == 0;
	free(back);
	free(q);
	return ok;
}

/* Strings a hostile experiment file could hold; DIR stands for the test's folder. The
 * gnuplot calls are split in two literals so that the grep for C calls of system finds none. */
static const char *const hostile_templates[] = {
	"H5\" noenhanced; system" "(\"touch DIR/pwned-1\"); #",
	"`touch DIR/pwned-2`",
	"n'$(touch DIR/pwned-3)'",
	"it's '' \\n \\\" @x {/Symbol a} ^2 _3 &amp; %s",
	"line one\nline two\ttab\001\177 end",
	"' . system" "('touch DIR/pwned-4') . '",
	"caf\xc3\xa9 \xe2\x82\xac",
	"",
};
#define N_HOSTILE (sizeof hostile_templates / sizeof hostile_templates[0])

static char hostile[N_HOSTILE][256];

TEST(write_string_should_quote_as_gnuplot_reads_it)
{
	check_quotes_to("", "''");
	check_quotes_to("plain text", "'plain text'");
	check_quotes_to("it's", "'it'.\"\\047\".'s'");
	check_quotes_to("''", "\"\\047\".\"\\047\"");
	check_quotes_to("`ls` \"x\" \\n @m", "'`ls` \"x\" \\n @m'");
	check_quotes_to("a\nb", "'a'.\"\\012\".'b'");
	check_quotes_to("\tx\x7f", "\"\\011\".'x'.\"\\177\"");
	check_quotes_to("\r\n", "\"\\015\".\"\\012\"");
}

TEST(read_string_should_invert_write_string)
{
	for (size_t i = 0; i < N_HOSTILE; i++)
		CHECK(round_trips(hostile[i]));
	srand(12);
	for (int t = 0; t < 2000; t++) { /* random bytes 1..255 */
		char s[40];
		int n = rand() % 39;
		for (int i = 0; i < n; i++)
			s[i] = (char)(1 + rand() % 255);
		s[n] = 0;
		CHECK(round_trips(s));
	}
}

TEST(read_string_should_refuse_what_write_string_never_writes)
{
	const char *bad[] = {"", "'open", "'a'.", "\"\\n\"", "\"\\000\"", "\"\\400\"", "x",
			     "'a\nb'", "'a'.x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(gnuplot_read_string(bad[i], NULL) == NULL);
	const char *end;
	char *v = gnuplot_read_string("'a'.\"\\047\".'b' rest", &end);
	CHECK_STR(v, "a'b");
	CHECK_STR(end, " rest");
	free(v);
}

/* gnuplot itself prints every hostile string back, byte for byte, and runs nothing. */
TEST(gnuplot_should_print_each_string_exactly_and_run_nothing)
{
	char script[300], printed[300], expected[4096] = "";
	snprintf(script, sizeof script, "%s/print.gp", tmpdir);
	snprintf(printed, sizeof printed, "%s/printed.txt", tmpdir);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fputs("set print ", f);
	gnuplot_write_string(f, printed);
	fputc('\n', f);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		fputs("print ", f);
		gnuplot_write_string(f, hostile[i]);
		fputc('\n', f);
		snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s\n",
			 hostile[i]);
	}
	fclose(f);
	struct bb_error err = {0};
	CHECK(write_file_atomic(script, text, len, &err) == 0);
	free(text);
	char *argv[] = {"gnuplot", script, NULL};
	struct spawn_opts o = {.capture_stdout = true, .stderr_to_stdout = true, .deadline_s = 300};
	struct spawn_result r;
	CHECK(spawn_run(argv, &o, &r, &err) == 0);
	CHECK(r.status == 0);
	if (r.status != 0)
		fprintf(stderr, "  gnuplot said: %s\n", r.out ? r.out : "");
	free(r.out);
	char *got = NULL;
	CHECK(read_file(printed, &got, NULL, &err) == 0);
	CHECK_STR(got, expected);
	free(got);
	for (int i = 1; i <= 4; i++) {
		char pwned[300];
		snprintf(pwned, sizeof pwned, "%s/pwned-%d", tmpdir, i);
		CHECK(access(pwned, F_OK) != 0);
	}
}

/* One model "m", rows BF16 and Ours, one task, as collecting would leave them. */
static void fill_collected(struct experiment *e, struct report *r)
{
	struct bb_error err;
	CHECK(experiment_alloc(e, 2, 1, 1, &err) == 0);
	snprintf(e->name, sizeof e->name, "mini");
	snprintf(e->models[0].name, sizeof e->models[0].name, "m");
	snprintf(e->rows[0].strategy, sizeof e->rows[0].strategy, "bf16");
	snprintf(e->rows[1].strategy, sizeof e->rows[1].strategy, "sensitivity");
	snprintf(e->rows[1].label, sizeof e->rows[1].label, "Ours");
	e->n_models = 1, e->n_rows = 2, e->n_tasks = 1;
	CHECK(report_alloc(r, e, &err) == 0);
	r->bf16_row = 0;
	struct report_cell *bf16 = &r->cells[0][0], *ours = &r->cells[1][0];
	bf16->have = true, bf16->mean_acc = 0.5, bf16->achieved_avg_bits = 16;
	bf16->predicted_loss = -1;
	ours->have = true, ours->mean_acc = 0.4, ours->achieved_avg_bits = 5;
	ours->predicted_loss = 0.25;
	r->proxy_n[0] = 1, r->proxy_rho[0] = NAN;
}

/* The plots' data of fill_collected's model: Ours at 5 bits, its map (map_bits, the
 * caller's), a frontier. */
static void fill_plot_data(struct plot_data *d, int *map_bits)
{
	static double bits[] = {5}, acc[] = {0.4};
	static struct plot_series series = {.strategy = "sensitivity", .n = 1, .cap = 1,
					    .bits = bits, .acc = acc};
	static struct recipe_map map = {.row = 1, .achieved_avg_bits = 5, .n_blocks = 2};
	static struct plot_model model = {.n_series = 1, .series = &series, .n_maps = 1,
					  .maps = &map, .have_frontier = true};
	map.bits = map_bits;
	for (int i = 0; i < FRONTIER_POINTS; i++)
		model.frontier_bits[i] = 4 + i / 12.0, model.frontier_loss[i] = 1.0 / (i + 1);
	d->n_models = 1, d->models = &model; /* static: not for plot_data_free */
}

static char *file_text(const char *dir, const char *name)
{
	char *path = str_printf(NULL, "%s/data/%s", dir, name), *text = NULL;
	struct bb_error err;
	int rc = path ? read_file(path, &text, NULL, &err) : -1;
	free(path);
	return rc ? NULL : text;
}

TEST(plots_should_draw_the_collected_numbers_and_nothing_else)
{
	struct experiment *e = calloc(1, sizeof *e);
	struct report *r = calloc(1, sizeof *r);
	struct plot_data *d = calloc(1, sizeof *d);
	struct plot_scripts *scripts = calloc(1, sizeof *scripts);
	int map_bits[LAYER_KINDS * 2] = {4, 8, 8, 8, 4, 4, 16, 4, 4, 8, 8, 4, 4, 16}; /* kind, block */
	fill_collected(e, r);
	fill_plot_data(d, map_bits);
	char dir[300];
	snprintf(dir, sizeof dir, "%s/draw", tmpdir);
	struct bb_error err = {0};
	CHECK(plots_write_scripts(r, d, dir, scripts, &err) == 0);
	CHECK(scripts->n == 5); /* bars, accuracy against bits, recipe map, frontier, proxy */
	char *map = file_text(dir, "mini-recipes-m-1.map");
	CHECK_STR(map, "4 8\n8 8\n4 4\n16 4\n4 8\n8 4\n4 16\n");
	char *frontier = file_text(dir, "frontier-m.dat");
	const char *head = "# knapsack optimum: avg bits, summed score\n4.000000 1\n4.083333 0.5\n"
			   "4.166667 0.333333333\n"; /* the first three of 4 + i/12 and 1/(i+1) */
	const char *tail = "\n8.000000 0.0204081633\n\n\n# row 1\n5.000000 0.25 0.400000\n";
	CHECK(frontier && strncmp(frontier, head, strlen(head)) == 0);
	CHECK(frontier && strlen(frontier) > strlen(tail) &&
	      strcmp(frontier + strlen(frontier) - strlen(tail), tail) == 0);
	free(map);
	free(frontier);
	plot_scripts_free(scripts);
	free(scripts);
	free(d);
	report_free(r);
	free(r);
	experiment_free(e);
	free(e);
}

TEST(plots_collect_should_name_a_recipe_it_cannot_read)
{
	struct experiment *e = calloc(1, sizeof *e);
	struct report *r = calloc(1, sizeof *r);
	struct plot_data *d = calloc(1, sizeof *d);
	struct plan_item item = {.kind = PLAN_EVAL, .model = 0, .row = 1};
	struct plan *p = calloc(1, sizeof *p);
	fill_collected(e, r);
	item.recipe = str_printf(NULL, "%s/no-such-recipe.json", tmpdir);
	p->n = p->cap = 1;
	p->items = &item;
	struct bb_error err = {0};
	CHECK(plots_collect(d, r, p, tmpdir, &err) != 0);
	CHECK(strstr(err.msg, "no-such-recipe.json") != NULL);
	plot_data_free(d);
	free(item.recipe);
	free(p);
	free(d);
	report_free(r);
	free(r);
	experiment_free(e);
	free(e);
}

// ---- the measures (a report with KLD) ----

/* One hand-filled quantized cell: two documents of 10 and 30 tokens with summed KLD
 * doc0 and doc1, so its mean KLD is (doc0 + doc1) / 40 and its 95% bootstrap band spans
 * the two documents' own ratios, doc0 / 10 to doc1 / 30 (test_stats.c shows why). */
struct measure_cell {
	const char *strategy;
	double budget, bits, acc, predicted, doc0, doc1;
	const char *recipe;
};

static const struct measure_cell measure_cells[] = {
	{"pure", 5, 4.0, 0.30, 40, 1.0, 6.0, "p"},
	{"head", 5, 5.0, 0.33, 30, 0.5, 3.0, "h5"},
	{"random:1", 5, 4.9, 0.31, 35, 0.8, 3.0, "r15"},
	{"random:2", 5, 5.1, 0.35, 33, 0.6, 2.4, "r25"},
	{"sensitivity", 5, 5.0, 0.36, 20, 0.3, 1.5, "s5"},
	{"head", 6, 6.0, 0.37, 20, 0.2, 1.8, "h6"},
	{"random:1", 6, 5.9, 0.36, 25, 0.4, 1.2, "r16"},
	{"random:2", 6, 6.1, 0.38, 22, 0.2, 1.0, "r26"},
	{"sensitivity", 6, 6.0, 0.40, 10, 0.1, 0.3, "s6"},
	{"pure", 6, 4.0, 0.30, 40, 1.0, 6.0, "p"}, /* the same recipe as pure at 5 bits */
};
#define N_MEASURE_CELLS (int)(sizeof measure_cells / sizeof measure_cells[0])

static double doc_tokens[2] = {10, 30};
static double doc_kld[N_MEASURE_CELLS][2];
static double doc_zero[2]; /* top-1 and NLL sums: the pictures read KLD alone */

/* report_free, once the cells' KLD arrays (this file's statics, lent) are taken back. */
static void report_free_lent(struct report *r)
{
	for (int row = 0; row < r->e->n_rows; row++)
		for (int m = 0; m < r->e->n_models; m++)
			r->cells[row][m].kld = (struct report_kld){0};
	report_free(r);
}

/* The experiment: row 0 BF16, then the rows of the cells above, one model named name
 * (the shipped config of a paper model: planning only), and a second model "none" that
 * has no result (as a model that reaches none of the rows). Loaded from a file and collected
 * from an empty plan, as `bitbudget run` would, so that the sizes are the loader's. */
static int load_measures_experiment(struct experiment *e, const char *name)
{
	cJSON *j = cJSON_CreateObject(), *rows = cJSON_AddArrayToObject(j, "rows");
	cJSON *model = cJSON_CreateObject(), *models = cJSON_AddArrayToObject(j, "models");
	cJSON_AddStringToObject(j, "name", "front");
	cJSON_AddStringToObject(j, "title", "front");
	const char *options[] = {"MXFP4", "MXFP8"}, *tasks[] = {"piqa"};
	cJSON_AddItemToObject(j, "options", cJSON_CreateStringArray(options, 2));
	cJSON_AddItemToObject(j, "tasks", cJSON_CreateStringArray(tasks, 1));
	cJSON_AddStringToObject(model, "name", name);
	cJSON_AddStringToObject(model, "hf_id", "x");
	cJSON_AddStringToObject(model, "dir", "Llama-3.1-8B-Instruct");
	cJSON_AddItemToArray(models, model);
	cJSON_AddItemToArray(models, cJSON_Duplicate(model, true)); /* no results: no pictures */
	cJSON_ReplaceItemInObject(cJSON_GetArrayItem(models, 1), "name", cJSON_CreateString("none"));
	for (int i = -1; i < N_MEASURE_CELLS; i++) {
		cJSON *row = cJSON_CreateObject();
		char label[32];
		snprintf(label, sizeof label, "row %d", i + 1);
		cJSON_AddStringToObject(row, "label", label);
		cJSON_AddStringToObject(row, "strategy", i < 0 ? "bf16" : measure_cells[i].strategy);
		if (i >= 0)
			cJSON_AddNumberToObject(row, "avg_bits", measure_cells[i].budget);
		cJSON_AddItemToArray(rows, row);
	}
	char *text = cJSON_Print(j), *path = str_printf(NULL, "%s/front.json", tmpdir);
	struct bb_error err = {0};
	int rc = text && path ? write_file_atomic(path, text, strlen(text), &err) : -1;
	if (!rc)
		rc = experiment_load(e, path, MODEL_SET_PAPER, NULL, NULL, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	free(text);
	free(path);
	cJSON_Delete(j);
	return rc;
}

/* The report of that experiment with the cells above filled in by hand. */
static int fill_measures(struct experiment *e, struct report *r, const char *name)
{
	struct plan empty = {0};
	struct bb_error err = {0};
	if (load_measures_experiment(e, name) || report_collect(r, e, &empty, 0, &err))
		return -1;
	r->cells[0][0].have = true, r->cells[0][0].mean_acc = 0.42;
	r->cells[0][0].achieved_avg_bits = 16, r->cells[0][0].predicted_loss = -1;
	for (int i = 0; i < N_MEASURE_CELLS; i++) {
		const struct measure_cell *mc = &measure_cells[i];
		struct report_cell *c = &r->cells[i + 1][0];
		doc_kld[i][0] = mc->doc0, doc_kld[i][1] = mc->doc1;
		c->have = true, c->mean_acc = mc->acc, c->achieved_avg_bits = mc->bits;
		c->predicted_loss = mc->predicted;
		snprintf(c->recipe_hash, sizeof c->recipe_hash, "%s", mc->recipe);
		c->kld = (struct report_kld){.have = true, .n_tokens = 40,
					     .mean_kld = (mc->doc0 + mc->doc1) / 40, .n_docs = 2,
					     .doc_tokens = doc_tokens, .doc_kld = doc_kld[i],
					     .doc_top1 = doc_zero, .doc_nll_ref = doc_zero,
					     .doc_nll_quant = doc_zero};
	}
	return report_compute_kld_statistics(r); /* the intervals, as report_collect computes */
}

static const struct measure_series *series_named(const struct measure_model *mm, const char *s)
{
	for (int i = 0; i < mm->n_series; i++)
		if (strcmp(mm->series[i].strategy, s) == 0)
			return &mm->series[i];
	return NULL;
}

TEST(measures_should_fold_seeds_band_documents_and_rank_distinct_recipes)
{
	struct experiment *e = calloc(1, sizeof *e);
	struct report *r = calloc(1, sizeof *r);
	CHECK(fill_measures(e, r, "m") == 0);
	struct measure_model mm;
	struct bb_error err = {0};
	CHECK(report_any_kld(r));
	CHECK(measures_collect(&mm, r, 0, &err) == 0);
	CHECK(mm.n_series == 4); /* pure, head, random (both seeds), sensitivity */
	const struct measure_series *random = series_named(&mm, "random");
	const struct measure_series *ours = series_named(&mm, "sensitivity");
	const struct measure_series *pure = series_named(&mm, "pure");
	CHECK(random && ours && pure && series_named(&mm, "head"));
	if (random && ours && pure) {
		CHECK(random->n == 2 && random->seeds == 2 && ours->n == 2 && pure->n == 2);
		const struct measure_point *r5 = &random->points[0]; /* 4.9 and 5.1 bits: mean 5 */
		CHECK_NEAR(r5->bits, 5.0, 1e-12);
		CHECK_NEAR(r5->kld, (3.8 / 40 + 3.0 / 40) / 2, 1e-12); /* the seeds' mean */
		CHECK_NEAR(r5->kld_lo, 3.0 / 40, 1e-12);                /* and their range */
		CHECK_NEAR(r5->kld_hi, 3.8 / 40, 1e-12);
		CHECK_NEAR(r5->acc, 0.33, 1e-12);
		CHECK(r5->acc_lo == 0.31 && r5->acc_hi == 0.35);
		const struct measure_point *o5 = &ours->points[0];
		CHECK_NEAR(o5->kld, 1.8 / 40, 1e-12);
		CHECK_NEAR(o5->kld_lo, 0.3 / 10, 1e-12); /* the documents' own ratios */
		CHECK_NEAR(o5->kld_hi, 1.5 / 30, 1e-12);
		/* the band is the per-cell interval over documents, as the report's */
		const struct weighted_docs docs = {doc_kld[4], doc_tokens};
		struct bootstrap b;
		CHECK(stats_weighted_bootstrap(&docs, NULL, 2, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED,
					       &b) == 0);
		CHECK(o5->kld_lo == b.lo && o5->kld_hi == b.hi);
		CHECK(ours->points[1].bits == 6.0 && o5->acc == 0.36 && o5->acc_lo == o5->acc_hi);
	}
	CHECK(mm.kld_log_axis);
	/* nine distinct recipes (pure's two rows are one file); scipy.stats.spearmanr of the
	 * predicted losses and mean KLDs above (ties in the predicted 20, 20) gives this rho */
	CHECK(mm.proxy.n == 9);
	CHECK_NEAR(mm.proxy.rho, 0.8451956828432803, 1e-12);
	CHECK(mm.proxy.rho_lo <= mm.proxy.rho && mm.proxy.rho <= mm.proxy.rho_hi);
	CHECK(mm.proxy.rho_lo < mm.proxy.rho_hi && mm.proxy.rho_hi <= 1);
	measure_model_free(&mm);
	/* no KLD anywhere: no measure pictures */
	for (int row = 0; row < e->n_rows; row++)
		r->cells[row][0].kld.have = false;
	CHECK(!report_any_kld(r));
	report_free_lent(r);
	free(r);
	experiment_free(e);
	free(e);
}

/* The number of data lines in each block of a gnuplot data file (blocks end in two empty
 * lines), written into counts; returns the number of blocks. */
static int block_lines(const char *text, int *counts, int max)
{
	int n = 0, in_block = 0;
	for (const char *line = text; line && *line && n < max;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len && line[0] != '#')
			counts[n] += 1, in_block = 1;
		else if (!len && in_block)
			n++, in_block = 0;
		line = end ? end + 1 : NULL;
	}
	return n;
}

TEST(measure_pictures_should_name_every_strategy_carry_every_point_and_run_nothing)
{
	struct experiment *e = calloc(1, sizeof *e);
	struct report *r = calloc(1, sizeof *r);
	struct plot_data *d = calloc(1, sizeof *d);
	struct plot_scripts *scripts = calloc(1, sizeof *scripts);
	CHECK(fill_measures(e, r, hostile[5]) == 0); /* a quote and a system call */
	struct plan empty = {0};
	struct bb_error err = {0};
	CHECK(plots_collect(d, r, &empty, tmpdir, &err) == 0);
	char dir[300];
	snprintf(dir, sizeof dir, "%s/measures", tmpdir);
	CHECK(plots_write_scripts(r, d, dir, scripts, &err) == 0);
	CHECK(scripts->n == 4); /* bars, then KLD, accuracy and the proxy against KLD; none for "none" */
	char slug[96], name[200];
	slugify(hostile[5], slug, sizeof slug);
	static const char *const whats[3] = {"kld-vs-bits", "acc-vs-bits", "proxy-vs-kld"};
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "front-%s-%s.gp", whats[i], slug);
		char *script = file_text(dir, name);
		CHECK(script != NULL);
		if (i < 2) /* one line per strategy, titled */
			CHECK(script && strstr(script, "title 'Pure'") && strstr(script, "title 'Head'") &&
			      strstr(script, "title 'Random (mean of 2 seeds, band: min-max)'") &&
			      strstr(script, "title 'Ours (sensitivity)'"));
		else
			CHECK(script && strstr(script, "Spearman rho = 0.845 ["));
		free(script);
	}
	snprintf(name, sizeof name, "front-kld-vs-bits-%s.dat", slug);
	char *lines = file_text(dir, name);
	int counts[8] = {0};
	CHECK(lines && block_lines(lines, counts, 8) == 4);
	CHECK(counts[0] == 2 && counts[1] == 2 && counts[2] == 2 && counts[3] == 2);
	free(lines);
	snprintf(name, sizeof name, "front-proxy-vs-kld-%s.dat", slug);
	char *proxy = file_text(dir, name);
	int proxy_points[2] = {0};
	CHECK(proxy && block_lines(proxy, proxy_points, 2) == 0 && proxy_points[0] == 9);
	free(proxy);
	/* gnuplot draws them, and the command in the model's name does not run */
	CHECK(plots_write(r, d, dir, &err) == 0);
	if (err.msg[0])
		fprintf(stderr, "  %s\n", err.msg);
	char *png = str_printf(NULL, "%s/front-kld-vs-bits-%s.png", dir, slug);
	char *pwned = str_printf(NULL, "%s/pwned-4", tmpdir);
	CHECK(png && access(png, F_OK) == 0);
	CHECK(pwned && access(pwned, F_OK) != 0);
	free(png);
	free(pwned);
	plot_scripts_free(scripts);
	free(scripts);
	plot_data_free(d);
	free(d);
	report_free_lent(r);
	free(r);
	experiment_free(e);
	free(e);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	for (size_t i = 0; i < N_HOSTILE; i++) {
		const char *t = hostile_templates[i], *dir = strstr(t, "DIR");
		if (dir)
			snprintf(hostile[i], sizeof hostile[i], "%.*s%s%s", (int)(dir - t), t, tmpdir,
				 dir + 3);
		else
			snprintf(hostile[i], sizeof hostile[i], "%s", t);
	}
	RUN(write_string_should_quote_as_gnuplot_reads_it);
	RUN(read_string_should_invert_write_string);
	RUN(read_string_should_refuse_what_write_string_never_writes);
	RUN(gnuplot_should_print_each_string_exactly_and_run_nothing);
	RUN(plots_should_draw_the_collected_numbers_and_nothing_else);
	RUN(plots_collect_should_name_a_recipe_it_cannot_read);
	RUN(measures_should_fold_seeds_band_documents_and_rank_distinct_recipes);
	RUN(measure_pictures_should_name_every_strategy_carry_every_point_and_run_nothing);
	if (check_remove_tree(tmpdir) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	END_TESTS();
}
