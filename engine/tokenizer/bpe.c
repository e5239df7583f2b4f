/*
 * bpe.c: the model stage, BPE: the vocabulary and merges parsed from tokenizer.json's
 * "model", and a piece encoded by merging its symbols lowest rank first, leftmost among
 * equals (HF's Word::merge_all), with byte fallback and unk fusion.
 *
 * Only BPE loads: another model type is BB_EUNSUPPORTED. Encoding works in the call's
 * scratch (scratch.h) and must never write to the tokenizer. Never prints, never exits.
 */
#include "engine/tokenizer/stages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- parsing ----

static int set_piece(struct tk_ctx *c, int id, const char *s, size_t n)
{
	struct tokenizer *t = c->t;
	char *p = tk_dup_str(c, s, n);
	if (!p)
		return BB_ENOMEM;
	t->piece[id] = p;
	t->piece_len[id] = (uint32_t)n;
	return 0;
}

static int parse_vocab(struct tk_ctx *c, const cJSON *vocab)
{
	struct tokenizer *t = c->t;
	const cJSON *e;
	int max = -1, rc;
	if (!cJSON_IsObject(vocab))
		return tk_fail_field(c, "model.vocab", "is missing or not an object");
	cJSON_ArrayForEach(e, vocab) {
		int id = tk_as_id(e);
		if (id < 0) /* the key shown in part: a hostile one may be megabytes long */
			return bb_fail(c->err, BB_EFORMAT, "'%s': model.vocab['%.200s'] is not a "
				       "valid id", c->path, e->string);
		if (id > max)
			max = id;
	}
	if ((rc = tk_reserve_ids(c, max + 1)))
		return rc;
	if (tk_strmap_init(&t->vocab, (size_t)cJSON_GetArraySize(vocab)))
		return tk_load_oom(c);
	cJSON_ArrayForEach(e, vocab) {
		int id = tk_as_id(e);
		size_t n = strlen(e->string);
		if (!t->piece[id] && (rc = set_piece(c, id, e->string, n)))
			return rc;
		/* the map borrows the arena copy of the piece when it is this id's own */
		if (t->piece_len[id] == n && !memcmp(t->piece[id], e->string, n)) {
			if (tk_strmap_put(&t->vocab, t->piece[id], n, id))
				return tk_load_oom(c);
		} else {
			char *k = tk_dup_str(c, e->string, n);
			if (!k || tk_strmap_put(&t->vocab, k, n, id))
				return tk_load_oom(c);
		}
	}
	return 0;
}

static int merge_fail(struct tk_ctx *c, int i, const char *what)
{
	char w[64];
	snprintf(w, sizeof w, "model.merges[%d]", i);
	return tk_fail_field(c, w, what);
}

/* One merge as "a b" or ["a", "b"]; the parts point into the JSON. */
static int merge_parts(struct tk_ctx *c, const cJSON *m, int i, const char **a, size_t *alen,
		       const char **b, size_t *blen)
{
	if (cJSON_IsString(m)) {
		/* split at the first space, as HF's legacy "a b" reader does */
		const char *sp = strchr(m->valuestring, ' ');
		if (!sp)
			return merge_fail(c, i, "has no space between its two pieces");
		*a = m->valuestring;
		*alen = (size_t)(sp - m->valuestring);
		*b = sp + 1;
		*blen = strlen(sp + 1);
		return 0;
	}
	if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 &&
	    cJSON_IsString(cJSON_GetArrayItem(m, 0)) && cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
		*a = cJSON_GetArrayItem(m, 0)->valuestring;
		*alen = strlen(*a);
		*b = cJSON_GetArrayItem(m, 1)->valuestring;
		*blen = strlen(*b);
		return 0;
	}
	return merge_fail(c, i, "is not a string or a pair of strings");
}

static int parse_merges(struct tk_ctx *c, const cJSON *merges)
{
	struct tokenizer *t = c->t;
	struct strbuf joined = {0};
	const cJSON *m;
	int i = 0, rc = 0;
	if (merges && !cJSON_IsArray(merges))
		return tk_fail_field(c, "model.merges", "is not an array");
	if (tk_pairmap_init(&t->merges, (size_t)cJSON_GetArraySize(merges)))
		return tk_load_oom(c);
	cJSON_ArrayForEach(m, merges) {
		const char *a = NULL, *b = NULL;
		size_t alen = 0, blen = 0, skip = t->cont_prefix_len;
		int ia, ib, im;
		if ((rc = merge_parts(c, m, i, &a, &alen, &b, &blen)))
			break;
		ia = tk_strmap_get(&t->vocab, a, alen);
		ib = tk_strmap_get(&t->vocab, b, blen);
		/* the merged piece drops the right part's continuing-subword prefix */
		if (blen < skip || memcmp(b, t->cont_prefix ? t->cont_prefix : "", skip))
			skip = 0;
		strbuf_reset(&joined);
		if (strbuf_add(&joined, a, alen) || strbuf_add(&joined, b + skip, blen - skip)) {
			rc = tk_load_oom(c);
			break;
		}
		im = tk_strmap_get(&t->vocab, joined.p, joined.len);
		if (ia < 0 || ib < 0 || im < 0) {
			rc = merge_fail(c, i, "names a piece that is not in model.vocab");
			break;
		}
		if (tk_pairmap_put(&t->merges, ia, ib, i, im)) {
			rc = tk_load_oom(c);
			break;
		}
		i++;
	}
	free(joined.p);
	return rc;
}

int tk_parse_model(struct tk_ctx *c, const cJSON *model)
{
	struct tokenizer *t = c->t;
	const char *type = tk_type_of(model), *unk, *s;
	int bad, rc, b;
	if (!cJSON_IsObject(model))
		return tk_fail_field(c, "model", "is missing or not an object");
	/* HF accepts an untagged model; only a BPE model has merges */
	if (type && strcmp(type, "BPE"))
		return bb_fail(c->err, BB_EUNSUPPORTED,
			       "'%s': model.type '%s' is not supported (only BPE)", c->path, type);
	if (!type && !cJSON_GetObjectItemCaseSensitive(model, "merges"))
		return tk_fail_field(c, "model.type", "is missing and the model has no merges");
	if ((t->fuse_unk = tk_get_bool(c, model, "fuse_unk", 0, "model")) < 0 ||
	    (t->byte_fallback = tk_get_bool(c, model, "byte_fallback", 0, "model")) < 0 ||
	    (t->ignore_merges = tk_get_bool(c, model, "ignore_merges", 0, "model")) < 0)
		return BB_EFORMAT;
	s = tk_get_str(c, model, "continuing_subword_prefix", "model", &bad);
	if (bad)
		return BB_EFORMAT;
	/* an empty prefix or suffix (as Qwen writes them) is the same as none */
	if (s && *s && !(t->cont_prefix = tk_dup_str(c, s, t->cont_prefix_len = strlen(s))))
		return BB_ENOMEM;
	s = tk_get_str(c, model, "end_of_word_suffix", "model", &bad);
	if (bad)
		return BB_EFORMAT;
	if (s && *s && !(t->eow_suffix = tk_dup_str(c, s, t->eow_suffix_len = strlen(s))))
		return BB_ENOMEM;
	if ((rc = parse_vocab(c, cJSON_GetObjectItemCaseSensitive(model, "vocab"))) ||
	    (rc = parse_merges(c, cJSON_GetObjectItemCaseSensitive(model, "merges"))))
		return rc;
	unk = tk_get_str(c, model, "unk_token", "model", &bad);
	if (bad)
		return BB_EFORMAT;
	t->unk_named = unk != NULL;
	t->unk_id = unk ? tk_strmap_get(&t->vocab, unk, strlen(unk)) : -1;
	for (b = 0; b < 256; b++) {
		char name[8];
		snprintf(name, sizeof name, "<0x%02X>", b);
		t->byte_id[b] = tk_strmap_get(&t->vocab, name, 6);
	}
	return 0;
}

// ---- applying ----

/* Heap order: lowest rank first, then leftmost; both packed into one 64-bit key. */
static uint64_t merge_key(int rank, int pos)
{
	return (uint64_t)(uint32_t)rank << 32 | (uint32_t)pos;
}

static void sift_down(struct tk_merge *h, size_t n, size_t i)
{
	struct tk_merge x = h[i];
	size_t c;
	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && h[c + 1].key < h[c].key)
			c++;
		if (h[c].key >= x.key)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static int heap_push(struct tk_scratch *sc, int rank, int pos, int id)
{
	struct tk_merge m = {merge_key(rank, pos), id};
	size_t i;
	if (tk_grow((void **)&sc->heap, &sc->heapcap, sc->nheap + 1, sizeof *sc->heap))
		return -1;
	for (i = sc->nheap++; i > 0 && m.key < sc->heap[(i - 1) / 2].key; i = (i - 1) / 2)
		sc->heap[i] = sc->heap[(i - 1) / 2];
	sc->heap[i] = m;
	return 0;
}

static struct tk_merge heap_pop(struct tk_scratch *sc)
{
	struct tk_merge top = sc->heap[0];
	sc->heap[0] = sc->heap[--sc->nheap];
	if (sc->nheap)
		sift_down(sc->heap, sc->nheap, 0);
	return top;
}

static int add_sym(struct tk_scratch *sc, int *nsym, int id)
{
	struct tk_sym s = {id, *nsym - 1, *nsym + 1, 1};
	if (tk_grow((void **)&sc->sym, &sc->symcap, (size_t)*nsym + 1, sizeof *sc->sym))
		return -1;
	sc->sym[(*nsym)++] = s;
	return 0;
}

/* The vocabulary key of one character: with the subword prefix/suffix when set. */
static int char_key(struct tk_scratch *sc, const char *c, size_t k, int first, int last,
		    const char **key, size_t *klen)
{
	const struct tokenizer *t = sc->t;
	if (!t->cont_prefix && !t->eow_suffix) {
		*key = c;
		*klen = k;
		return 0;
	}
	strbuf_reset(&sc->key);
	if (!first && t->cont_prefix &&
	    strbuf_add(&sc->key, t->cont_prefix, t->cont_prefix_len))
		return -1;
	if (strbuf_add(&sc->key, c, k))
		return -1;
	if (last && t->eow_suffix && strbuf_add(&sc->key, t->eow_suffix, t->eow_suffix_len))
		return -1;
	*key = sc->key.p;
	*klen = sc->key.len;
	return 0;
}

/* HF's byte fallback: every byte of the key as <0xNN>, or nothing if one is missing. */
static int byte_fallback(struct tk_scratch *sc, const char *key, size_t klen, int *nsym)
{
	const struct tokenizer *t = sc->t;
	size_t i;
	for (i = 0; i < klen; i++)
		if (t->byte_id[(unsigned char)key[i]] < 0)
			return 0;
	for (i = 0; i < klen; i++)
		if (add_sym(sc, nsym, t->byte_id[(unsigned char)key[i]]))
			return -1;
	return 1;
}

/* Split a word into initial symbols: known chars, byte fallback, or (fused) unk. */
static int initial_symbols(struct tk_scratch *sc, const char *w, size_t n, int *nsym)
{
	const struct tokenizer *t = sc->t;
	size_t i, k;
	int pending_unk = 0, rc;
	*nsym = 0;
	for (i = 0; i < n; i += k) {
		const char *key;
		size_t klen;
		int id;
		k = tk_utf8_len((unsigned char)w[i]);
		if (k > n - i)
			k = n - i;
		if (char_key(sc, w + i, k, i == 0, i + k == n, &key, &klen))
			return tk_encode_oom(sc);
		id = tk_strmap_get(&t->vocab, key, klen);
		if (id >= 0) {
			if ((pending_unk && add_sym(sc, nsym, t->unk_id)) || add_sym(sc, nsym, id))
				return tk_encode_oom(sc);
			pending_unk = 0;
			continue;
		}
		/* as in HF, a pending unk is not flushed before fallback bytes */
		if (t->byte_fallback && (rc = byte_fallback(sc, key, klen, nsym)) != 0) {
			if (rc < 0)
				return tk_encode_oom(sc);
			continue;
		}
		if (!t->unk_named)
			continue; /* HF drops the character when there is no unk token */
		if (t->unk_id < 0)
			return bb_fail(sc->err, BB_EFORMAT,
				       "tokenizer: model.unk_token is not in model.vocab");
		if (pending_unk && !t->fuse_unk && add_sym(sc, nsym, t->unk_id))
			return tk_encode_oom(sc);
		pending_unk = 1;
	}
	if (pending_unk && add_sym(sc, nsym, t->unk_id))
		return tk_encode_oom(sc);
	if (*nsym)
		sc->sym[*nsym - 1].next = -1;
	return 0;
}

/* Lowest-rank merge first, leftmost among equals (HF's Word::merge_all). */
static int merge_all(struct tk_scratch *sc, int nsym)
{
	const struct tokenizer *t = sc->t;
	const struct tk_pair_slot *m;
	struct tk_sym *s = sc->sym;
	int i;
	/* all the initial pairs at once, then heapify: O(n) instead of n pushes */
	sc->nheap = 0;
	if (nsym > 1 && tk_grow((void **)&sc->heap, &sc->heapcap, (size_t)nsym, sizeof *sc->heap))
		return tk_encode_oom(sc);
	for (i = 0; i + 1 < nsym; i++)
		if ((m = tk_pairmap_get(&t->merges, s[i].id, s[i + 1].id))) {
			struct tk_merge e = {merge_key(m->rank, i), m->id};
			sc->heap[sc->nheap++] = e;
		}
	for (i = (int)(sc->nheap / 2) - 1; i >= 0; i--)
		sift_down(sc->heap, sc->nheap, (size_t)i);
	while (sc->nheap) {
		struct tk_merge top = heap_pop(sc);
		int pos = (int)(uint32_t)top.key, nx = s[pos].next;
		/* entries go stale when a neighbour merged first; skip those */
		if (!s[pos].alive || nx < 0)
			continue;
		m = tk_pairmap_get(&t->merges, s[pos].id, s[nx].id);
		if (!m || m->id != top.id)
			continue;
		s[pos].id = top.id;
		s[pos].next = s[nx].next;
		s[nx].alive = 0;
		if (s[pos].next >= 0)
			s[s[pos].next].prev = pos;
		/* the merged symbol forms new pairs with both neighbours */
		if (s[pos].prev >= 0 &&
		    (m = tk_pairmap_get(&t->merges, s[s[pos].prev].id, s[pos].id)) &&
		    heap_push(sc, m->rank, s[pos].prev, m->id))
			return tk_encode_oom(sc);
		if (s[pos].next >= 0 &&
		    (m = tk_pairmap_get(&t->merges, s[pos].id, s[s[pos].next].id)) &&
		    heap_push(sc, m->rank, pos, m->id))
			return tk_encode_oom(sc);
	}
	return 0;
}

int tk_bpe(struct tk_scratch *sc, const char *w, size_t n)
{
	const struct tokenizer *t = sc->t;
	int nsym, i, rc;
	if (t->ignore_merges) {
		int id = tk_strmap_get(&t->vocab, w, n);
		if (id >= 0)
			return tk_ivec_push(&sc->out, id) ? tk_encode_oom(sc) : 0;
	}
	if ((rc = initial_symbols(sc, w, n, &nsym)) || (rc = merge_all(sc, nsym)))
		return rc;
	/* symbol 0 always survives: merges only ever remove the right-hand symbol */
	for (i = nsym ? 0 : -1; i >= 0; i = sc->sym[i].next)
		if (tk_ivec_push(&sc->out, sc->sym[i].id))
			return tk_encode_oom(sc);
	return 0;
}
