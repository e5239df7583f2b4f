/*
 * task_winogrande.c: lm-eval's winogrande (lm_eval/tasks/winogrande/default.yaml and
 * preprocess_winogrande.py), partial scoring: with idx = sentence.index("_"), the two
 * CONTEXTS are sentence[:idx] + option1 and sentence[:idx] + option2, and the one shared
 * continuation is " " + sentence[idx+1:].strip(); gold = answer - 1. Only the
 * continuation is scored, never the options. Metric acc.
 * Never prints, never exits.
 */
#include "engine/tasks/families.h"
#include "engine/tasks/text.h"

#include <stdlib.h>
#include <string.h>

static const struct task_spec WINOGRANDE = {
	.name = "winogrande",
	.output = TASK_MULTIPLE_CHOICE,
	.n_metrics = 1,
	.metrics = {METRIC_ACC},
	.file = "winogrande.validation.jsonl",
	.dataset_path = "allenai/winogrande",
	.dataset_name = "winogrande_xl",
	.split_key = "validation_split",
	.split = "validation",
	.doc_to_text = "preprocess_winogrande.doc_to_text",
	.doc_to_target = "preprocess_winogrande.doc_to_target",
	.doc_to_choice = "preprocess_winogrande.doc_to_choice",
	.add_doc = winogrande_add_doc,
};

/* sentence[:blank] + option, scored as a context; acc_norm's length is its length, as
 * lm-eval's choices are these contexts. */
static int add_context(struct task *t, const char *sentence, size_t blank, const char *option,
		       const char *continuation, struct bb_error *err)
{
	struct strbuf b = {0};
	strbuf_add(&b, sentence, blank);
	strbuf_adds(&b, option);
	char *context = strbuf_take(&b);
	int rc = context ? task_add_request(t, context, continuation, context, err)
			 : bb_fail(err, BB_ENOMEM, "out of memory");
	free(context);
	return rc;
}

/* " " + sentence[blank + 1:].strip() */
static char *shared_continuation(const char *sentence, size_t blank)
{
	const char *rest = sentence + blank + 1;
	size_t end = py_rstrip_len(rest, strlen(rest)), start = py_lstrip_off(rest, end);
	struct strbuf b = {0};
	strbuf_adds(&b, " ");
	strbuf_add(&b, rest + start, end - start);
	return strbuf_take(&b);
}

int winogrande_add_doc(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *sentence = row_string(row, "sentence", err), *opt1 = NULL, *opt2 = NULL;
	int answer, rc;
	if (!sentence || !(opt1 = row_string(row, "option1", err)) ||
	    !(opt2 = row_string(row, "option2", err)))
		return BB_EFORMAT;
	if ((rc = row_int(row, "answer", 1, 2, true, &answer, err)))
		return rc;
	const char *underscore = strchr(sentence, '_');
	if (!underscore)
		return bb_fail(err, BB_EFORMAT, "field 'sentence' has no '_'");
	size_t blank = (size_t)(underscore - sentence);
	char *cont = shared_continuation(sentence, blank);
	rc = cont ? task_begin_doc(t, answer - 1, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = add_context(t, sentence, blank, opt1, cont, err);
	if (!rc)
		rc = add_context(t, sentence, blank, opt2, cont, err);
	/* doc_to_target is the shared continuation without the delimiter */
	if (!rc && !(t->docs[t->n_docs - 1].target = strdup(cont + 1)))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	free(cont);
	return rc;
}

int winogrande_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err)
{
	return task_load_spec(tl, &WINOGRANDE, data_dir, limit, err);
}
