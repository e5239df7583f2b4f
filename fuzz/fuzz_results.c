/*
 * fuzz_results.c: an endpoint's answer to GET /v1/jobs/{id}/result as `bitbudget eval`
 * takes it: parsed as JSON (client_call), checked against lm-eval's results schema for
 * the tasks asked (client_check_results), and each task's metrics looked up as the
 * scores printed on stdout are (client_task_metric). The tasks: built-in ones, mmlu's
 * group, and a custom task given by descriptor path (its results key is the name inside
 * the descriptor). The same JSON also goes through the readers of the other answers the
 * client takes: a job submission (with 202 and 400) and a poll (with 200, 404 and 503).
 * Never writes a file and never opens a connection: the answers are the input.
 */
#include "fuzz/fuzz.h"

#include <string.h>

#include <cJSON.h>

#include "harness/client.h"

/* Use the counts as a progress display would. */
static void progress(void *ctx, const char *status, long done, long total)
{
	long *sum = ctx;
	*sum += (long)strlen(status) + done % 1000 + total % 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tasks[] = {"lambada_openai", "piqa", "mmlu",
					    "tests/fixtures/tasks/custom/story_cloze.json",
					    "no/such/descriptor.json"};
	cJSON *r = cJSON_ParseWithLength((const char *)data, size);
	struct bb_error err = {0};
	for (int n = 0; n <= 5; n++)
		client_check_results(r, tasks, n, &err);
	for (int i = 0; i < 5; i++) {
		client_task_metric(r, tasks[i], "acc,none");
		client_task_metric(r, tasks[i], "word_perplexity,none");
	}
	char id[64];
	long sum = 0;
	client_read_submission(r, 202, id, sizeof id, &err);
	client_read_submission(r, 400, id, sizeof id, &err);
	client_read_poll(r, 200, "0123456789abcdef", progress, &sum, &err);
	client_read_poll(r, 404, "0123456789abcdef", progress, &sum, &err);
	client_read_poll(r, 503, "0123456789abcdef", progress, &sum, &err);
	cJSON_Delete(r);
	return 0;
}
