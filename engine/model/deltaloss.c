/*
 * deltaloss.c: per-layer, per-option sensitivity scores for the bit allocator.
 *
 * DeltaLoss (AutoRound's auto_scheme/delta_loss.py, ../shared/docs/autoround-autoscheme.md
 * 1.5): the whole model is quantized with one option at a time, forward + backward of the
 * calibration cross-entropy, and each Linear accumulates the first-order estimate
 * |dL/dQ(x) * (x - Q(x))| (and |dL/dQ(W) * (W - Q(W))| when an option is weight-only).
 * Proxy: the data-free sum (W - Q(W))^2. Scores are summed in double.
 * Never leaves the model changed: on success and on failure alike, it is as it was found.
 */
#include "engine/model/deltaloss.h"
#include "engine/model/model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model/model_ops.h"

// ---- result ----

void score_result_free(struct score_result *res)
{
	free(res->layers);
	memset(res, 0, sizeof *res);
}

static bool fits_all(const struct score_config *cfg, int in)
{
	for (int k = 0; k < cfg->n_options; k++)
		if (cfg->options[k].kind != FMT_KEEP && !format_fits(&cfg->options[k], in))
			return false;
	return true;
}

static int result_init(const struct model *m, const struct score_config *cfg,
		       struct score_result *res, struct bb_error *err)
{
	memset(res, 0, sizeof *res);
	res->n_layers = m->L * N_BLOCK_LINEARS;
	res->layers = calloc((size_t)res->n_layers, sizeof *res->layers);
	if (!res->layers)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < res->n_layers; i++) {
		struct layer_score *ls = &res->layers[i];
		const struct linear *lin = &m->blocks[i / N_BLOCK_LINEARS].lin[i % N_BLOCK_LINEARS];
		ls->block = i / N_BLOCK_LINEARS;
		ls->kind = (enum layer_kind)(i % N_BLOCK_LINEARS);
		model_linear_name(m, ls->block, ls->kind, ls->name, sizeof ls->name);
		ls->out = lin->out;
		ls->in = lin->in;
		ls->fixed = !fits_all(cfg, lin->in);
	}
	return 0;
}

static struct linear *layer_linear(struct model *m, int i)
{
	return &m->blocks[i / N_BLOCK_LINEARS].lin[i % N_BLOCK_LINEARS];
}

// ---- proxy ----

static int proxy_scores(struct model *m, const struct score_config *cfg,
			struct score_result *res, struct bb_error *err)
{
	size_t biggest = 0;
	for (int i = 0; i < res->n_layers; i++)
		if ((size_t)(res->layers[i].out * res->layers[i].in) > biggest)
			biggest = (size_t)(res->layers[i].out * res->layers[i].in);
	float *q = malloc(biggest * sizeof(float));
	if (!q)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0; i < res->n_layers; i++) {
		const struct linear *lin = layer_linear(m, i);
		size_t n = (size_t)lin->out * lin->in;
		for (int k = 0; k < cfg->n_options && !res->layers[i].fixed; k++) {
			if (cfg->options[k].kind == FMT_KEEP)
				continue;
			quantize_weight(&cfg->options[k], lin->w, q, lin->out, lin->in, lin->dtype);
			double s = 0;
#pragma omp parallel for reduction(+ : s)
			for (size_t j = 0; j < n; j++)
				s += ((double)lin->w[j] - q[j]) * ((double)lin->w[j] - q[j]);
			res->layers[i].score[k] = s;
		}
	}
	free(q);
	return 0;
}

// ---- DeltaLoss ----

struct dl_state {
	struct model *m;
	struct score_result *res;
	int opt;                   /* option being scored */
	bool weight_term;          /* some option is weight-only */
	float **orig_w;            /* (layers) the loaded weights */
	struct format *orig_act;   /* (layers) the loaded activation formats */
	float *qbuf;               /* quantized copies of the non-fixed weights */
	float *dw;                 /* (biggest out x in) weight gradient scratch */
};

/* The grad hook: accumulate this Linear's terms for the current option. */
static void dl_hook(void *ctx, int block, enum layer_kind kind, const struct linear *lin,
		    const float *x, const float *xq, const float *dxq, const float *dy, size_t N)
{
	struct dl_state *st = ctx;
	int i = block * N_BLOCK_LINEARS + kind;
	if (st->res->layers[i].fixed)
		return;
	double s = 0;
	if (lin->act.kind == FMT_MX) {
		size_t n = N * lin->in;
#pragma omp parallel for reduction(+ : s)
		for (size_t j = 0; j < n; j++)
			s += fabs((double)dxq[j] * ((double)x[j] - xq[j]));
	}
	if (st->weight_term) {
		size_t n = (size_t)lin->out * lin->in;
		const float *w = st->orig_w[i];
		memset(st->dw, 0, n * sizeof(float));
		linear_backward(NULL, st->dw, dy, xq, NULL, N, lin->in, lin->out);
#pragma omp parallel for reduction(+ : s)
		for (size_t j = 0; j < n; j++)
			s += fabs((double)st->dw[j] * ((double)w[j] - lin->w[j]));
	}
	st->res->layers[i].score[st->opt] += s;
}

/* Give every non-fixed layer option f (weights quantized into qbuf), or put back the
 * loaded weights and formats when f is NULL. */
static void set_option(struct dl_state *st, const struct format *f)
{
	float *slot = st->qbuf;
	for (int i = 0; i < st->res->n_layers; i++) {
		struct linear *lin = layer_linear(st->m, i);
		if (st->res->layers[i].fixed)
			continue;
		if (!f) {
			lin->w = st->orig_w[i];
			lin->act = st->orig_act[i];
			continue;
		}
		quantize_weight(f, st->orig_w[i], slot, lin->out, lin->in, lin->dtype);
		lin->w = slot;
		lin->act = format_quantizes_activations(f) ? *f : format_bf16();
		slot += (size_t)lin->out * lin->in;
	}
}

static int dl_init(struct dl_state *st, struct model *m, const struct score_config *cfg,
		   struct score_result *res, struct bb_error *err)
{
	size_t total = 0, biggest = 0;
	memset(st, 0, sizeof *st);
	st->m = m;
	st->res = res;
	for (int k = 0; k < cfg->n_options; k++)
		st->weight_term |= cfg->options[k].kind == FMT_INT;
	st->orig_w = malloc((size_t)res->n_layers * sizeof *st->orig_w);
	st->orig_act = malloc((size_t)res->n_layers * sizeof *st->orig_act);
	for (int i = 0; st->orig_w && st->orig_act && i < res->n_layers; i++) {
		struct linear *lin = layer_linear(m, i);
		size_t n = (size_t)lin->out * lin->in;
		st->orig_w[i] = lin->w;
		st->orig_act[i] = lin->act;
		total += res->layers[i].fixed ? 0 : n;
		biggest = n > biggest ? n : biggest;
	}
	st->qbuf = malloc((total ? total : 1) * sizeof(float));
	st->dw = st->weight_term ? malloc(biggest * sizeof(float)) : NULL;
	if (!st->orig_w || !st->orig_act || !st->qbuf || (st->weight_term && !st->dw))
		return bb_fail(err, BB_ENOMEM, "out of memory for the quantized weights");
	return 0;
}

static void dl_free(struct dl_state *st)
{
	free(st->orig_w);
	free(st->orig_act);
	free(st->qbuf);
	free(st->dw);
}

/* One option over every calibration batch. */
static int dl_option(struct dl_state *st, const struct score_config *cfg, const int *tokens,
		     int nseq, int seqlen, struct bb_error *err)
{
	struct lin_hooks hooks = {.ctx = st, .grad = dl_hook};
	int B = cfg->batch, n_batches = (nseq + B - 1) / B, rc = 0;
	double loss_sum = 0;
	set_option(st, &cfg->options[st->opt]);
	for (int b = 0; !rc && b < n_batches; b++) {
		int nb = nseq - b * B < B ? nseq - b * B : B;
		double loss;
		if (cfg->cancel && *cfg->cancel) {
			rc = bb_fail(err, BB_EINVAL, "cancelled");
			break;
		}
		rc = model_train_step(st->m, tokens + (size_t)b * B * seqlen, nb, seqlen, &hooks,
				      true, &loss, err);
		loss_sum += rc ? 0 : loss;
		if (!rc && cfg->progress)
			cfg->progress(cfg->progress_ctx, st->opt, b, n_batches, loss);
	}
	set_option(st, NULL);
	st->res->loss[st->opt] = loss_sum / n_batches;
	return rc;
}

static int deltaloss_scores(struct model *m, const struct score_config *cfg,
			    const int *tokens, int nseq, int seqlen, struct score_result *res,
			    struct bb_error *err)
{
	struct dl_state st;
	int rc = dl_init(&st, m, cfg, res, err);
	for (int k = 0; !rc && k < cfg->n_options; k++) {
		if (cfg->options[k].kind == FMT_KEEP)
			continue;
		st.opt = k;
		rc = dl_option(&st, cfg, tokens, nseq, seqlen, err);
	}
	dl_free(&st);
	return rc;
}

// ---- entry point ----

static int check_config(const struct score_config *cfg, const int *tokens, int nseq,
			int seqlen, struct bb_error *err)
{
	if (cfg->n_options < 1 || cfg->n_options > RECIPE_MAX_OPTIONS)
		return bb_fail(err, BB_EINVAL, "scores: %d options (1 to %d allowed)",
			       cfg->n_options, RECIPE_MAX_OPTIONS);
	if (cfg->method == SCORE_PROXY)
		return 0;
	if (cfg->batch < 1)
		return bb_fail(err, BB_EINVAL, "scores: batch size %d", cfg->batch);
	if (!tokens || nseq < 1 || seqlen < 2)
		return bb_fail(err, BB_EINVAL, "scores: DeltaLoss needs calibration data "
			       "(got %d sequences of %d tokens)", nseq, seqlen);
	return 0;
}

int model_scores(struct model *m, const struct score_config *cfg, const int *tokens,
		 int nseq, int seqlen, struct score_result *res, struct bb_error *err)
{
	memset(res, 0, sizeof *res);
	int rc = check_config(cfg, tokens, nseq, seqlen, err);
	if (rc || (rc = result_init(m, cfg, res, err)))
		return rc;
	if (cfg->method == SCORE_PROXY)
		rc = proxy_scores(m, cfg, res, err);
	else
		rc = deltaloss_scores(m, cfg, tokens, nseq, seqlen, res, err);
	if (rc)
		score_result_free(res);
	return rc;
}

void score_result_add_json(cJSON *root, const struct score_result *res,
			   const struct format *options, int n_options)
{
	cJSON *fixed = cJSON_AddArrayToObject(root, "fixed");
	cJSON *map = cJSON_AddObjectToObject(root, "scores");
	for (int i = 0; i < res->n_layers; i++) {
		const struct layer_score *ls = &res->layers[i];
		if (ls->fixed) {
			cJSON_AddItemToArray(fixed, cJSON_CreateString(ls->name));
			continue;
		}
		cJSON *e = cJSON_AddObjectToObject(map, ls->name);
		for (int k = 0; k < n_options; k++)
			cJSON_AddNumberToObject(e, options[k].name, ls->score[k]);
	}
}
