/*
 * tasks.h: lm-eval's tasks inside the engine: a task's documents and the requests they
 * become, the .jsonl row reader every family uses, and scoring a task's documents.
 *
 * Beside it: metrics.h (the arithmetic), text.h (Python's str semantics), encode_pair.h
 * (requests to tokens), results.h (the results JSON), families.h (the task families) and
 * registry.h (tasks by name). Everything up to "running" is pure: a task built from rows
 * can be scored with made-up log-probabilities, no model needed. The rules come from
 * ../shared/docs/lm-eval.md section 2 and are copied byte for byte, quirks included.
 * Never prints, never exits, keeps no global mutable state.
 */
#ifndef BB_TASKS_H
#define BB_TASKS_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "core/error.h"
#include "engine/tasks/metrics.h"

#define TASK_MAX_METRICS 6
/* Choices a multiple-choice document may have. */
#define TASK_MAX_CHOICES 64

enum task_output {
	TASK_LOGLIKELIHOOD,     /* one (context, continuation) request per document */
	TASK_MULTIPLE_CHOICE,   /* one request per choice (or per context, winogrande) */
	TASK_ROLLING            /* one whole text per document, rolling windows */
};

struct task_request {
	char *context;          /* NUL-terminated; NULL for a rolling request */
	char *continuation;     /* the rolling request's whole text */
	long choice_chars;      /* characters (code points) of the bare choice: acc_norm */
	double logprob;         /* the model's answer (or a test's) */
	bool is_greedy;
};

struct task_doc {
	int first, n;           /* its requests: reqs[first .. first + n) */
	int gold;               /* multiple choice: the right index; else -1 */
	long words, bytes;      /* rolling: lm-eval's count_words / count_bytes of the text */
	cJSON *doc;             /* lm-eval's doc for the samples: the row, plus what the task's
				 * process_docs adds (hellaswag); owned, NULL for none */
	char *target;           /* str(doc_to_target(doc)) where it is not str(gold) or the
				 * continuation (winogrande); owned, NULL otherwise */
	/* outcomes, filled by task_score */
	double acc, acc_norm, loglik;
};

/* What the results' "configs" entry says about a task (owned strings, NULL: absent). */
struct task_config {
	char *dataset_path, *dataset_name, *split_key, *split;
	char *doc_to_text, *doc_to_target, *doc_to_choice, *description;
	char *target_delimiter;  /* NULL: lm-eval's " " */
	double version;
};

struct task {
	char name[128];         /* "piqa", "mmlu_anatomy", a custom name */
	char alias[128];        /* "anatomy" for mmlu subjects, else the name */
	char group[16];         /* "mmlu" for its subjects, else "" */
	char subgroup[32];      /* the group between: "mmlu_stem" for abstract_algebra; "" */
	enum task_output output;
	int n_metrics;
	enum metric metrics[TASK_MAX_METRICS]; /* in lm-eval's metric_list order */
	struct task_config config;
	int n_original;         /* documents in the split; docs holds the first (limit) */
	int n_docs, cap_docs;
	struct task_doc *docs;
	int n_reqs, cap_reqs;
	struct task_request *reqs;
	bool keep_context_space; /* custom tasks: a context's trailing space is not moved into
				  * the continuation (see task_custom.c) */
};

struct task_list {
	int n, cap;
	struct task *tasks;
};

/* An empty task: name, output type and metrics; strings in config are copied. */
int task_init(struct task *t, const char *name, enum task_output output,
	      const enum metric *metrics, int n_metrics, struct bb_error *err);
void task_free(struct task *t);
/* Append a new task (zeroed) to tl and return it, or NULL when out of memory. */
struct task *task_list_add(struct task_list *tl);
void task_list_free(struct task_list *tl);
/* Copy a config string (NULL stays NULL); returns -1 when out of memory. */
int task_config_set(char **field, const char *value);

/* Start a document; its requests follow with task_add_request. */
int task_begin_doc(struct task *t, int gold, struct bb_error *err);
/* Add a request to the last document: context (NULL for rolling) and continuation are
 * copied; choice is the bare choice whose characters acc_norm divides by (may be NULL). */
int task_add_request(struct task *t, const char *context, const char *continuation,
		     const char *choice, struct bb_error *err);
/* A multiple-choice request of the last document: (context, delimiter + choice), with
 * acc_norm dividing by the characters of choice. */
int task_add_choice(struct task *t, const char *context, const char *delimiter,
		    const char *choice, struct bb_error *err);
/* Drop the last document and its requests (a row past the limit, checked then dropped). */
void task_pop_doc(struct task *t);
/* Keep row as the last document's lm-eval doc (for the samples), unless the task's
 * add_doc made its own (hellaswag's process_docs). Called after each row's add_doc. */
int task_keep_row(struct task *t, const cJSON *row, struct bb_error *err);
/* Free what a document owns (its doc and target). */
void task_doc_free(struct task_doc *d);

/* Called for every row of a .jsonl file: build one document, or fail with a message that
 * names the field (the reader adds file and line). */
typedef int (*task_row_fn)(void *ctx, const cJSON *row, struct bb_error *err);
/* Read path one JSON object a line (blank lines skipped), calling fn on each. A missing
 * file, malformed JSON or a failing row is one error naming the file and line. *n_rows
 * (if not NULL) gets the number of rows. */
int task_read_jsonl(const char *path, task_row_fn fn, void *ctx, int *n_rows,
		    struct bb_error *err);

/* A string field of row, or NULL after filling err ("field 'goal' is missing or not a
 * string"). */
const char *row_string(const cJSON *row, const char *field, struct bb_error *err);
/* An integer field (a JSON number, or with digits_ok a string of digits) in [lo, hi]. */
int row_int(const cJSON *row, const char *field, int lo, int hi, bool digits_ok, int *out,
	    struct bb_error *err);

typedef int (*task_add_doc_fn)(struct task *t, const cJSON *row, struct bb_error *err);

/* Read every row of path into t through add_doc, keeping the first limit documents
 * (0: all) but checking every row; t->n_original gets the number of rows. */
int task_load_rows(struct task *t, const char *path, int limit, task_add_doc_fn add_doc,
		   struct bb_error *err);

/* What a built-in task is: lm-eval's name, output type, metrics and config. */
struct task_spec {
	const char *name;
	enum task_output output;
	int n_metrics;
	enum metric metrics[TASK_MAX_METRICS];
	const char *file;       /* the data file in data_dir */
	const char *dataset_path, *dataset_name, *split_key, *split;
	const char *doc_to_text, *doc_to_target, *doc_to_choice;
	task_add_doc_fn add_doc;
};

/* A new task *out at the end of tl as spec says (its documents not read yet). */
int task_new(struct task_list *tl, const struct task_spec *spec, struct task **out,
	     struct bb_error *err);
/* task_new on data_dir/spec->file, then task_load_rows. */
int task_load_spec(struct task_list *tl, const struct task_spec *spec, const char *data_dir,
		   int limit, struct bb_error *err);

// ---- scoring (score.c) ----

/* Fill each document's outcomes (acc, acc_norm, loglik) from its requests' logprob and
 * is_greedy: argmax with numpy's rules (first maximum; a NaN wins). */
void task_score(struct task *t);

/* The task's metrics over its scored documents (n_docs >= 1), in metric_list order;
 * perplexity's stderr is bootstrapped with iters draws. *n gets the count. */
int task_aggregate(const struct task *t, int bootstrap_iters, struct metric_result *out,
		   int *n, struct bb_error *err);

#endif
