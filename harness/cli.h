/*
 * cli.h: what every command shares: printing errors in one place, and parsing numbers
 * strictly (the whole string must be consumed and in range; "-n abc" is an error, not 0).
 * Only the harness prints; it prints an error once, in git's form "error: ...".
 * Never exits: a command returns the status that cli_print_error gives it.
 */
#ifndef BB_CLI_H
#define BB_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Print "error: <msg>" to stderr; returns the exit status for err->code. */
int cli_print_error(const struct bb_error *err);

/* Print "error: <formatted>" to stderr; returns 2 (usage / bad input). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict parses; on failure print an error naming the option and return false. */
bool cli_parse_long(const char *option, const char *s, long min, long max, long *out);
bool cli_parse_double(const char *option, const char *s, double min, double max, double *out);
/* The strict number grammar without printing: the len bytes at s are a plain decimal
 * number (no blanks, hexadecimal, inf or nan) and finite; the value in *out. */
bool cli_number(const char *s, size_t len, double *out);

/* Before a recipe is applied to a model folder (quantize, eval, loglik, generate --recipe):
 * its manifest's model identity must be the folder's (core/recipe.h recipe_check_model).
 * Commands skip this with --force. */
int cli_check_recipe_model(const char *recipe_path, const char *model_dir,
			   struct bb_error *err);
struct recipe;
struct checkpoint;
/* The same check for a recipe already read from recipe_path and a checkpoint already open;
 * the messages name the recipe by its whole path. */
int cli_check_recipe_checkpoint(const struct recipe *r, const char *recipe_path,
				const struct checkpoint *ck, struct bb_error *err);

/* rel (e.g. "experiments/calibration/default.txt") in the build this binary belongs to
 * (bin/..), malloc'd: the project's default texts, found wherever the binary is run from.
 * NULL when /proc/self/exe cannot be read or memory runs out. */
char *cli_build_path(const char *rel);

struct model;
struct tokenizer;
/* What generate, loglik and kld open: the model folder with the recipe at recipe_path
 * applied (NULL: none), checked first with cli_check_recipe_model unless force, and its
 * tokenizer (engine/model/model.h model_open). On failure *m and *tok are NULL. */
int cli_open_model(const char *model_dir, const char *recipe_path, bool force,
		   struct model **m, struct tokenizer **tok, struct bb_error *err);

#endif
