/*
 * report_collect.h: an experiment's results gathered once from the plan's result files
 * into a report (report.h), its statistics computed (report_stats.h). Collecting reads
 * files and computes; the writers (report_write.h, plots_write.h) only format what it
 * leaves, so golden-file tests pin them. It never writes a file.
 */
#ifndef BB_REPORT_COLLECT_H
#define BB_REPORT_COLLECT_H

#include "harness/plan.h"
#include "harness/report.h"

/* Fill r from the plan's result files and compute its statistics. */
int report_collect(struct report *r, const struct experiment *e, const struct plan *p,
		   int limit, struct bb_error *err);

/* Free what report_collect allocated (the cells' KLD arrays, the reachable ranges). */
void report_collect_free(struct report *r);

#endif
