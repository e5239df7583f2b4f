/*
 * report_text.h: the few pieces of text both report writers (report_write.c and
 * report_write_kld.c) print the same way. Formatting only: never computes a statistic.
 */
#ifndef BB_REPORT_TEXT_H
#define BB_REPORT_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* A bootstrap p: "<0.0001" when below 1/B. */
void report_p_text(double p, char *buf, size_t n);

/* LaTeX special characters in labels escaped. */
void tex_escape(const char *s, FILE *out);

#endif
