/*
 * plot_script.c: the pieces every picture's writer uses (plot_script.h).
 */
#include "harness/plot_script.h"

#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/experiment.h"
#include "harness/gnuplot_string.h"

char *plot_data_path(const char *dir, const char *name, const char *suffix,
		     struct bb_error *err)
{
	return str_printf(err, "%s/data/%s%s", dir, name, suffix);
}

char *plot_picture_name(const char *prefix, const char *model, struct bb_error *err)
{
	char slug[64]; /* a slug is never longer than the model's name (under 64 bytes) */
	slugify(model, slug, sizeof slug);
	return str_printf(err, "%s%s", prefix, slug);
}

int plot_script_begin(struct plot_script *s, struct bb_error *err)
{
	*s = (struct plot_script){0};
	s->f = open_memstream(&s->body, &s->len);
	return s->f ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

/* Room in out for one more script's path; -1 when out of memory. */
static int scripts_grow(struct plot_scripts *out)
{
	if (out->n < out->cap)
		return 0;
	int cap = out->cap ? 2 * out->cap : 8;
	char **grown = realloc(out->path, sizeof *grown * (size_t)cap);
	if (!grown)
		return -1;
	out->path = grown, out->cap = cap;
	return 0;
}

/* Every picture twice: a PNG for reading, an SVG for papers. Writes data/<name>.gp and
 * adds it to out. */
int plot_script_end(struct plot_script *s, const char *dir, const char *name, const char *size,
		    struct plot_scripts *out, struct bb_error *err)
{
	static const char *const terminals[2][2] = {{"pngcairo", "png"}, {"svg", "svg"}};
	char *text = NULL;
	size_t len = 0;
	int failed = fclose(s->f) != 0;
	FILE *f = failed ? NULL : open_memstream(&text, &len);
	for (int t = 0; f && t < 2; t++) {
		char *output = str_printf(NULL, "%s/%s.%s", dir, name, terminals[t][1]);
		fprintf(f, "set terminal %s size %s font 'Sans,10'\nset output ", terminals[t][0], size);
		gnuplot_write_string(f, output ? output : "");
		fprintf(f, "\n%s\n", s->body);
		failed |= !output;
		free(output);
	}
	failed = !f || fclose(f) != 0 || failed;
	int rc = 0;
	if (failed || scripts_grow(out))
		rc = bb_fail(err, BB_ENOMEM, "out of memory writing the script of %s", name);
	if (!rc)
		rc = (out->path[out->n] = plot_data_path(dir, name, ".gp", err)) ? 0 : BB_ENOMEM;
	if (!rc) {
		rc = write_file_atomic(out->path[out->n], text, len, err);
		out->n++; /* its path is freed with the others, whether or not it was written */
	}
	free(text);
	free(s->body);
	return rc;
}

const char *plot_series_title(const char *strategy)
{
	static const char *const names[][2] = {{"bf16", "BF16"}, {"pure", "Pure"}, {"tail", "Tail"},
					       {"head", "Head"}, {"sensitivity", "Ours (sensitivity)"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(strategy, names[i][0]) == 0)
			return names[i][1];
	return strategy;
}

