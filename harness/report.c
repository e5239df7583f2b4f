/*
 * report.c: the report's memory. Its tables are sized by the experiment (rows x models
 * cells, a value per task in each cell, per-model figures), so an experiment of any size
 * fits; they are allocated at once before collecting. The paired tests are allocated
 * while the statistics are computed (report_stats.c), only for the rows with per-document
 * outcomes, since a frontier experiment of 150 rows has over 11,000 pairs per model. Everything is
 * freed here. Never reads a file, never computes a statistic.
 */
#include "harness/report.h"

#include <stdlib.h>
#include <string.h>

/* Cells [row][model]: one block of n_rows x n_models cells, rows pointing into it (so
 * cells[0] is the block), each cell with its per-task values. */
static int cells_alloc(struct report *r)
{
	size_t rows = (size_t)r->e->n_rows, models = (size_t)r->e->n_models;
	size_t tasks = (size_t)r->e->n_tasks;
	r->cells = calloc(rows + 1, sizeof *r->cells);
	struct report_cell *block = calloc(rows * models + 1, sizeof *block);
	if (!r->cells || !block) {
		free(block);
		return -1;
	}
	r->cells[0] = block;
	for (size_t row = 0; row < rows; row++)
		r->cells[row] = block + row * models;
	for (size_t i = 0; i < rows * models; i++) {
		block[i].task_value = calloc(tasks + 1, sizeof *block[i].task_value);
		block[i].task_have = calloc(tasks + 1, sizeof *block[i].task_have);
		if (!block[i].task_value || !block[i].task_have)
			return -1;
	}
	return 0;
}

/* tests[model], each n_rows pointers to rows lo not yet tested (NULL). */
static int tests_alloc(struct report *r)
{
	r->tests = calloc((size_t)r->e->n_models + 1, sizeof *r->tests);
	for (int m = 0; r->tests && m < r->e->n_models; m++)
		if (!(r->tests[m] = calloc((size_t)r->e->n_rows + 1, sizeof *r->tests[m])))
			return -1;
	return r->tests ? 0 : -1;
}

int report_alloc(struct report *r, const struct experiment *e, struct bb_error *err)
{
	r->e = e;
	size_t tasks = (size_t)e->n_tasks + 1, models = (size_t)e->n_models + 1;
	r->task_names = calloc(tasks, sizeof *r->task_names);
	r->task_is_perplexity = calloc(tasks, sizeof *r->task_is_perplexity);
	r->proxy_n = calloc(models, sizeof *r->proxy_n);
	r->proxy_rho = calloc(models, sizeof *r->proxy_rho);
	/* a seed group is two rows or more */
	r->seed_groups = calloc((size_t)e->n_rows / 2 + 1, sizeof *r->seed_groups);
	bool ok = r->task_names && r->task_is_perplexity && r->proxy_n && r->proxy_rho &&
		  r->seed_groups;
	if (ok && cells_alloc(r) == 0 && tests_alloc(r) == 0)
		return 0;
	return bb_fail(err, BB_ENOMEM, "out of memory");
}

static void kld_free(struct report_kld *k)
{
	free(k->doc_tokens);
	free(k->doc_kld);
	free(k->doc_top1);
	free(k->doc_nll_ref);
	free(k->doc_nll_quant);
}

static void cells_free(struct report *r)
{
	if (!r->cells)
		return;
	for (int row = 0; r->cells[0] && row < r->e->n_rows; row++)
		for (int m = 0; m < r->e->n_models; m++) {
			free(r->cells[row][m].task_value);
			free(r->cells[row][m].task_have);
			kld_free(&r->cells[row][m].kld);
		}
	free(r->cells[0]);
	free(r->cells);
}

static void tests_free(struct report *r)
{
	for (int m = 0; r->tests && m < r->e->n_models; m++) {
		for (int lo = 0; r->tests[m] && lo < r->e->n_rows; lo++) {
			for (int hi = 0; r->tests[m][lo] && hi < r->e->n_rows; hi++)
				free(r->tests[m][lo][hi].task), free(r->tests[m][lo][hi].mc);
			free(r->tests[m][lo]);
		}
		free(r->tests[m]);
	}
	free(r->tests);
}

static void seed_groups_free(struct report *r)
{
	for (int k = 0; r->seed_groups && k < r->n_seed_groups; k++) {
		struct report_seed_group *g = &r->seed_groups[k];
		free(g->n_have), free(g->mean), free(g->sd), free(g->min), free(g->max);
		free(g->ratio);
	}
	free(r->seed_groups);
}

void report_free(struct report *r)
{
	if (!r || !r->e)
		return;
	cells_free(r);
	tests_free(r);
	seed_groups_free(r);
	free(r->task_names);
	free(r->task_is_perplexity);
	free(r->proxy_n);
	free(r->proxy_rho);
	free(r->kld_text);
	free(r->reach_lo);
	free(r->reach_hi);
	free(r->endpoint);
	free(r->lm_eval_version);
	memset(r, 0, sizeof *r);
}
