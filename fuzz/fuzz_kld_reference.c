/*
 * fuzz_kld_reference.c: a KLD reference file (docs/formats.md, "KLD reference") through
 * kld_reference_open, expecting the seeds' key and the vocabulary and position count the
 * file's own header claims (when small enough to be plausible), so inputs get past the
 * header checks to the size and checksum checks.
 */
#include "fuzz/fuzz.h"

#include "engine/model/kld.h"

/* The key every seed carries (fuzz/seed_corpus.py seeds_kld_reference). */
static const char KEY[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	uint32_t V = 4;
	uint64_t n = 2;
	if (!path)
		return 0;
	if (size >= 24) {
		memcpy(&V, data + 12, sizeof V);
		memcpy(&n, data + 16, sizeof n);
	}
	if (V < 1 || V > 4096 || n > 4096) { /* the caller's figures come from a real text */
		V = 4;
		n = 2;
	}
	struct kld_reference *ref = NULL;
	struct bb_error err = {0};
	kld_reference_open(&ref, path, KEY, (long)n, (int)V, &err);
	kld_reference_close(ref);
	return 0;
}
