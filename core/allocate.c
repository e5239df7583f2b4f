/*
 * allocate.c: pricing an allocation problem, checking feasibility, and turning choices
 * into recipes. The strategies themselves live in baselines/.
 */
#include "core/allocate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- set-up ----

static int sort_options(struct alloc_problem *p, const struct format *options, int n,
			struct bb_error *err)
{
	if (n < 1 || n > RECIPE_MAX_OPTIONS)
		return bb_fail(err, BB_EINVAL, "need between 1 and %d options", RECIPE_MAX_OPTIONS);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (strcmp(options[i].name, options[j].name) == 0)
				return bb_fail(err, BB_EINVAL, "option %s is given twice",
					       options[i].name);
		/* insertion sort by bits, stable */
		int at = p->n_options;
		while (at > 0 && p->options[at - 1].bits > options[i].bits) {
			p->options[at] = p->options[at - 1];
			at--;
		}
		p->options[at] = options[i];
		p->n_options++;
	}
	return 0;
}

/* A layer is fixed when some option cannot take its shape (format_fits_layer). */
static bool layer_is_fixed(const struct alloc_problem *p, const struct layer *l)
{
	for (int k = 0; k < p->n_options; k++)
		if (!format_fits_layer(&p->options[k], l->out, l->in))
			return true;
	return false;
}

static int price_layers(struct alloc_problem *p)
{
	const struct inventory *inv = p->inv;
	int K = p->n_options;
	p->fixed = calloc((size_t)inv->n + 1, sizeof *p->fixed);
	p->cost = calloc((size_t)inv->n * K + 1, sizeof *p->cost);
	if (!p->fixed || !p->cost)
		return BB_ENOMEM;
	struct format bf16 = format_bf16();
	for (int i = 0; i < inv->n; i++) {
		const struct layer *l = &inv->layers[i];
		p->fixed[i] = layer_is_fixed(p, l);
		for (int k = 0; k < K; k++)
			p->cost[(size_t)i * K + k] = format_layer_bits(
				p->fixed[i] ? &bf16 : &p->options[k], l->out, l->in, p->accounting);
		if (p->fixed[i])
			p->fixed_bits += p->cost[(size_t)i * K];
		p->min_bits += p->cost[(size_t)i * K];
		p->max_bits += p->cost[(size_t)i * K + K - 1];
	}
	return 0;
}

static int sort_by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copy scores into the problem's loss matrix, matching layers by name (sorted lookup, so
 * 10,000-layer problems set up in milliseconds). */
static int attach_scores(struct alloc_problem *p, const struct scores *s, struct bb_error *err)
{
	const struct inventory *inv = p->inv;
	int K = p->n_options;
	const char **sorted = malloc(sizeof *sorted * ((size_t)s->n_layers + 1));
	p->loss = calloc((size_t)inv->n * K + 1, sizeof *p->loss);
	if (!sorted || !p->loss) {
		free(sorted);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	for (int i = 0; i < s->n_layers; i++)
		sorted[i] = s->names[i];
	qsort(sorted, (size_t)s->n_layers, sizeof *sorted, sort_by_name);
	int rc = 0;
	for (int i = 0; i < inv->n && !rc; i++) {
		if (p->fixed[i])
			continue;
		const char *name = inv->layers[i].name;
		const char **hit = bsearch(&name, sorted, (size_t)s->n_layers, sizeof *sorted,
					   sort_by_name);
		if (!hit) {
			rc = bb_fail(err, BB_EINVAL, "scores have no entry for layer '%s'", name);
			break;
		}
		int row = (int)((const char(*)[128])*hit - s->names);
		for (int k = 0; k < K && !rc; k++) {
			int col = -1;
			for (int c = 0; c < s->n_options; c++)
				if (strcmp(s->options[c].name, p->options[k].name) == 0)
					col = c;
			if (col < 0 && p->options[k].kind != FMT_KEEP)
				rc = bb_fail(err, BB_EINVAL, "scores have no option %s",
					     p->options[k].name);
			else
				p->loss[(size_t)i * K + k] =
					col < 0 ? 0 : s->values[(size_t)row * s->n_options + col];
		}
	}
	free(sorted);
	return rc;
}

/* floor(N * target), but exact when N * target is an integer up to float noise. */
static int64_t budget_for(int64_t n_params, double target)
{
	long double x = (long double)n_params * (long double)target;
	long double r = roundl(x);
	if (fabsl(x - r) < 1e-6L)
		return (int64_t)r;
	return (int64_t)floorl(x);
}

static int set_budget(struct alloc_problem *p, double target, struct bb_error *err)
{
	int64_t N = p->inv->total_params;
	double lo = (double)p->min_bits / (double)N, hi = (double)p->max_bits / (double)N;
	if (fabs(target - lo) <= 1e-3) {
		p->target_avg_bits = lo;
		p->budget_bits = p->min_bits;
	} else if (fabs(target - hi) <= 1e-3) {
		p->target_avg_bits = hi;
		p->budget_bits = p->max_bits;
	} else if (target < lo || target > hi) {
		return bb_fail(err, BB_EINVAL,
			       "average of %g bits is infeasible: these options reach %.4f to %.4f",
			       target, lo, hi);
	} else {
		p->target_avg_bits = target;
		p->budget_bits = budget_for(N, target);
	}
	return 0;
}

int alloc_problem_init(struct alloc_problem *p, const struct inventory *inv,
		       const struct format *options, int n_options, enum bit_accounting acc,
		       double target_avg_bits, const struct scores *scores, struct bb_error *err)
{
	memset(p, 0, sizeof *p);
	p->inv = inv;
	p->accounting = acc;
	int rc = inv->n > 0 ? 0 : bb_fail(err, BB_EINVAL, "the model has no layers to allocate");
	if (!rc)
		rc = sort_options(p, options, n_options, err);
	if (!rc && price_layers(p))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = set_budget(p, target_avg_bits, err);
	if (!rc && scores)
		rc = attach_scores(p, scores, err);
	if (rc)
		alloc_problem_free(p);
	return rc;
}

void alloc_problem_free(struct alloc_problem *p)
{
	free(p->fixed);
	free(p->cost);
	free(p->loss);
	memset(p, 0, sizeof *p);
}

// ---- evaluating choices ----

int64_t alloc_total_bits(const struct alloc_problem *p, const int *choice)
{
	int64_t total = 0;
	for (int i = 0; i < p->inv->n; i++)
		total += p->cost[(size_t)i * p->n_options + (p->fixed[i] ? 0 : choice[i])];
	return total;
}

double alloc_total_loss(const struct alloc_problem *p, const int *choice)
{
	double total = 0;
	for (int i = 0; p->loss && i < p->inv->n; i++)
		if (!p->fixed[i])
			total += p->loss[(size_t)i * p->n_options + choice[i]];
	return total;
}

int alloc_to_recipe(const struct alloc_problem *p, const int *choice, const char *strategy,
		    struct recipe *r, struct bb_error *err)
{
	memset(r, 0, sizeof *r);
	const struct inventory *inv = p->inv;
	r->layers = calloc((size_t)inv->n, sizeof *r->layers);
	if (!r->layers)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	snprintf(r->model, sizeof r->model, "%s", p->model ? p->model : "");
	snprintf(r->strategy, sizeof r->strategy, "%s", strategy);
	r->n_options = p->n_options;
	memcpy(r->options, p->options, sizeof p->options);
	r->count_scale_bits = p->accounting == ACCOUNT_SCALES;
	r->target_avg_bits = p->target_avg_bits;
	r->achieved_avg_bits = (double)alloc_total_bits(p, choice) / (double)inv->total_params;
	for (int i = 0; i < inv->n; i++) {
		struct recipe_layer *l = &r->layers[i];
		snprintf(l->name, sizeof l->name, "%s", inv->layers[i].name);
		l->fixed = p->fixed[i];
		l->weight = l->fixed ? format_bf16() : p->options[choice[i]];
		l->act = format_quantizes_activations(&l->weight) ? l->weight : format_bf16();
	}
	r->n_layers = inv->n;
	return 0;
}

static int option_index(const struct alloc_problem *p, const struct format *f)
{
	for (int k = 0; k < p->n_options; k++)
		if (strcmp(p->options[k].name, f->name) == 0)
			return k;
	return -1;
}

int alloc_check_recipe(const struct alloc_problem *p, const struct recipe *r, int *choice,
		       struct bb_error *err)
{
	const struct inventory *inv = p->inv;
	for (int i = 0; i < r->n_layers; i++)
		if (inventory_find(inv, r->layers[i].name) < 0)
			return bb_fail(err, BB_EINVAL, "recipe names layer '%s', which the model lacks",
				       r->layers[i].name);
	for (int i = 0; i < inv->n; i++) {
		const struct recipe_layer *l = recipe_find(r, inv->layers[i].name);
		if (!l)
			return bb_fail(err, BB_EINVAL, "recipe has no entry for layer '%s'",
				       inv->layers[i].name);
		int k = option_index(p, &l->weight);
		if (p->fixed[i] && l->weight.kind != FMT_KEEP)
			return bb_fail(err, BB_EINVAL,
				       "layer '%s' (in_features %lld) cannot take %s; it must stay BF16",
				       l->name, (long long)inv->layers[i].in, l->weight.name);
		if (!p->fixed[i] && k < 0)
			return bb_fail(err, BB_EINVAL, "layer '%s' has format %s, not one of the options",
				       l->name, l->weight.name);
		choice[i] = p->fixed[i] ? 0 : k;
	}
	int64_t bits = alloc_total_bits(p, choice);
	if (bits > p->budget_bits)
		return bb_fail(err, BB_EINVAL, "recipe averages %.6f bits, over the budget of %.6f",
			       (double)bits / (double)inv->total_params, p->target_avg_bits);
	return 0;
}

// ---- the whole allocation ----

int alloc_recipe(const struct inventory *inv, const struct format *options, int n_options,
		 enum bit_accounting acc, double target_avg_bits, const struct scores *scores,
		 const char *strategy, const char *model, struct recipe *out,
		 struct bb_error *err)
{
	const char *arg;
	const struct strategy *st = strategy_find(strategy, &arg);
	memset(out, 0, sizeof *out);
	if (!st)
		return bb_fail(err, BB_EINVAL,
			       "unknown strategy '%s' (pure, head, tail, sensitivity, external:CMD)",
			       strategy);
	if (st->needs_scores && !scores)
		return bb_fail(err, BB_EINVAL, "strategy '%s' needs --scores FILE", strategy);
	struct alloc_problem p;
	int rc = alloc_problem_init(&p, inv, options, n_options, acc, target_avg_bits, scores, err);
	if (rc)
		return rc;
	p.arg = arg;
	p.model = model;
	int *choice = calloc((size_t)inv->n + 1, sizeof *choice);
	rc = choice ? st->allocate(&p, choice, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = alloc_to_recipe(&p, choice, strategy, out, err);
	free(choice);
	alloc_problem_free(&p);
	return rc;
}
