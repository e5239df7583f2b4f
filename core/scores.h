/*
 * scores.h: per-layer, per-option sensitivity scores (lower is better), as a file.
 *
 *   {"options": ["MXFP4", "MXFP8"],
 *    "scores": {"model.layers.0.self_attn.q_proj": {"MXFP4": 12.5, "MXFP8": 0.3}, ...}}
 *
 * A score is the loss a layer adds when quantized with that option (DeltaLoss or a
 * proxy). Other top-level keys (method, nsamples, seqlen, seed, calib_sha256, ...) are
 * provenance: kept as they are, with the file's SHA-256, for recipe manifests.
 * Never prints, never exits.
 */
#ifndef BB_SCORES_H
#define BB_SCORES_H

#include <cJSON.h>

#include "core/checkpoint.h"
#include "core/error.h"
#include "core/formats.h"
#include "core/recipe.h"

struct scores {
	int n_options;
	struct format options[RECIPE_MAX_OPTIONS];
	int n_layers;
	char (*names)[128];  /* [n_layers] */
	double *values;      /* [n_layers][n_options], finite and >= 0 */
	char sha256[65];     /* of the file's bytes; "" when not read from a file */
	cJSON *provenance;   /* the file's other top-level keys (not options, scores, fixed), owned */
};

/* Read and validate a scores file; errors name the file, layer and option. Fills sha256
 * and provenance too. */
int scores_read(struct scores *s, const char *path, struct bb_error *err);
void scores_free(struct scores *s);

/* Every layer the scores name must be a layer of the model (inv, or its lm_head): scores
 * for another model would otherwise be half ignored and half applied. path names the file. */
int scores_check_layers(const struct scores *s, const struct inventory *inv, const char *path,
			struct bb_error *err);

/* Score of layer name under format f: 0 for BF16; -1 if the file has no such entry. */
double scores_get(const struct scores *s, const char *name, const struct format *f);

#endif
