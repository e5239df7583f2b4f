/*
 * fuzz_server_body.c: request bodies of `bitbudget serve` as the server reads them: the
 * bytes checked and parsed as router.c's parse_body does (no NUL byte, one JSON value
 * and nothing after it, an object), then handed to the route's parser. The first byte
 * picks the route (modulo 4): POST /v1/jobs (job_spec_parse: kinds, keys, numbers,
 * tasks, the inline recipe, the model path against the models root), POST
 * /v1/completions, POST /tokenize, POST /detokenize; the rest is the body.
 *
 * The models root is a temporary folder holding "tiny" (a config.json), a folder with no
 * config, and "tiny-escape", a symlink to a model folder outside the root (a sibling
 * "outside" inside the temporary folder, reached only through the link); the data folder holds a custom task descriptor.
 * An accepted job request is written back (job_spec_to_json, what the clients send) and
 * must read again to the same request.
 * The completions routes use the shared TinyStories model (skipped without it); to keep
 * each input fast, max_tokens is capped at 2 and more than 4 prompts are not run.
 * Never writes outside its temporary folder, and never opens a socket.
 */
#include "fuzz/fuzz.h"

#include <cJSON.h>
#include <limits.h>
#include <sys/stat.h>

#include "endpoint/completer.h"
#include "endpoint/completions.h"
#include "endpoint/job_spec.h"

static char root[4096], data[4200];
static struct server_settings set;
static struct completer comp;
static bool have_comp;

static const char *const dirs[] = {"tiny", "empty", "data", "outside"};
static const char *const files[] = {"tiny/config.json", "outside/config.json", "data/fz.json",
				    "tiny-escape"};

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", root, name);
}

static void put(const char *name, const char *text)
{
	char p[4352];
	path_of(p, sizeof p, name);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void cleanup(void)
{
	char p[4352];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		path_of(p, sizeof p, files[i]), unlink(p);
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		path_of(p, sizeof p, dirs[i]), rmdir(p);
	rmdir(root);
	if (have_comp)
		completer_close(&comp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char config[] =
		"{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128, "
		"\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 256}";
	char tmp[64] = "/tmp/bb-fuzz-server.XXXXXX", p[4352];
	(void)argc, (void)argv;
	if (!mkdtemp(tmp) || !realpath(tmp, root))
		abort();
	atexit(cleanup);
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if (path_of(p, sizeof p, dirs[i]), mkdir(p, 0755) != 0)
			abort();
	put("tiny/config.json", config);
	put("outside/config.json", config);
	put("data/fz.json", "{\"name\": \"fz\", \"type\": \"cloze\", \"data\": \"fz.jsonl\"}");
	path_of(p, sizeof p, "tiny-escape");
	if (symlink("outside", p) != 0)
		abort();
	snprintf(data, sizeof data, "%s/data", root);
	set = (struct server_settings){.models_root = root, .data_dir = data, .tasks_root = NULL,
				       .calib_path = "calib.txt", .workers = 1, .max_queue = 4,
				       .max_finished = 4, .max_body = 1 << 20};
	char model[1024];
	struct bb_error err;
	snprintf(model, sizeof model, "%s/models/tinystories-656k", fuzz_shared());
	have_comp = completer_open(&comp, model, &err) == 0;
	return 0;
}

/* router.c's parse_body: the same checks, in the same order. */
static cJSON *parse_body(const char *body, size_t len)
{
	const char *end = NULL;
	if (!len || strlen(body) != len)
		return NULL;
	cJSON *json = cJSON_ParseWithOpts(body, &end, 1);
	if (json && !cJSON_IsObject(json)) {
		cJSON_Delete(json);
		json = NULL;
	}
	return json;
}

/* Keep a completions request cheap to run. */
static bool small_enough(cJSON *req)
{
	cJSON *max = cJSON_GetObjectItemCaseSensitive(req, "max_tokens");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(req, "prompt");
	if (cJSON_IsNumber(max) && max->valuedouble > 2)
		cJSON_SetNumberValue(max, 2);
	if (!max)
		cJSON_AddNumberToObject(req, "max_tokens", 1);
	return !(cJSON_IsArray(p) && cJSON_GetArraySize(p) > 4);
}

static void check_reply(int status, cJSON *reply)
{
	/* every answer is a JSON object; an error is {"error": "one line"} */
	if (!cJSON_IsObject(reply))
		abort();
	if (status >= 400) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
		if (!cJSON_IsString(e) || strchr(e->valuestring, '\n'))
			abort();
	}
	char *text = cJSON_PrintUnformatted(reply);
	free(text);
	cJSON_Delete(reply);
}

/* Whether the writer's body for s reads back to a request that writes the same body. */
static bool round_trips(const struct job_spec *s)
{
	struct job_spec again;
	struct bb_error err = {0};
	cJSON *first = job_spec_to_json(s), *second = NULL;
	bool same = first && job_spec_parse(&again, first, &set, &err) == 0;
	if (same) {
		second = job_spec_to_json(&again);
		same = second && cJSON_Compare(first, second, true);
		job_spec_free(&again);
	}
	cJSON_Delete(first);
	cJSON_Delete(second);
	return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	if (size < 1)
		return 0;
	int route = bytes[0] % 4;
	char *body = fuzz_text(bytes + 1, size - 1);
	cJSON *req = body ? parse_body(body, size - 1) : NULL;
	if (req && route == 0) {
		struct job_spec s;
		struct bb_error err = {0};
		int status = job_spec_parse(&s, req, &set, &err);
		if (status == 0) {
			if (!s.model_dir || strncmp(s.model_dir, root, strlen(root)) != 0)
				abort(); /* a model outside the root was accepted */
			if (!round_trips(&s))
				abort(); /* the clients' body would not read as this request */
			job_spec_free(&s);
		} else if ((status != 400 && status != 404 && status != 500) || !err.msg[0]) {
			abort();
		}
	} else if (req && have_comp && route == 1 && small_enough(req)) {
		cJSON *reply = NULL;
		int status = completions_answer(&comp, req, &reply);
		check_reply(status, reply);
	} else if (req && have_comp && route >= 2) {
		cJSON *reply = NULL;
		int status = tokenizer_answer(&comp, route == 2 ? "tokenize" : "detokenize", req, &reply);
		check_reply(status, reply);
	}
	cJSON_Delete(req);
	free(body);
	return 0;
}
