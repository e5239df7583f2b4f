/*
 * model_ops.c: the layer kernels declared in model_ops.h, forward then backward for each.
 *
 * Matrix products go through cblas_sgemm; element-wise loops are split over OpenMP
 * threads when large enough to pay for it. Reductions that decide accuracy (RMSNorm's
 * mean square, log-sum-exp) accumulate in double.
 * Must never allocate: every buffer comes from the caller's workspace.
 */
#include "engine/model/model_ops.h"

#include <cblas.h>
#include <math.h>

/* Below this many elements an element-wise loop stays on one thread. */
#define PAR_MIN 16384

// ---- RMSNorm ----

void rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, size_t N,
		     int C, float eps)
{
#pragma omp parallel for if (N * (size_t)C > PAR_MIN)
	for (size_t i = 0; i < N; i++) {
		const float *xi = x + i * C;
		float *oi = out + i * C;
		double ss = 0;
		for (int c = 0; c < C; c++)
			ss += (double)xi[c] * xi[c];
		float r = (float)(1.0 / sqrt(ss / C + eps));
		rstd[i] = r;
		for (int c = 0; c < C; c++)
			oi[c] = (xi[c] * r) * w[c];
	}
}

void rmsnorm_backward(float *dx, const float *dout, const float *x, const float *w,
		      const float *rstd, size_t N, int C)
{
#pragma omp parallel for if (N * (size_t)C > PAR_MIN)
	for (size_t i = 0; i < N; i++) {
		const float *xi = x + i * C, *gi = dout + i * C;
		float *dxi = dx + i * C;
		double dot = 0;
		for (int c = 0; c < C; c++)
			dot += (double)gi[c] * w[c] * xi[c];
		float r = rstd[i];
		float k = (float)(dot * r * r * r / C);
		for (int c = 0; c < C; c++)
			dxi[c] += r * w[c] * gi[c] - k * xi[c];
	}
}

// ---- RoPE ----

void rope_tables(float *cos_t, float *sin_t, const int *pos, const double *inv_freq, size_t N,
		 int hd)
{
	int h2 = hd / 2;
	for (size_t i = 0; i < N; i++)
		for (int j = 0; j < h2; j++) {
			double a = pos[i] * inv_freq[j];
			cos_t[i * h2 + j] = (float)cos(a);
			sin_t[i * h2 + j] = (float)sin(a);
		}
}

void rope_forward(float *x, const float *cos_t, const float *sin_t, size_t N, int H, int hd)
{
	int h2 = hd / 2;
#pragma omp parallel for if (N * (size_t)H * hd > PAR_MIN)
	for (size_t i = 0; i < N; i++)
		for (int h = 0; h < H; h++) {
			float *xh = x + (i * H + h) * hd;
			const float *c = cos_t + i * h2, *s = sin_t + i * h2;
			for (int j = 0; j < h2; j++) {
				float x0 = xh[j], x1 = xh[j + h2];
				xh[j] = x0 * c[j] - x1 * s[j];
				xh[j + h2] = x1 * c[j] + x0 * s[j];
			}
		}
}

void rope_backward(float *dx, const float *cos_t, const float *sin_t, size_t N, int H, int hd)
{
	int h2 = hd / 2;
#pragma omp parallel for if (N * (size_t)H * hd > PAR_MIN)
	for (size_t i = 0; i < N; i++)
		for (int h = 0; h < H; h++) {
			float *g = dx + (i * H + h) * hd;
			const float *c = cos_t + i * h2, *s = sin_t + i * h2;
			for (int j = 0; j < h2; j++) {
				float g0 = g[j], g1 = g[j + h2];
				g[j] = g0 * c[j] + g1 * s[j];
				g[j + h2] = g1 * c[j] - g0 * s[j];
			}
		}
}

// ---- causal attention, one head ----

/* row (n) = softmax of its first `valid` entries, zero after. */
static void softmax_causal_row(float *row, int valid, int n)
{
	float mx = row[0];
	for (int j = 1; j < valid; j++)
		mx = row[j] > mx ? row[j] : mx;
	float sum = 0;
	for (int j = 0; j < valid; j++) {
		row[j] = expf(row[j] - mx);
		sum += row[j];
	}
	float inv = 1.0f / sum;
	for (int j = 0; j < valid; j++)
		row[j] *= inv;
	for (int j = valid; j < n; j++)
		row[j] = 0;
}

void attention_forward(float *out, float *P, int ldp, const float *q, const float *k,
		       const float *v, int i0, int i1, int pos0, int hd, int ldq, int ldkv,
		       int ldo)
{
	int nq = i1 - i0, nk = pos0 + i1;
	float scale = 1.0f / sqrtf((float)hd);
	// S (nq, nk) = scale * q[i0:i1] k^T
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, nk, hd, scale,
		    q + (size_t)i0 * ldq, ldq, k, ldkv, 0.0f, P, ldp);
	for (int r = 0; r < nq; r++)
		softmax_causal_row(P + (size_t)r * ldp, pos0 + i0 + r + 1, nk);
	// out[i0:i1] (nq, hd) = P v
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nq, hd, nk, 1.0f, P, ldp, v, ldkv,
		    0.0f, out + (size_t)i0 * ldo, ldo);
}

void attention_backward(float *dq, float *dk, float *dv, float *dP, const float *dout,
			const float *P, const float *q, const float *k, const float *v, int T,
			int hd, int ldq, int ldkv, int ldo)
{
	float scale = 1.0f / sqrtf((float)hd);
	// dP (T, T) = dout v^T;  dv += P^T dout
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, 1.0f, dout, ldo, v, ldkv,
		    0.0f, dP, T);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, 1.0f, P, T, dout, ldo,
		    1.0f, dv, ldkv);
	// dS = P * (dP - rowsum(P * dP)), in place of dP (masked entries have P = 0)
	for (int i = 0; i < T; i++) {
		const float *p = P + (size_t)i * T;
		float *g = dP + (size_t)i * T;
		double dot = 0;
		for (int j = 0; j <= i; j++)
			dot += (double)p[j] * g[j];
		for (int j = 0; j < T; j++)
			g[j] = p[j] * (g[j] - (float)dot);
	}
	// dq += scale dS k;  dk += scale dS^T q
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, scale, dP, T, k, ldkv,
		    1.0f, dq, ldq);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, scale, dP, T, q, ldq,
		    1.0f, dk, ldkv);
}

// ---- SwiGLU ----

void swiglu_forward(float *h, const float *gate, const float *up, size_t n)
{
#pragma omp parallel for if (n > PAR_MIN)
	for (size_t i = 0; i < n; i++)
		h[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

void swiglu_backward(float *dgate, float *dup, const float *dh, const float *gate,
		     const float *up, size_t n)
{
#pragma omp parallel for if (n > PAR_MIN)
	for (size_t i = 0; i < n; i++) {
		float g = gate[i], s = 1.0f / (1.0f + expf(-g));
		dgate[i] += dh[i] * up[i] * s * (1.0f + g * (1.0f - s));
		dup[i] += dh[i] * g * s;
	}
}

// ---- Linear ----

void linear_forward(float *y, const float *x, const float *w, const float *b, size_t N,
		    int in, int out, float beta)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, out, in, 1.0f, x, in, w, in,
		    beta, y, out);
	if (!b)
		return;
	for (size_t i = 0; i < N; i++)
		for (int o = 0; o < out; o++)
			y[i * out + o] += b[o];
}

void linear_backward(float *dx, float *dw, const float *dy, const float *x, const float *w,
		     size_t N, int in, int out)
{
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, in, out, 1.0f, dy,
			    out, w, in, 1.0f, dx, in);
	if (dw)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, (int)N, 1.0f, dy, out,
			    x, in, 1.0f, dw, in);
}

// ---- cross-entropy ----

/* log sum exp(row) with float exponentials summed in double; *mx_out = max(row). */
static double logsumexp(const float *row, int V, float *mx_out)
{
	float mx = row[0];
	for (int j = 1; j < V; j++)
		mx = row[j] > mx ? row[j] : mx;
	double sum = 0;
	for (int j = 0; j < V; j++)
		sum += expf(row[j] - mx);
	*mx_out = mx;
	return mx + log(sum);
}

double crossentropy_forward(const float *logits, const int *targets, size_t N, int V)
{
	double total = 0;
#pragma omp parallel for reduction(+ : total) if (N * (size_t)V > PAR_MIN)
	for (size_t i = 0; i < N; i++) {
		float mx;
		total += logsumexp(logits + i * V, V, &mx) - logits[i * V + targets[i]];
	}
	return total;
}

double crossentropy_backward(float *logits, const int *targets, size_t N, int V, float scale)
{
	double total = 0;
#pragma omp parallel for reduction(+ : total) if (N * (size_t)V > PAR_MIN)
	for (size_t i = 0; i < N; i++) {
		float *row = logits + i * V, mx = row[0], target = row[targets[i]];
		for (int j = 1; j < V; j++)
			mx = row[j] > mx ? row[j] : mx;
		double sum = 0;
		for (int j = 0; j < V; j++)
			sum += (row[j] = expf(row[j] - mx));
		total += mx + log(sum) - target;
		float k = (float)(scale / sum);
		for (int j = 0; j < V; j++)
			row[j] *= k;
		row[targets[i]] -= scale;
	}
	return total;
}

double token_logprob(const float *logits, int V, int target, bool *is_argmax)
{
	float mx;
	double lse = logsumexp(logits, V, &mx);
	int arg = 0;
	while (arg < V - 1 && logits[arg] != mx)
		arg++;
	if (is_argmax)
		*is_argmax = arg == target;
	return logits[target] - lse;
}
