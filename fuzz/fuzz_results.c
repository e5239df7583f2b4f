/*
 * fuzz_results.c: an endpoint's answer to GET /v1/jobs/{id}/result as `bitbudget eval`
 * takes it: parsed as JSON (client_call), checked against lm-eval's results schema for
 * the tasks asked (client_check_results), and each task's metrics looked up as the
 * scores printed on stdout are (client_task_metric). The tasks: built-in ones, mmlu's
 * group, and a custom task given by descriptor path (its results key is the name inside
 * the descriptor).
 */
#include "fuzz/fuzz.h"

#include <cJSON.h>

#include "harness/client.h"

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
	cJSON_Delete(r);
	return 0;
}
