/*
 * cmd_run_job.c: `bitbudget run-job SPEC [--slot N]`: plumbing under `bitbudget run`.
 *
 * GNU Parallel calls it once per job with its job slot; the slot picks the endpoint from
 * BB_ENDPOINTS. A job whose result exists returns at once, so retries and resumed runs
 * never redo work. Not meant to be typed by hand.
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/runner.h"

int cmd_run_job(int argc, char **argv)
{
	long slot = 1;
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		puts("usage: bitbudget run-job SPEC [--slot N]   (called by bitbudget run)");
		return 0;
	}
	if (argc == 4 && strcmp(argv[2], "--slot") == 0) {
		if (!cli_parse_long("--slot", argv[3], 1, 1 << 20, &slot))
			return 2;
	} else if (argc != 2) {
		return cli_usage_error("run-job: expected SPEC [--slot N]");
	}
	struct bb_error err = {0};
	int rc = run_job(argv[1], (int)slot, &err);
	return rc ? cli_print_error(&err) : 0;
}
