/*
 * gnuplot_string.c: text as a gnuplot string expression, and back (for the tests and the
 * fuzzer). The one way text reaches a gnuplot script; it never writes anything but the
 * expression itself.
 */
#include "harness/gnuplot_string.h"

#include <stdbool.h>
#include <stdlib.h>

/* A run of printable characters goes in single quotes, where gnuplot substitutes nothing
 * (no backslash escapes, no `command`, no @macro); a quote or a control character, which
 * no single-quoted string can hold (gnuplot 5.4 misreads '' escapes next to each other),
 * becomes a double-quoted octal escape "\ooo"; the pieces are joined by gnuplot's string
 * concatenation operator '.'. */
void gnuplot_write_string(FILE *f, const char *s)
{
	bool in_quotes = false, first = true;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		bool escaped = *c < 0x20 || *c == 0x7f || *c == '\'';
		if (escaped || !in_quotes) {
			if (in_quotes)
				fputc('\'', f);
			if (!first)
				fputc('.', f);
			in_quotes = !escaped;
			if (escaped)
				fprintf(f, "\"\\%03o\"", *c);
			else
				fputc('\'', f);
		}
		if (!escaped)
			fputc(*c, f);
		first = false;
	}
	if (first)
		fputs("''", f);
	else if (in_quotes)
		fputc('\'', f);
}

/* One piece: '...' or "\ooo"; appends its text to out. NULL when malformed. */
static const char *read_piece(const char *at, FILE *out)
{
	if (at[0] == '"') {
		int v = 0;
		for (int i = 2; i < 5; i++) {
			if (at[i] < '0' || at[i] > '7')
				return NULL;
			v = v * 8 + (at[i] - '0');
		}
		if (at[1] != '\\' || at[5] != '"' || v == 0 || v > 255)
			return NULL;
		fputc(v, out);
		return at + 6;
	}
	if (at[0] != '\'')
		return NULL;
	for (at++; *at && *at != '\'' && *at != '\n' && *at != '\r'; at++)
		fputc(*at, out);
	return *at == '\'' ? at + 1 : NULL; /* a quoted string ends on its line */
}

char *gnuplot_read_string(const char *expr, const char **end)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	const char *at = read_piece(expr, out);
	while (at && *at == '.')
		at = read_piece(at + 1, out);
	fclose(out);
	if (!at) {
		free(text);
		return NULL;
	}
	if (end)
		*end = at;
	return text;
}
