/*
 * fuzz_safetensors.c: a .safetensors file image through st_parse (the header: length
 * prefix, JSON, dtypes, shapes, offsets, overlaps), then what a reader does with a file
 * that passed: look tensors up and convert the first elements of each float tensor.
 * Never writes a file.
 */
#include "fuzz/fuzz.h"

#include "core/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st_file f;
	struct bb_error err = {0};
	if (st_parse(&f, "fuzz.safetensors", data, size, &err) != 0)
		return 0;
	for (int i = 0; i < f.n_tensors; i++) {
		const struct st_tensor *t = &f.tensors[i];
		if (st_find(&f, t->name) == NULL)
			abort(); /* a validated tensor must be found by its name */
		int64_t n = st_numel(t);
		if (n < 0 || (uint64_t)n * st_dtype_size(t->dtype) != t->end - t->begin)
			abort(); /* st_parse promised byte size = numel x dtype size */
		if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16) {
			float out[16];
			size_t k = n < 16 ? (size_t)n : 16;
			st_to_f32(t->dtype, t->data, out, k);
		}
	}
	st_find(&f, "lm_head.weight");
	st_close(&f);
	return 0;
}
