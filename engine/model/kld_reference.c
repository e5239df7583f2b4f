/*
 * kld_reference.c: the two passes of a KLD measurement over a text, and the file between
 * them. The reference pass runs the unquantized model over every rolling window and
 * writes each measured position's float32 logits, exactly as the model produced them, to
 * a file under a content key; the measuring pass runs a quantized model over the same
 * windows and compares each position with the file's row (kld.c).
 *
 * Logits, not log-probabilities: float32 log-probabilities would be the logits rounded a
 * second time, and a model measured against its own file would then show a small KLD
 * instead of exactly 0. The layout (docs/formats.md, "KLD reference") is a fixed header and
 * the rows; the file is read through mmap, so a pass holds one chunk of logits, never the
 * whole text's. Never prints, never exits.
 */
#include "engine/model/kld.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "core/fileio.h"
#include "core/version.h"
#include "engine/model/model_internal.h"

/* Rows of one forward pass (a longer window gets a pass of its own size), and the logits
 * formed at once: 16 MiB of them, as many rows as that holds (2048 of a 2048-token
 * vocabulary, 32 of a 128k one), so that a small vocabulary does not pay for starting
 * threads at every 64 rows and a large one stays bounded. */
#define PACK_ROWS 2048
#define LOGIT_FLOATS (4L << 20)
#define REF_MAGIC "BBKLDREF"
#define REF_SCHEMA 1

struct ref_header {
	char magic[8];           /* "BBKLDREF" */
	uint32_t schema;         /* REF_SCHEMA */
	uint32_t vocab;          /* V */
	uint64_t n_positions;    /* rows that follow, each V float32 */
	char key[64];            /* the content key, hex */
	char data_sha256[64];    /* SHA-256 of the rows, hex */
};
_Static_assert(sizeof(struct ref_header) == 152, "the header is 152 bytes, no padding");

struct kld_reference {
	void *map;               /* the whole file */
	size_t size;
	const float *rows;       /* (n, V) */
	long n;
	int V;
};

long kld_text_positions(const struct kld_text *t)
{
	long n = 0;
	for (int d = 0; d < t->n_docs; d++)
		n += t->n_ids[d];
	return n;
}

// ---- rolling windows ----

/* What a pass does with the logits of n consecutive positions, the first being position
 * pos of the text; next holds the tokens they predict. */
typedef int (*rows_fn)(void *ctx, long pos, const float *logits, const int *next, int n,
		       struct bb_error *err);

/* One window: input tokens fed, targets predicted by its last n_targets rows. */
struct window {
	const int *input;
	int n_input;
	const int *targets;
	int n_targets;
};

/* lm-eval's get_rolling_token_windows(ids, prefix, C, context_len = 1) after
 * make_disjoint_window, as model_loglik_rolling: the first window feeds first = [prefix] +
 * ids[:n1-1] and predicts ids[:n1]; each later one feeds the C tokens before its end and
 * predicts only the tokens not yet predicted. Returns the number of windows written. */
static int document_windows(const int *ids, int n, int C, const int *first, struct window *w)
{
	int n1 = n < C ? n : C, k = 0;
	w[k++] = (struct window){.input = first, .n_input = n1, .targets = ids, .n_targets = n1};
	for (int done = n1; done < n;) {
		int wp = n - done < C ? n - done : C, end = done + wp;
		w[k++] = (struct window){.input = ids + end - C - 1, .n_input = C,
					 .targets = ids + end - wp, .n_targets = wp};
		done = end;
	}
	return k;
}

struct pass {
	const struct model *m;
	struct workspace ws;
	float *logits;           /* (chunk, V) */
	int chunk;               /* rows of logits formed at once */
	int *ids, *start, *tgt;  /* (rows), (rows + 1), (rows): one pack's scratch */
	rows_fn fn;
	void *ctx;
	long done, total;
	kld_progress_fn progress;
	void *progress_ctx;
};

/* Run windows w (n of them, rows in all, at most ws.rows) packed back to back as one
 * batch, gather their target rows and hand their logits to the pass a chunk at a time. */
static int run_pack(struct pass *p, const struct window *w, int n, struct bb_error *err)
{
	const struct model *m = p->m;
	int rows = 0, n_tgt = 0;
	for (int i = 0; i < n; i++) {
		p->start[i] = rows;
		memcpy(p->ids + rows, w[i].input, (size_t)w[i].n_input * sizeof(int));
		rows += w[i].n_input;
	}
	p->start[n] = rows;
	struct batch b = {.n_rows = rows, .n_seq = n, .start = p->start, .pos0 = 0};
	model_run(m, &p->ws, p->ids, &b, NULL, NULL, NULL);
	for (int i = 0; i < n; i++) { /* xn2 is free after the blocks: the gathered rows */
		int first = p->start[i] + w[i].n_input - w[i].n_targets;
		memcpy(p->ws.a.xn2 + (size_t)n_tgt * m->d, p->ws.a.x + (size_t)first * m->d,
		       (size_t)w[i].n_targets * m->d * sizeof(float));
		memcpy(p->tgt + n_tgt, w[i].targets, (size_t)w[i].n_targets * sizeof(int));
		n_tgt += w[i].n_targets;
	}
	for (int c = 0; c < n_tgt; c += p->chunk) {
		int nc = n_tgt - c < p->chunk ? n_tgt - c : p->chunk;
		model_head(m, p->logits, p->ws.a.xn2 + (size_t)c * m->d, (size_t)nc, &p->ws);
		int rc = p->fn(p->ctx, p->done + c, p->logits, p->tgt + c, nc, err);
		if (rc)
			return rc;
	}
	p->done += n_tgt;
	if (p->progress)
		p->progress(p->progress_ctx, p->done, p->total);
	return 0;
}

static int check_text(const struct model *m, const struct kld_text *t, struct bb_error *err)
{
	if (t->n_docs < 1)
		return bb_fail(err, BB_EINVAL, "kld: the text has no documents");
	if (t->context < 1 || t->context > m->max_len)
		return bb_fail(err, BB_EINVAL, "kld: context %d is outside 1..%d (the model's length)",
			       t->context, m->max_len);
	int rc = model_check_ids(m, &t->prefix_id, 1, "kld prefix token", err);
	for (int d = 0; !rc && d < t->n_docs; d++) {
		if (t->n_ids[d] < 1)
			return bb_fail(err, BB_EINVAL, "kld: document %d has no tokens", d + 1);
		for (int i = 0; i < t->n_ids[d]; i++)
			if (t->ids[d][i] < 0 || t->ids[d][i] >= m->V)
				return bb_fail(err, BB_EINVAL, "kld: document %d: token id %d at index %d "
					       "is outside the vocabulary of %d", d + 1, t->ids[d][i],
					       i, m->V);
	}
	return rc;
}

/* Every window of every document, in order; firsts holds each document's first input. */
static int text_windows(const struct kld_text *t, int **firsts, struct window **w, int *n_w)
{
	long n_first = 0, n_windows = 0;
	for (int d = 0; d < t->n_docs; d++) {
		int n1 = t->n_ids[d] < t->context ? t->n_ids[d] : t->context;
		n_first += n1;
		n_windows += 1 + (t->n_ids[d] - n1 + t->context - 1) / t->context;
	}
	*firsts = malloc((size_t)n_first * sizeof **firsts);
	*w = malloc((size_t)n_windows * sizeof **w);
	if (!*firsts || !*w || n_windows > INT_MAX)
		return -1;
	int *f = *firsts, k = 0;
	for (int d = 0; d < t->n_docs; d++) {
		int n1 = t->n_ids[d] < t->context ? t->n_ids[d] : t->context;
		f[0] = t->prefix_id;
		memcpy(f + 1, t->ids[d], (size_t)(n1 - 1) * sizeof(int));
		k += document_windows(t->ids[d], t->n_ids[d], t->context, f, *w + k);
		f += n1;
	}
	*n_w = k;
	return 0;
}

/* Run m over every window of t, packed PACK_ROWS rows to a forward pass (one window of
 * the whole context when that is longer), handing each chunk of rows to fn. Packing
 * matters: the documents of a text are short, and one pass per window would spend more
 * time starting threads than computing. */
static int run_pass(const struct model *m, const struct kld_text *t, rows_fn fn, void *ctx,
		    kld_progress_fn progress, void *progress_ctx, struct bb_error *err)
{
	int rc = check_text(m, t, err), n_w = 0;
	if (rc)
		return rc;
	int cap = t->context > PACK_ROWS ? t->context : PACK_ROWS, *firsts = NULL;
	struct window *w = NULL;
	struct pass p = {.m = m, .fn = fn, .ctx = ctx, .total = kld_text_positions(t),
			 .progress = progress, .progress_ctx = progress_ctx};
	if ((rc = ws_init(&p.ws, m, (size_t)cap, t->context, t->context, false, err)))
		return rc;
	long chunk = LOGIT_FLOATS / m->V;
	p.chunk = chunk < 1 ? 1 : chunk > cap ? cap : (int)chunk;
	p.logits = malloc((size_t)p.chunk * m->V * sizeof(float));
	p.ids = malloc((size_t)(3 * cap + 1) * sizeof(int));
	p.start = p.ids + cap;
	p.tgt = p.start + cap + 1;
	if (!p.logits || !p.ids || text_windows(t, &firsts, &w, &n_w))
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	for (int i = 0, j; !rc && i < n_w; i = j) {
		int rows = 0;
		for (j = i; j < n_w && rows + w[j].n_input <= cap; j++)
			rows += w[j].n_input;
		rc = run_pack(&p, w + i, j - i, err);
	}
	free(firsts);
	free(w);
	free(p.logits);
	free(p.ids);
	ws_free(&p.ws);
	return rc;
}

// ---- the content key ----

void kld_reference_key(const char *model_id, const struct kld_text *t, char *hex)
{
	char tokens[SHA256_HEX_LEN];
	struct sha256 *h = sha256_new();
	int32_t head[2] = {t->prefix_id, t->n_docs};
	sha256_add(h, head, sizeof head);
	for (int d = 0; d < t->n_docs; d++) {
		int32_t n = t->n_ids[d];
		sha256_add(h, &n, sizeof n);
		sha256_add(h, t->ids[d], (size_t)n * sizeof(int));
	}
	sha256_finish(h, tokens);
	cJSON *k = cJSON_CreateObject();
	cJSON_AddStringToObject(k, "kind", "kld-reference");
	cJSON_AddStringToObject(k, "model", model_id);
	cJSON_AddStringToObject(k, "tokens", tokens);
	cJSON_AddNumberToObject(k, "context", t->context);
	cJSON_AddNumberToObject(k, "schema", REF_SCHEMA);
	cJSON_AddStringToObject(k, "bitbudget", BITBUDGET_VERSION);
	char *text = cJSON_PrintUnformatted(k);
	sha256_hex(text, strlen(text), hex);
	free(text);
	cJSON_Delete(k);
}

// ---- writing ----

struct writer {
	struct atomic_file af;
	struct sha256 *h;
	int V;
};

static int write_rows(void *ctx, long pos, const float *logits, const int *next, int n,
		      struct bb_error *err)
{
	struct writer *w = ctx;
	(void)next;
	size_t count = (size_t)n * w->V;
	for (size_t i = 0; i < count; i++)
		if (!isfinite(logits[i]))
			return bb_fail(err, BB_EFORMAT, "kld: the reference model's logit %zu at "
				       "position %ld is not finite: its weights or config make the "
				       "forward pass non-finite", i % w->V, pos + (long)(i / w->V));
	sha256_add(w->h, logits, count * sizeof(float));
	return atomic_write(&w->af, logits, count * sizeof(float), err);
}

int kld_reference_write(const struct model *ref, const struct kld_text *t, const char *key,
			const char *path, kld_progress_fn progress, void *progress_ctx,
			struct bb_error *err)
{
	struct ref_header hd = {.magic = REF_MAGIC, .schema = REF_SCHEMA, .vocab = (uint32_t)ref->V,
				.n_positions = (uint64_t)kld_text_positions(t)};
	memcpy(hd.key, key, sizeof hd.key);
	struct writer w = {.V = ref->V};
	int rc = atomic_open(&w.af, path, err);
	if (rc)
		return rc;
	w.h = sha256_new();
	rc = atomic_write(&w.af, &hd, sizeof hd, err); /* the checksum is filled in at the end */
	if (!rc)
		rc = run_pass(ref, t, write_rows, &w, progress, progress_ctx, err);
	char sum[SHA256_HEX_LEN];
	sha256_finish(w.h, sum);
	memcpy(hd.data_sha256, sum, sizeof hd.data_sha256);
	if (!rc)
		rc = atomic_pwrite(&w.af, &hd, sizeof hd, 0, err);
	if (!rc)
		return atomic_commit(&w.af, err);
	atomic_abort(&w.af);
	return rc;
}

// ---- reading ----

/* The header's fields against what the caller expects; the message names path. */
static int check_header(const struct ref_header *hd, size_t size, const char *path,
			const char *key, long n_positions, int V, struct bb_error *err)
{
	if (memcmp(hd->magic, REF_MAGIC, sizeof hd->magic) != 0)
		return bb_fail(err, BB_EFORMAT, "'%s': not a bitbudget KLD reference (no BBKLDREF "
			       "magic)", path);
	if (hd->schema != REF_SCHEMA)
		return bb_fail(err, BB_EFORMAT, "'%s': KLD reference schema %u, this bitbudget "
			       "reads %d", path, hd->schema, REF_SCHEMA);
	if (memcmp(hd->key, key, sizeof hd->key) != 0)
		return bb_fail(err, BB_EFORMAT, "'%s': holds the reference of key %.16s..., not "
			       "%.16s...", path, hd->key, key);
	if (hd->vocab != (uint32_t)V || hd->n_positions != (uint64_t)n_positions)
		return bb_fail(err, BB_EFORMAT, "'%s': %llu positions of %u logits, expected %ld of "
			       "%d", path, (unsigned long long)hd->n_positions, hd->vocab,
			       n_positions, V);
	size_t want = sizeof *hd + (size_t)n_positions * V * sizeof(float);
	if (size != want)
		return bb_fail(err, BB_EFORMAT, "'%s': %zu bytes, expected %zu (truncated or "
			       "appended to)", path, size, want);
	return 0;
}

static int map_file(const char *path, void **map, size_t *size, struct bb_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(e));
	}
	*size = (size_t)st.st_size;
	if (!S_ISREG(st.st_mode) || *size < sizeof(struct ref_header)) {
		close(fd);
		return bb_fail(err, BB_EFORMAT, "'%s': %s, not a KLD reference", path,
			       S_ISREG(st.st_mode) ? "shorter than the header" : "not a regular file");
	}
	*map = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*map == MAP_FAILED)
		return bb_fail(err, BB_EIO, "'%s': mmap: %s", path, strerror(errno));
	return 0;
}

int kld_reference_open(struct kld_reference **out, const char *path, const char *key,
		       long n_positions, int V, struct bb_error *err)
{
	void *map = NULL;
	size_t size = 0;
	*out = NULL;
	int rc = map_file(path, &map, &size, err);
	if (rc)
		return rc;
	const struct ref_header *hd = map;
	rc = check_header(hd, size, path, key, n_positions, V, err);
	char sum[SHA256_HEX_LEN];
	if (!rc) {
		sha256_hex((const char *)map + sizeof *hd, size - sizeof *hd, sum);
		if (memcmp(sum, hd->data_sha256, 64) != 0)
			rc = bb_fail(err, BB_EFORMAT, "'%s': its logits do not match their SHA-256 "
				     "(the file is corrupted; remove it to compute it again)", path);
	}
	struct kld_reference *r = rc ? NULL : malloc(sizeof *r);
	if (!rc && !r)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	if (rc) {
		munmap(map, size);
		return rc;
	}
	*r = (struct kld_reference){.map = map, .size = size, .n = n_positions, .V = V,
				    .rows = (const float *)((const char *)map + sizeof *hd)};
	*out = r;
	return 0;
}

void kld_reference_close(struct kld_reference *r)
{
	if (!r)
		return;
	munmap(r->map, r->size);
	free(r);
}

// ---- measuring ----

struct measurer {
	const struct kld_reference *ref;
	struct kld_position *out;
};

/* A non-finite candidate logit (NaN or Inf weights) makes a NaN or infinite KLD: an
 * error naming the position, never a figure averaged into the summary. */
static int compare_rows(void *ctx, long pos, const float *logits, const int *next, int n,
			struct bb_error *err)
{
	struct measurer *ms = ctx;
	int V = ms->ref->V;
#pragma omp parallel for if (n * V > 65536)
	for (int i = 0; i < n; i++)
		kld_compare(ms->ref->rows + (size_t)(pos + i) * V, logits + (size_t)i * V, V,
			    next[i], &ms->out[pos + i]);
	for (int i = 0; i < n; i++)
		if (!isfinite(ms->out[pos + i].kld) || !isfinite(ms->out[pos + i].q_logprob))
			return bb_fail(err, BB_EFORMAT, "kld: the measured model's KLD at position %ld "
				       "is not finite: its weights or config make the forward pass "
				       "non-finite", pos + i);
	return 0;
}

int kld_measure(const struct model *q, const struct kld_text *t,
		const struct kld_reference *ref, struct kld_position *out,
		kld_progress_fn progress, void *progress_ctx, struct bb_error *err)
{
	if (ref->V != q->V || ref->n != kld_text_positions(t))
		return bb_fail(err, BB_EINVAL, "kld: the reference has %ld positions of %d logits, "
			       "the text and model %ld of %d", ref->n, ref->V,
			       kld_text_positions(t), q->V);
	struct measurer ms = {.ref = ref, .out = out};
	return run_pass(q, t, compare_rows, &ms, progress, progress_ctx, err);
}
