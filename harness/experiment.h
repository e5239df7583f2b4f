/*
 * experiment.h: an experiment file (experiments/tableN.json) in memory.
 *
 * An experiment names the models (display name, Hugging Face id, folder under MODEL_ROOT,
 * add_bos_token), the options, the rows (a label and a strategy with its budget; "bf16"
 * is the unquantized reference), the tasks and the published figures. It also names a
 * demo set (the small shared model and the project's own tasks) used when no model root
 * or endpoint is configured, so every table can be regenerated on any machine. It also
 * says which measures every row gets (accuracy, KLD) and the text KLD is measured on.
 * Never holds what was measured: results live in results/, found through the plan.
 */
#ifndef BB_EXPERIMENT_H
#define BB_EXPERIMENT_H

#include <stdbool.h>

#include <cJSON.h>

#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"

#define EXP_TASK_MAX 512 /* bytes of a task name or path, with its NUL */

struct exp_model {
	char name[64];     /* column label, e.g. "Llama3.1-8B-I" */
	char hf_id[128];
	char *path;        /* malloc'd: the folder evaluated (weights, or config.json alone) */
	bool add_bos_token;
};

struct exp_row {
	char label[96];     /* row label, e.g. "Head layers 8-bit" */
	char strategy[512]; /* bf16, pure, head, tail, sensitivity, random:SEED, external:CMD */
	double avg_bits;    /* unused for bf16 */
};

enum model_set { MODEL_SET_PAPER, MODEL_SET_DEMO };

struct experiment {
	char name[64];
	char title[256];
	char *path;          /* malloc'd: the experiment file, as given */
	int n_options;
	struct format options[RECIPE_MAX_OPTIONS];
	int n_tasks;
	char (*tasks)[EXP_TASK_MAX]; /* malloc'd, n_tasks of them */
	int n_models;
	struct exp_model *models;    /* malloc'd, n_models of them */
	int n_rows;
	struct exp_row *rows;        /* malloc'd, n_rows of them */
	enum model_set set;
	char *set_note;      /* malloc'd: what the report says about the model set and tasks */
	char *set_label;     /* malloc'd: the same in a few words, for plot titles */
	cJSON *json;         /* the whole file, for published figures */
	/* What every row is measured by ("measures"): acc always, kld (KL divergence to the
	 * BF16 model, docs/formats.md) where asked for: default for the demo set, opt-in for
	 * the paper's models, so the published comparison stays as published. */
	bool measure_acc, measure_kld;
	bool tests_by_budget; /* "paired_tests": "budget": accuracy tests within a budget only */
	char *eval_text;     /* malloc'd: the held-out text KLD is measured on ("eval_text") */
};

/* Load and validate path. set chooses the paper's models (resolved under model_root, or
 * their shipped configs when model_root is NULL: planning only) or the demo set (the
 * shared model found under model_root, models/, or shared_dir/models). */
int experiment_load(struct experiment *e, const char *path, enum model_set set,
		    const char *model_root, const char *shared_dir, struct bb_error *err);
void experiment_free(struct experiment *e);

/* Room for n_rows rows, n_models models and n_tasks tasks, zeroed, the counts left at 0,
 * and an empty model-set note and label (malloc'd, replaceable):
 * for an experiment built in memory (tests, fuzzers) rather than loaded. Freed by
 * experiment_free. */
int experiment_alloc(struct experiment *e, int n_rows, int n_models, int n_tasks,
		     struct bb_error *err);

/* Replace the experiment's evaluation text (`bitbudget run --eval-text FILE`). */
int experiment_set_eval_text(struct experiment *e, const char *path, struct bb_error *err);

/* The published mean accuracy of a row and model, or a negative value when none. */
double experiment_published(const struct experiment *e, int row, int model);

/* "Head layers 8-bit" -> "head-layers-8-bit": for file names. */
void slugify(const char *in, char *out, size_t n);

#endif
