/*
 * model_open.c: a model folder as the commands and the endpoint open it: the optional
 * override recipe file, the weights, and the tokenizer, all or nothing.
 * Never prints, never exits.
 */
#include "engine/model/model.h"

#include "engine/tokenizer/tokenizer.h"

int model_open(struct model **m, struct tokenizer **tok, const char *dir,
	       const char *recipe_path, struct bb_error *err)
{
	struct recipe r;
	int rc = 0;
	*m = NULL;
	if (tok)
		*tok = NULL;
	if (recipe_path && (rc = recipe_read(&r, recipe_path, err)))
		return rc;
	rc = model_load(m, dir, recipe_path ? &r : NULL, err);
	if (recipe_path)
		recipe_free(&r);
	if (!rc && tok && (rc = tokenizer_load(tok, dir, err))) {
		model_free(*m);
		*m = NULL;
	}
	return rc;
}
