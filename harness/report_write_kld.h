/*
 * report_write_kld.h: the parts of the report writers (report_write.c) that draw the KLD
 * results (report_write_kld.c): the main table with mean KLD, top-1 agreement and the
 * perplexity ratio beside mean acc, the sentences that say who wins at each budget, the
 * CSV columns and the LaTeX table. Used only when report_any_kld(); otherwise the writers
 * are those of accuracy alone and their output is unchanged. Internal to the writers;
 * never calls back into report_write.c (the text helpers both use are report_text.h).
 */
#ifndef BB_REPORT_WRITE_KLD_H
#define BB_REPORT_WRITE_KLD_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/report.h"

/* The main Markdown table with the KLD measures, its notes, and the sentences. */
void report_kld_markdown(const struct report *r, FILE *out);

/* The CSV's KLD columns: the header's, and one cell's (each begins with a comma). */
void report_kld_csv_header(FILE *out);
void report_kld_csv_cell(const struct report *r, int row, int model, FILE *out);

/* The LaTeX main table with the KLD measures. */
void report_kld_latex(const struct report *r, FILE *out);

#endif
