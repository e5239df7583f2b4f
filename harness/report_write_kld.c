/*
 * report_write_kld.c: the KLD results of a report drawn as text (issue 11): the main
 * Markdown table with mean KLD, top-1 agreement and the perplexity ratio beside mean acc,
 * led by the measure that separates the rows on the model set in use; the sentences that
 * say, from the numbers, whether Ours beats each row at its budget; the CSV's columns and
 * the LaTeX table. Formatting only: every statistic is already in the report
 * (report_stats_kld.c).
 */
#include "harness/report_write_kld.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report_stats.h"
#include "harness/report_text.h"

static const char *const measure_heading[KLD_MEASURE_COUNT] = {
	"Mean KLD [95% CI]", "Top-1 agreement [95% CI]", "PPL ratio [95% CI]"};
static const char *const measure_name[KLD_MEASURE_COUNT] = {"mean KLD", "top-1 agreement",
							     "perplexity ratio"};
static const char *const csv_prefix[KLD_MEASURE_COUNT] = {"kld", "top1", "log_ppl_ratio"};

/* Which way is better: a lower KLD and perplexity ratio, a higher top-1 agreement. */
static bool lower_is_better(enum kld_measure k) { return k != KLD_TOP1; }

static bool is_bf16(const struct report *r, int row)
{
	return strcmp(r->e->rows[row].strategy, "bf16") == 0;
}

/* A measure's value as shown: KLD in nats, top-1 in percent, the perplexity ratio itself
 * (the report holds its log). */
static void value_text(enum kld_measure k, double v, char *buf, size_t n)
{
	if (k == KLD_MEAN)
		snprintf(buf, n, "%.4f", v);
	else if (k == KLD_TOP1)
		snprintf(buf, n, "%.2f%%", 100 * v);
	else
		snprintf(buf, n, "%.4f", exp(v));
}

/* "value [lo, hi]", or the value alone without an interval. */
static void value_with_interval(const struct report_cell *c, enum kld_measure k, char *buf,
				size_t n)
{
	char v[32], lo[32], hi[32];
	value_text(k, report_kld_value(&c->kld, k), v, sizeof v);
	if (!c->kld_stats.have_interval) {
		snprintf(buf, n, "%s", v);
		return;
	}
	value_text(k, c->kld_stats.interval[k].lo, lo, sizeof lo);
	value_text(k, c->kld_stats.interval[k].hi, hi, sizeof hi);
	snprintf(buf, n, "%s [%s, %s]", v, lo, hi);
}

/* A folded random:SEED group: mean ± sample sd [lowest, highest] over its seeds. */
static void seed_group_kld_text(const struct report_kld_stats *s, enum kld_measure k, char *buf,
				size_t n)
{
	char mean[32], lo[32], hi[32];
	if (!s->seeds_have) {
		snprintf(buf, n, "-");
		return;
	}
	value_text(k, s->seeds_mean[k], mean, sizeof mean);
	value_text(k, s->seeds_min[k], lo, sizeof lo);
	value_text(k, s->seeds_max[k], hi, sizeof hi);
	if (k == KLD_LOG_PPL_RATIO) /* an sd of the log is not a ratio's: range only */
		snprintf(buf, n, "%s [%s, %s]", mean, lo, hi);
	else if (k == KLD_TOP1)
		snprintf(buf, n, "%s \u00b1 %.2f [%s, %s]", mean, 100 * s->seeds_sd[k], lo, hi);
	else
		snprintf(buf, n, "%s \u00b1 %.4f [%s, %s]", mean, s->seeds_sd[k], lo, hi);
}

/* One cell of a measure's column; *dagger: its test against Ours is not significant. */
static void kld_cell_text(const struct report *r, int row, int m, enum kld_measure k,
			  char *buf, size_t n, bool *dagger)
{
	static const char *const reference[KLD_MEASURE_COUNT] = {"0", "100%", "1"};
	const struct report_cell *c = &r->cells[row][m];
	const struct report_seed_group *g = report_seed_group_of(r, row);
	*dagger = false;
	if (c->unreachable)
		snprintf(buf, n, "unreachable");
	else if (g)
		seed_group_kld_text(&r->cells[g->first][m].kld_stats, k, buf, n);
	else if (is_bf16(r, row))
		snprintf(buf, n, "%s", reference[k]); /* BF16 against itself, by definition */
	else if (!c->kld.have)
		snprintf(buf, n, "-");
	else {
		value_with_interval(c, k, buf, n);
		*dagger = c->kld_stats.tested && !report_kld_significant(r, row, m, k);
	}
}

/* The mean-acc column: "0.3106 (92.9%)" as the accuracy tables spell it, a folded group
 * "mean (ratio) ± sd [lowest, highest]" over its seeds; *dagger: as the accuracy tables'
 * (its interval against Ours contains 0). */
static void acc_text(const struct report *r, int row, int m, char *buf, size_t n, bool *dagger)
{
	const struct report_cell *c = &r->cells[row][m];
	const struct report_seed_group *g = report_seed_group_of(r, row);
	double ratio = g ? g->ratio[m] : report_ratio(r, row, m);
	char ratio_text[32] = "";
	*dagger = !g && report_not_significant(r, row, m);
	if (ratio >= 0)
		snprintf(ratio_text, sizeof ratio_text, " (%.1f%%)", 100 * ratio);
	if (c->unreachable)
		snprintf(buf, n, "unreachable");
	else if (g && g->n_have[m] > 1)
		snprintf(buf, n, "%.4f%s \u00b1 %.4f [%.4f, %.4f]", g->mean[m], ratio_text, g->sd[m],
			 g->min[m], g->max[m]);
	else if (g && g->n_have[m] == 1)
		snprintf(buf, n, "%.4f%s, 1 seed", g->mean[m], ratio_text);
	else if (!g && c->have && !isnan(c->mean_acc_se)) /* the tasks are independent samples */
		snprintf(buf, n, "%.4f%s [%.4f, %.4f]", c->mean_acc, ratio_text,
			 c->mean_acc - 1.96 * c->mean_acc_se, c->mean_acc + 1.96 * c->mean_acc_se);
	else if (!g && c->have)
		snprintf(buf, n, "%.4f%s", c->mean_acc, ratio_text);
	else
		snprintf(buf, n, "-");
}

/* A main-table row's label: its own, or a folded group's "Random (N seeds)"; false for a
 * group's other rows, which are not drawn. */
static bool row_label(const struct report *r, int row, char *buf, size_t n)
{
	const struct report_seed_group *g = report_seed_group_of(r, row);
	if (g && row != g->first)
		return false;
	const char *label = report_row_label(r, row, buf, n);
	if (label != buf)
		snprintf(buf, n, "%s", label);
	return true;
}

// ---- Markdown: the table ----

/* Demo models: KLD first, it separates the rows; the paper's: the published measure. */
static bool kld_leads(const struct report *r) { return r->e->set == MODEL_SET_DEMO; }

/* The tokens and documents model m's KLD was measured over (every recipe of a model
 * measures the same text with the same tokenizer); false when it has no KLD result. */
static bool model_kld_size(const struct report *r, int m, long *tokens, int *docs)
{
	for (int row = 0; row < r->e->n_rows; row++) {
		const struct report_kld *k = &r->cells[row][m].kld;
		if (k->have) {
			*tokens = k->n_tokens, *docs = k->n_docs;
			return true;
		}
	}
	return false;
}

/* The fewest tokens any model's KLD rests on: what the lead line can promise. */
static long fewest_kld_tokens(const struct report *r)
{
	long fewest = r->kld_tokens, tokens;
	int docs;
	for (int m = 0; m < r->e->n_models; m++)
		if (model_kld_size(r, m, &tokens, &docs) && tokens < fewest)
			fewest = tokens;
	return fewest;
}

static void md_lead_line(const struct report *r, FILE *out)
{
	if (kld_leads(r))
		fprintf(out, "Read the KLD first: accuracy over %d items of a tiny model cannot "
			     "separate recipes; KLD over %ld tokens can.\n\n", r->acc_items,
			fewest_kld_tokens(r));
	else
		fprintf(out, "Mean accuracy first, as published; the KLD over %ld tokens beside it "
			     "measures each recipe's distance from BF16, which separates recipes "
			     "whose accuracies are within noise.\n\n", fewest_kld_tokens(r));
}

/* "KLD over N tokens of TEXT in D documents", per model when several were measured (each
 * model's tokenizer splits the text its own way), and the calibration overlap. */
static void md_kld_size(const struct report *r, FILE *out)
{
	const char *text = r->kld_text && r->kld_text[0] ? r->kld_text : "the evaluation text";
	long tokens = r->kld_tokens;
	int docs = r->kld_docs, measured = 0;
	for (int m = 0; m < r->e->n_models; m++)
		measured += model_kld_size(r, m, &tokens, &docs);
	if (measured <= 1) {
		fprintf(out, "\nKLD over %ld tokens of %s in %d documents", tokens, text, docs);
	} else {
		fprintf(out, "\nKLD over %s:", text);
		for (int m = 0, i = 0; m < r->e->n_models; m++)
			if (model_kld_size(r, m, &tokens, &docs))
				fprintf(out, "%s %s %ld tokens in %d documents", i++ ? "," : "",
					r->e->models[m].name, tokens, docs);
	}
	fprintf(out, "; calibration overlap: %ld of %ld 13-grams.\n", r->overlap_shared,
		r->overlap_total);
}

static void md_kld_header(const struct report *r, FILE *out)
{
	fprintf(out, "| Model | Row |");
	if (!kld_leads(r))
		fprintf(out, " Mean acc (ratio to BF16) |");
	for (int k = 0; k < KLD_MEASURE_COUNT; k++)
		fprintf(out, " %s |", measure_heading[k]);
	if (kld_leads(r))
		fprintf(out, " Mean acc (ratio to BF16) |");
	fprintf(out, "\n|---|---|---|---|---|---|\n");
}

static void md_kld_row(const struct report *r, int m, int row, FILE *out)
{
	char label[96], acc[160], text[160];
	bool acc_dagger, dagger;
	if (!row_label(r, row, label, sizeof label))
		return;
	acc_text(r, row, m, acc, sizeof acc, &acc_dagger);
	fprintf(out, "| %s | %s |", r->e->models[m].name, label);
	if (!kld_leads(r))
		fprintf(out, " %s%s |", acc, acc_dagger ? "\u2020" : "");
	for (int k = 0; k < KLD_MEASURE_COUNT; k++) {
		kld_cell_text(r, row, m, k, text, sizeof text, &dagger);
		fprintf(out, " %s%s |", text, dagger ? "\u2020" : "");
	}
	if (kld_leads(r))
		fprintf(out, " %s%s |", acc, acc_dagger ? "\u2020" : "");
	fputc('\n', out);
}

static void md_kld_notes(const struct report *r, FILE *out)
{
	md_kld_size(r, out);
	fprintf(out, "\n\u2020 on mean KLD, top-1 agreement or the perplexity ratio: not "
		     "significantly different from Ours, the sensitivity row at the same budget "
		     "(its Holm-adjusted p, over the model's comparisons of that measure, is 0.05 "
		     "or more; paired bootstrap over documents, %d resamples, seed %u). \u2020 on "
		     "mean acc: as in the accuracy tables, the 95%% interval of the difference in "
		     "mean accuracy contains 0. BF16 is the reference: KLD 0, top-1 100%%, ratio 1 "
		     "by definition, never tested. Intervals: 95%%, bootstrap over documents. "
		     "docs/statistics.md.\n", BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
	if (r->n_seed_groups)
		fprintf(out, "\nRandom (N seeds): the random:SEED rows at one budget folded into "
			     "one: the mean over the seeds \u00b1 their sample standard deviation "
			     "[lowest, highest] (the perplexity ratio: mean and range); the null "
			     "baseline. No dagger: each seed is tested on its own (CSV).\n");
}

/* Which rows each model cannot reach, and the range it can. */
static void md_unreachable(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	for (int m = 0; m < e->n_models; m++) {
		int n = 0;
		for (int row = 0; row < e->n_rows; row++)
			if (r->cells[row][m].unreachable)
				fprintf(out, "%s%s", n++ ? ", " : "\n", e->rows[row].label);
		if (!n)
			continue;
		fprintf(out, ": unreachable on %s", e->models[m].name);
		if (r->reach_lo && r->reach_hi)
			fprintf(out, ", which reaches %.2f-%.2f bits with", r->reach_lo[m],
				r->reach_hi[m]);
		else
			fprintf(out, " with");
		for (int k = 0; k < e->n_options; k++)
			fprintf(out, "%s%s", k ? "/" : " ", e->options[k].name);
		fprintf(out, " (a layer whose in_features is not a multiple of the block size stays "
			     "BF16, as AutoRound keeps it); not measured, not tested.\n");
	}
}

// ---- Markdown: the sentences ----

/* A row or folded seed group compared with Ours in a sentence. */
struct rival {
	const char *label;
	int row;                       /* the row, or a group's first */
	const struct report_seed_group *group;
	double value;                  /* the measure (a group: its mean over seeds) */
	bool significant;              /* Holm p < 0.05 (a group: every seed's) */
};

static int collect_rivals(const struct report *r, int m, int ours, enum kld_measure k,
			  struct rival *rivals)
{
	int n = 0;
	for (int row = 0; row < r->e->n_rows; row++) {
		const struct report_seed_group *g = report_seed_group_of(r, row);
		if (report_kld_reference_row(r, row) != ours || (g && row != g->first))
			continue;
		const struct report_kld_stats *seeds = &r->cells[row][m].kld_stats;
		if (g && seeds->seeds_have) {
			bool all = true;
			for (int i = g->first; i < g->first + g->n_rows; i++)
				all = all && report_kld_significant(r, i, m, k);
			rivals[n++] = (struct rival){"random", row, g, seeds->seeds_mean[k], all};
		} else if (!g && r->cells[row][m].kld.have)
			rivals[n++] = (struct rival){r->e->rows[row].label, row, NULL,
						     report_kld_value(&r->cells[row][m].kld, k),
						     report_kld_significant(r, row, m, k)};
	}
	return n;
}

static void rival_text(const struct report *r, int m, enum kld_measure k, const struct rival *v,
		       FILE *out)
{
	char value[32], lo[32], hi[32], p[32];
	value_text(k, v->value, value, sizeof value);
	if (v->group) {
		const struct report_seed_group *g = v->group;
		const struct report_kld_stats *seeds = &r->cells[g->first][m].kld_stats;
		int sig = 0;
		for (int i = g->first; i < g->first + g->n_rows; i++)
			sig += report_kld_significant(r, i, m, k);
		value_text(k, seeds->seeds_min[k], lo, sizeof lo);
		value_text(k, seeds->seeds_max[k], hi, sizeof hi);
		fprintf(out, "random (%d seeds) mean %s (range %s to %s; %d of %d seeds significant)",
			seeds->seeds_have, value, lo, hi, sig, g->n_rows);
		return;
	}
	const struct report_cell *c = &r->cells[v->row][m];
	if (!c->kld_stats.tested) {
		fprintf(out, "%s %s (not tested)", v->label, value);
		return;
	}
	report_p_text(c->kld_stats.p_holm[k], p, sizeof p);
	fprintf(out, "%s %s (p_Holm %s, %s)", v->label, value, p,
		v->significant ? "significant" : "not significant");
}

static const char *count_word(int n)
{
	static const char *const words[] = {"", "", "both", "all three", "all four", "all five",
					    "all six", "all seven", "all eight", "all nine"};
	return n < 10 ? words[n] : "all of them";
}

/* "A", "A and B", "A, B and C" of the rivals whose flag is set. */
static void list_rivals(const struct rival *v, int n, const bool *pick, FILE *out)
{
	int total = 0, done = 0;
	for (int i = 0; i < n; i++)
		total += pick[i];
	for (int i = 0; i < n; i++)
		if (pick[i]) {
			done++;
			fprintf(out, "%s%s", done == 1 ? "" : done == total ? " and " : ", ",
				v[i].group ? "random" : v[i].label);
		}
}

/* Where each rival stands against Ours: behind it, level with it, or ahead of it. */
enum standing { BEHIND, LEVEL, AHEAD, STANDINGS };

static enum standing standing_of(enum kld_measure k, double ours, double value)
{
	if (value == ours)
		return LEVEL;
	return (value > ours) == lower_is_better(k) ? BEHIND : AHEAD;
}

/* The verdict from the numbers: whom Ours is better than, level with or behind, and
 * which differences are significant. */
static void verdict(enum kld_measure k, double ours, const struct rival *v, int n, FILE *out)
{
	/* per standing, and last for significance, one flag per rival */
	bool *flags = calloc((size_t)n * (STANDINGS + 1) + 1, sizeof *flags);
	if (!flags)
		return;
	bool *in[STANDINGS] = {flags, flags + n, flags + 2 * n}, *sig = flags + STANDINGS * n;
	int count[STANDINGS] = {0}, n_sig = 0;
	const char *better = lower_is_better(k) ? "lower" : "higher";
	for (int i = 0; i < n; i++) {
		enum standing s = standing_of(k, ours, v[i].value);
		in[s][i] = true;
		count[s]++;
		sig[i] = v[i].significant;
		n_sig += sig[i];
	}
	if (count[AHEAD]) {
		fprintf(out, "Ours is not the %s: ", lower_is_better(k) ? "lowest" : "highest");
		list_rivals(v, n, in[AHEAD], out);
		fprintf(out, " %s %s", count[AHEAD] == 1 ? "is" : "are", better);
		if (count[BEHIND]) {
			fprintf(out, "; Ours is %s than ", better);
			list_rivals(v, n, in[BEHIND], out);
		}
	} else if (count[BEHIND] == n) {
		fprintf(out, "Ours is %s than ", better);
		if (n == 1)
			list_rivals(v, n, in[BEHIND], out);
		else
			fputs(count_word(n), out);
	} else if (count[BEHIND]) {
		fprintf(out, "Ours is %s than ", better);
		list_rivals(v, n, in[BEHIND], out);
	}
	if (count[LEVEL]) {
		fprintf(out, count[LEVEL] == n ? "Ours is level with " : "; Ours is level with ");
		list_rivals(v, n, in[LEVEL], out);
	}
	if (n_sig == n)
		fprintf(out, n == 1 ? "; the difference is significant" : "; every difference is significant");
	else if (n_sig == 0)
		fprintf(out, "; no difference is significant");
	else {
		fprintf(out, "; the difference is significant against ");
		list_rivals(v, n, sig, out);
		fprintf(out, " only");
	}
	for (int i = 0; i < n; i++)
		if (v[i].group && !sig[i]) /* its seeds may be, some of them: say what counts */
			fprintf(out, " (random counts as significant only when every seed is)");
	free(flags);
}

static void sentence(const struct report *r, int m, int ours, enum kld_measure k, FILE *out)
{
	struct rival *rivals = malloc(sizeof *rivals * ((size_t)r->e->n_rows + 1));
	char own[96];
	int n = rivals ? collect_rivals(r, m, ours, k, rivals) : 0;
	const struct report_cell *c = &r->cells[ours][m];
	if (!n || !c->kld.have) {
		free(rivals);
		return;
	}
	value_with_interval(c, k, own, sizeof own);
	fprintf(out, "At %g bits on %s", r->e->rows[ours].avg_bits, r->e->models[m].name);
	if (k == KLD_MEAN) /* the first sentence of the budget says what it rests on */
		fprintf(out, ", over %ld tokens in %d documents", c->kld.n_tokens, c->kld.n_docs);
	fprintf(out, ", %s has %s %s against ", r->e->rows[ours].label, measure_name[k], own);
	for (int i = 0; i < n; i++) {
		fputs(i == 0 ? "" : i == n - 1 ? " and " : ", ", out);
		rival_text(r, m, k, &rivals[i], out);
	}
	fputs(": ", out);
	verdict(k, report_kld_value(&c->kld, k), rivals, n, out);
	fputs(".\n", out);
	free(rivals);
}

static void md_who_wins(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	bool header = false;
	for (int m = 0; m < e->n_models; m++)
		for (int ours = 0; ours < e->n_rows; ours++) {
			if (strcmp(e->rows[ours].strategy, "sensitivity") != 0 ||
			    !r->cells[ours][m].kld.have)
				continue;
			if (!header)
				fprintf(out, "\n### Does Ours win?\n\nEach sentence is written from the "
					     "numbers of the table: Ours against every row at its "
					     "budget, on the same documents (p_Holm: adjusted over the "
					     "model's comparisons of the measure; significant below "
					     "0.05).\n");
			header = true;
			fputc('\n', out);
			for (int k = 0; k < KLD_MEASURE_COUNT; k++)
				sentence(r, m, ours, k, out);
		}
}

void report_kld_markdown(const struct report *r, FILE *out)
{
	md_lead_line(r, out);
	md_kld_header(r, out);
	for (int m = 0; m < r->e->n_models; m++)
		for (int row = 0; row < r->e->n_rows; row++)
			md_kld_row(r, m, row, out);
	md_kld_notes(r, out);
	md_unreachable(r, out);
	md_who_wins(r, out);
}

// ---- CSV ----

void report_kld_csv_header(FILE *out)
{
	fprintf(out, ",kld_mean,kld_ci_lo,kld_ci_hi,top1,top1_ci_lo,top1_ci_hi,log_ppl_ratio,"
		     "log_ppl_ratio_ci_lo,log_ppl_ratio_ci_hi,ppl_ratio,kld_tokens,kld_docs,kld_vs_ours");
	for (int k = 0; k < KLD_MEASURE_COUNT; k++)
		fprintf(out, ",%s_diff_vs_ours,%s_diff_ci_lo,%s_diff_ci_hi,%s_p,%s_p_holm",
			csv_prefix[k], csv_prefix[k], csv_prefix[k], csv_prefix[k], csv_prefix[k]);
	fprintf(out, ",kld_note");
}

static void csv_empty(int n, FILE *out)
{
	for (int i = 0; i < n; i++)
		fputc(',', out);
}

static void csv_values(const struct report_cell *c, FILE *out)
{
	for (int k = 0; k < KLD_MEASURE_COUNT; k++) {
		fprintf(out, ",%.6g", report_kld_value(&c->kld, k));
		if (c->kld_stats.have_interval)
			fprintf(out, ",%.6g,%.6g", c->kld_stats.interval[k].lo,
				c->kld_stats.interval[k].hi);
		else
			csv_empty(2, out);
	}
	fprintf(out, ",%.6g,%ld,%d", c->kld.ppl_ratio, c->kld.n_tokens, c->kld.n_docs);
}

static void csv_tests(const struct report *r, const struct report_cell *c, FILE *out)
{
	if (!c->kld_stats.tested) {
		csv_empty(1 + 5 * KLD_MEASURE_COUNT, out);
		return;
	}
	fprintf(out, ",\"%s\"", r->e->rows[c->kld_stats.ours].label);
	for (int k = 0; k < KLD_MEASURE_COUNT; k++) {
		const struct bootstrap *b = &c->kld_stats.vs_ours[k];
		fprintf(out, ",%.6g,%.6g,%.6g,%.6g,%.6g", b->diff, b->lo, b->hi, b->p,
			c->kld_stats.p_holm[k]);
	}
}

void report_kld_csv_cell(const struct report *r, int row, int model, FILE *out)
{
	const struct report_cell *c = &r->cells[row][model];
	if (!c->kld.have) {
		csv_empty(13 + 5 * KLD_MEASURE_COUNT, out);
		fprintf(out, ",%s", c->unreachable ? "unreachable: budget outside the model's range"
			 : is_bf16(r, row) ? "reference" : "");
		return;
	}
	csv_values(c, out);
	csv_tests(r, c, out);
	fputc(',', out);
}

// ---- LaTeX ----

static void tex_cell(const char *text, bool dagger, FILE *out)
{
	fputs(" & ", out);
	tex_escape(strcmp(text, "-") == 0 || strcmp(text, "unreachable") == 0 ? "---" : text,
			  out);
	if (dagger)
		fputs("$^\\dagger$", out);
}

static void tex_row(const struct report *r, int m, int row, FILE *out)
{
	char label[96], acc[160], text[160];
	bool acc_dagger, dagger;
	if (!row_label(r, row, label, sizeof label))
		return;
	acc_text(r, row, m, acc, sizeof acc, &acc_dagger);
	tex_escape(r->e->models[m].name, out);
	fputs(" & ", out);
	tex_escape(label, out);
	if (!kld_leads(r))
		tex_cell(acc, acc_dagger, out);
	for (int k = 0; k < KLD_MEASURE_COUNT; k++) {
		kld_cell_text(r, row, m, k, text, sizeof text, &dagger);
		char *bracket = strstr(text, " ["); /* the main columns: values without intervals */
		if (bracket && !report_seed_group_of(r, row))
			*bracket = '\0';
		tex_cell(text, dagger, out);
	}
	if (kld_leads(r))
		tex_cell(acc, acc_dagger, out);
	fprintf(out, " \\\\\n");
}

void report_kld_latex(const struct report *r, FILE *out)
{
	const struct experiment *e = r->e;
	fprintf(out, "%% %s\n%% %s\n\\begin{tabular}{llcccc}\n\\toprule\nModel & Row", e->title,
		e->set_note);
	if (!kld_leads(r))
		fputs(" & Mean acc", out);
	fputs(" & Mean KLD & Top-1 agreement & PPL ratio", out);
	if (kld_leads(r))
		fputs(" & Mean acc", out);
	fprintf(out, " \\\\\n\\midrule\n");
	for (int m = 0; m < e->n_models; m++)
		for (int row = 0; row < e->n_rows; row++)
			tex_row(r, m, row, out);
	fprintf(out, "\\bottomrule\n\\multicolumn{6}{l}{\\footnotesize $^\\dagger$ not "
		     "significantly different from Ours (paired bootstrap, %d resamples; KLD "
		     "measures: Holm-adjusted)} \\\\\n\\end{tabular}\n", BOOTSTRAP_RESAMPLES);
}
