/*
 * fuzz_config.c: a config.json through model_config_parse, then the planning-mode budget
 * inventory built from it (shapes and parameter counts computed from the config alone, as
 * `bitbudget inspect` and `recipe` do for a folder holding config.json only).
 * Never writes a file.
 */
#include "fuzz/fuzz.h"

#include <cJSON.h>

#include "core/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *json = cJSON_ParseWithLength((const char *)data, size);
	struct checkpoint ck = {0};
	struct bb_error err = {0};
	if (model_config_parse(&ck.cfg, json, "config.json", &err) == 0) {
		struct inventory inv;
		for (int head = 0; head < 2; head++)
			if (inventory_build(&inv, &ck, head, &err) == 0) {
				if (inv.n < 7)
					abort();
				inventory_find(&inv, "model.layers.0.self_attn.q_proj");
				inventory_free(&inv);
			}
	}
	cJSON_Delete(json);
	return 0;
}
