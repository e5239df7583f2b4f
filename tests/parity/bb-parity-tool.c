/*
 * bb-parity-tool.c: plumbing for the parity suite (tests/parity/), which compares
 * bitbudget's engine with the real Python stack. It prints what no bitbudget command
 * prints because no user needs it: token ids, and the log-softmax of every position.
 *
 *   bb-parity-tool tokenize DIR --bos|--no-bos|--default
 *       stdin: one JSON string a line; stdout: its ids as a JSON array, a line each
 *       (--bos: BOS forced first; --no-bos: no template tokens; --default: the
 *       tokenizer's own choice, as HF's add_special_tokens=True)
 *   bb-parity-tool logsoftmax DIR [RECIPE]
 *       stdin: one JSON array of token ids a line; stdout: for each, a JSON array of
 *       rows, row i the log-softmax over the vocabulary after ids[0..i]
 *
 * Never used by bin/bitbudget; only tests/parity/ runs it. Errors: one line, exit 2.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "core/checkpoint.h"
#include "core/error.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

/* line 0: not about a stdin line (arguments, loading the model). */
static int fail(const char *what, int line, const char *why)
{
	if (line > 0)
		fprintf(stderr, "bb-parity-tool: %s: line %d: %s\n", what, line, why);
	else
		fprintf(stderr, "bb-parity-tool: %s: %s\n", what, why);
	return 2;
}

static int print_ids(const int *ids, int n)
{
	putchar('[');
	for (int i = 0; i < n; i++)
		printf(i ? ",%d" : "%d", ids[i]);
	puts("]");
	return 0;
}

/* Each stdin line is a JSON string (so any byte sequence, newlines included, can be
 * given); its ids are printed on the same-numbered stdout line. */
static int cmd_tokenize(const char *dir, const char *mode)
{
	int add_bos = strcmp(mode, "--bos") == 0 ? 1 : strcmp(mode, "--no-bos") == 0 ? 0 : -1;
	if (add_bos < 0 && strcmp(mode, "--default") != 0)
		return fail("tokenize", 0, "want --bos, --no-bos or --default");
	struct bb_error err = {0};
	struct tokenizer *tok;
	if (tokenizer_load(&tok, dir, &err) != 0)
		return fail("tokenize", 0, err.msg);
	char *line = NULL;
	size_t cap = 0;
	int status = 0;
	for (int lineno = 1; status == 0 && getline(&line, &cap, stdin) > 0; lineno++) {
		cJSON *text = cJSON_Parse(line);
		int *ids = NULL, n = 0;
		if (!cJSON_IsString(text))
			status = fail("tokenize", lineno, "not a JSON string");
		else if (tokenizer_encode(tok, text->valuestring, strlen(text->valuestring),
					  add_bos, &ids, &n, &err) != 0)
			status = fail("tokenize", lineno, err.msg);
		else
			print_ids(ids, n);
		free(ids);
		cJSON_Delete(text);
	}
	free(line);
	tokenizer_free(tok);
	return status;
}

/* In place: logits -> log-softmax, in double for the sum so the comparison with torch
 * measures the model, not this helper's rounding. */
static void log_softmax_row(float *row, int vocab)
{
	float max = row[0];
	for (int v = 1; v < vocab; v++)
		max = row[v] > max ? row[v] : max;
	double sum = 0;
	for (int v = 0; v < vocab; v++)
		sum += exp((double)row[v] - max);
	double log_z = max + log(sum);
	for (int v = 0; v < vocab; v++)
		row[v] = (float)(row[v] - log_z);
}

static int read_ids(const char *line, int **ids, int *n)
{
	cJSON *arr = cJSON_Parse(line);
	*n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	*ids = *n ? malloc(sizeof **ids * (size_t)*n) : NULL;
	int i = 0;
	for (cJSON *it = arr ? arr->child : NULL; it && i < *n; it = it->next)
		(*ids)[i++] = it->valueint;
	cJSON_Delete(arr);
	return *n > 0 ? 0 : -1;
}

static void print_rows(const float *logits, int n, int vocab)
{
	putchar('[');
	for (int i = 0; i < n; i++) {
		fputs(i ? ",[" : "[", stdout);
		for (int v = 0; v < vocab; v++)
			printf(v ? ",%.9g" : "%.9g", logits[(size_t)i * vocab + v]);
		putchar(']');
	}
	puts("]");
}

static int cmd_logsoftmax(const char *dir, const char *recipe)
{
	struct bb_error err = {0};
	struct model *m;
	if (model_open(&m, NULL, dir, recipe, &err) != 0)
		return fail("logsoftmax", 0, err.msg);
	int vocab = model_config(m)->vocab_size;
	char *line = NULL;
	size_t cap = 0;
	int status = 0;
	for (int lineno = 1; status == 0 && getline(&line, &cap, stdin) > 0; lineno++) {
		int *ids, n;
		if (read_ids(line, &ids, &n) != 0) {
			status = fail("logsoftmax", lineno, "not a non-empty JSON array of ids");
			break;
		}
		float *logits = malloc(sizeof *logits * (size_t)n * vocab);
		if (model_logits(m, ids, n, logits, &err) != 0) {
			status = fail("logsoftmax", lineno, err.msg);
		} else {
			for (int i = 0; i < n; i++)
				log_softmax_row(logits + (size_t)i * vocab, vocab);
			print_rows(logits, n, vocab);
		}
		free(logits);
		free(ids);
	}
	free(line);
	model_free(m);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "tokenize") == 0)
		return cmd_tokenize(argv[2], argv[3]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "logsoftmax") == 0)
		return cmd_logsoftmax(argv[2], argc == 4 ? argv[3] : NULL);
	fprintf(stderr, "usage: bb-parity-tool tokenize DIR --bos|--no-bos|--default\n"
			"       bb-parity-tool logsoftmax DIR [RECIPE]\n");
	return 2;
}
