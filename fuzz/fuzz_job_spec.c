/*
 * fuzz_job_spec.c: the runner's job spec (endpoint/run_spec.h) through its strict reader
 * and its writer. Properties: no crash or leak; a refused spec gets one line (no CR or
 * LF, whatever the field names hold); and a spec that reads writes back to one that reads
 * to the same struct: read(write(read(x))) == read(x). Two structs are compared through
 * the writer's text, which holds every field.
 * Never writes a file.
 */
#include "fuzz/fuzz.h"

#include "endpoint/run_spec.h"

static char *written(const struct run_spec *s)
{
	cJSON *j = run_spec_to_json(s);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!text)
		abort(); /* out of memory on a small spec: not expected under the fuzzer */
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_spec first, again;
	struct bb_error err = {0};
	if (run_spec_parse(&first, (const char *)data, size, &err) != 0) {
		if (strpbrk(err.msg, "\r\n") || !err.msg[0])
			abort(); /* an error is one non-empty line */
		return 0;
	}
	char *text = written(&first);
	if (run_spec_parse(&again, text, strlen(text), &err) != 0)
		abort(); /* the writer's output must read */
	char *text_again = written(&again);
	if (strcmp(text, text_again) != 0)
		abort(); /* read(write(s)) != s */
	free(text_again);
	free(text);
	run_spec_free(&again);
	run_spec_free(&first);
	return 0;
}
