/*
 * test_safetensors.c: the .safetensors reader/writer and the 16-bit float conversions
 * (core/safetensors.c).
 *
 * Files are built in a mkdtemp folder, with st_write and byte by byte; every malformed
 * header must fail with BB_EFORMAT and a message naming the file and the tensor. Also
 * opens the shared TinyStories-656K weights. The conversions are in
 * test_safetensors_convert.c.
 * Never writes outside its own mkdtemp folder.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/safetensors.h"
#include "tests/unit/check.h"

static char tmpdir[64];

static char *tmp_path(const char *name)
{
	static char buf[8][256];
	static int at;
	char *p = buf[at++ % 8];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/* A file of: 8-byte little-endian declared_len, the header text, then data. */
static const char *write_raw(const char *name, uint64_t declared_len, const char *header,
			     const void *data, size_t data_len)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 8; i++)
		fputc((int)((declared_len >> (8 * i)) & 0xff), f);
	fwrite(header, 1, strlen(header), f);
	if (data_len)
		fwrite(data, 1, data_len, f);
	fclose(f);
	return path;
}

/* A well-formed prefix: declared length = the header's length. */
static const char *write_st(const char *name, const char *header, size_t data_len)
{
	static uint8_t zeros[4096];
	return write_raw(name, strlen(header), header, zeros, data_len);
}
/* Expect st_open to fail with BB_EFORMAT and a message naming path and, if given, the
 * tensor (and a second name). */
static void expect_bad(const char *path, const char *tensor, const char *other)
{
	struct st_file f;
	struct bb_error err = {0};
	int rc = st_open(&f, path, &err);
	if (rc != BB_EFORMAT)
		fprintf(stderr, "  %s: rc %d (%s)\n", path, rc, err.msg);
	CHECK(rc == BB_EFORMAT);
	CHECK(err.code == BB_EFORMAT);
	CHECK(strstr(err.msg, path) != NULL);
	if (tensor && !strstr(err.msg, tensor))
		fprintf(stderr, "  message does not name '%s': %s\n", tensor, err.msg);
	CHECK(!tensor || strstr(err.msg, tensor) != NULL);
	CHECK(!other || strstr(err.msg, other) != NULL);
	CHECK(f.n_tensors == 0 && f.tensors == NULL && f.map == NULL); /* left zeroed */
	st_close(&f);
}

// ---- writing and reading back ----

TEST(st_write_then_open_should_round_trip_names_shapes_dtypes_and_bytes)
{
	float a[6] = {1, -2, 3.5f, 0, -0.0f, 1e-30f};
	uint16_t b[4] = {0x3F80, 0xC020, 0x0001, 0x7F80};
	uint16_t c[4] = {0x3C00, 0x7BFF, 0x8001, 0xFC00};
	int64_t d[3] = {-1, 0, INT64_MAX};
	uint8_t e[5] = {1, 2, 3, 4, 5};
	float s[1] = {42.0f};
	struct st_tensor_spec specs[] = {
		{"layer.a", ST_F32, 2, {2, 3}, a},
		{"b", ST_BF16, 1, {4}, b},
		{"c.weight", ST_F16, 2, {2, 2}, c},
		{"d", ST_I64, 1, {3}, d},
		{"e", ST_U8, 1, {5}, e},
		{"empty", ST_F32, 2, {0, 4}, a},
		{"scalar", ST_F32, 0, {0}, s},
	};
	const int n = 7;
	size_t sizes[7] = {24, 8, 8, 24, 5, 0, 4};
	const char *path = tmp_path("round.safetensors");
	struct bb_error err = {0};
	CHECK(st_write(path, specs, n, "{\"format\":\"pt\",\"note\":\"x\"}", &err) == 0);
	struct st_file f;
	int rc = st_open(&f, path, &err);
	CHECK(rc == 0);
	if (rc)
		return;
	CHECK(f.n_tensors == n);
	CHECK(f.header_len % 8 == 0);
	CHECK(f.size == 8 + f.header_len + 24 + 8 + 8 + 24 + 5 + 0 + 4);
	CHECK(f.data_len == 73);
	CHECK_STR(f.path, path);
	CHECK(f.metadata_json && strstr(f.metadata_json, "\"format\":\"pt\""));
	CHECK(f.metadata_json && strstr(f.metadata_json, "\"note\":\"x\""));
	uint64_t off = 0;
	for (int i = 0; i < n; i++) {
		const struct st_tensor *t = st_find(&f, specs[i].name);
		CHECK(t != NULL);
		if (!t)
			continue;
		CHECK_STR(t->name, specs[i].name);
		CHECK(t->dtype == specs[i].dtype);
		CHECK(t->ndim == specs[i].ndim);
		for (int k = 0; k < t->ndim; k++)
			CHECK(t->shape[k] == specs[i].shape[k]);
		CHECK(t->end - t->begin == sizes[i]);
		CHECK(t->begin == off); /* laid out in the order given */
		CHECK(sizes[i] == 0 || memcmp(t->data, specs[i].data, sizes[i]) == 0);
		CHECK((const uint8_t *)t->data == f.data + t->begin);
		off += sizes[i];
	}
	CHECK(st_numel(st_find(&f, "layer.a")) == 6);
	CHECK(st_numel(st_find(&f, "scalar")) == 1);
	CHECK(st_numel(st_find(&f, "empty")) == 0);
	CHECK(st_find(&f, "missing") == NULL);
	for (int i = 1; i < f.n_tensors; i++) /* sorted by begin */
		CHECK(f.tensors[i].begin >= f.tensors[i - 1].begin);
	st_close(&f);
	CHECK(f.n_tensors == 0 && f.map == NULL && f.path == NULL);
	st_close(&f); /* safe twice */
}

TEST(st_write_should_leave_metadata_null_and_pad_header_to_8)
{
	float a[3] = {1, 2, 3};
	struct st_tensor_spec spec = {"x", ST_F32, 1, {3}, a};
	const char *path = tmp_path("nometa.safetensors");
	struct bb_error err = {0};
	CHECK(st_write(path, &spec, 1, NULL, &err) == 0);
	FILE *fp = fopen(path, "rb");
	uint8_t raw[8];
	CHECK(fread(raw, 1, 8, fp) == 8);
	fclose(fp);
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | raw[i];
	CHECK(n % 8 == 0);
	struct st_file f;
	CHECK(st_open(&f, path, &err) == 0);
	CHECK(f.header_len == n);
	CHECK(f.metadata_json == NULL);
	CHECK(f.n_tensors == 1);
	st_close(&f);
	/* no temporary file left beside it */
	DIR *d = opendir(tmpdir);
	CHECK(d != NULL);
	for (struct dirent *e; d && (e = readdir(d));)
		CHECK(strstr(e->d_name, "tmp") == NULL);
	if (d)
		closedir(d);
}

TEST(st_open_should_accept_hand_written_files)
{
	/* the smallest header, no tensors */
	const char *p0 = write_st("empty.safetensors", "{}", 0);
	struct st_file f;
	struct bb_error err = {0};
	CHECK(st_open(&f, p0, &err) == 0);
	CHECK(f.n_tensors == 0 && f.data_len == 0 && f.header_len == 2);
	st_close(&f);
	/* two tensors listed out of order, header padded with spaces, a zero-size tensor */
	const char *h = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
			"\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
			"\"z\":{\"dtype\":\"I8\",\"shape\":[0],\"data_offsets\":[12,12]}}    ";
	uint8_t data[12] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0x80, 0x3f, 0x20, 0xc0};
	const char *p1 = write_raw("hand.safetensors", strlen(h), h, data, 12);
	CHECK(st_open(&f, p1, &err) == 0);
	CHECK(f.n_tensors == 3);
	CHECK_STR(f.tensors[0].name, "a"); /* sorted by begin */
	CHECK_STR(f.tensors[1].name, "b");
	const struct st_tensor *a = st_find(&f, "a"), *b = st_find(&f, "b");
	float out[2];
	CHECK(a && st_to_f32(a->dtype, a->data, out, 2) == 0);
	CHECK(out[0] == 1.0f && out[1] == -2.0f);
	CHECK(b && st_to_f32(b->dtype, b->data, out, 2) == 0);
	CHECK(out[0] == 1.0f && out[1] == -2.5f);
	st_close(&f);
}

TEST(st_parse_should_validate_an_in_memory_image)
{
	const char *h = "{\"t\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}";
	uint8_t buf[128] = {0};
	size_t n = strlen(h);
	buf[0] = (uint8_t)n;
	memcpy(buf + 8, h, n);
	buf[8 + n] = 7, buf[9 + n] = 8, buf[10 + n] = 9;
	struct st_file f;
	struct bb_error err = {0};
	CHECK(st_parse(&f, "memory", buf, 8 + n + 3, &err) == 0);
	CHECK(f.n_tensors == 1 && f.path == NULL && f.map == NULL);
	CHECK(((const uint8_t *)f.tensors[0].data)[2] == 9);
	st_close(&f);
	/* one byte short */
	CHECK(st_parse(&f, "memory", buf, 8 + n + 2, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "memory") && strstr(err.msg, "'t'"));
}

// ---- malformed files ----

TEST(st_open_should_reject_file_shorter_than_8_bytes)
{
	const char *path = tmp_path("short.safetensors");
	FILE *f = fopen(path, "wb");
	fwrite("\x02\0\0\0\0", 1, 5, f);
	fclose(f);
	expect_bad(path, NULL, NULL);
	const char *empty = tmp_path("zero.safetensors");
	fclose(fopen(empty, "wb"));
	expect_bad(empty, NULL, NULL);
}

TEST(st_open_should_reject_header_length_past_end_of_file)
{
	const char *h = "{}";
	expect_bad(write_raw("hlen.safetensors", 1000, h, NULL, 0), NULL, NULL);
	expect_bad(write_raw("hlen1.safetensors", 3, h, NULL, 0), NULL, NULL);
	expect_bad(write_raw("hlen0.safetensors", 0, h, NULL, 0), NULL, NULL);
	expect_bad(write_raw("hlenhuge.safetensors", UINT64_MAX, h, NULL, 0), NULL, NULL);
}

TEST(st_open_should_reject_header_that_is_not_a_json_object)
{
	expect_bad(write_st("notjson.safetensors", "{not json", 0), NULL, NULL);
	expect_bad(write_st("array.safetensors", "[1, 2, 3]", 0), NULL, NULL);
	expect_bad(write_st("trunc.safetensors", "{\"a\":{\"dtype\":\"F32\"", 0), NULL, NULL);
}

/* Only JSON blanks may follow the header's object, as safetensors 0.8 (serde_json) reads
 * it: the format pads with spaces. Anything else, a NUL included, is refused. */
TEST(st_open_should_accept_blank_padding_and_reject_other_trailing_bytes)
{
	static const float data[2] = {1.5f, -2.0f};
	const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
	char padded[160];
	snprintf(padded, sizeof padded, "%s \t\r\n  ", h);
	struct st_file f;
	struct bb_error err = {0};
	CHECK(st_open(&f, write_raw("pad.safetensors", strlen(padded), padded, data, 8), &err) == 0);
	CHECK(f.n_tensors == 1 && f.data_len == 8);
	st_close(&f);
	snprintf(padded, sizeof padded, "%s  x", h);
	expect_bad(write_raw("garbage.safetensors", strlen(padded), padded, data, 8), "0x78",
		   "offset 64");
	/* a NUL after the object: write_raw stops at it, so the length counts it in */
	uint8_t image[8 + 80 + 8];
	size_t n = strlen(h);
	memset(image, 0, sizeof image);
	image[0] = (uint8_t)(n + 1);
	memcpy(image + 8, h, n);
	memcpy(image + 8 + n + 1, data, 8);
	CHECK(st_parse(&f, "nul.safetensors", image, 8 + n + 1 + 8, &err) == BB_EFORMAT);
	CHECK(strstr(err.msg, "a NUL byte 0x00") != NULL);
}

/* A shape whose element count exceeds the file is reported as given, not as a capped
 * product. */
TEST(st_open_should_report_an_overflowing_shape_as_it_is)
{
	const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
			"\"data_offsets\":[0,8]}}";
	expect_bad(write_st("hugeshape.safetensors", h, 8), "'w'",
		   "shape [4294967296, 4294967296, 16], more elements than");
}

TEST(st_open_should_reject_tensor_ending_past_data_section)
{
	const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
	expect_bad(write_st("truncdata.safetensors", h, 8), "'w'", NULL);
}

TEST(st_open_should_reject_overlapping_tensors)
{
	const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
			"\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
	expect_bad(write_st("overlap.safetensors", h, 12), "'a'", "'b'");
	const char *same = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
			   "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}";
	expect_bad(write_st("overlap2.safetensors", same, 8), "'a'", "'b'");
	/* one tensor inside another */
	const char *inside = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
			     "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
			     "\"d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
	expect_bad(write_st("overlap3.safetensors", inside, 16), "'a'", NULL);
}

TEST(st_open_should_reject_overlap_behind_an_empty_tensor)
{
	/* a [0,16) and c [8,16) overlap; the empty e at 4 sorts between them */
	const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
			"\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
			"\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
	expect_bad(write_st("overlap_empty.safetensors", h, 16), "'a'", "'c'");
}

TEST(st_open_should_reject_unknown_dtype)
{
	const char *h = "{\"w\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,4]}}";
	expect_bad(write_st("dtype.safetensors", h, 4), "'w'", "F12");
	const char *lower = "{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
	expect_bad(write_st("dtype2.safetensors", lower, 4), "'w'", NULL);
}

TEST(st_open_should_reject_byte_size_that_disagrees_with_shape_and_dtype)
{
	const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
	expect_bad(write_st("size.safetensors", h, 16), "'w'", NULL);
	const char *h2 = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,12]}}";
	expect_bad(write_st("size2.safetensors", h2, 12), "'w'", NULL);
	/* a shape whose product overflows 64 bits must not wrap around to the byte size */
	const char *h3 = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
			 "\"data_offsets\":[0,0]}}";
	expect_bad(write_st("size3.safetensors", h3, 0), "'w'", NULL);
	const char *h4 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,8]}}";
	expect_bad(write_st("size4.safetensors", h4, 8), "'w'", NULL);
}

TEST(st_open_should_reject_duplicate_tensor_names)
{
	const char *h = "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
			"\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}";
	expect_bad(write_st("dup.safetensors", h, 4), "'w'", NULL);
}

TEST(st_open_should_reject_negative_or_non_integer_offsets)
{
	const char *neg = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[-4,0]}}";
	expect_bad(write_st("neg.safetensors", neg, 4), "'w'", NULL);
	const char *frac = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0.5,4.5]}}";
	expect_bad(write_st("frac.safetensors", frac, 8), "'w'", NULL);
	const char *str = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[\"0\",4]}}";
	expect_bad(write_st("stroff.safetensors", str, 4), "'w'", NULL);
	const char *three = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4,8]}}";
	expect_bad(write_st("three.safetensors", three, 8), "'w'", NULL);
	const char *fshape = "{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}";
	expect_bad(write_st("fshape.safetensors", fshape, 4), "'w'", NULL);
}

TEST(st_open_should_reject_end_before_begin)
{
	const char *h = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,4]}}";
	expect_bad(write_st("endbegin.safetensors", h, 8), "'w'", NULL);
}

TEST(st_open_should_reject_missing_keys_and_bad_metadata)
{
	const char *h = "{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,4]}}";
	expect_bad(write_st("noshape.safetensors", h, 4), "'w'", NULL);
	const char *h2 = "{\"w\":[1,2]}";
	expect_bad(write_st("notobj.safetensors", h2, 4), "'w'", NULL);
	const char *h3 = "{\"__metadata__\":[1]}";
	expect_bad(write_st("meta.safetensors", h3, 0), "__metadata__", NULL);
}

TEST(st_open_should_fail_with_eio_for_missing_file)
{
	struct st_file f;
	struct bb_error err = {0};
	const char *path = tmp_path("does-not-exist.safetensors");
	CHECK(st_open(&f, path, &err) == BB_EIO);
	CHECK(strstr(err.msg, path) != NULL);
	CHECK(st_open(&f, tmpdir, &err) == BB_EIO); /* a folder */
}

// ---- the shared model ----

TEST(st_open_should_read_tinystories_656k)
{
	char path[512];
	snprintf(path, sizeof path, "%s/models/tinystories-656k/model.safetensors", shared_dir());
	struct st_file f;
	struct bb_error err = {0};
	int rc = st_open(&f, path, &err);
	if (rc)
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(rc == 0);
	if (rc)
		return;
	CHECK(f.n_tensors == 20);              /* SOURCE.md */
	CHECK(f.header_len == 2160);           /* SOURCE.md: the JSON header is 2,160 bytes */
	CHECK(f.size == 2626168);              /* SOURCE.md file size */
	CHECK(f.data_len == 2626168 - 8 - 2160);
	CHECK(f.metadata_json && strstr(f.metadata_json, "\"format\""));
	CHECK(f.metadata_json && strstr(f.metadata_json, "\"pt\""));
	const struct st_tensor *lm = st_find(&f, "lm_head.weight");
	CHECK(lm && lm->dtype == ST_F32 && lm->ndim == 2 && lm->shape[0] == 2048 &&
	      lm->shape[1] == 128);
	CHECK(st_find(&f, "model.embed_tokens.weight") == NULL); /* tied, stored as lm_head */
	const struct st_tensor *down = st_find(&f, "model.layers.1.mlp.down_proj.weight");
	CHECK(down && down->shape[0] == 128 && down->shape[1] == 384);
	uint64_t total = 0;
	for (int i = 0; i < f.n_tensors; i++)
		total += f.tensors[i].end - f.tensors[i].begin;
	CHECK(total == f.data_len);    /* no gaps */
	CHECK(total == 4 * 656000ull); /* 656,000 F32 parameters (SOURCE.md) */
	st_close(&f);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bb-test-st-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(st_write_then_open_should_round_trip_names_shapes_dtypes_and_bytes);
	RUN(st_write_should_leave_metadata_null_and_pad_header_to_8);
	RUN(st_open_should_accept_hand_written_files);
	RUN(st_parse_should_validate_an_in_memory_image);
	RUN(st_open_should_reject_file_shorter_than_8_bytes);
	RUN(st_open_should_reject_header_length_past_end_of_file);
	RUN(st_open_should_reject_header_that_is_not_a_json_object);
	RUN(st_open_should_reject_tensor_ending_past_data_section);
	RUN(st_open_should_reject_overlapping_tensors);
	RUN(st_open_should_reject_overlap_behind_an_empty_tensor);
	RUN(st_open_should_reject_unknown_dtype);
	RUN(st_open_should_reject_byte_size_that_disagrees_with_shape_and_dtype);
	RUN(st_open_should_reject_duplicate_tensor_names);
	RUN(st_open_should_reject_negative_or_non_integer_offsets);
	RUN(st_open_should_reject_end_before_begin);
	RUN(st_open_should_reject_missing_keys_and_bad_metadata);
	RUN(st_open_should_fail_with_eio_for_missing_file);
	RUN(st_open_should_read_tinystories_656k);
	RUN(st_open_should_accept_blank_padding_and_reject_other_trailing_bytes);
	RUN(st_open_should_report_an_overflowing_shape_as_it_is);
	if (check_remove_tree(tmpdir) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	END_TESTS();
}
