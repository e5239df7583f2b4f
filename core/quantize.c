/*
 * quantize.c: the fake quantizer: stream every shard through quantize-dequantize into a
 * temporary folder, then rename it into place.
 *
 * The temporary folder is "<out>.tmp.<pid>.XXXXXX": one left by a quantize killed with
 * SIGKILL is removed by the next quantize to the same --out once that pid is gone.
 *
 * Each shard is cut into work units of about 4 MB (a range of rows of one tensor, or a
 * byte range of a tensor to copy). OpenMP threads take units dynamically, convert rows to
 * float32, apply the layer's format and write the result at the same offset with pwrite,
 * so output layout equals input layout by construction and no thread waits on another.
 * Never writes under <out> in place: a failure leaves no checkpoint there; never prints.
 */
#include "core/quantize.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"

#define UNIT_BYTES (4u << 20)

int recipe_check_layers(const struct recipe *r, const struct inventory *inv,
			struct bb_error *err)
{
	for (int i = 0; i < r->n_layers; i++)
		if (inventory_find(inv, r->layers[i].name) < 0)
			return bb_fail(err, BB_EINVAL, "recipe names layer '%s', which the model lacks",
				       r->layers[i].name);
	for (int i = 0; i < inv->n; i++) {
		const struct layer *l = &inv->layers[i];
		const struct recipe_layer *rl = recipe_find(r, l->name);
		if (!rl)
			return bb_fail(err, BB_EINVAL, "recipe has no entry for layer '%s'", l->name);
		if (!format_fits_layer(&rl->weight, l->out, l->in))
			return bb_fail(err, BB_EINVAL,
				       "recipe asks for %s on layer '%s', whose shape [%lld, %lld] it cannot take (in_features must be a multiple of %d)",
				       rl->weight.name, l->name, (long long)l->out, (long long)l->in,
				       rl->weight.kind == FMT_INT ? 32 : rl->weight.block);
	}
	return 0;
}

// ---- work units ----

struct unit {
	const struct st_tensor *t;
	const struct format *fmt; /* NULL: copy bytes */
	uint64_t begin, end;      /* rows (quantize) or bytes (copy) within the tensor */
};

/* The work units of one shard, in file order. */
struct unit_list {
	struct unit *units;
	int n, cap;
	uint64_t total_bytes;
};

static int unit_list_add(struct unit_list *p, struct unit u)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 256;
		struct unit *bigger = realloc(p->units, sizeof *bigger * (size_t)cap);
		if (!bigger)
			return BB_ENOMEM;
		p->units = bigger;
		p->cap = cap;
	}
	p->units[p->n++] = u;
	return 0;
}

/* The format a tensor is quantized with, or NULL to copy it. */
static const struct format *tensor_format(const struct st_tensor *t, const struct recipe *r)
{
	size_t n = strlen(t->name);
	if (n < 8 || strcmp(t->name + n - 7, ".weight") != 0 || n - 7 >= 128)
		return NULL;
	char module[128];
	memcpy(module, t->name, n - 7);
	module[n - 7] = 0;
	const struct recipe_layer *l = recipe_find(r, module);
	return l && l->weight.kind != FMT_KEEP ? &l->weight : NULL;
}

static int unit_list_for_shard(struct unit_list *p, const struct st_file *f, const struct recipe *r)
{
	for (int i = 0; i < f->n_tensors; i++) {
		const struct st_tensor *t = &f->tensors[i];
		const struct format *fmt = tensor_format(t, r);
		uint64_t bytes = t->end - t->begin;
		uint64_t row_bytes = fmt ? (uint64_t)t->shape[1] * st_dtype_size(t->dtype) : 1;
		uint64_t count = fmt ? (uint64_t)t->shape[0] : bytes;
		uint64_t step = UNIT_BYTES / row_bytes ? UNIT_BYTES / row_bytes : 1;
		for (uint64_t at = 0; at < count; at += step) {
			struct unit u = {t, fmt, at, at + step < count ? at + step : count};
			if (unit_list_add(p, u))
				return BB_ENOMEM;
		}
		p->total_bytes += bytes;
	}
	return 0;
}

// ---- doing the work ----

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older kernels refuse it, which is harmless */
#endif

/* Fault the source range in with one call instead of one page fault per 4 kB page. */
static void populate(const void *p, size_t len)
{
	uintptr_t page = 4096, start = (uintptr_t)p & ~(page - 1);
	madvise((void *)start, len + ((uintptr_t)p - start), MADV_POPULATE_READ);
}

/* buf holds one row of floats (cols) and then the unit's output bytes (rows x cols). */
struct unit_buffer {
	float *row;
	uint8_t *out;
	size_t cap;  /* bytes */
};

#define UNIT_NONFINITE (-1) /* run_unit's answer for a NaN or Inf weight it refused */

/* One work unit: 0, UNIT_NONFINITE (with the flat index in *nonfinite_at; only checked
 * when nonfinite_at is not NULL), or an errno (ENOMEM, or the write's) saying why it
 * failed. */
static int run_unit(const struct unit *u, int fd, uint64_t data_off, struct unit_buffer *b,
		    uint64_t *nonfinite_at)
{
	const struct st_tensor *t = u->t;
	if (!u->fmt) {
		size_t len = (size_t)(u->end - u->begin);
		const uint8_t *src = (const uint8_t *)t->data + u->begin;
		populate(src, len);
		return write_fully(fd, src, len, (int64_t)(data_off + t->begin + u->begin));
	}
	size_t cols = (size_t)t->shape[1], rows = (size_t)(u->end - u->begin);
	size_t esize = st_dtype_size(t->dtype), row_bytes = cols * esize;
	size_t need = cols * sizeof(float) + rows * row_bytes;
	if (b->cap < need) {
		free(b->row);
		b->row = malloc(need);
		b->cap = b->row ? need : 0;
		if (!b->row)
			return ENOMEM;
	}
	b->out = (uint8_t *)(b->row + cols);
	const uint8_t *src = (const uint8_t *)t->data + u->begin * row_bytes;
	populate(src, rows * row_bytes);
	/* Row by row, so the floats stay in cache between the three passes. */
	for (size_t r = 0; r < rows; r++) {
		st_to_f32(t->dtype, src + r * row_bytes, b->row, cols);
		int64_t bad = nonfinite_at ? format_first_nonfinite(b->row, cols) : -1;
		if (bad >= 0) {
			*nonfinite_at = (u->begin + r) * cols + (uint64_t)bad;
			return UNIT_NONFINITE;
		}
		format_qdq(u->fmt, b->row, 1, cols);
		st_from_f32(t->dtype, b->row, b->out + r * row_bytes, cols);
	}
	return write_fully(fd, b->out, rows * row_bytes,
			   (int64_t)(data_off + t->begin + u->begin * row_bytes));
}

static int nonfinite_error(const struct st_file *in, const struct st_tensor *t,
			   uint64_t index, struct bb_error *err)
{
	float v;
	st_to_f32(t->dtype, (const uint8_t *)t->data + index * st_dtype_size(t->dtype), &v, 1);
	return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' holds %s at flat index %llu (row %llu, "
		       "column %llu); quantizing it would spoil its whole block or group: fix the "
		       "weights, or pass --nonfinite passthrough", in->path, t->name,
		       isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", (unsigned long long)index,
		       (unsigned long long)(index / (uint64_t)t->shape[1]),
		       (unsigned long long)(index % (uint64_t)t->shape[1]));
}

struct shard_job {
	const struct st_file *in;
	const struct recipe *r;
	const struct quantize_opts *opts;
	uint64_t *done;
	uint64_t total;
};

static int write_shard(const struct shard_job *job, const char *out_path, struct bb_error *err)
{
	const struct st_file *in = job->in;
	struct unit_list work = {0};
	if (unit_list_for_shard(&work, in, job->r)) {
		free(work.units);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	struct atomic_file af;
	int rc = atomic_open(&af, out_path, err);
	if (!rc) /* the 8-byte prefix and the header, verbatim */
		rc = atomic_pwrite(&af, in->map, 8 + in->header_len, 0, err);
	if (!rc && ftruncate(af.fd, (off_t)in->size) < 0)
		rc = bb_fail(err, BB_EIO, "'%s': cannot size: %s", out_path, strerror(errno));
	int failed = rc != 0; /* 1: a write failed, 2: cancelled; shared by the threads */
	int why = 0;          /* the errno of a failed unit (any one of them) */
	/* The first unit holding a NaN or Inf, and where: units after it are skipped, units
	 * before it still run, so the error names the first bad value whatever the threads'
	 * timing. */
	int bad_unit = INT_MAX;
	uint64_t bad_index = 0;
	bool refuse_nonfinite = !job->opts->nonfinite_passthrough;
	uint64_t data_off = 8 + in->header_len;
	int threads = job->opts->threads > 0 ? job->opts->threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads) if (!failed)
	{
		struct unit_buffer buf = {0};
#pragma omp for schedule(dynamic, 1)
		for (int i = 0; i < work.n; i++) {
			int stop, first_bad;
#pragma omp atomic read
			stop = failed;
#pragma omp atomic read
			first_bad = bad_unit;
			if (stop || i > first_bad)
				continue;
			if (job->opts->cancel && *job->opts->cancel) {
#pragma omp atomic write
				failed = 2; /* cancelled */
				continue;
			}
			uint64_t at = 0;
			int e = run_unit(&work.units[i], af.fd, data_off, &buf,
					 refuse_nonfinite ? &at : NULL);
			if (e == UNIT_NONFINITE) {
#pragma omp critical(bb_quantize_nonfinite)
				if (i < bad_unit) {
					bad_index = at;
#pragma omp atomic write
					bad_unit = i;
				}
			} else if (e) {
#pragma omp atomic write
				why = e;
#pragma omp atomic write
				failed = 1;
			}
			const struct unit *u = &work.units[i];
			uint64_t bytes = u->fmt ? (u->end - u->begin) * (uint64_t)u->t->shape[1] *
							  st_dtype_size(u->t->dtype)
						: u->end - u->begin;
			uint64_t now;
#pragma omp atomic capture
			now = *job->done += bytes;
			if (omp_get_thread_num() == 0 && job->opts->progress)
				job->opts->progress(job->opts->progress_ctx, now, job->total);
		}
		free(buf.row);
	}
	if (!rc && bad_unit != INT_MAX)
		rc = nonfinite_error(in, work.units[bad_unit].t, bad_index, err);
	free(work.units);
	if (!rc && failed == 2)
		rc = bb_fail(err, BB_EIO, "'%s': interrupted", out_path);
	else if (!rc && failed)
		rc = bb_fail(err, BB_EIO, "'%s': write failed: %s", out_path, strerror(why));
	if (rc) {
		if (af.tmp_path)
			atomic_abort(&af);
		return rc;
	}
	return atomic_commit(&af, err);
}

// ---- the folder ----

static int write_config(const struct checkpoint *ck, const struct recipe *r, const char *dir,
			struct bb_error *err)
{
	cJSON *cfg = cJSON_Duplicate(ck->config_json, 1);
	cJSON *qc = recipe_to_json(r);
	cJSON_AddStringToObject(qc, "quant_method", "bitbudget");
	cJSON_AddStringToObject(qc, "fmt", "fake");
	cJSON_DeleteItemFromObjectCaseSensitive(cfg, "quantization_config");
	cJSON_AddItemToObject(cfg, "quantization_config", qc);
	char *text = cJSON_Print(cfg);
	cJSON_Delete(cfg);
	char *path = path_join(dir, "config.json");
	int rc = text && path ? write_file_atomic(path, text, strlen(text), err)
			      : bb_fail(err, BB_ENOMEM, "out of memory");
	free(text);
	free(path);
	return rc;
}

static bool is_shard(const struct checkpoint *ck, const char *name)
{
	for (int i = 0; i < ck->n_files; i++)
		if (strcmp(ck->file_names[i], name) == 0)
			return true;
	return false;
}

/* Copy every other regular file (tokenizer, generation config, index, licence). */
static int copy_side_files(const struct checkpoint *ck, const char *dir, struct bb_error *err)
{
	DIR *d = opendir(ck->dir);
	if (!d)
		return bb_fail(err, BB_EIO, "'%s': %s", ck->dir, strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "config.json") == 0 ||
		    is_shard(ck, e->d_name))
			continue;
		char *src = path_join(ck->dir, e->d_name), *dst = path_join(dir, e->d_name);
		struct stat st;
		char *text = NULL;
		size_t len = 0;
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode) &&
		    !(rc = read_file(src, &text, &len, err)))
			rc = write_file_atomic(dst, text, len, err);
		free(text);
		free(src);
		free(dst);
	}
	closedir(d);
	return rc;
}

/* "out/" and "out" name the same folder; the temporary is "out.tmp.<pid>.XXXXXX". */
static char *without_trailing_slashes(const char *path)
{
	char *p = strdup(path);
	for (size_t n = p ? strlen(p) : 0; n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = 0;
	return p;
}

/* Where the checkpoint goes (*final: --out, or the folder a symbolic link names) and the
 * temporary folder beside it. --out may name nothing yet or an empty folder; anything
 * else is refused. Temporaries of quantize runs killed before (their pid is gone) are
 * removed first. */
static int prepare_destination(const char *out_dir, char **final, char **tmp_dir,
			       struct bb_error *err)
{
	struct output_target t;
	char *out = without_trailing_slashes(out_dir);
	int rc = out ? output_resolve(out, &t, err) : bb_fail(err, BB_ENOMEM, "out of memory");
	free(out);
	if (rc)
		return rc;
	if (strcmp(t.path, "-") == 0)
		rc = bb_fail(err, BB_EINVAL, "--out: a checkpoint is a folder, not stdout");
	else if (t.kind == OUTPUT_FOLDER && rmdir(t.path) < 0)
		rc = bb_fail(err, BB_EINVAL, "'%s' already exists and is not an empty folder",
			     out_dir);
	else if (t.kind != OUTPUT_FOLDER && t.kind != OUTPUT_NEW)
		rc = bb_fail(err, BB_EINVAL, "'%s' is %s, not a folder: not replaced", out_dir,
			     t.what);
	if (rc) {
		output_target_free(&t);
		return rc;
	}
	remove_stale_temporaries(t.path);
	*final = t.path;
	*tmp_dir = temporary_template(t.path);
	if (!*tmp_dir || !mkdtemp(*tmp_dir)) {
		int e = *tmp_dir ? errno : ENOMEM;
		free(*tmp_dir);
		*tmp_dir = NULL;
		return bb_fail(err, BB_EIO, "'%s': cannot create a folder beside it: %s", out_dir,
			       strerror(e));
	}
	return 0;
}

int quantize_checkpoint(const struct checkpoint *ck, const struct inventory *inv,
			const struct recipe *r, const char *out_dir,
			const struct quantize_opts *opts, struct bb_error *err)
{
	if (!ck->has_weights)
		return bb_fail(err, BB_EINVAL, "'%s' has no weights (config.json only)", ck->dir);
	int rc = recipe_check_layers(r, inv, err);
	char *tmp = NULL, *final = NULL;
	if (!rc)
		rc = prepare_destination(out_dir, &final, &tmp, err);
	uint64_t done = 0, total = 0;
	for (int i = 0; i < ck->n_files; i++)
		total += ck->files[i].data_len;
	for (int i = 0; !rc && i < ck->n_files; i++) {
		struct shard_job job = {&ck->files[i], r, opts, &done, total};
		char *path = path_join(tmp, ck->file_names[i]);
		rc = write_shard(&job, path, err);
		free(path);
	}
	if (!rc)
		rc = copy_side_files(ck, tmp, err);
	if (!rc)
		rc = write_config(ck, r, tmp, err);
	if (!rc && rename(tmp, final) < 0)
		rc = bb_fail(err, BB_EIO, "'%s': cannot rename into place: %s", out_dir,
			     strerror(errno));
	if (rc && tmp)
		remove_tree(tmp);
	free(tmp);
	free(final);
	return rc;
}
