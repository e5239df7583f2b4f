/*
 * fuzz_recipe.c: a recipe file through recipe_read, which takes both of its forms
 * (bitbudget's {"layers": ...} and AutoRound's layer_config), then the recipe's own JSON
 * written and read back (what `recipe -o` and `quantize --recipe` rely on: a recipe that
 * was accepted once is accepted again), and its AutoRound form.
 * Never writes a file: the written form stays in memory.
 */
#include "fuzz/fuzz.h"

#include <cJSON.h>

#include "core/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	struct recipe r, again;
	struct bb_error err = {0};
	if (!path || recipe_read(&r, path, &err) != 0) {
		if (path)
			recipe_free(&r); /* zeroed on failure: must be safe */
		return 0;
	}
	for (int i = 0; i < r.n_layers; i++)
		if (recipe_find(&r, r.layers[i].name) == NULL)
			abort();
	cJSON *json = recipe_to_json(&r);
	if (!json || recipe_from_json(&again, json, "round trip", &err) != 0)
		abort(); /* what was read must read back */
	if (again.n_layers != r.n_layers)
		abort();
	recipe_free(&again);
	cJSON_Delete(json);
	cJSON *ar = recipe_to_autoround(&r);
	char *text = cJSON_PrintUnformatted(ar);
	free(text);
	cJSON_Delete(ar);
	recipe_free(&r);
	return 0;
}
