/*
 * allocate.c: setting up an allocation problem (fixed and pinned layers, items, exact
 * prices, a feasible budget, scores), evaluating choices, and turning them into recipes.
 * The pins and groups are in core/constraints.c, the manifest in core/manifest.c; the
 * strategies and alloc_recipe live a floor up in baselines/, and nothing here may call
 * them. Never prints, never exits.
 */
#include "core/allocate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/constraints.h"
#include "core/strbuf.h"

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

/* A layer is kept in BF16 when some option cannot take its shape (format_fits_layer). */
static bool layer_is_fixed(const struct alloc_problem *p, const struct layer *l)
{
	for (int k = 0; k < p->n_options; k++)
		if (!format_fits_layer(&p->options[k], l->out, l->in))
			return true;
	return false;
}

static int find_fixed_layers(struct alloc_problem *p)
{
	const struct inventory *inv = p->inv;
	size_t n = (size_t)inv->n + 1;
	p->fixed = calloc(n, sizeof *p->fixed);
	p->fixed_format = calloc(n, sizeof *p->fixed_format);
	p->pin = malloc(n * sizeof *p->pin);
	p->item_of = malloc(n * sizeof *p->item_of);
	if (!p->fixed || !p->fixed_format || !p->pin || !p->item_of)
		return BB_ENOMEM;
	for (int i = 0; i < inv->n; i++) {
		p->fixed[i] = layer_is_fixed(p, &inv->layers[i]);
		p->fixed_format[i] = format_bf16();
		p->pin[i] = -1;
	}
	return 0;
}

/* The pins and groups (core/constraints.c) fix more layers and form the items. */
static int apply_constraints(struct alloc_problem *p, const struct alloc_request *req,
			     struct bb_error *err)
{
	struct alloc_layout layout = {.fixed = p->fixed, .fixed_format = p->fixed_format,
				      .pin = p->pin, .item_of = p->item_of};
	int rc = constraints_apply(&layout, p->inv, req->pins, req->n_pins, req->groups,
				   req->n_groups, err);
	p->n_items = layout.n_items;
	p->item_start = layout.item_start;   /* alloc_problem_free frees them, even now */
	p->item_layers = layout.item_layers;
	return rc;
}

/* Every (layer, option) and (item, option) in exact bits; the fixed and pinned totals. */
static int price_layers(struct alloc_problem *p)
{
	const struct inventory *inv = p->inv;
	int K = p->n_options;
	p->cost = calloc((size_t)inv->n * K + 1, sizeof *p->cost);
	p->item_cost = calloc((size_t)p->n_items * K + 1, sizeof *p->item_cost);
	if (!p->cost || !p->item_cost)
		return BB_ENOMEM;
	for (int i = 0; i < inv->n; i++) {
		const struct layer *l = &inv->layers[i];
		for (int k = 0; k < K; k++)
			p->cost[(size_t)i * K + k] = format_layer_bits(
				p->fixed[i] ? &p->fixed_format[i] : &p->options[k], l->out, l->in,
				p->accounting);
		if (p->fixed[i])
			p->fixed_bits += p->cost[(size_t)i * K];
		if (p->pin[i] >= 0)
			p->pinned_bits += p->cost[(size_t)i * K];
		else if (!p->fixed[i])
			for (int k = 0; k < K; k++)
				p->item_cost[(size_t)p->item_of[i] * K + k] += p->cost[(size_t)i * K + k];
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

static int sum_item_losses(struct alloc_problem *p)
{
	int K = p->n_options;
	p->item_loss = calloc((size_t)p->n_items * K + 1, sizeof *p->item_loss);
	if (!p->item_loss)
		return BB_ENOMEM;
	for (int i = 0; i < p->inv->n; i++)
		for (int k = 0; p->item_of[i] >= 0 && k < K; k++)
			p->item_loss[(size_t)p->item_of[i] * K + k] += p->loss[(size_t)i * K + k];
	return 0;
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

/* The pins' share of an infeasible target, said plainly. */
static int infeasible(const struct alloc_problem *p, double target, double lo, double hi,
		      struct bb_error *err)
{
	double pinned = (double)p->pinned_bits / (double)p->inv->total_params;
	if (p->pinned_bits && pinned > target)
		return bb_fail(err, BB_EINVAL,
			       "the pins alone exceed the budget: pinned layers take %.4f average "
			       "bits of the budget set, the target is %g", pinned, target);
	return bb_fail(err, BB_EINVAL,
		       "average of %g bits is infeasible: these options%s reach %.4f to %.4f",
		       target, p->pinned_bits ? " and pins" : "", lo, hi);
}

static int set_budget(struct alloc_problem *p, double target, bool lowest,
		      struct bb_error *err)
{
	int64_t N = p->inv->total_params;
	double lo = (double)p->min_bits / (double)N, hi = (double)p->max_bits / (double)N;
	if (lowest || fabs(target - lo) <= 1e-3) {
		p->target_avg_bits = lo;
		p->budget_bits = p->min_bits;
	} else if (fabs(target - hi) <= 1e-3) {
		p->target_avg_bits = hi;
		p->budget_bits = p->max_bits;
	} else if (target < lo || target > hi) {
		return infeasible(p, target, lo, hi, err);
	} else {
		p->target_avg_bits = target;
		p->budget_bits = budget_for(N, target);
	}
	return 0;
}

int alloc_problem_setup(struct alloc_problem *p, const struct alloc_request *req,
			struct bb_error *err)
{
	memset(p, 0, sizeof *p);
	p->inv = req->inv;
	p->accounting = req->accounting;
	p->model = req->model;
	p->req = req;
	int rc = req->inv->n > 0 ? 0
				 : bb_fail(err, BB_EINVAL, "the model has no layers to allocate");
	if (!rc && (req->accounting < 0 || req->accounting >= ACCOUNT_GGUF))
		rc = bb_fail(err, BB_EINVAL, "a budget is set in weights, scales or scales+zp");
	if (!rc)
		rc = sort_options(p, req->options, req->n_options, err);
	if (!rc && find_fixed_layers(p))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = apply_constraints(p, req, err);
	if (!rc && price_layers(p))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (!rc)
		rc = set_budget(p, req->target_avg_bits, req->lowest, err);
	if (!rc && req->scores)
		rc = attach_scores(p, req->scores, err);
	if (!rc && req->scores && sum_item_losses(p))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (rc)
		alloc_problem_free(p);
	return rc;
}

int alloc_problem_init(struct alloc_problem *p, const struct inventory *inv,
		       const struct format *options, int n_options, enum bit_accounting acc,
		       double target_avg_bits, const struct scores *scores, struct bb_error *err)
{
	struct alloc_request req = {.inv = inv, .options = options, .n_options = n_options,
				    .accounting = acc, .target_avg_bits = target_avg_bits,
				    .scores = scores};
	int rc = alloc_problem_setup(p, &req, err);
	p->req = NULL; /* req dies here; it had no pins or groups to remember */
	return rc;
}

void alloc_problem_free(struct alloc_problem *p)
{
	free(p->fixed);
	free(p->fixed_format);
	free(p->pin);
	free(p->cost);
	free(p->loss);
	free(p->item_of);
	free(p->item_start);
	free(p->item_layers);
	free(p->item_cost);
	free(p->item_loss);
	memset(p, 0, sizeof *p);
}

void alloc_set_item(const struct alloc_problem *p, int *choice, int item, int k)
{
	for (int t = p->item_start[item]; t < p->item_start[item + 1]; t++)
		choice[p->item_layers[t]] = k;
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

void alloc_avg_bits(const struct alloc_problem *p, const int *choice, double *out)
{
	const struct inventory *inv = p->inv;
	for (int a = 0; a < ACCOUNT_COUNT; a++) {
		int64_t total = 0;
		for (int i = 0; i < inv->n && total >= 0; i++) {
			const struct layer *l = &inv->layers[i];
			const struct format *f = p->fixed[i] ? &p->fixed_format[i]
							     : &p->options[choice[i]];
			int64_t bits = format_layer_bits(f, l->out, l->in, (enum bit_accounting)a);
			total = bits < 0 ? -1 : total + bits;
		}
		out[a] = total < 0 ? -1 : (double)total / (double)inv->total_params;
	}
}

/* The model and strategy names, at most as long as a recipe file holds (recipe_read
 * refuses longer ones). */
static int copy_names(struct recipe *r, const char *model, const char *strategy,
		      struct bb_error *err)
{
	if (!fmt_fits(r->model, sizeof r->model, "%s", model))
		return bb_fail(err, BB_EINVAL, "--model '%s' is longer than the %zu bytes a recipe "
			       "holds", model, sizeof r->model - 1);
	if (!fmt_fits(r->strategy, sizeof r->strategy, "%s", strategy))
		return bb_fail(err, BB_EINVAL, "--strategy '%s' is longer than the %zu bytes a "
			       "recipe holds", strategy, sizeof r->strategy - 1);
	return 0;
}

int alloc_to_recipe(const struct alloc_problem *p, const int *choice, const char *strategy,
		    struct recipe *r, struct bb_error *err)
{
	memset(r, 0, sizeof *r);
	const struct inventory *inv = p->inv;
	int rc = copy_names(r, p->model ? p->model : "", strategy, err);
	if (rc)
		return rc;
	r->layers = calloc((size_t)inv->n, sizeof *r->layers);
	if (!r->layers)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	r->n_options = p->n_options;
	memcpy(r->options, p->options, sizeof p->options);
	r->accounting = p->accounting;
	r->target_avg_bits = p->target_avg_bits;
	r->achieved_avg_bits = (double)alloc_total_bits(p, choice) / (double)inv->total_params;
	r->have_avg_bits = true;
	alloc_avg_bits(p, choice, r->avg_bits);
	for (int i = 0; i < inv->n; i++) {
		struct recipe_layer *l = &r->layers[i];
		_Static_assert(sizeof l->name == sizeof inv->layers[i].name, "names of one size");
		memcpy(l->name, inv->layers[i].name, sizeof l->name);
		l->pinned = p->pin[i] >= 0;
		l->fixed = p->fixed[i] && !l->pinned;
		l->weight = p->fixed[i] ? p->fixed_format[i] : p->options[choice[i]];
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

/* A fixed layer must keep its format: BF16 when kept for its shape, else its pin's. */
static int check_fixed_layer(const struct alloc_problem *p, int i, const struct recipe_layer *l,
			     struct bb_error *err)
{
	const struct format *want = &p->fixed_format[i];
	if (strcmp(l->weight.name, want->name) == 0)
		return 0;
	if (p->pin[i] >= 0)
		return bb_fail(err, BB_EINVAL, "layer '%s' is pinned to %s by '%s' (got %s)",
			       l->name, want->name, p->req ? p->req->pins[p->pin[i]].text : "a pin",
			       l->weight.name);
	return bb_fail(err, BB_EINVAL,
		       "layer '%s' (in_features %lld) cannot take %s; it must stay BF16", l->name,
		       (long long)p->inv->layers[i].in, l->weight.name);
}

/* The layers of one item must share their format. */
static int check_items(const struct alloc_problem *p, const int *choice, struct bb_error *err)
{
	for (int j = 0; j < p->n_items; j++) {
		int first = p->item_layers[p->item_start[j]];
		for (int t = p->item_start[j] + 1; t < p->item_start[j + 1]; t++) {
			int i = p->item_layers[t];
			if (choice[i] != choice[first])
				return bb_fail(err, BB_EINVAL,
					       "layers '%s' and '%s' are grouped but have %s and %s",
					       p->inv->layers[first].name, p->inv->layers[i].name,
					       p->options[choice[first]].name,
					       p->options[choice[i]].name);
		}
	}
	return 0;
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
		if (p->fixed[i] && check_fixed_layer(p, i, l, err))
			return BB_EINVAL;
		if (!p->fixed[i] && k < 0)
			return bb_fail(err, BB_EINVAL, "layer '%s' has format %s, not one of the options",
				       l->name, l->weight.name);
		choice[i] = p->fixed[i] ? 0 : k;
	}
	if (check_items(p, choice, err))
		return BB_EINVAL;
	int64_t bits = alloc_total_bits(p, choice);
	if (bits > p->budget_bits)
		return bb_fail(err, BB_EINVAL, "recipe averages %.6f bits, over the budget of %.6f",
			       (double)bits / (double)inv->total_params, p->target_avg_bits);
	return 0;
}
