/*
 * report.c: collecting results into a table and rendering it three ways.
 */
#include "harness/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "engine/evaluate.h"

// ---- collecting ----

static double metric(const cJSON *results, const char *task, const char *key)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(results, task);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void copy_setting(char *dst, size_t n, const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (cJSON_IsString(v) && !dst[0])
		snprintf(dst, n, "%s", v->valuestring);
}

static void fill_cell(struct report *r, struct report_cell *c, const cJSON *res)
{
	const cJSON *lm = cJSON_GetObjectItemCaseSensitive(res, "lm_eval");
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(lm, "results");
	double sum = 0;
	int n = 0;
	for (int t = 0; t < r->e->n_tasks; t++) {
		double acc = metric(results, r->task_names[t], "acc,none");
		double ppl = metric(results, r->task_names[t], "word_perplexity,none");
		if (isnan(ppl))
			ppl = metric(results, r->task_names[t], "perplexity,none");
		r->task_is_perplexity[t] = isnan(acc) && !isnan(ppl);
		c->task_value[t] = isnan(acc) ? ppl : acc;
		c->task_have[t] = !isnan(c->task_value[t]);
		if (!isnan(acc))
			sum += acc, n++;
	}
	c->have = n > 0;
	c->mean_acc = n ? sum / n : NAN;
	copy_setting(r->endpoint, sizeof r->endpoint, res, "endpoint");
	copy_setting(r->lm_eval_version, sizeof r->lm_eval_version, lm, "lm_eval_version");
}

int report_collect(struct report *r, const struct experiment *e, const struct plan *p,
		   int limit, struct bb_error *err)
{
	(void)err;
	memset(r, 0, sizeof *r);
	r->e = e;
	r->limit = limit;
	r->bf16_row = -1;
	for (int i = 0; i < e->n_rows; i++)
		if (strcmp(e->rows[i].strategy, "bf16") == 0 && r->bf16_row < 0)
			r->bf16_row = i;
	for (int t = 0; t < e->n_tasks; t++)
		evaluate_task_result_name(e->tasks[t], r->task_names[t], sizeof r->task_names[t]);
	time_t now = time(NULL);
	strftime(r->date, sizeof r->date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	for (int i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		if (it->kind != PLAN_EVAL)
			continue;
		struct report_cell *c = &r->cells[it->row][it->model];
		c->achieved_avg_bits = it->achieved_avg_bits;
		c->predicted_loss = it->predicted_loss;
		snprintf(c->key, sizeof c->key, "%s", it->key);
		char *text;
		struct bb_error ignored;
		if (!it->done || read_file(it->result, &text, NULL, &ignored))
			continue;
		cJSON *res = cJSON_Parse(text);
		free(text);
		fill_cell(r, c, res);
		cJSON_Delete(res);
	}
	return 0;
}

double report_ratio(const struct report *r, int row, int model)
{
	if (r->bf16_row < 0)
		return -1;
	const struct report_cell *c = &r->cells[row][model], *b = &r->cells[r->bf16_row][model];
	return c->have && b->have && b->mean_acc > 0 ? c->mean_acc / b->mean_acc : -1;
}

// ---- rendering ----

static void cell_text(const struct report *r, int row, int m, char *buf, size_t n)
{
	const struct report_cell *c = &r->cells[row][m];
	double ratio = report_ratio(r, row, m);
	if (!c->have)
		snprintf(buf, n, "-");
	else if (ratio >= 0)
		snprintf(buf, n, "%.4f (%.1f%%)", c->mean_acc, 100 * ratio);
	else
		snprintf(buf, n, "%.4f", c->mean_acc);
}

static void md_header(const struct report *r, const char *first, FILE *out)
{
	fprintf(out, "| %s |", first);
	for (int m = 0; m < r->e->n_models; m++)
		fprintf(out, " %s |", r->e->models[m].name);
	fprintf(out, "\n|---|");
	for (int m = 0; m < r->e->n_models; m++)
		fprintf(out, "---|");
	fputc('\n', out);
}

static void md_main_table(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	md_header(r, "Mean acc (ratio to BF16)", out);
	for (int row = 0; row < e->n_rows; row++) {
		fprintf(out, "| %s |", e->rows[row].label);
		for (int m = 0; m < e->n_models; m++) {
			char cell[64];
			cell_text(r, row, m, cell, sizeof cell);
			fprintf(out, " %s |", cell);
		}
		fputc('\n', out);
	}
}

static void md_bits_table(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Achieved average bits (weights only; target in the row label)\n\n");
	md_header(r, "Row", out);
	for (int row = 0; row < e->n_rows; row++) {
		fprintf(out, "| %s |", e->rows[row].label);
		for (int m = 0; m < e->n_models; m++) {
			double b = r->cells[row][m].achieved_avg_bits;
			if (b >= 0)
				fprintf(out, " %.4f |", b);
			else
				fprintf(out, " - |");
		}
		fputc('\n', out);
	}
}

static void md_breakdown(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Per task (acc; perplexity for perplexity tasks)\n\n");
	fprintf(out, "| Model | Row |");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, " %s |", r->task_names[t]);
	fprintf(out, " mean acc |\n|---|---|");
	for (int t = 0; t <= e->n_tasks; t++)
		fprintf(out, "---|");
	fputc('\n', out);
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			fprintf(out, "| %s | %s |", e->models[m].name, e->rows[row].label);
			for (int t = 0; t < e->n_tasks; t++)
				if (c->task_have[t])
					fprintf(out, r->task_is_perplexity[t] ? " %.3f |" : " %.4f |",
						c->task_value[t]);
				else
					fprintf(out, " - |");
			if (c->have)
				fprintf(out, " %.4f |\n", c->mean_acc);
			else
				fprintf(out, " - |\n");
		}
}

static void md_published(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	if (e->set != MODEL_SET_PAPER) {
		fprintf(out, "\n### Published figures\n\nNot compared: this run used the demo model "
			     "set, not the paper's models and tasks.\n");
		return;
	}
	fprintf(out, "\n### Published against regenerated (mean acc; difference = regenerated - published)\n\n");
	md_header(r, "Row", out);
	for (int row = 0; row < e->n_rows; row++) {
		fprintf(out, "| %s |", e->rows[row].label);
		for (int m = 0; m < e->n_models; m++) {
			double pub = experiment_published(e, row, m);
			const struct report_cell *c = &r->cells[row][m];
			if (pub < 0)
				fprintf(out, " - |");
			else if (c->have)
				fprintf(out, " %.4f / %.4f (%+.4f) |", pub, c->mean_acc, c->mean_acc - pub);
			else
				fprintf(out, " %.4f / - |", pub);
		}
		fputc('\n', out);
	}
}

static void md_settings(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Settings\n\n");
	fprintf(out, "- endpoint: %s (%s)\n", r->endpoint[0] ? r->endpoint : "-",
		r->lm_eval_version[0] ? r->lm_eval_version : "-");
	fprintf(out, "- tasks:");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, " %s", r->task_names[t]);
	fprintf(out, " (0-shot; the score is the mean of acc over the tasks that have one)\n");
	if (r->limit > 0)
		fprintf(out, "- limit: first %d documents of each task\n", r->limit);
	else
		fprintf(out, "- limit: none (every document)\n");
	fprintf(out, "- add_bos_token:");
	for (int m = 0; m < e->n_models; m++)
		fprintf(out, " %s=%s", e->models[m].name, e->models[m].add_bos_token ? "true" : "false");
	fprintf(out, "\n- options: ");
	for (int k = 0; k < e->n_options; k++)
		fprintf(out, "%s%s", k ? ", " : "", e->options[k].name);
	fprintf(out, "; round to nearest; scale bits not counted\n- date: %s\n", r->date);
}

void report_markdown(const struct report *r, FILE *out)
{
	fprintf(out, "# %s\n\n> %s\n\n", r->e->title, r->e->set_note);
	md_main_table(r, out);
	md_bits_table(r, out);
	md_breakdown(r, out);
	md_published(r, out);
	md_settings(r, out);
}

void report_csv(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "experiment,model,row,strategy,target_bits,achieved_bits,mean_acc,ratio_to_bf16,predicted_loss,published");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, ",%s", r->task_names[t]);
	fprintf(out, ",key\n");
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			double ratio = report_ratio(r, row, m), pub = experiment_published(e, row, m);
			fprintf(out, "%s,\"%s\",\"%s\",\"%s\",%g,", e->name, e->models[m].name,
				e->rows[row].label, e->rows[row].strategy, e->rows[row].avg_bits);
			if (c->achieved_avg_bits >= 0)
				fprintf(out, "%.6f", c->achieved_avg_bits);
			fputc(',', out);
			if (c->have)
				fprintf(out, "%.6f", c->mean_acc);
			fputc(',', out);
			if (ratio >= 0)
				fprintf(out, "%.6f", ratio);
			fputc(',', out);
			if (c->predicted_loss >= 0)
				fprintf(out, "%.6g", c->predicted_loss);
			fputc(',', out);
			if (pub >= 0)
				fprintf(out, "%.4f", pub);
			for (int t = 0; t < e->n_tasks; t++) {
				fputc(',', out);
				if (c->task_have[t])
					fprintf(out, "%.6f", c->task_value[t]);
			}
			fprintf(out, ",%s\n", c->key);
		}
}

/* LaTeX special characters in labels. */
static void tex_escape(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (strchr("&%$#_{}", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

void report_latex(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "%% %s\n%% %s\n\\begin{tabular}{l", e->title, e->set_note);
	for (int m = 0; m < e->n_models; m++)
		fputc('c', out);
	fprintf(out, "}\n\\toprule\n");
	for (int m = 0; m < e->n_models; m++) {
		fputs(" & ", out);
		tex_escape(e->models[m].name, out);
	}
	fprintf(out, " \\\\\n\\midrule\n");
	for (int row = 0; row < e->n_rows; row++) {
		tex_escape(e->rows[row].label, out);
		for (int m = 0; m < e->n_models; m++) {
			char cell[64];
			cell_text(r, row, m, cell, sizeof cell);
			fputs(" & ", out);
			tex_escape(strcmp(cell, "-") == 0 ? "--" : cell, out);
		}
		fprintf(out, " \\\\\n");
	}
	fprintf(out, "\\bottomrule\n\\end{tabular}\n");
}

// ---- files ----

static int render_to(const char *path, void (*render)(const struct report *, FILE *),
		     const struct report *r, struct bb_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	render(r, mem);
	fclose(mem);
	int rc = write_file_atomic(path, buf, len, err);
	free(buf);
	return rc;
}

int report_write(const struct report *r, const char *dir, struct bb_error *err)
{
	static const struct {
		const char *ext;
		void (*render)(const struct report *, FILE *);
	} forms[] = {{"md", report_markdown}, {"csv", report_csv}, {"tex", report_latex}};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/%s.%s", dir, r->e->name, forms[i].ext);
		int rc = render_to(path, forms[i].render, r, err);
		if (rc)
			return rc;
	}
	return 0;
}
