/*
 * registry.h: the tasks by name: a built-in family's name, or the path of a custom task
 * descriptor, loaded into a task list. This is the one entry point to the tasks that the
 * evaluator, the server and the CLI use.
 *
 * It sits above the families (registry.c knows every family, no family knows it), and
 * must never print or exit.
 */
#ifndef BB_TASK_REGISTRY_H
#define BB_TASK_REGISTRY_H

#include <stdbool.h>

#include <cJSON.h>

#include "core/error.h"
#include "engine/tasks/tasks.h"

/* Load task name (built-in, or a path to a custom descriptor: contains '/' or ends in
 * ".json") into tl. Errors: unknown task, missing file, bad rows, a name loaded twice; on
 * error tl keeps only the tasks it had. Free tl with task_list_free either way. */
int tasks_load(struct task_list *tl, const char *name, const char *data_dir, int limit,
	       struct bb_error *err);
/* Whether name is a built-in task. */
bool task_is_builtin(const char *name);
/* The built-in names as a JSON array. */
cJSON *task_builtin_names(void);

#endif
