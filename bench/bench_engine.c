/*
 * bench_engine.c: engine throughput on this machine, with every thread (OpenMP default):
 *   - the single-precision sgemm peak of the same BLAS in the same run (GFLOP/s);
 *   - prefill (every position's logits of one sequence) in tokens/s and as a fraction
 *     of the peak (re-measured beside each run, as the machine's speed drifts), counting
 *     2 * (Linear + lm_head parameters) * tokens + causal attention FLOPs;
 *   - forward + backward (the DeltaLoss step, no weight gradients) in tokens/s;
 * on the shared tinystories-656k model and on a synthetic ~110M-parameter Llama-shaped
 * bf16 checkpoint written to a temporary folder. Medians of several runs.
 * Run: build/bench/bench_engine [SHARED dir via $SHARED].
 * Never writes outside its temporary folder; never part of `make test`.
 */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "engine/model/model.h"
#include "engine/model/model_internal.h"
#include "tests/unit/model_fixture.h"

static double median(double *v, int n)
{
	bench_sort(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---- sgemm peak ----

/* GFLOP/s of one C = A B^T, n x n x n, on buffers a, b, c of n*n floats. */
static double sgemm_once(int n, const float *a, const float *b, float *c)
{
	double t0 = bench_now();
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1, a, n, b, n, 0, c, n);
	return 2.0 * n * n * (double)n / (bench_now() - t0) / 1e9;
}

struct peak {
	int n;
	float *a, *b, *c;
};

/* The sgemm size with the best median of 5 runs (the peak's yardstick for this run). */
static double peak_init(struct peak *p)
{
	double best = 0;
	for (int n = 1024; n <= 3072; n += 1024) {
		float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
		float *c = malloc((size_t)n * n * sizeof(float));
		double t[5];
		for (size_t i = 0; i < (size_t)n * n; i++)
			a[i] = b[i] = (float)(i % 7) * 0.25f;
		sgemm_once(n, a, b, c);
		for (int r = 0; r < 5; r++)
			t[r] = sgemm_once(n, a, b, c);
		double g = median(t, 5);
		printf("sgemm %4d^3: %.1f GFLOP/s (median of 5)\n", n, g);
		if (g <= best) {
			free(a), free(b), free(c);
			continue;
		}
		if (best > 0)
			free(p->a), free(p->b), free(p->c);
		*p = (struct peak){.n = n, .a = a, .b = b, .c = c};
		best = g;
	}
	return best;
}

/* The peak measured again right now: this machine's throughput drifts with its load, so
 * each prefill run is compared with an sgemm run beside it. */
static double peak_now(const struct peak *p)
{
	return sgemm_once(p->n, p->a, p->b, p->c);
}

// ---- model figures ----

/* FLOPs of every position's logits for T tokens: Linears, lm_head, causal attention. */
static double prefill_flops(const struct model *m, int T)
{
	double lin = 0;
	for (int k = 0; k < N_BLOCK_LINEARS; k++)
		lin += (double)m->blocks[0].lin[k].out * m->blocks[0].lin[k].in;
	lin = lin * m->L + (double)m->V * m->d;
	double att = 2.0 * 2.0 * m->hd * m->H * m->L * (double)T * (T + 1) / 2;
	return 2.0 * lin * T + att;
}

static void bench_model(const char *label, const struct model *m, int T, int nseq, int Tb,
			int runs, const struct peak *pk)
{
	int *ids = malloc(((size_t)nseq * Tb + (size_t)T) * sizeof(int));
	float *logits = malloc((size_t)T * m->V * sizeof(float));
	struct bb_error err = {0};
	double tp[9], frac[9], tb[9], loss;
	unsigned long long seed = 1;
	for (int i = 0; i < nseq * Tb || i < T; i++)
		ids[i] = (int)((synth_uniform(&seed) + 1) / 2 * (m->V - 1));
	model_logits(m, ids, T, logits, &err); /* warm-up: page in the weights */
	for (int r = 0; r < runs; r++) {
		double peak = peak_now(pk), t0 = bench_now();
		if (model_logits(m, ids, T, logits, &err))
			fprintf(stderr, "error: %s\n", err.msg);
		tp[r] = bench_now() - t0;
		frac[r] = prefill_flops(m, T) / tp[r] / 1e9 / peak;
	}
	model_train_step(m, ids, nseq, Tb, NULL, true, &loss, &err); /* warm-up */
	for (int r = 0; r < runs; r++) {
		double t0 = bench_now();
		if (model_train_step(m, ids, nseq, Tb, NULL, true, &loss, &err))
			fprintf(stderr, "error: %s\n", err.msg);
		tb[r] = bench_now() - t0;
	}
	double p = median(tp, runs), f = median(frac, runs), b = median(tb, runs);
	printf("%s\n  prefill 1 x %d: %.0f tokens/s, %.1f GFLOP/s, %.0f%% of the sgemm peak measured "
	       "beside it\n  forward+backward %d x %d: %.0f tokens/s (%.2f s per batch)\n",
	       label, T, T / p, prefill_flops(m, T) / p / 1e9, 100 * f, nseq, Tb, nseq * Tb / b, b);
	free(ids);
	free(logits);
}

static void bench_shared(const struct peak *pk)
{
	char dir[1024];
	struct model *m = NULL;
	struct bb_error err = {0};
	const char *shared = getenv("SHARED");
	snprintf(dir, sizeof dir, "%s/models/tinystories-656k", shared && *shared ? shared : "../shared");
	if (model_load(&m, dir, NULL, &err)) {
		fprintf(stderr, "error: %s\n", err.msg);
		return;
	}
	bench_model("tinystories-656k (656K params, fp32)", m, 512, 8, 256, 7, pk);
	model_free(m);
}

static void bench_synthetic(const struct peak *pk)
{
	const struct synth_spec spec = {
		.model_type = "llama", .hidden = 768, .intermediate = 2048, .layers = 12, .heads = 12,
		.kv_heads = 12, .vocab = 32000, .max_pos = 2048, .tie = true, .dtype = ST_BF16,
		.seed = 3};
	struct synth *s = malloc(sizeof *s);
	char dir[] = "/tmp/bb-bench-XXXXXX";
	struct model *m = NULL;
	struct bb_error err = {0};
	double t0 = bench_now();
	synth_build(s, &spec);
	int rc = mkdtemp(dir) ? synth_write(s, dir, NULL, NULL, &err) : -1;
	synth_free(s);
	free(s);
	if (!rc)
		rc = model_load(&m, dir, NULL, &err);
	synth_remove(dir);
	if (rc) {
		fprintf(stderr, "error: %s\n", err.msg);
		return;
	}
	printf("(synthetic checkpoint written and loaded in %.1f s)\n", bench_now() - t0);
	bench_model("synthetic Llama (hidden 768, 12 blocks, ffn 2048, vocab 32000, 110M params, "
		    "bf16)", m, 1024, 8, 256, 5, pk);
	model_free(m);
}

int main(void)
{
	struct peak pk;
	setvbuf(stdout, NULL, _IOLBF, 0); /* progress as it happens, also into a file */
	printf("threads: %d\n", omp_get_max_threads());
	printf("sgemm peak: %.1f GFLOP/s\n", peak_init(&pk));
	bench_shared(&pk);
	bench_synthetic(&pk);
	free(pk.a), free(pk.b), free(pk.c);
	return 0;
}
