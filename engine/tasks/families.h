/*
 * families.h: the built-in task families, one file each (task_<family>.c), and the
 * custom tasks of a JSON descriptor (task_custom.c): the loaders that registry.c
 * dispatches on, and the row functions the loaders use (tests call them on hand-made rows).
 *
 * A family builds documents and requests from rows through tasks.h; it never knows the
 * registry above it, and must never print or exit.
 */
#ifndef BB_TASK_FAMILIES_H
#define BB_TASK_FAMILIES_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "core/error.h"
#include "engine/tasks/tasks.h"

/* Each loader reads <data_dir>/<file> and appends its task(s) to tl, keeping the first
 * limit documents (0: all) of each task, but checking every row. */
int lambada_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int hellaswag_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int piqa_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int winogrande_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int mmlu_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
/* Whether a name is already taken (the built-in tasks' names): a custom task may not use
 * it. The registry passes its own, so that this family never calls up into it. */
typedef bool (*task_name_taken_fn)(const char *name);
/* A custom task from its JSON descriptor (documented in task_custom.c). */
int custom_load(struct task_list *tl, const char *descriptor_path, int limit,
		task_name_taken_fn taken, struct bb_error *err);

/* One row of each family into t (the row functions the loaders use; tests call them on
 * hand-made rows). */
int lambada_add_doc(struct task *t, const cJSON *row, struct bb_error *err);
int hellaswag_add_doc(struct task *t, const cJSON *row, struct bb_error *err);
int piqa_add_doc(struct task *t, const cJSON *row, struct bb_error *err);
int winogrande_add_doc(struct task *t, const cJSON *row, struct bb_error *err);
/* An mmlu row for the subject task t (t->config.dataset_name is the subject). */
int mmlu_add_doc(struct task *t, const cJSON *row, struct bb_error *err);

/* lm-eval's hellaswag preprocess(): strip, " [title]" -> ". ", delete "[...]" (not across
 * a newline), then "  " -> " " in one pass. Returns a malloc'd string or NULL (no memory). */
char *hellaswag_preprocess(const char *text, size_t len);

/* The mmlu subjects, sorted, with their category group ("mmlu_stem"); n is 57. */
struct mmlu_subject {
	const char *name, *category;
};
extern const struct mmlu_subject mmlu_subjects[];
extern const int mmlu_n_subjects;

#endif
