/*
 * report_write.c: a collected report drawn as Markdown, CSV and LaTeX, and the three
 * files written together. Formatting only: every number shown is already in the report
 * (report_collect.c, report_stats.c); nothing here reads a result or computes a statistic.
 */
#include "harness/report_write.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "harness/report_stats.h"
#include "harness/report_text.h"
#include "harness/report_write_kld.h"

// ---- Markdown ----

static bool any_reference(const struct report *r)
{
	for (int row = 0; row < r->e->n_rows; row++)
		if (report_reference_row(r, row) >= 0)
			return true;
	return false;
}

/* How a cell is spelled: Markdown, or LaTeX (where "%" is special and a missing value is
 * a dash "--"). Cell texts hold numbers and these marks only, so nothing else needs
 * escaping. */
struct cell_style {
	const char *percent, *none;
};

static const struct cell_style md_style = {"%", "-"}, tex_style = {"\\%", "--"};

static void cell_text(const struct report *r, int row, int m, const struct cell_style *st,
		      FILE *out)
{
	const struct report_cell *c = &r->cells[row][m];
	double ratio = report_ratio(r, row, m);
	if (!c->have)
		fputs(st->none, out);
	else if (ratio >= 0)
		fprintf(out, "%.4f (%.1f%s)", c->mean_acc, 100 * ratio, st->percent);
	else
		fprintf(out, "%.4f", c->mean_acc);
}

/* A folded random:SEED group's cell: mean (ratio to BF16) ± sample sd [min, max]. */
static void seed_group_text(const struct report_seed_group *g, int m,
			    const struct cell_style *st, FILE *out)
{
	if (!g->n_have[m]) {
		fputs(st->none, out);
		return;
	}
	fprintf(out, "%.4f", g->mean[m]);
	if (g->ratio[m] >= 0)
		fprintf(out, " (%.1f%s)", 100 * g->ratio[m], st->percent);
	if (g->n_have[m] == 1)
		fprintf(out, ", 1 seed");
	else
		fprintf(out, " \u00b1 %.4f [%.4f, %.4f]", g->sd[m], g->min[m], g->max[m]);
}

/* Whether a row is drawn in the main tables: a random:SEED group is one row, at its first
 * seed; its other rows are not drawn. */
static bool main_row_drawn(const struct report *r, int row)
{
	const struct report_seed_group *g = report_seed_group_of(r, row);
	return !g || row == g->first;
}

/* A main-table cell (a group's at its first seed); its dagger is the caller's
 * (main_dagger). */
static void main_cell(const struct report *r, int row, int m, const struct cell_style *st,
		      FILE *out)
{
	const struct report_seed_group *g = report_seed_group_of(r, row);
	if (g)
		seed_group_text(g, m, st, out);
	else
		cell_text(r, row, m, st, out);
}

static bool main_dagger(const struct report *r, int row, int m)
{
	return !report_seed_group_of(r, row) && report_not_significant(r, row, m);
}

static void md_seed_note(const struct report *r, FILE *out)
{
	if (r->n_seed_groups)
		fprintf(out, "\nRandom (N seeds): the random:SEED rows at one budget folded into "
			     "one: the mean over the seeds (ratio to BF16) \u00b1 their sample "
			     "standard deviation [lowest, highest]; the null baseline "
			     "(docs/statistics.md). No dagger: each seed's own comparisons are under "
			     "Paired significance, its figures under Per task.\n");
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

static void md_dagger_note(const struct report *r, FILE *out)
{
	if (!any_reference(r)) {
		fprintf(out, "\nSignificance marks: none (no sensitivity row to compare with).\n");
		return;
	}
	fprintf(out, "\n\u2020 not significantly different from Ours (the sensitivity row; with several, "
		     "the one nearest in target bits): the 95%% paired-bootstrap interval of the "
		     "difference in mean accuracy contains 0 (%d resamples of the documents within "
		     "each task, seed %u; see Paired significance and docs/statistics.md). Cells "
		     "without per-document samples are not tested.\n",
		BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
}

static void md_main_table(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	md_header(r, "Mean acc (ratio to BF16)", out);
	for (int row = 0; row < e->n_rows; row++) {
		char label[64];
		if (!main_row_drawn(r, row))
			continue;
		fprintf(out, "| %s |", report_row_label(r, row, label, sizeof label));
		for (int m = 0; m < e->n_models; m++) {
			fputc(' ', out);
			main_cell(r, row, m, &md_style, out);
			fprintf(out, "%s |", main_dagger(r, row, m) ? "\u2020" : "");
		}
		fputc('\n', out);
	}
	md_dagger_note(r, out);
	md_seed_note(r, out);
}

static void md_bits(double b, FILE *out)
{
	if (b >= 0)
		fprintf(out, " %.4f |", b);
	else
		fprintf(out, " n/a |");
}

static void md_bits_table(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Average bits under each accounting\n\n"
		     "Budgets are set in **weights** (b bits per weight), as the published tables. The "
		     "same recipes also cost: **scales** (plus each group's scale), **scales+zp** (plus "
		     "a zero point for INT formats: AutoRound's default) and **GGUF** (the storage of "
		     "the GGUF type with the same blocks; n/a where none exists). docs/formats.md "
		     "defines them. Recipe: the first 12 hex digits of its SHA-256.\n\n");
	fprintf(out, "| Model | Row | weights | scales | scales+zp | GGUF | recipe |\n"
		     "|---|---|---|---|---|---|---|\n");
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			fprintf(out, "| %s | %s |", e->models[m].name, e->rows[row].label);
			for (int a = 0; a < ACCOUNT_COUNT; a++)
				if (c->avg_bits[a] >= 0 || c->achieved_avg_bits >= 0)
					md_bits(c->avg_bits[a], out);
				else
					fprintf(out, " - |");
			bool hash = c->recipe_hash[0] && strcmp(c->recipe_hash, "bf16") != 0;
			fprintf(out, " %.12s |\n", hash ? c->recipe_hash : "-");
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

static void md_test_row(const struct report *r, int m, int lo, int hi, FILE *out)
{
	const struct report_test *t = report_test_of(r, m, lo, hi);
	char p[32], p_holm[32];
	fprintf(out, "| %s \u2212 %s |", r->e->rows[hi].label, r->e->rows[lo].label);
	if (!t || !t->have) {
		fprintf(out, " - | - | - | - | no per-document samples for both |\n");
		return;
	}
	report_p_text(t->boot.p, p, sizeof p);
	report_p_text(t->p_holm, p_holm, sizeof p_holm);
	fprintf(out, " %+.4f | [%+.4f, %+.4f] | %s%s | %s |", t->boot.diff, t->boot.lo, t->boot.hi,
		p, stats_significant(&t->boot) ? "" : " (n.s.)", p_holm);
	for (int k = 0; k < t->n_tasks; k++) {
		const struct mcnemar *mc = &t->mc[k];
		fprintf(out, "%s %s %d/%d p=%.4f%s", k ? ";" : "", r->task_names[t->task[k]], mc->b,
			mc->c, mc->p, mc->exact ? "" : " (\u03c7\u00b2)");
	}
	fprintf(out, " |\n");
}

static void md_significance(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Paired significance\n\n"
		     "Row minus row over the same documents: the difference in mean accuracy (over the "
		     "tasks with an acc), its 95%% paired-bootstrap interval and two-sided p (%d "
		     "resamples of the documents within each task, seed %u; n.s.: the interval "
		     "contains 0), and McNemar per task as +/\u2212 (documents the first row gets right "
		     "and the second wrong / the reverse) with p: exact binomial below %d discordant "
		     "documents, else chi-square with continuity correction (\u03c7\u00b2). "
		     "p (Holm): the bootstrap p adjusted for the comparisons of the model, by Holm's "
		     "step-down method (below 0.05: significant with the family-wise error held at "
		     "5%%; a p below 1/%d counts as 1/%d there). docs/statistics.md.\n",
		BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, MCNEMAR_EXACT_BELOW, BOOTSTRAP_RESAMPLES,
		BOOTSTRAP_RESAMPLES);
	for (int m = 0; m < e->n_models; m++) {
		fprintf(out, "\n#### %s\n\n| Comparison | \u0394 mean acc | 95%% CI | p | p (Holm) | "
			     "McNemar per task (+/\u2212, p) |\n|---|---|---|---|---|---|\n", e->models[m].name);
		for (int hi = 1; hi < e->n_rows; hi++)
			for (int lo = 0; lo < hi; lo++)
				if (r->cells[hi][m].have && r->cells[lo][m].have &&
				    report_pair_tested(r, lo, hi))
					md_test_row(r, m, lo, hi, out);
	}
}

static void md_proxy(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### The proxy against accuracy\n\n"
		     "Predicted loss increase: the recipe's summed scores (what the sensitivity "
		     "strategy minimises); measured: the BF16 row's mean accuracy minus the recipe's. "
		     "Spearman's \u03c1 ranks the recipes of all strategies and budgets of this "
		     "experiment (ties get average ranks).\n");
	for (int m = 0; m < e->n_models; m++) {
		char slug[96];
		slugify(e->models[m].name, slug, sizeof slug);
		fprintf(out, "\n#### %s\n\n", e->models[m].name);
		if (r->proxy_n[m] == 0) {
			fprintf(out, "No recipe has both a predicted loss (scores exist only for "
				     "experiments with a sensitivity row) and a measured one.\n");
			continue;
		}
		fprintf(out, "| Row | avg bits | predicted (summed scores) | measured (BF16 \u2212 acc) |\n"
			     "|---|---|---|---|\n");
		for (int row = 0; row < e->n_rows; row++) {
			double x, y;
			if (report_proxy_point(r, row, m, &x, &y))
				fprintf(out, "| %s | %.4f | %.6g | %+.4f |\n", e->rows[row].label,
					r->cells[row][m].achieved_avg_bits, x, y);
		}
		if (isnan(r->proxy_rho[m]))
			fprintf(out, "\nSpearman \u03c1: undefined over %d recipe%s (needs two with "
				     "different values).\n", r->proxy_n[m], r->proxy_n[m] == 1 ? "" : "s");
		else
			fprintf(out, "\nSpearman \u03c1 = %.4f over %d recipes.\n", r->proxy_rho[m],
				r->proxy_n[m]);
		fprintf(out, "\n![proxy against accuracy](../plots/proxy-vs-accuracy-%s.png) "
			     "![sensitivity frontier](../plots/frontier-%s.png)\n", slug, slug);
	}
}

static void md_settings(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "\n### Settings\n\n");
	fprintf(out, "- endpoint: %s (%s)\n", r->endpoint ? r->endpoint : "-",
		r->lm_eval_version ? r->lm_eval_version : "-");
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
	fprintf(out, "; round to nearest; budget accounting: weights (scale and zero-point bits "
		     "not counted)\n- date: %s\n", r->date);
}

void report_markdown(const struct report *r, FILE *out)
{
	fprintf(out, "# %s\n\n> %s\n\n", r->e->title, r->e->set_note);
	if (report_any_kld(r))
		report_kld_markdown(r, out);
	else
		md_main_table(r, out);
	md_bits_table(r, out);
	md_breakdown(r, out);
	md_significance(r, out);
	md_proxy(r, out);
	md_published(r, out);
	md_settings(r, out);
}

// ---- CSV ----

/* ",v" with digits after the point (general: significant digits); "," alone when v is
 * NaN or negative (unknown). */
static void csv_number(double v, int digits, bool general, FILE *out)
{
	fputc(',', out);
	if (!isnan(v) && v >= 0)
		fprintf(out, general ? "%.*g" : "%.*f", digits, v);
}

/* The comparison with the cell's reference row: its label, difference, interval, p. */
static void csv_reference(const struct report *r, int row, int m, FILE *out)
{
	int ref = report_reference_row(r, row);
	const struct report_test *t = ref >= 0 ? report_test_of(r, m, row, ref) : NULL;
	if (!t || !t->have) {
		fprintf(out, ",,,,,");
		return;
	}
	double sign = ref > row ? -1 : 1; /* the test is later row minus earlier: make it row - ref */
	double lo = sign > 0 ? t->boot.lo : -t->boot.hi, hi = sign > 0 ? t->boot.hi : -t->boot.lo;
	fprintf(out, ",\"%s\",%.6f,%.6f,%.6f,%.6f", r->e->rows[ref].label, sign * t->boot.diff, lo,
		hi, t->boot.p);
}

void report_csv(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "experiment,model,row,strategy,target_bits,achieved_bits,mean_acc,ratio_to_bf16,predicted_loss,published");
	for (int t = 0; t < e->n_tasks; t++)
		fprintf(out, ",%s", r->task_names[t]);
	fprintf(out, ",key,recipe_sha256,bits_weights,bits_scales,bits_scales_zp,bits_gguf,"
		     "vs_ours,diff_vs_ours,ci_lo,ci_hi,p_bootstrap");
	if (report_any_kld(r))
		report_kld_csv_header(out);
	fputc('\n', out);
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++) {
			const struct report_cell *c = &r->cells[row][m];
			double ratio = report_ratio(r, row, m), pub = experiment_published(e, row, m);
			fprintf(out, "%s,\"%s\",\"%s\",\"%s\",%g", e->name, e->models[m].name,
				e->rows[row].label, e->rows[row].strategy, e->rows[row].avg_bits);
			csv_number(c->achieved_avg_bits, 6, false, out);
			csv_number(c->have ? c->mean_acc : NAN, 6, false, out);
			csv_number(ratio, 6, false, out);
			csv_number(c->predicted_loss, 6, true, out);
			csv_number(pub, 4, false, out);
			for (int t = 0; t < e->n_tasks; t++)
				csv_number(c->task_have[t] ? c->task_value[t] : NAN, 6, false, out);
			fprintf(out, ",%s,%s", c->key, strcmp(c->recipe_hash, "bf16") ? c->recipe_hash : "");
			for (int a = 0; a < ACCOUNT_COUNT; a++)
				if (c->avg_bits[a] < 0 && c->achieved_avg_bits >= 0)
					fprintf(out, ",n/a");
				else
					csv_number(c->avg_bits[a], 6, false, out);
			csv_reference(r, row, m, out);
			if (report_any_kld(r))
				report_kld_csv_cell(r, row, m, out);
			fputc('\n', out);
		}
}

// ---- LaTeX ----

void report_latex(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	if (report_any_kld(r)) {
		report_kld_latex(r, out);
		return;
	}
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
		char label[64];
		if (!main_row_drawn(r, row))
			continue;
		tex_escape(report_row_label(r, row, label, sizeof label), out);
		for (int m = 0; m < e->n_models; m++) {
			fputs(" & ", out);
			main_cell(r, row, m, &tex_style, out);
			if (main_dagger(r, row, m))
				fputs("$^\\dagger$", out);
		}
		fprintf(out, " \\\\\n");
	}
	fprintf(out, "\\bottomrule\n");
	if (any_reference(r))
		fprintf(out, "\\multicolumn{%d}{l}{\\footnotesize $^\\dagger$ not significantly "
			     "different from Ours (95\\%% paired bootstrap, %d resamples)} \\\\\n",
			e->n_models + 1, BOOTSTRAP_RESAMPLES);
	fprintf(out, "\\end{tabular}\n");
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
	size_t n = sizeof forms / sizeof forms[0];
	char *path[3] = {NULL};
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) { /* all three may be written, or none is */
		path[i] = str_printf(err, "%s/%s.%s", dir, r->e->name, forms[i].ext);
		rc = path[i] ? output_check_file(path[i], err) : BB_ENOMEM;
	}
	for (size_t i = 0; !rc && i < n; i++)
		rc = render_to(path[i], forms[i].render, r, err);
	for (size_t i = 0; i < n; i++)
		free(path[i]);
	return rc;
}
