/*
 * fuzz_plots.c: arbitrary titles, labels and names through the gnuplot script writer
 * (plots_collect, plots_write_scripts) and the report writers (Markdown, CSV, LaTeX).
 *
 * The input is split at NUL bytes into the experiment's texts: name, title, model-set
 * label, two model names, three row labels, one task name; the bytes after the last field
 * seed the numbers. The name is kept to the characters experiment_load allows in a name
 * that becomes a file name. Properties, each an abort() when broken:
 *   - every text round-trips: gnuplot_read_string(gnuplot_write_string(s)) == s;
 *   - every script, read as gnuplot's lexer reads it, has the text only inside strings:
 *     every quoted string is closed on its line, and outside strings there is nothing
 *     but the writer's own commands (letters, digits, blanks and , . : ( ) [ ] * + - = /),
 *     so no backquote, @macro, ';', '#' or '$' of the input can be outside a string;
 *   - nothing outside the output folder changes (the folder beside it stays empty);
 *   - no command runs (this process has no child).
 * Never writes outside its folder: files go to one made once under /tmp, emptied after
 * each input, removed at exit.
 */
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "core/strbuf.h"
#include "harness/gnuplot_string.h"
#include "harness/plots_collect.h"
#include "harness/plots_write.h"
#include "harness/report_write.h"

#define N_TEXTS 9

static char base[] = "/tmp/bb-fuzz-plots-XXXXXX";
static char out_dir[64];

static void empty_dir(int parent, const char *name, bool remove_self);

static void remove_base(void) { empty_dir(AT_FDCWD, base, true); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!mkdtemp(base))
		abort();
	snprintf(out_dir, sizeof out_dir, "%s/out", base);
	atexit(remove_base);
	return 0;
}

/* Remove everything under dir (two levels: out/ and out/data/), keeping dir. */
static void empty_dir(int parent, const char *name, bool remove_self)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type == DT_DIR)
			empty_dir(fd, e->d_name, true);
		else
			unlinkat(fd, e->d_name, 0);
	}
	if (d)
		closedir(d);
	if (remove_self)
		unlinkat(parent, name, AT_REMOVEDIR);
}

/* Copy the next NUL-terminated field of data into out (truncated to n - 1 bytes). */
static size_t next_text(const uint8_t *data, size_t size, size_t at, char *out, size_t n)
{
	size_t len = 0;
	while (at < size && data[at]) {
		if (len + 1 < n)
			out[len++] = (char)data[at];
		at++;
	}
	out[len] = 0;
	return at < size ? at + 1 : at;
}

/* A file name as experiment_load accepts it: letters, digits, '.', '_', '-'; no leading
 * '.'; never empty. */
static void as_name(char *s)
{
	for (char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
			*c = '_';
	if (s[0] == 0)
		strcpy(s, "x");
	else if (s[0] == '.')
		s[0] = 'x';
}

static void check_round_trip(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	gnuplot_write_string(f, s);
	fclose(f);
	const char *end = NULL;
	char *back = gnuplot_read_string(text, &end);
	if (!back || strcmp(back, s) != 0 || !end || *end)
		abort();
	free(back);
	free(text);
}

/* Lex one script line by line: strings must close on their line, and outside them only
 * the writer's own vocabulary may appear. */
static void check_script(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		abort();
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789 \t,.:()[]*+-=/";
	char line[1 << 16];
	while (fgets(line, sizeof line, f)) {
		for (const char *c = line; *c && *c != '\n'; c++) {
			if (*c == '\'') { /* single quotes: no escapes at all */
				c = strchr(c + 1, '\'');
			} else if (*c == '"') { /* double quotes: a backslash escapes */
				for (c++; *c && *c != '"' && *c != '\n'; c++)
					c += *c == '\\' && c[1];
				c = *c == '"' ? c : NULL;
			} else if (!strchr(allowed, *c)) {
				abort(); /* text of the input outside a string */
			}
			if (!c)
				abort(); /* a string left open */
		}
	}
	fclose(f);
}

/* Nothing but out/ beside the output folder, and no child process. */
static void check_confined(void)
{
	DIR *d = opendir(base);
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "out"))
			abort();
	if (d)
		closedir(d);
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		abort();
}

#define SET_LABEL_SIZE 128 /* the fuzzed model-set label's room */

static void fill(struct experiment *e, struct report *r, const uint8_t *data, size_t size)
{
	struct bb_error err;
	if (experiment_alloc(e, 3, 2, 1, &err))
		abort();
	e->n_models = 2, e->n_rows = 3, e->n_tasks = 1;
	free(e->set_label);
	free(e->set_note);
	if (report_alloc(r, e, &err) || !(e->set_label = calloc(1, SET_LABEL_SIZE)))
		abort();
	char *texts[N_TEXTS] = {e->name, e->title, e->set_label, e->models[0].name,
				e->models[1].name, e->rows[0].label, e->rows[1].label,
				e->rows[2].label, e->tasks[0]};
	size_t sizes[N_TEXTS] = {sizeof e->name, sizeof e->title, SET_LABEL_SIZE,
				 sizeof e->models[0].name, sizeof e->models[1].name,
				 sizeof e->rows[0].label, sizeof e->rows[1].label,
				 sizeof e->rows[2].label, sizeof e->tasks[0]};
	size_t at = 0;
	for (int i = 0; i < N_TEXTS; i++)
		at = next_text(data, size, at, texts[i], sizes[i]);
	as_name(e->name);
	if (!(e->set_note = str_printf(&err, "%s", e->set_label)))
		abort();
	snprintf(e->rows[0].strategy, sizeof e->rows[0].strategy, "bf16");
	snprintf(e->rows[1].strategy, sizeof e->rows[1].strategy, "%s", e->rows[1].label);
	snprintf(e->rows[2].strategy, sizeof e->rows[2].strategy, "head");
	r->bf16_row = 0;
	snprintf(r->task_names[0], sizeof r->task_names[0], "%.127s", e->tasks[0]);
	for (int row = 0; row < 3; row++)
		for (int m = 0; m < 2; m++) {
			struct report_cell *c = &r->cells[row][m];
			uint8_t b = at < size ? data[at++] : (uint8_t)(row * 2 + m);
			c->have = b % 5 != 0;
			c->mean_acc = c->task_value[0] = (b % 101) / 100.0;
			c->task_have[0] = c->have;
			c->achieved_avg_bits = row ? 4 + (b % 5) : 16;
			c->predicted_loss = row ? b / 7.0 : -1;
			for (int a = 0; a < ACCOUNT_COUNT; a++)
				c->avg_bits[a] = -1;
			snprintf(c->recipe_hash, sizeof c->recipe_hash, "%s", row ? "ab" : "bf16");
		}
	for (int m = 0; m < 2; m++)
		r->proxy_n[m] = 2, r->proxy_rho[m] = 0.5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct experiment *e = calloc(1, sizeof *e);
	struct report *r = calloc(1, sizeof *r);
	struct plan *p = calloc(1, sizeof *p);
	struct plot_data *d = calloc(1, sizeof *d);
	struct plot_scripts *scripts = calloc(1, sizeof *scripts);
	if (!e || !r || !p || !d || !scripts)
		abort();
	fill(e, r, data, size);
	const char *texts[] = {e->title, e->set_label, e->models[0].name, e->models[1].name,
			       e->rows[0].label, e->rows[1].label, e->rows[2].label};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		check_round_trip(texts[i]);
	struct bb_error err = {0};
	if (plots_collect(d, r, p, out_dir, &err) == 0 &&
	    plots_write_scripts(r, d, out_dir, scripts, &err) == 0)
		for (int i = 0; i < scripts->n; i++)
			check_script(scripts->path[i]);
	report_write(r, out_dir, &err);
	check_confined();
	empty_dir(AT_FDCWD, out_dir, false);
	plot_scripts_free(scripts);
	free(scripts);
	plot_data_free(d);
	free(d);
	plan_free(p);
	free(p);
	report_free(r);
	free(r);
	experiment_free(e);
	free(e);
	return 0;
}
