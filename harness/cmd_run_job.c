/*
 * cmd_run_job.c: `bitbudget run-job SPEC [--slot N]`: plumbing under `bitbudget run`.
 *
 * GNU Parallel calls it once per job with its job slot; the slot picks the endpoint from
 * BB_ENDPOINTS. A job whose result exists returns at once, so retries and resumed runs
 * never redo work. The client's bounds come from BB_EVAL_* and BB_TOKEN (parallel passes
 * no options), checked before anything runs. Not meant to be typed by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "endpoint/server.h"
#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/run_job.h"

/* The environment's bounds and token, each checked; false after a one-line error. */
static bool limits_from_env(struct job_limits *l)
{
	struct bb_error err = {0};
	const char *token = getenv("BB_TOKEN");
	if (!job_limits_from_env(l))
		return false;
	l->token = token && *token ? token : NULL;
	if (l->token && server_check_token(l->token, &err)) {
		cli_usage_error("run-job: BB_TOKEN: %s", err.msg);
		return false;
	}
	return true;
}

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
	struct job_limits limits = {0};
	if (!limits_from_env(&limits))
		return 2;
	struct bb_error err = {0};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = run_job(argv[1], (int)slot, &limits, &err);
	curl_global_cleanup();
	return rc ? cli_print_error(&err) : 0;
}
