/*
 * gnuplot_string.h: text from an experiment (titles, labels, model names, paths) written
 * into a gnuplot script as a string expression whose value is exactly the text, so no
 * text can become a command. Never used for numbers: data files hold those.
 */
#ifndef BB_GNUPLOT_STRING_H
#define BB_GNUPLOT_STRING_H

#include <stdio.h>

/* s as a gnuplot string expression whose value is exactly s: runs of printable characters
 * in single quotes (gnuplot substitutes nothing there: no backslash escapes, no `command`,
 * no @macro), each quote and control character as "\ooo", joined by '.'. "" gives ''. */
void gnuplot_write_string(FILE *f, const char *s);

/* The inverse, for the tests and the fuzzer: the value of the string expression at expr
 * in the form above (malloc'd; *end, when not NULL, just past it), or NULL when expr is
 * not of that form. */
char *gnuplot_read_string(const char *expr, const char **end);

#endif
