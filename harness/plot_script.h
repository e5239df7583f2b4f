/*
 * plot_script.h: the pieces every picture's writer uses (plots_write.c,
 * plots_write_measures.c): where a picture's data and script go, its name, and a script
 * grown in memory then written once per terminal (PNG for reading, SVG for papers).
 * Writes scripts; never runs gnuplot (plots_write does) and never reads a result.
 */
#ifndef BB_PLOT_SCRIPT_H
#define BB_PLOT_SCRIPT_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "harness/plots_write.h"

/* A script's body being written: its text grows in memory (no length limit to get
 * wrong), then goes to disk atomically, once per terminal. */
struct plot_script {
	char *body;
	size_t len;
	FILE *f;
};

/* "<dir>/data/<name><suffix>", malloc'd: where a picture's data or script goes. NULL
 * (BB_ENOMEM in err) when out of memory. */
char *plot_data_path(const char *dir, const char *name, const char *suffix,
		     struct bb_error *err);

/* "<prefix><slug of model>", malloc'd: a picture's name. NULL (BB_ENOMEM in err) when out
 * of memory. */
char *plot_picture_name(const char *prefix, const char *model, struct bb_error *err);

/* Start a script's body (s->f takes its text). */
int plot_script_begin(struct plot_script *s, struct bb_error *err);

/* The body twice, as <dir>/<name>.png and .svg at size ("W,H"), written atomically to
 * <dir>/data/<name>.gp and added to out; the body is freed. */
int plot_script_end(struct plot_script *s, const char *dir, const char *name, const char *size,
		    struct plot_scripts *out, struct bb_error *err);

/* A strategy's name in a picture's key: "Head", "Ours (sensitivity)", or as written. */
const char *plot_series_title(const char *strategy);

#endif
