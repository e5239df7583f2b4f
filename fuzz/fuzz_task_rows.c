/*
 * fuzz_task_rows.c: task data as the evaluator reads it (engine/tasks/): a .jsonl file
 * of rows for one task family, loaded through tasks_load exactly as an evaluate job does,
 * then scored with made-up log-probabilities, aggregated, written as lm-eval's results
 * JSON, and the first requests encoded with the shared TinyStories tokenizer.
 *
 * The first byte picks the family (low nibble, modulo 9) and the limit (bit 4: the first
 * 2 documents, else all); the rest is the file. Families 0-4 are the built-in tasks
 * (lambada_openai, hellaswag, piqa, winogrande, mmlu), 5-7 the custom task types
 * (multiple_choice, cloze with keep_context_space, perplexity) over the fuzzed rows, and
 * 8 a fuzzed custom task descriptor whose data may be the seed rows file.
 * Never writes outside its temporary folder.
 */
#include "fuzz/fuzz.h"

#include <stdbool.h>
#include <sys/stat.h>

#include "engine/tasks/encode_pair.h"
#include "engine/tasks/registry.h"
#include "engine/tasks/results.h"
#include "engine/tasks/tasks.h"
#include "engine/tokenizer/tokenizer.h"

static char dir[64];
static struct tokenizer *tok;

static void cleanup(void)
{
	static const char *const names[] = {
		"lambada_openai.test.jsonl", "hellaswag.validation.jsonl", "piqa.validation.jsonl",
		"winogrande.validation.jsonl", "mmlu.test.jsonl", "rows.jsonl", "mc.json",
		"cloze.json", "text.json", "desc.json", "good.jsonl"};
	char p[128];
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	tokenizer_free(tok);
}

static void put(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void link_to(const char *name, const char *target)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	unlink(p);
	if (symlink(target, p) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(dir, sizeof dir, "/tmp/bb-fuzz-tasks.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	/* Every data file is a link to the memfd holding the current input. */
	const char *input = fuzz_file(0, (const uint8_t *)"", 0);
	const char *desc = fuzz_file(1, (const uint8_t *)"", 0);
	if (!input || !desc)
		abort();
	link_to("lambada_openai.test.jsonl", input);
	link_to("hellaswag.validation.jsonl", input);
	link_to("piqa.validation.jsonl", input);
	link_to("winogrande.validation.jsonl", input);
	link_to("mmlu.test.jsonl", input);
	link_to("rows.jsonl", input);
	link_to("desc.json", desc);
	put("mc.json", "{\"name\": \"fz_mc\", \"type\": \"multiple_choice\", \"data\": \"rows.jsonl\", "
		       "\"description\": \"Q: \", \"target_delimiter\": \"\\n\"}");
	put("cloze.json", "{\"name\": \"fz_cloze\", \"type\": \"cloze\", \"data\": \"rows.jsonl\", "
			  "\"keep_context_space\": true}");
	put("text.json", "{\"name\": \"fz_text\", \"type\": \"perplexity\", \"data\": \"rows.jsonl\"}");
	put("good.jsonl", "{\"context\": \"The cat\", \"choices\": [\" sat\", \" ran\"], \"gold\": 1, "
			  "\"continuation\": \" sat\", \"text\": \"The cat sat.\"}\n");
	/* The shared model's tokenizer, when the shared data is there. */
	char tdir[1024];
	struct bb_error err;
	snprintf(tdir, sizeof tdir, "%s/models/tinystories-656k", fuzz_shared());
	if (tokenizer_load(&tok, tdir, &err) != 0)
		tok = NULL;
	return 0;
}

static void encode_some(const struct task *t)
{
	struct encode_policy p;
	struct encode_memo memo = {0};
	struct bb_error err;
	if (!tok || encode_policy_for(tok, -1, &p, &err) != 0)
		return;
	p.keep_context_space = t->keep_context_space;
	for (int i = 0; i < t->n_reqs && i < 8; i++) {
		const struct task_request *r = &t->reqs[i];
		struct pair_tokens out = {0};
		if (r->context && encode_pair(tok, &p, r->context, r->continuation, &memo, &out, &err) == 0)
			pair_tokens_free(&out);
	}
	encode_memo_free(&memo);
}

static void score(struct task_list *tl)
{
	for (int i = 0; i < tl->n; i++) {
		struct task *t = &tl->tasks[i];
		for (int k = 0; k < t->n_reqs; k++) {
			t->reqs[k].logprob = -0.5 * (k % 7) - 0.25;
			t->reqs[k].is_greedy = k % 3 == 0;
		}
		task_score(t);
		if (t->n_docs > 0) {
			struct metric_result m[TASK_MAX_METRICS];
			int n;
			struct bb_error err;
			task_aggregate(t, 10, m, &n, &err);
		}
		encode_some(t);
	}
	struct results_meta meta = {.model_dir = "fuzz", .model_args = "pretrained=fuzz",
				    .limit = 2, .batch_size = 1, .bootstrap_iters = 10,
				    .max_length = 512, .bos_token = "<s>", .eos_token = "</s>",
				    .eot_token_id = 2, .log_samples = true};
	cJSON *results = NULL;
	struct bb_error err;
	if (results_build(tl, &meta, &results, &err) == 0) {
		char *text = cJSON_PrintUnformatted(results);
		free(text);
	}
	cJSON_Delete(results);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const families[] = {"lambada_openai", "hellaswag", "piqa", "winogrande",
					       "mmlu", "mc.json", "cloze.json", "text.json",
					       "desc.json"};
	if (size < 1)
		return 0;
	int family = (data[0] & 15) % 9, limit = data[0] & 16 ? 2 : 0;
	if (!fuzz_file(family == 8 ? 1 : 0, data + 1, size - 1))
		return 0;
	if (family == 8) { /* the descriptor's data, if it names rows.jsonl, is a good row */
		static const char row[] = "{\"context\": \"A\", \"choices\": [\" b\", \" c\"], "
					  "\"gold\": 0, \"continuation\": \" b\", \"text\": \"A b\"}\n";
		fuzz_file(0, (const uint8_t *)row, sizeof row - 1);
	}
	char name[128];
	if (family >= 5)
		snprintf(name, sizeof name, "%s/%s", dir, families[family]);
	else
		snprintf(name, sizeof name, "%s", families[family]);
	struct task_list tl = {0};
	struct bb_error err = {0};
	if (tasks_load(&tl, name, dir, limit, &err) == 0)
		score(&tl);
	task_list_free(&tl);
	return 0;
}
