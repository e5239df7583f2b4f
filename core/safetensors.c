/*
 * safetensors.c: map a .safetensors file, validate its header strictly, convert dtypes,
 * and write new files atomically.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON, then the data section.
 * Every tensor entry is {"dtype", "shape", "data_offsets": [begin, end]} relative to the
 * data section. Validation happens once, here; everything downstream trusts a parsed file.
 * Never prints, never exits.
 */
#include "core/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "core/fileio.h"

// ---- dtypes ----

static const struct {
	const char *name;
	size_t size;
} dtype_table[] = {
	[ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2}, [ST_BF16] = {"BF16", 2},
	[ST_F64] = {"F64", 8}, [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4},
	[ST_I16] = {"I16", 2}, [ST_I8] = {"I8", 1},   [ST_U8] = {"U8", 1},
	[ST_BOOL] = {"BOOL", 1},
};
#define N_DTYPES ((int)(sizeof dtype_table / sizeof dtype_table[0]))

size_t st_dtype_size(enum st_dtype dt) { return dtype_table[dt].size; }
const char *st_dtype_name(enum st_dtype dt) { return dtype_table[dt].name; }

static int dtype_from_name(const char *s)
{
	for (int i = 0; i < N_DTYPES; i++)
		if (strcmp(dtype_table[i].name, s) == 0)
			return i;
	return -1;
}

int64_t st_numel(const struct st_tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->ndim; i++)
		n *= t->shape[i];
	return n;
}

// ---- float conversions (round to nearest even, NaN kept quiet) ----

float bf16_to_f32(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

uint16_t f32_to_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	uint16_t rounded = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
	uint16_t quiet_nan = (uint16_t)((u >> 16) | 0x40);
	return (u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded; /* branchless: vectorizes */
}

float f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	int exp = (h >> 10) & 0x1f;
	uint32_t mant = h & 0x3ff;
	float f;
	if (exp == 0) {
		f = ldexpf((float)mant, -24);
		return sign ? -f : f;
	}
	uint32_t u = exp == 31 ? (sign | 0x7f800000u | (mant << 13))
			       : (sign | (uint32_t)(exp - 15 + 127) << 23 | (mant << 13));
	memcpy(&f, &u, 4);
	return f;
}

uint16_t f32_to_f16(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
	float a = fabsf(f);
	if (isnan(f))
		return sign | 0x7e00;
	if (a >= 65520.0f)
		return sign | 0x7c00;
	if (a < 6.103515625e-05f) { /* subnormal: multiples of 2^-24, nearbyint is half-even */
		return sign | (uint16_t)nearbyintf(a * 16777216.0f);
	}
	uint32_t ua;
	memcpy(&ua, &a, 4);
	ua += 0xfffu + ((ua >> 13) & 1);
	int exp = (int)(ua >> 23) - 127 + 15;
	return sign | (uint16_t)(exp << 10) | (uint16_t)((ua >> 13) & 0x3ff);
}

/* 16-bit loads and stores through memcpy: a tensor's data may start at any byte of the
 * mapping (the header length need not be even), and a uint16_t access there is undefined
 * behaviour (found by make test-asan). The compiler emits the same plain, vectorizable
 * loads and stores. */
static inline uint16_t load16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline void store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

__attribute__((target_clones("avx2", "default"))) /* 8 lanes where the CPU has them */
int st_to_f32(enum st_dtype dt, const void *src, float *dst, size_t n)
{
	const uint8_t *h = src;
	switch (dt) {
	case ST_F32:
		memcpy(dst, src, n * 4);
		return 0;
	case ST_BF16:
		for (size_t i = 0; i < n; i++)
			dst[i] = bf16_to_f32(load16(h + 2 * i));
		return 0;
	case ST_F16:
		for (size_t i = 0; i < n; i++)
			dst[i] = f16_to_f32(load16(h + 2 * i));
		return 0;
	default:
		return BB_EUNSUPPORTED;
	}
}

__attribute__((target_clones("avx2", "default")))
int st_from_f32(enum st_dtype dt, const float *src, void *dst, size_t n)
{
	uint8_t *h = dst;
	switch (dt) {
	case ST_F32:
		memcpy(dst, src, n * 4);
		return 0;
	case ST_BF16:
		for (size_t i = 0; i < n; i++)
			store16(h + 2 * i, f32_to_bf16(src[i]));
		return 0;
	case ST_F16:
		for (size_t i = 0; i < n; i++)
			store16(h + 2 * i, f32_to_f16(src[i]));
		return 0;
	default:
		return BB_EUNSUPPORTED;
	}
}

// ---- header validation ----

static int parse_offset(const cJSON *v, uint64_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != floor(v->valuedouble))
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

/* "[d0, d1, ...]" of t's shape. */
static void shape_text(const struct st_tensor *t, char *buf, size_t size)
{
	size_t at = (size_t)snprintf(buf, size, "[");
	for (int i = 0; i < t->ndim && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%llu", i ? ", " : "",
				       (unsigned long long)t->shape[i]);
	if (at < size)
		snprintf(buf + at, size - at, "]");
}

static int parse_tensor(struct st_tensor *t, const cJSON *entry, const char *file,
			uint64_t data_len, struct bb_error *err)
{
	const char *name = entry->string;
	if (!cJSON_IsObject(entry))
		return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' is not an object", file, name);
	const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
	const cJSON *offs = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
	if (!cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
	    cJSON_GetArraySize(offs) != 2)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': tensor '%s' lacks dtype, shape or data_offsets", file, name);
	int dt = dtype_from_name(dtype->valuestring);
	if (dt < 0)
		return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' has unknown dtype '%s'", file,
			       name, dtype->valuestring);
	t->dtype = (enum st_dtype)dt;
	t->ndim = cJSON_GetArraySize(shape);
	if (t->ndim > ST_MAX_DIMS)
		return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' has %d dimensions (max %d)",
			       file, name, t->ndim, ST_MAX_DIMS);
	/* The element count must not overflow: bound it by the data section. */
	uint64_t numel = 1;
	bool too_big = false; /* the product exceeds the data section (numel is then capped) */
	for (int i = 0; i < t->ndim; i++) {
		uint64_t d;
		if (parse_offset(cJSON_GetArrayItem(shape, i), &d) < 0)
			return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' has a bad shape", file,
				       name);
		t->shape[i] = (int64_t)d;
		if (d && numel > data_len / d + 1)
			numel = data_len + 1, too_big = true;
		else
			numel *= d;
	}
	if (parse_offset(cJSON_GetArrayItem(offs, 0), &t->begin) < 0 ||
	    parse_offset(cJSON_GetArrayItem(offs, 1), &t->end) < 0 || t->end < t->begin)
		return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' has bad data_offsets", file,
			       name);
	if (t->end > data_len)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': tensor '%s' ends at byte %llu, past the data section (%llu bytes)",
			       file, name, (unsigned long long)t->end,
			       (unsigned long long)data_len);
	if (too_big || numel > data_len) {
		char dims[ST_MAX_DIMS * 24]; /* per dimension: 20 digits and ", " at most */
		shape_text(t, dims, sizeof dims);
		return bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' has shape %s, more elements than "
			       "the whole data section (%llu bytes) can hold", file, name, dims,
			       (unsigned long long)data_len);
	}
	if (numel * st_dtype_size(t->dtype) != t->end - t->begin)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': tensor '%s' holds %llu bytes but its shape and dtype need %llu",
			       file, name, (unsigned long long)(t->end - t->begin),
			       (unsigned long long)(numel * st_dtype_size(t->dtype)));
	t->name = strdup(name);
	return t->name ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
}

static int by_begin(const void *a, const void *b)
{
	const struct st_tensor *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static int check_overlaps(const struct st_file *f, const char *file, struct bb_error *err)
{
	/* Compare each tensor with the non-empty one reaching furthest before it, not just
	 * its neighbour: an empty tensor sorted in between must not hide an overlap. */
	const struct st_tensor *a = NULL;
	for (int i = 0; i < f->n_tensors; i++) {
		const struct st_tensor *b = &f->tensors[i];
		/* Empty tensors occupy no bytes and cannot overlap anything. */
		if (b->end == b->begin)
			continue;
		if (a && a->end > b->begin)
			return bb_fail(err, BB_EFORMAT, "'%s': tensors '%s' and '%s' overlap", file,
				       a->name, b->name);
		/* The reference implementation also wants the tensors to tile the data section. */
		uint64_t expected = a ? a->end : 0;
		if (b->begin != expected)
			return bb_fail(err, BB_EFORMAT,
				       "'%s': bytes %llu to %llu of the data section belong to no tensor (before '%s')",
				       file, (unsigned long long)expected, (unsigned long long)b->begin,
				       b->name);
		if (!a || b->end > a->end)
			a = b;
	}
	uint64_t end = a ? a->end : 0;
	if (end != f->data_len)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': %llu bytes after the last tensor belong to no tensor", file,
			       (unsigned long long)(f->data_len - end));
	return 0;
}

static int parse_entries(struct st_file *f, const cJSON *root, const char *file,
			 struct bb_error *err)
{
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, root) n += strcmp(e->string, "__metadata__") != 0;
	f->tensors = calloc(n ? (size_t)n : 1, sizeof *f->tensors);
	if (!f->tensors)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, root)
	{
		if (strcmp(e->string, "__metadata__") == 0) {
			if (!cJSON_IsObject(e))
				return bb_fail(err, BB_EFORMAT, "'%s': __metadata__ is not an object",
					       file);
			f->metadata_json = cJSON_PrintUnformatted(e);
			continue;
		}
		struct st_tensor *t = &f->tensors[f->n_tensors];
		int rc = parse_tensor(t, e, file, f->data_len, err);
		if (rc < 0)
			return rc;
		t->data = f->data + t->begin;
		f->n_tensors++;
	}
	qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, by_begin);
	return check_overlaps(f, file, err);
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int has_duplicate_keys(const cJSON *root, const char **dup)
{
	/* cJSON keeps duplicate keys; safetensors forbids them. */
	int n = cJSON_GetArraySize(root);
	const char **names = malloc(sizeof *names * (size_t)(n ? n : 1));
	if (!names)
		return 0;
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, root) names[i++] = e->string;
	qsort(names, (size_t)n, sizeof *names, cmp_str_ptr);
	int found = 0;
	for (i = 1; i < n && !found; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			*dup = names[i];
			found = 1;
		}
	free(names);
	return found;
}

/* How many bytes from p on are JSON whitespace. The reference reader (safetensors 0.8,
 * serde_json) accepts exactly these after the header's object: the format's padding is
 * spaces, and tabs, newlines and carriage returns pass too. Anything else, a NUL included,
 * is trailing garbage it refuses. */
static size_t count_blank(const char *p, const char *end)
{
	size_t k = 0;
	while (p + k < end && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
		k++;
	return k;
}

int st_parse(struct st_file *f, const char *name, const uint8_t *buf, size_t size,
	     struct bb_error *err)
{
	memset(f, 0, sizeof *f);
	if (size < 8)
		return bb_fail(err, BB_EFORMAT, "'%s': file is %zu bytes, too short for a header",
			       name, size);
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = (n << 8) | buf[i];
	if (n < 2 || n > ST_MAX_HEADER_LEN || n > size - 8)
		return bb_fail(err, BB_EFORMAT,
			       "'%s': header length %llu is out of bounds (file is %zu bytes)", name,
			       (unsigned long long)n, size);
	f->header_len = n;
	f->data = buf + 8 + n;
	f->data_len = size - 8 - n;
	const char *header = (const char *)buf + 8, *json_end = header;
	cJSON *root = cJSON_ParseWithLengthOpts(header, (size_t)n, &json_end, 0);
	int rc;
	const char *dup = NULL;
	size_t trailing = root ? count_blank(json_end, header + n) : 0;
	if (!root || !cJSON_IsObject(root))
		rc = bb_fail(err, BB_EFORMAT, "'%s': header is not a JSON object", name);
	else if (json_end + trailing < header + n)
		rc = bb_fail(err, BB_EFORMAT, "'%s': header has %s byte 0x%02x at offset %zu, after "
			     "its JSON object (only blank padding may follow it)", name,
			     json_end[trailing] ? "stray" : "a NUL",
			     (unsigned char)json_end[trailing],
			     (size_t)(json_end + trailing - header) + 8);
	else if (has_duplicate_keys(root, &dup))
		rc = bb_fail(err, BB_EFORMAT, "'%s': tensor '%s' appears twice", name, dup);
	else
		rc = parse_entries(f, root, name, err);
	cJSON_Delete(root);
	if (rc < 0)
		st_close(f);
	return rc;
}

// ---- open, find, close ----

int st_open(struct st_file *f, const char *path, struct bb_error *err)
{
	memset(f, 0, sizeof *f);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bb_fail(err, BB_EIO, "'%s': not a regular file", path);
	}
	size_t size = (size_t)st.st_size;
	void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (size && map == MAP_FAILED)
		return bb_fail(err, BB_EIO, "'%s': cannot map: %s", path, strerror(errno));
	int rc = st_parse(f, path, map, size, err);
	if (rc < 0) {
		if (size)
			munmap(map, size);
		return rc;
	}
	f->map = map;
	f->size = size;
	f->path = strdup(path);
	return 0;
}

void st_close(struct st_file *f)
{
	for (int i = 0; i < f->n_tensors; i++)
		free(f->tensors[i].name);
	free(f->tensors);
	free(f->metadata_json);
	free(f->path);
	if (f->map)
		munmap(f->map, f->size);
	memset(f, 0, sizeof *f);
}

const struct st_tensor *st_find(const struct st_file *f, const char *name)
{
	for (int i = 0; i < f->n_tensors; i++)
		if (strcmp(f->tensors[i].name, name) == 0)
			return &f->tensors[i];
	return NULL;
}

// ---- writing ----

static char *build_header(const struct st_tensor_spec *specs, int n, const char *metadata_json,
			  uint64_t *data_len)
{
	cJSON *root = cJSON_CreateObject();
	if (metadata_json)
		cJSON_AddItemToObject(root, "__metadata__", cJSON_Parse(metadata_json));
	uint64_t off = 0;
	for (int i = 0; i < n; i++) {
		const struct st_tensor_spec *s = &specs[i];
		uint64_t bytes = st_dtype_size(s->dtype);
		double shape[ST_MAX_DIMS];
		for (int d = 0; d < s->ndim; d++) {
			bytes *= (uint64_t)s->shape[d];
			shape[d] = (double)s->shape[d];
		}
		double offs[2] = {(double)off, (double)(off + bytes)};
		cJSON *t = cJSON_AddObjectToObject(root, s->name);
		cJSON_AddStringToObject(t, "dtype", st_dtype_name(s->dtype));
		cJSON_AddItemToObject(t, "shape", cJSON_CreateDoubleArray(shape, s->ndim));
		cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
		off += bytes;
	}
	*data_len = off;
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return json;
}

int st_write(const char *path, const struct st_tensor_spec *specs, int n,
	     const char *metadata_json, struct bb_error *err)
{
	uint64_t data_len;
	char *json = build_header(specs, n, metadata_json, &data_len);
	if (!json)
		return bb_fail(err, BB_ENOMEM, "out of memory");
	/* Pad the header with spaces to a multiple of 8, as the reference writer does. */
	size_t len = strlen(json), padded = (len + 7) & ~(size_t)7;
	uint8_t prefix[8];
	for (int i = 0; i < 8; i++)
		prefix[i] = (uint8_t)((uint64_t)padded >> (8 * i));
	struct atomic_file af;
	int rc = atomic_open(&af, path, err);
	if (rc == 0)
		rc = atomic_write(&af, prefix, 8, err);
	if (rc == 0)
		rc = atomic_write(&af, json, len, err);
	for (size_t i = len; rc == 0 && i < padded; i++)
		rc = atomic_write(&af, " ", 1, err);
	for (int i = 0; rc == 0 && i < n; i++) {
		size_t bytes = st_dtype_size(specs[i].dtype);
		for (int d = 0; d < specs[i].ndim; d++)
			bytes *= (size_t)specs[i].shape[d];
		rc = atomic_write(&af, specs[i].data, bytes, err);
	}
	free(json);
	if (rc < 0) {
		atomic_abort(&af);
		return rc;
	}
	return atomic_commit(&af, err);
}
