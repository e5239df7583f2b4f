/*
 * tokenizer.c: the tokenizer's lifetime and its read-only queries (ids, pieces, BOS,
 * EOS). Loading lives in load.c, encoding in encode.c and decoding in decoder.c; each
 * stage of the pipeline parses and applies itself in its own file (normalizer.c,
 * pre_tokenizer.c, bpe.c, added_tokens.c, decoder.c, post_processor.c).
 *
 * Every function here only reads a loaded tokenizer, so all of them are safe to call
 * from many threads at once, and never print or exit.
 */
#include "engine/tokenizer/internal.h"

#include <stdlib.h>
#include <string.h>

void tokenizer_free(struct tokenizer *t)
{
	int i;
	if (!t)
		return;
	for (i = 0; i < t->n_norm; i++)
		pcre2_code_free(t->norm[i].re);
	for (i = 0; i < t->n_pre; i++)
		pcre2_code_free(t->pre[i].re);
	pcre2_code_free(t->word_re);
	free(t->norm);
	free(t->pre);
	free(t->dec);
	free(t->added);
	free(t->raw_matcher.idx);
	free(t->norm_matcher.idx);
	free(t->prefix);
	free(t->suffix);
	free(t->piece);
	free(t->piece_len);
	free(t->id_flags);
	tk_strmap_free(&t->vocab);
	tk_strmap_free(&t->added_map);
	tk_pairmap_free(&t->merges);
	tk_arena_free(&t->arena);
	free(t);
}

int tokenizer_bos(const struct tokenizer *t)
{
	return t->bos_id;
}

int tokenizer_pad(const struct tokenizer *t)
{
	return t->pad_id;
}

int tokenizer_eos(const struct tokenizer *t)
{
	return t->eos_id;
}

int tokenizer_adds_bos(const struct tokenizer *t)
{
	return t->bos_id >= 0 && t->n_prefix > 0 && t->prefix[0] == t->bos_id;
}

int tokenizer_vocab_size(const struct tokenizer *t)
{
	return t->n_ids;
}

const char *tokenizer_piece(const struct tokenizer *t, int id)
{
	return id >= 0 && id < t->n_ids ? t->piece[id] : NULL;
}

int tokenizer_token_id(const struct tokenizer *t, const char *piece)
{
	size_t n = strlen(piece);
	int id = tk_strmap_get(&t->added_map, piece, n);
	return id >= 0 ? id : tk_strmap_get(&t->vocab, piece, n);
}

int tokenizer_is_special(const struct tokenizer *t, int id)
{
	return id >= 0 && id < t->n_ids && (t->id_flags[id] & TK_ID_SPECIAL) != 0;
}
