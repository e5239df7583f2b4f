/*
 * task_piqa.c: lm-eval's piqa (lm_eval/tasks/piqa/piqa.yaml): context
 * "Question: {goal}\nAnswer:", choices [sol1, sol2] verbatim (leading and trailing
 * spaces kept), continuations " " + choice, gold = label. Scored by acc and acc_norm.
 * Never prints, never exits; it must never trim or otherwise touch the solutions.
 */
#include "engine/tasks/families.h"
#include "engine/tasks/text.h"

#include <stdlib.h>

static const struct task_spec PIQA = {
	.name = "piqa",
	.output = TASK_MULTIPLE_CHOICE,
	.n_metrics = 2,
	.metrics = {METRIC_ACC, METRIC_ACC_NORM},
	.file = "piqa.validation.jsonl",
	.dataset_path = "baber/piqa",
	.split_key = "validation_split",
	.split = "validation",
	.doc_to_text = "Question: {{goal}}\nAnswer:",
	.doc_to_target = "label",
	.doc_to_choice = "{{[sol1, sol2]}}",
	.add_doc = piqa_add_doc,
};

int piqa_add_doc(struct task *t, const cJSON *row, struct bb_error *err)
{
	const char *goal = row_string(row, "goal", err), *sol1, *sol2;
	int label, rc;
	if (!goal || !(sol1 = row_string(row, "sol1", err)) || !(sol2 = row_string(row, "sol2", err)))
		return BB_EFORMAT;
	if ((rc = row_int(row, "label", 0, 1, false, &label, err)))
		return rc;
	struct strbuf b = {0};
	strbuf_adds(&b, "Question: ");
	strbuf_adds(&b, goal);
	strbuf_adds(&b, "\nAnswer:");
	char *context = strbuf_take(&b);
	rc = context ? task_begin_doc(t, label, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = task_add_choice(t, context, " ", sol1, err);
	if (!rc)
		rc = task_add_choice(t, context, " ", sol2, err);
	free(context);
	return rc;
}

int piqa_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err)
{
	return task_load_spec(tl, &PIQA, data_dir, limit, err);
}
