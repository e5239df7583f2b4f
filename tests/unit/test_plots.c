/*
 * test_plots.c: text in gnuplot scripts (harness/gnuplot_string.h). gnuplot_write_string's output
 * for a few strings, written out by hand from gnuplot's documented string syntax; the
 * round trip through gnuplot_read_string for hostile and random strings; and the real
 * judge: the installed gnuplot prints each hostile string back exactly, and the commands
 * hidden in them do not run. Then the split between collecting and drawing: the writer
 * draws a recipe map and a frontier from collected numbers alone (given no plan, no recipe
 * and no checkpoint), and collecting is where an unreadable recipe is found.
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
	char path[400], *text = NULL;
	struct bb_error err;
	snprintf(path, sizeof path, "%s/data/%s", dir, name);
	return read_file(path, &text, NULL, &err) ? NULL : text;
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
	if (check_remove_tree(tmpdir) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	END_TESTS();
}
