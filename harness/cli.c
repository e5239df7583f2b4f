/*
 * cli.c: error printing and strict number parsing for the commands.
 */
#include "harness/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int cli_report(const struct bb_error *err)
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

bool cli_parse_long(const char *option, const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		cli_usage_error("%s: '%s' is not an integer in [%ld, %ld]", option, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool cli_parse_double(const char *option, const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
		cli_usage_error("%s: '%s' is not a number in [%g, %g]", option, s, min, max);
		return false;
	}
	*out = v;
	return true;
}
