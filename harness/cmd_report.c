/*
 * cmd_report.c: `bitbudget report EXPERIMENT [run options]`: rewrite reports/ and plots/
 * from the results already cached, running nothing. Takes the same options as `run`, so
 * the same model set and settings select the same cache entries.
 * Never quantizes, scores or evaluates anything.
 */
#include "harness/commands.h"

int cmd_report(int argc, char **argv) { return run_or_report(argc, argv, true); }
