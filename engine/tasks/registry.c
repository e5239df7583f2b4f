/*
 * registry.c: tasks by name. The table of built-in families and tasks_load, which
 * dispatches a name to its family's loader, or a descriptor path to the custom tasks, and
 * refuses a task listed twice.
 *
 * It sits above the families so that the dispatch does not make a circle with them (a
 * family calls down into task_common.c, never up here). Never prints, never exits; the
 * only global is the immutable table of built-in tasks.
 */
#include "engine/tasks/registry.h"

#include <string.h>

#include "engine/tasks/families.h"

typedef int (*task_loader)(struct task_list *tl, const char *data_dir, int limit,
			   struct bb_error *err);

static const struct {
	const char *name;
	task_loader load;
} BUILTIN[] = {
	{"lambada_openai", lambada_load},
	{"hellaswag", hellaswag_load},
	{"piqa", piqa_load},
	{"winogrande", winogrande_load},
	{"mmlu", mmlu_load},
};
#define N_BUILTIN ((int)(sizeof BUILTIN / sizeof BUILTIN[0]))

cJSON *task_builtin_names(void)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; a && i < N_BUILTIN; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(BUILTIN[i].name));
	return a;
}

bool task_is_builtin(const char *name)
{
	for (int i = 0; i < N_BUILTIN; i++)
		if (!strcmp(name, BUILTIN[i].name))
			return true;
	return false;
}

static bool is_descriptor_path(const char *name)
{
	size_t n = strlen(name);
	return strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".json"));
}

/* A task of tl[first..] whose name one of tl[0..first) already has. */
static const char *duplicate_name(const struct task_list *tl, int first)
{
	for (int i = first; i < tl->n; i++)
		for (int j = 0; j < first; j++)
			if (!strcmp(tl->tasks[i].name, tl->tasks[j].name))
				return tl->tasks[i].name;
	return NULL;
}

int tasks_load(struct task_list *tl, const char *name, const char *data_dir, int limit,
	       struct bb_error *err)
{
	int first = tl->n, builtin = -1, rc;
	if (limit < 0)
		return bb_fail(err, BB_EINVAL, "limit %d is negative", limit);
	for (int i = 0; i < N_BUILTIN; i++)
		builtin = strcmp(name, BUILTIN[i].name) ? builtin : i;
	if (builtin >= 0)
		rc = data_dir ? BUILTIN[builtin].load(tl, data_dir, limit, err)
			      : bb_fail(err, BB_EINVAL, "task '%s': no data folder given", name);
	else
		rc = is_descriptor_path(name) ? custom_load(tl, name, limit, task_is_builtin, err)
					      : bb_fail(err, BB_EINVAL, "unknown task '%s' (built-in: "
							"lambada_openai, hellaswag, piqa, winogrande, "
							"mmlu; or the path of a .json task descriptor)",
							name);
	const char *dup = rc ? NULL : duplicate_name(tl, first);
	if (dup)
		rc = bb_fail(err, BB_EINVAL, "task '%s' is listed twice", dup);
	if (rc) {
		while (tl->n > first)
			task_free(&tl->tasks[--tl->n]);
	}
	return rc;
}
