/*
 * report_text.h: the few pieces of text both report writers (report_write.c and
 * report_write_kld.c) print the same way. Formatting only: never computes a statistic.
 */
#ifndef BB_REPORT_TEXT_H
#define BB_REPORT_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "harness/report.h"

/* A bootstrap p: "<0.0001" when below 1/B. */
void report_p_text(double p, char *buf, size_t n);

/* A main-table row's label: the row's own, or a folded random:SEED group's "Random (N
 * seeds)", with its budget ("Random 4.5-bit (N seeds)") when the report has several
 * groups, written in buf (a number and a few words: room of 64 is enough). */
const char *report_row_label(const struct report *r, int row, char *buf, size_t n);

/* LaTeX special characters in labels escaped. */
void tex_escape(const char *s, FILE *out);

#endif
