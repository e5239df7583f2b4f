/*
 * report_write.h: a collected report (report.h) as the published table, in
 * Markdown, CSV and LaTeX.
 *
 * A cell is "0.6857 (96.9%)": the mean accuracy and its ratio to the same model's BF16
 * row; a dagger marks a cell not significantly different from "Ours" (the sensitivity
 * row). Beneath, in Markdown: the average bits under every accounting with the recipe's
 * SHA-256, a per-task breakdown, the paired tests, the proxy against the measured loss,
 * the published figures with the difference, and the settings. Writing only formats what
 * the report holds: it never reads a result or computes a statistic.
 */
#ifndef BB_REPORT_WRITE_H
#define BB_REPORT_WRITE_H

#include <stdio.h>

#include "core/error.h"
#include "harness/report.h"

void report_markdown(const struct report *r, FILE *out);
void report_csv(const struct report *r, FILE *out);
void report_latex(const struct report *r, FILE *out);

/* Write <dir>/<name>.md, .csv and .tex, each atomically; every target is checked before
 * any is written. */
int report_write(const struct report *r, const char *dir, struct bb_error *err);

#endif
