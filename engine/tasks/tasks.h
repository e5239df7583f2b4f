/*
 * tasks.h: lm-eval's tasks inside the engine: documents, the requests they become, how
 * those requests are tokenized, scored and aggregated, and the results JSON.
 *
 * Internal to engine/ (evaluate.c, task_*.c, metrics.c) and its unit tests; the public
 * entry point is evaluate.h. Everything up to "running" is pure: a task built from rows
 * can be scored with made-up log-probabilities, no model needed. The rules come from
 * ../shared/docs/lm-eval.md section 2 and are copied byte for byte, quirks included.
 * Never prints, never exits, keeps no global mutable state (only immutable tables).
 */
#ifndef BB_TASKS_H
#define BB_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "core/error.h"

struct tokenizer;

/* lm-eval's default bootstrap_iters (perplexity's stderr). */
#define EVAL_BOOTSTRAP_ITERS 100000
#define TASK_MAX_METRICS 6
/* Choices a multiple-choice document may have. */
#define TASK_MAX_CHOICES 64

// ---- metrics ----

enum metric {
	METRIC_ACC,             /* mean of per-document 0/1 */
	METRIC_ACC_NORM,        /* mean of 0/1, argmax of logprob / characters of the choice */
	METRIC_PERPLEXITY,      /* exp(-mean loglikelihood), bootstrapped stderr */
	METRIC_WORD_PERPLEXITY, /* exp(-sum ll / sum words) */
	METRIC_BYTE_PERPLEXITY, /* exp(-sum ll / sum bytes) */
	METRIC_BITS_PER_BYTE,   /* -sum ll / (sum bytes * ln 2) */
	METRIC_COUNT
};

/* "acc", "acc_norm", ...; NULL outside the enum. */
const char *metric_name(enum metric m);
/* The metric called name, or -1. */
int metric_from_name(const char *name);
bool metric_higher_is_better(enum metric m);
/* lm-eval's aggregation name for the config's metric_list: "mean", "perplexity", ... */
const char *metric_aggregation(enum metric m);

/* lm-eval's mean: sum / n, summed left to right. */
double metric_mean(const double *x, int n);
/* lm-eval's mean_stderr: sample standard deviation (n - 1) / sqrt(n). NAN ("N/A") when
 * n < 2, as lm-eval reports it. */
double metric_mean_stderr(const double *x, int n);
/* exp(-mean(loglik)). */
double metric_perplexity(const double *loglik, int n);
/* sum(a) / sum(b), lm-eval's weighted_mean. */
double metric_weighted_mean(const double *a, const double *b, int n);
/* lm-eval's aggregate_subtask_metrics with weight_by_size: sum(v * size) / sum(size). */
double metric_size_weighted_mean(const double *values, const int *sizes, int n);
/* lm-eval's pooled_sample_stderr over subtasks: sqrt(sum((n-1) * se^2 * n) /
 * (sum(n) - k) / sum(n)). NAN if any stderr is NAN. */
double metric_pooled_stderr(const double *stderrs, const int *sizes, int n);

/* Python's random.Random (MT19937, seeded like random.seed(int)), for bootstraps that
 * draw exactly what lm-eval draws. */
struct py_random {
	uint32_t mt[624];
	int index;
};
void py_random_seed(struct py_random *r, uint32_t seed);
/* random.random(): 53-bit float in [0, 1). */
double py_random_random(struct py_random *r);

/* lm-eval's bootstrap_stderr(perplexity, x, iters): chunks of min(1000, iters) draws,
 * chunk i from random.Random(i), each draw rnd.choices(x, k=n) (floor(random() * n)),
 * then the sample standard deviation of the iters // chunk * chunk replicates. Returns
 * 0 and *out (NAN when n < 2 or iters < 1: "N/A"), or BB_ENOMEM. */
int metric_bootstrap_perplexity_stderr(const double *loglik, int n, int iters, double *out,
				       struct bb_error *err);

// ---- tasks: documents and requests ----

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
	char file[1024];        /* the data file, for error messages */
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

/* A new task *out at the end of tl as spec says, to read from path (not read yet). */
int task_new(struct task_list *tl, const struct task_spec *spec, const char *path,
	     struct task **out, struct bb_error *err);
/* task_new on data_dir/spec->file, then task_load_rows. */
int task_load_spec(struct task_list *tl, const struct task_spec *spec, const char *data_dir,
		   int limit, struct bb_error *err);

// ---- the task families (task_<family>.c) ----

/* Each loader reads <data_dir>/<file> and appends its task(s) to tl, keeping the first
 * limit documents (0: all) of each task, but checking every row. */
int lambada_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int hellaswag_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int piqa_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int winogrande_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
int mmlu_load(struct task_list *tl, const char *data_dir, int limit, struct bb_error *err);
/* A custom task from its JSON descriptor (documented in task_custom.c). */
int custom_load(struct task_list *tl, const char *descriptor_path, int limit,
		struct bb_error *err);

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

/* The mmlu subjects, sorted; n is 57. */
extern const char *const mmlu_subjects[];
extern const int mmlu_n_subjects;

/* Load task name (built-in, or a path to a custom descriptor: contains '/' or ends in
 * ".json") into tl. Errors: unknown task, missing file, bad rows, a name loaded twice; on
 * error tl keeps only the tasks it had. Free tl with task_list_free either way. */
int tasks_load(struct task_list *tl, const char *name, const char *data_dir, int limit,
	       struct bb_error *err);
/* Whether name is a built-in task. */
bool task_is_builtin(const char *name);
/* The built-in names as a JSON array. */
cJSON *task_builtin_names(void);

// ---- text with Python's semantics (task_text.c) ----

/* A growable NUL-terminated string. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;               /* an append failed; p is then unreliable */
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
/* The string (ownership passes to the caller), or NULL after an allocation failure. */
char *sbuf_take(struct sbuf *b);

/* Python's str.isspace for one code point. */
bool py_isspace(uint32_t cp);
/* Length of s[0..n) once trailing whitespace is removed (str.rstrip()). */
size_t py_rstrip_len(const char *s, size_t n);
/* Offset of the first non-whitespace character (str.lstrip()). */
size_t py_lstrip_off(const char *s, size_t n);
/* len() of a str: code points in UTF-8 (continuation bytes not counted). */
long py_len(const char *s, size_t n);
/* len(re.split(r"\s+", s)): 1 + the number of whitespace runs. */
long py_count_words(const char *s, size_t n);
/* str.capitalize(): first character upper (title) case, the rest lower case. Case maps
 * cover ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic; other characters
 * (and Python's multi-character special cases) are kept as they are. */
void py_capitalize(struct sbuf *out, const char *s, size_t n);

// ---- requests to tokens (task_encode.c) ----

/* How contexts get their first token: bos_id >= 0 is prepended to every non-empty
 * context; prefix_id is the whole context of an empty one (BOS, else EOS). */
struct encode_policy {
	int bos_id;             /* -1: no BOS */
	int prefix_id;
	bool keep_context_space; /* skip _encode_pair's whitespace move */
};

/* The policy for add_bos_token (-1 the tokenizer's default, 0 never, 1 always).
 * Errors: add_bos_token 1 with no BOS token, or no BOS nor EOS for the prefix. */
int encode_policy_for(const struct tokenizer *tok, int add_bos_token,
		      struct encode_policy *p, struct bb_error *err);

/* lm-eval's _encode_pair text step: the length of context once its trailing whitespace
 * (str.rstrip) has moved to the continuation's start. */
size_t encode_pair_split(const char *context, size_t len);

struct pair_tokens {
	int *ctx, n_ctx;        /* malloc'd */
	int *cont, n_cont;      /* malloc'd */
	bool merged;            /* the continuation merged into the context's last token(s):
				 * scored from the first token where the two encodings differ */
};
void pair_tokens_free(struct pair_tokens *p);

/* The last context encode_pair encoded, reused when the next request has the same one
 * (the choices of a document). Zero-initialize; free with encode_memo_free. */
struct encode_memo {
	char *text;
	int *ids, n;
};
void encode_memo_free(struct encode_memo *m);

/* lm-eval's loglikelihood(): an empty context becomes [prefix_id] with the continuation
 * encoded alone; otherwise the whitespace move, whole = encode(context + continuation),
 * ctx = encode(context) (both without special tokens), cont = whole[len(ctx):], and the
 * policy's BOS before ctx (a context of only whitespace, with no BOS, gets the prefix).
 * An empty cont is an error (lm-eval asserts on it). memo may be NULL. */
int encode_pair(const struct tokenizer *tok, const struct encode_policy *p,
		const char *context, const char *continuation, struct encode_memo *memo,
		struct pair_tokens *out, struct bb_error *err);

// ---- scoring (task_score.c) ----

/* Fill each document's outcomes (acc, acc_norm, loglik) from its requests' logprob and
 * is_greedy: argmax with numpy's rules (first maximum; a NaN wins). */
void task_score(struct task *t);

struct metric_result {
	enum metric metric;
	double value;
	double stderr_;         /* NAN: lm-eval's "N/A" */
};

/* The task's metrics over its scored documents (n_docs >= 1), in metric_list order;
 * perplexity's stderr is bootstrapped with iters draws. *n gets the count. */
int task_aggregate(const struct task *t, int bootstrap_iters, struct metric_result *out,
		   int *n, struct bb_error *err);

// ---- results JSON (task_results.c) ----

/* What the results' "config" and environment fields say. */
struct results_meta {
	const char *model_dir;
	const char *model_args;     /* "pretrained=<dir>,..." */
	int limit;                  /* 0: null */
	int batch_size;
	uint64_t seed;
	int bootstrap_iters;
	double start_time;          /* UNIX time */
	double elapsed_s;
	int max_length;             /* <= 0: omitted (no model) */
	const char *bos_token, *eos_token;
	int eot_token_id;
	bool log_samples;
};

/* lm-eval's results object for the scored tasks in tl (see ../shared/docs/lm-eval.md
 * section 1, v0.4.12+ shape). */
int results_build(const struct task_list *tl, const struct results_meta *meta,
		  cJSON **out, struct bb_error *err);

#endif
