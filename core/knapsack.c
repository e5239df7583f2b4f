/*
 * knapsack.c: an exact multiple-choice knapsack: pick one option per item, total cost
 * within capacity, minimum summed loss; among equal losses, the lower cost.
 *
 * This is AutoScheme's dynamic programme (spec 1.6.3): states are (cost, loss) pairs kept
 * on a Pareto frontier (cost ascending, loss strictly descending), each item extends
 * every state with every option. Plain, that frontier grows with the number of distinct
 * cost sums, which is too slow for 10,000-layer problems. So states are also pruned by a
 * Lagrangian bound: for any lambda >= 0, a state (c, L) after item i cannot finish below
 *     L + sum_{j > i} min_k (loss_jk + lambda cost_jk) - lambda (capacity - c),
 * and a state whose bound exceeds a known feasible solution's loss cannot be optimal.
 * Pruning only removes states that provably cannot win, so the answer stays exact (the
 * tests compare it with brute force). Never prints, never exits.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/knapsack.h"

// ---- the Lagrangian relaxation ----

/* Per item, the option minimising loss + lambda * cost (ties to the lower cost).
 * Returns the total cost of that choice. */
static int64_t relaxed_choice(int n, int K, const int64_t *cost, const double *loss,
			      double lambda, int *choice)
{
	int64_t total = 0;
	for (int i = 0; i < n; i++) {
		const int64_t *c = cost + (size_t)i * K;
		const double *l = loss + (size_t)i * K;
		int best = 0;
		for (int k = 1; k < K; k++) {
			double a = l[k] + lambda * (double)c[k], b = l[best] + lambda * (double)c[best];
			if (a < b || (a == b && c[k] < c[best]))
				best = k;
		}
		choice[i] = best;
		total += c[best];
	}
	return total;
}

/* Smallest lambda (to bisection precision) whose relaxed choice fits the capacity. */
static double find_lambda(int n, int K, const int64_t *cost, const double *loss,
			  int64_t capacity, int *choice)
{
	if (relaxed_choice(n, K, cost, loss, 0.0, choice) <= capacity)
		return 0.0;
	double hi = 1e-300;
	while (relaxed_choice(n, K, cost, loss, hi, choice) > capacity && hi < 1e300)
		hi *= 4;
	double lo = hi / 4;
	for (int it = 0; it < 100; it++) {
		double mid = 0.5 * (lo + hi);
		if (relaxed_choice(n, K, cost, loss, mid, choice) > capacity)
			lo = mid;
		else
			hi = mid;
	}
	relaxed_choice(n, K, cost, loss, hi, choice);
	return hi;
}

/* Spend leftover capacity on the best single-item improvements: a cheap way to tighten
 * the feasible solution whose loss is the pruning threshold. */
static void improve_greedily(int n, int K, const int64_t *cost, const double *loss,
			     int64_t capacity, int *choice, int64_t spent)
{
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < n; i++) {
			const int64_t *c = cost + (size_t)i * K;
			const double *l = loss + (size_t)i * K;
			for (int k = 0; k < K; k++)
				if (l[k] < l[choice[i]] && spent - c[choice[i]] + c[k] <= capacity) {
					spent += c[k] - c[choice[i]];
					choice[i] = k;
					changed = 1;
				}
		}
	}
}

// ---- the frontier dynamic programme ----

struct frontier {
	int n, cap;
	int64_t *cost;
	double *loss;
};

struct trace {  /* per item: for each kept state, where it came from */
	int32_t *parent;
	uint8_t *option;
};

static int frontier_reserve(struct frontier *f, int need)
{
	if (need <= f->cap)
		return 0;
	int cap = need * 2;
	int64_t *c = realloc(f->cost, sizeof *c * (size_t)cap);
	if (c)
		f->cost = c;
	double *l = realloc(f->loss, sizeof *l * (size_t)cap);
	if (l)
		f->loss = l;
	if (!c || !l)
		return BB_ENOMEM;
	f->cap = cap;
	return 0;
}

struct bound {
	double lambda, threshold; /* prune when bound > threshold */
	const double *suffix;     /* suffix[i] = sum_{j >= i} min_k (loss + lambda cost) */
	int64_t capacity;
};

/* Extend frontier `from` by item i into `to`, recording the trace. A K-way merge of the
 * K shifted copies of `from` keeps the candidates in cost order without sorting. */
static int extend(const struct frontier *from, struct frontier *to, struct trace *tr, int i,
		  int K, const int64_t *c, const double *l, const struct bound *b)
{
	int ptr[256] = {0}, n_out = 0;
	if (frontier_reserve(to, from->n * K + 1))
		return BB_ENOMEM;
	tr->parent = malloc(sizeof *tr->parent * ((size_t)from->n * K + 1));
	tr->option = malloc((size_t)from->n * K + 1);
	if (!tr->parent || !tr->option)
		return BB_ENOMEM;
	double rest = b->suffix[i + 1] - b->lambda * (double)b->capacity;
	for (;;) {
		int best = -1;
		int64_t best_cost = 0;
		double best_loss = 0;
		for (int k = 0; k < K; k++) {
			if (ptr[k] >= from->n)
				continue;
			int64_t cc = from->cost[ptr[k]] + c[k];
			double ll = from->loss[ptr[k]] + l[k];
			if (best < 0 || cc < best_cost || (cc == best_cost && ll < best_loss))
				best = k, best_cost = cc, best_loss = ll;
		}
		if (best < 0 || best_cost > b->capacity)
			break;
		int parent = ptr[best]++;
		if (n_out && best_loss >= to->loss[n_out - 1])
			continue; /* dominated: costs no less, loses no less */
		if (best_loss + b->lambda * (double)best_cost + rest > b->threshold)
			continue; /* cannot beat the known solution */
		to->cost[n_out] = best_cost;
		to->loss[n_out] = best_loss;
		tr->parent[n_out] = parent;
		tr->option[n_out] = (uint8_t)best;
		n_out++;
	}
	to->n = n_out;
	return 0;
}

static double *suffix_bounds(int n, int K, const int64_t *cost, const double *loss,
			     double lambda)
{
	double *s = malloc(sizeof *s * ((size_t)n + 1));
	if (!s)
		return NULL;
	s[n] = 0;
	for (int i = n - 1; i >= 0; i--) {
		double m = INFINITY;
		for (int k = 0; k < K; k++)
			m = fmin(m, loss[(size_t)i * K + k] + lambda * (double)cost[(size_t)i * K + k]);
		s[i] = s[i + 1] + m;
	}
	return s;
}

static int run_dp(int n, int K, const int64_t *cost, const double *loss, struct bound *b,
		  int *choice)
{
	struct frontier f[2] = {{0}};
	struct trace *tr = calloc((size_t)n + 1, sizeof *tr);
	int rc = tr && !frontier_reserve(&f[0], 1) ? 0 : BB_ENOMEM;
	f[0].n = 1;
	if (!rc)
		f[0].cost[0] = 0, f[0].loss[0] = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = extend(&f[i & 1], &f[(i + 1) & 1], &tr[i], i, K, cost + (size_t)i * K,
			    loss + (size_t)i * K, b);
	const struct frontier *last = &f[n & 1];
	if (!rc && last->n == 0)
		rc = BB_EINVAL; /* only if the threshold was wrong: callers keep a fallback */
	/* The frontier's last state has the lowest loss; trace it back. */
	for (int i = n - 1, s = rc ? 0 : last->n - 1; !rc && i >= 0; i--) {
		choice[i] = tr[i].option[s];
		s = tr[i].parent[s];
	}
	for (int i = 0; tr && i < n; i++) {
		free(tr[i].parent);
		free(tr[i].option);
	}
	free(tr);
	free(f[0].cost), free(f[0].loss), free(f[1].cost), free(f[1].loss);
	return rc;
}

// ---- item order ----

/* Items whose relaxed choice is clear-cut (a large gap to their second-best option in
 * loss + lambda cost) go first: states that deviate on them are pruned at once, so the
 * frontier only grows over the few items near the breakpoint, processed last. The order
 * does not change the optimum, only the work. */
struct keyed {
	double gap;
	int item;
};

static int by_gap_descending(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->gap != y->gap)
		return x->gap < y->gap ? 1 : -1;
	return x->item - y->item;
}

static int *order_items(int n, int K, const int64_t *cost, const double *loss, double lambda)
{
	struct keyed *k = malloc(sizeof *k * ((size_t)n + 1));
	int *order = malloc(sizeof *order * ((size_t)n + 1));
	if (!k || !order) {
		free(k);
		free(order);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		double best = INFINITY, second = INFINITY;
		for (int o = 0; o < K; o++) {
			double v = loss[(size_t)i * K + o] + lambda * (double)cost[(size_t)i * K + o];
			if (v < best)
				second = best, best = v;
			else if (v < second)
				second = v;
		}
		k[i] = (struct keyed){K > 1 ? second - best : INFINITY, i};
	}
	qsort(k, (size_t)n, sizeof *k, by_gap_descending);
	for (int i = 0; i < n; i++)
		order[i] = k[i].item;
	free(k);
	return order;
}

/* Solve the items in the given order; choice is in the caller's item order. */
static int solve_ordered(int n, int K, const int64_t *cost, const double *loss,
			 const int *order, struct bound *b, int *choice)
{
	int64_t *c = malloc(sizeof *c * ((size_t)n * K + 1));
	double *l = malloc(sizeof *l * ((size_t)n * K + 1));
	int *ch = malloc(sizeof *ch * ((size_t)n + 1));
	double *suffix = NULL;
	int rc = c && l && ch ? 0 : BB_ENOMEM;
	for (int i = 0; !rc && i < n; i++)
		for (int o = 0; o < K; o++) {
			c[(size_t)i * K + o] = cost[(size_t)order[i] * K + o];
			l[(size_t)i * K + o] = loss[(size_t)order[i] * K + o];
		}
	if (!rc && !(suffix = suffix_bounds(n, K, c, l, b->lambda)))
		rc = BB_ENOMEM;
	if (!rc) {
		b->suffix = suffix;
		rc = run_dp(n, K, c, l, b, ch);
	}
	for (int i = 0; !rc && i < n; i++)
		choice[order[i]] = ch[i];
	free(c);
	free(l);
	free(ch);
	free(suffix);
	return rc;
}

int mckp_solve(int n, int K, const int64_t *cost, const double *loss, int64_t capacity,
	       int *choice, struct bb_error *err)
{
	if (K < 1 || K > 255)
		return bb_fail(err, BB_EINVAL, "knapsack: %d options (1 to 255)", K);
	int64_t cheapest = 0;
	for (int i = 0; i < n; i++) {
		int64_t m = cost[(size_t)i * K];
		for (int k = 1; k < K; k++)
			if (cost[(size_t)i * K + k] < m)
				m = cost[(size_t)i * K + k];
		cheapest += m;
	}
	if (cheapest > capacity)
		return bb_fail(err, BB_EINVAL, "knapsack: even the cheapest choice exceeds the budget");
	int *feasible = malloc(sizeof *feasible * ((size_t)n + 1));
	if (!feasible)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	double lambda = find_lambda(n, K, cost, loss, capacity, feasible);
	int64_t spent = 0;
	double best = 0;
	for (int i = 0; i < n; i++)
		spent += cost[(size_t)i * K + feasible[i]];
	improve_greedily(n, K, cost, loss, capacity, feasible, spent);
	for (int i = 0; i < n; i++)
		best += loss[(size_t)i * K + feasible[i]];
	int *order = order_items(n, K, cost, loss, lambda);
	int rc = order ? 0 : BB_ENOMEM;
	if (!rc) {
		/* Slack for rounding in the sums, on the side of keeping states. */
		double scale = 0;
		for (size_t i = 0; i < (size_t)n * K; i++)
			scale += fabs(loss[i]) / K;
		double tol = 1e-9 * (fabs(best) + scale + lambda * (double)capacity + 1);
		struct bound b = {lambda, best + tol, NULL, capacity};
		rc = solve_ordered(n, K, cost, loss, order, &b, choice);
	}
	if (rc == BB_EINVAL) { /* unreachable in exact arithmetic; never return worse than known */
		memcpy(choice, feasible, sizeof *choice * (size_t)n);
		rc = 0;
	}
	free(order);
	free(feasible);
	return rc ? bb_fail(err, rc, "out of memory") : 0;
}
