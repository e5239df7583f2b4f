/*
 * fuzz_experiment.c: an experiment file (experiments/tableN.json) through experiment_load,
 * for the paper's model set (planning from the shipped configs: no model root) and for
 * the demo set (the shared model), then the published figures and the file-name slugs
 * the runner derives from it.
 * Never writes a file.
 */
#include "fuzz/fuzz.h"

#include "harness/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	if (!path)
		return 0;
	for (int set = 0; set < 2; set++) {
		struct experiment e;
		struct bb_error err = {0};
		if (experiment_load(&e, path, set ? MODEL_SET_DEMO : MODEL_SET_PAPER, NULL,
				    fuzz_shared(), &err) != 0)
			continue;
		char slug[128];
		for (int r = 0; r < e.n_rows; r++) {
			slugify(e.rows[r].label, slug, sizeof slug);
			for (int m = 0; m < e.n_models; m++)
				experiment_published(&e, r, m);
		}
		slugify(e.name, slug, 8);
		experiment_free(&e);
	}
	return 0;
}
