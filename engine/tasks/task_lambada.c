/*
 * task_lambada.c: lm-eval's lambada_openai (lm_eval/tasks/lambada/lambada_openai.yaml):
 * each text is split at its LAST ASCII space: context = everything before it,
 * continuation = " " + the last piece (which may hold quotes or line breaks, as the
 * split is on ' ' only). Scored by acc (is_greedy) and perplexity.
 * Never prints, never exits; it must never split on any other whitespace.
 */
#include "engine/tasks/families.h"
#include "engine/tasks/text.h"

#include <stdlib.h>
#include <string.h>

static const struct task_spec LAMBADA = {
	.name = "lambada_openai",
	.output = TASK_LOGLIKELIHOOD,
	.n_metrics = 2,
	.metrics = {METRIC_PERPLEXITY, METRIC_ACC},
	.file = "lambada_openai.test.jsonl",
	.dataset_path = "EleutherAI/lambada_openai",
	.dataset_name = "default",
	.split_key = "test_split",
	.split = "test",
	.doc_to_text = "{{text.split(' ')[:-1]|join(' ')}}",
	.doc_to_target = "{{' '+text.split(' ')[-1]}}",
	.add_doc = lambada_add_doc,
};

int lambada_add_doc(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *text = row_string(row, "text", err);
	if (!text)
		return BB_EFORMAT;
	const char *space = strrchr(text, ' ');
	size_t n_ctx = space ? (size_t)(space - text) : 0;
	struct strbuf ctx = {0}, cont = {0};
	strbuf_add(&ctx, text, n_ctx);
	strbuf_adds(&cont, " ");
	strbuf_adds(&cont, space ? space + 1 : text);
	char *c = strbuf_take(&ctx), *w = strbuf_take(&cont);
	int rc = c && w ? task_begin_doc(t, -1, err)
			: bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = task_add_request(t, c, w, NULL, err);
	free(c);
	free(w);
	return rc;
}

int lambada_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err)
{
	return task_load_spec(tl, &LAMBADA, data_dir, limit, err);
}
