/*
 * report_write_kld.h: the parts of the report writers (report_write.c) that draw the KLD
 * results (report_write_kld.c): the main table with mean KLD, top-1 agreement and the
 * perplexity ratio beside mean acc, the sentences that say who wins at each budget, the
 * CSV columns and the LaTeX table. Used only when report_any_kld(); otherwise the writers
 * are those of accuracy alone and their output is unchanged.
 *
 * Internal to the two writer files: the two helpers of report_write.c the KLD writers
 * share are declared here too.
 */
#ifndef BB_REPORT_WRITE_KLD_H
#define BB_REPORT_WRITE_KLD_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/report.h"

// ---- from report_write.c ----

/* A bootstrap p: "<0.0001" when below 1/B. */
void report_p_text(double p, char *buf, size_t n);

/* LaTeX special characters escaped. */
void tex_escape(const char *s, FILE *out);

// ---- from report_write_kld.c ----

/* The main Markdown table with the KLD measures, its notes, and the sentences. */
void report_kld_markdown(const struct report *r, FILE *out);

/* The CSV's KLD columns: the header's, and one cell's (each begins with a comma). */
void report_kld_csv_header(FILE *out);
void report_kld_csv_cell(const struct report *r, int row, int model, FILE *out);

/* The LaTeX main table with the KLD measures. */
void report_kld_latex(const struct report *r, FILE *out);

#endif
