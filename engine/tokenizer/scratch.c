/*
 * scratch.c: the memory one encode call works in (struct tk_scratch, scratch.h): how its
 * running out is said, and its release. Every stage's apply step stands on it.
 *
 * It belongs to the call, never to the tokenizer; it must never print or exit.
 */
#include "engine/tokenizer/scratch.h"

#include <stdlib.h>

int tk_encode_oom(struct tk_scratch *sc)
{
	return bb_fail(sc->err, BB_ENOMEM, "tokenizer: out of memory while encoding");
}

void tk_scratch_free(struct tk_scratch *sc)
{
	free(sc->out.p);
	free(sc->raw.p);
	free(sc->norm.p);
	free(sc->nbuf.p);
	free(sc->ntmp.p);
	free(sc->tmp.p);
	free(sc->map.p);
	free(sc->key.p);
	tk_pieces_free(&sc->pa);
	tk_pieces_free(&sc->pb);
	free(sc->seg);
	free(sc->sub);
	free(sc->sym);
	free(sc->heap);
	pcre2_match_data_free(sc->md);
}
