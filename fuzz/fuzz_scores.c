/*
 * fuzz_scores.c: a scores file (docs/formats.md) through scores_read, then lookups of
 * every layer it holds under every option, and of names it does not hold.
 * Never writes a file.
 */
#include "fuzz/fuzz.h"

#include "core/scores.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	struct scores s;
	struct bb_error err = {0};
	if (!path || scores_read(&s, path, &err) != 0)
		return 0;
	for (int i = 0; i < s.n_layers; i++)
		for (int k = 0; k < s.n_options; k++) {
			double v = scores_get(&s, s.names[i], &s.options[k]);
			if (!(v >= 0))
				abort(); /* scores_read promised finite values >= 0 */
		}
	if (s.n_options)
		scores_get(&s, "no.such.layer", &s.options[0]);
	scores_free(&s);
	return 0;
}
