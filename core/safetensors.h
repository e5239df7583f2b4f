/*
 * safetensors.h: read-only, memory-mapped access to one .safetensors file.
 *
 * The file is mapped, never read into malloc'd memory, so a multi-GB shard costs only
 * address space. st_open validates the header strictly (length bounds, well-formed JSON,
 * known dtypes, byte size = product(shape) x dtype size, offsets inside the data section,
 * no overlaps) before anything uses it: a file that passes can be indexed without further
 * checks. Never prints, never exits.
 */
#ifndef BB_SAFETENSORS_H
#define BB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum st_dtype { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL };

#define ST_MAX_DIMS 8

struct st_tensor {
	char *name;
	enum st_dtype dtype;
	int ndim;
	int64_t shape[ST_MAX_DIMS];
	uint64_t begin, end;  /* byte offsets inside the data section */
	const void *data;     /* points into the mapping: data section + begin */
};

struct st_file {
	char *path;
	void *map;            /* the whole file, read-only */
	size_t size;          /* file size in bytes */
	uint64_t header_len;  /* N of the 8-byte little-endian prefix */
	const uint8_t *data;  /* start of the data section = map + 8 + header_len */
	uint64_t data_len;
	int n_tensors;
	struct st_tensor *tensors; /* sorted by begin offset */
	char *metadata_json;  /* the "__metadata__" object re-printed, or NULL */
};

/* Upper bound on the JSON header, as the reference implementation enforces. */
#define ST_MAX_HEADER_LEN (100u * 1024 * 1024)

/* Map and validate path. On failure returns a negative bb_err, fills err with one line
 * naming the file (and tensor), and leaves f zeroed. */
int st_open(struct st_file *f, const char *path, struct bb_error *err);

/* Validate an in-memory image of a file (used by st_open and the fuzzers). On success f
 * points into buf, which must outlive f; f->path and f->map are left NULL. */
int st_parse(struct st_file *f, const char *display_name, const uint8_t *buf, size_t size,
	     struct bb_error *err);

/* Unmap and free; safe on a zeroed struct. */
void st_close(struct st_file *f);

/* The tensor called name, or NULL. */
const struct st_tensor *st_find(const struct st_file *f, const char *name);

size_t st_dtype_size(enum st_dtype dt);
const char *st_dtype_name(enum st_dtype dt);
int64_t st_numel(const struct st_tensor *t);

/* Convert n elements of a tensor's raw data (F32, F16 or BF16) to float32. */
int st_to_f32(enum st_dtype dt, const void *src, float *dst, size_t n);
/* Convert float32 to F32, F16 or BF16 (round to nearest even). */
int st_from_f32(enum st_dtype dt, const float *src, void *dst, size_t n);

/* One tensor to write: its name, dtype, shape and raw little-endian bytes. */
struct st_tensor_spec {
	const char *name;
	enum st_dtype dtype;
	int ndim;
	int64_t shape[ST_MAX_DIMS];
	const void *data;
};

/* Write a .safetensors file atomically (temporary file renamed into place): tensors laid
 * out in the order given, metadata_json (an object, or NULL) as "__metadata__". */
int st_write(const char *path, const struct st_tensor_spec *specs, int n,
	     const char *metadata_json, struct bb_error *err);

float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

#endif
