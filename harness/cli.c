/*
 * cli.c: error printing, strict number parsing, and the check that a recipe was made for
 * the model it is applied to, for the commands.
 * Never exits: every function returns, and the command returns the status.
 */
#include "harness/cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/recipe.h"
#include "core/strbuf.h"
#include "engine/model/model.h"

int cli_print_error(const struct bb_error *err)
{
	fprintf(stderr, "error: %s\n", err->msg[0] ? err->msg : "unknown failure");
	return bb_exit_status(err->code);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* The grammar every numeric argument follows: an optional sign, digits with at most one
 * decimal point (at least one digit), and for a real an optional exponent. strtod alone
 * also takes " 5" (leading blanks), "0x5" (hexadecimal), "inf" and "nan": a typo or a
 * hex budget would then silently mean something. */
static bool is_decimal(const char *s, size_t len, bool integer)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (bool point = false; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !point && !integer)
			point = true;
		else
			break;
	}
	if (!digits)
		return false;
	if (i < len && !integer && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;
		if (++i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			exp_digits++;
		if (!exp_digits)
			return false;
	}
	return i == len;
}

bool cli_number(const char *s, size_t len, double *out)
{
	char buf[64];
	if (len >= sizeof buf || !is_decimal(s, len, false))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtod(buf, NULL);
	return !errno && isfinite(*out);
}

bool cli_parse_long(const char *option, const char *s, long min, long max, long *out)
{
	bool decimal = is_decimal(s, strlen(s), true);
	errno = 0;
	long v = decimal ? strtol(s, NULL, 10) : 0;
	if (!decimal || errno || v < min || v > max) {
		cli_usage_error("%s: '%s' is not an integer in [%ld, %ld]", option, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_double(const char *option, const char *s, double min, double max, double *out)
{
	double v;
	if (!cli_number(s, strlen(s), &v) || v < min || v > max) {
		cli_usage_error("%s: '%s' is not a number in [%g, %g]", option, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

int cli_check_recipe_model(const char *recipe_path, const char *model_dir,
			   struct bb_error *err)
{
	struct recipe r;
	struct checkpoint ck;
	int rc = recipe_read(&r, recipe_path, err);
	if (rc)
		return rc;
	if (r.manifest && !(rc = checkpoint_open(&ck, model_dir, err))) {
		rc = cli_check_recipe_checkpoint(&r, recipe_path, &ck, err);
		checkpoint_close(&ck);
	}
	recipe_free(&r);
	return rc;
}

int cli_check_recipe_checkpoint(const struct recipe *r, const char *recipe_path,
				const struct checkpoint *ck, struct bb_error *err)
{
	char *what = str_printf(err, "recipe '%s'", recipe_path);
	int rc = what ? recipe_check_model(r, ck, what, err) : BB_ENOMEM;
	free(what);
	return rc;
}

int cli_open_model(const char *model_dir, const char *recipe_path, bool force,
		   struct model **m, struct tokenizer **tok, struct bb_error *err)
{
	*m = NULL;
	*tok = NULL;
	if (recipe_path && !force) {
		int rc = cli_check_recipe_model(recipe_path, model_dir, err);
		if (rc)
			return rc;
	}
	return model_open(m, tok, model_dir, recipe_path, err);
}

char *cli_build_path(const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	return path_join(dirname(dirname(exe)), rel);
}
