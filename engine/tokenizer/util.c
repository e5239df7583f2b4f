/*
 * util.c: the tokenizer's small building blocks: growable int arrays, piece
 * lists, UTF-8 helpers and the two open-addressing hash maps (vocabulary and merges).
 *
 * Nothing here knows about tokenizer.json. It must never print, exit or keep global
 * mutable state; allocation failure is reported as -1 to the caller.
 */
#include "engine/tokenizer/internal.h"

#include <stdlib.h>
#include <string.h>

// ---- buffers ----

int tk_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *q;
	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

int tk_ivec_push(struct tk_ivec *v, int x)
{
	return tk_ivec_append(v, &x, 1);
}

int tk_ivec_append(struct tk_ivec *v, const int *x, size_t n)
{
	if (tk_grow((void **)&v->p, &v->cap, v->len + n, sizeof *v->p))
		return -1;
	if (n)
		memcpy(v->p + v->len, x, n * sizeof *x);
	v->len += n;
	return 0;
}

int tk_pieces_add(struct tk_pieces *p, const char *s, size_t n, int origin)
{
	struct tk_span sp = {p->buf.len, n, origin};
	if (tk_grow((void **)&p->sp, &p->cap, p->n + 1, sizeof *p->sp))
		return -1;
	if (strbuf_add(&p->buf, s, n))
		return -1;
	p->sp[p->n++] = sp;
	return 0;
}

int tk_pieces_close(struct tk_pieces *p, size_t start, int origin)
{
	struct tk_span sp = {start, p->buf.len - start, origin};
	if (tk_grow((void **)&p->sp, &p->cap, p->n + 1, sizeof *p->sp))
		return -1;
	p->sp[p->n++] = sp;
	return 0;
}

void tk_pieces_clear(struct tk_pieces *p)
{
	strbuf_reset(&p->buf);
	p->n = 0;
}

void tk_pieces_free(struct tk_pieces *p)
{
	free(p->buf.p);
	free(p->sp);
	memset(p, 0, sizeof *p);
}

// ---- UTF-8 ----

size_t tk_utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1;
}

uint32_t tk_utf8_decode(const char *s, size_t n, size_t *used)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = tk_utf8_len(u[0]);
	uint32_t cp;
	if (k > n)
		k = 1;
	*used = k;
	switch (k) {
	case 2:
		cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
		break;
	case 3:
		cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
		break;
	case 4:
		cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
		     (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
		break;
	default:
		cp = u[0];
	}
	return cp;
}

/*
 * Length of the valid UTF-8 sequence at u (n bytes left), or 0 if it is invalid; on
 * 0, *bad gets the length of the maximal invalid subpart (what Rust replaces by one
 * U+FFFD): the lead byte plus the continuation bytes that were still acceptable.
 */
static size_t utf8_seq(const unsigned char *u, size_t n, size_t *bad)
{
	unsigned char c = u[0], lo = 0x80, hi = 0xBF;
	size_t k, i;
	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		k = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		k = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		k = 4;
	else
		return 0;
	/* the second byte's range excludes overlongs, surrogates and > U+10FFFF */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	for (i = 1; i < k; i++) {
		if (i >= n || u[i] < lo || u[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return k;
}

size_t tk_utf8_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad;
	while (i < n) {
		size_t k = utf8_seq(u + i, n - i, &bad);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

int tk_put_lossy(struct strbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad;
	while (i < n) {
		size_t k = utf8_seq(u + i, n - i, &bad);
		if (k) {
			if (strbuf_add(b, s + i, k))
				return -1;
			i += k;
		} else {
			if (strbuf_add(b, "\xEF\xBF\xBD", 3))
				return -1;
			i += bad;
		}
	}
	return 0;
}

int tk_is_space(uint32_t cp)
{
	if (cp >= 0x09 && cp <= 0x0D)
		return 1;
	switch (cp) {
	case 0x20:
	case 0x85:
	case 0xA0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202F:
	case 0x205F:
	case 0x3000:
		return 1;
	default:
		return cp >= 0x2000 && cp <= 0x200A;
	}
}

// ---- hash maps ----

static uint32_t hash_bytes(const char *s, size_t n)
{
	/* FNV-1a, then a final mix so that short keys spread over the low bits */
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (uint32_t)h;
}

static uint32_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* Power-of-two capacity with load factor at most 1/2. */
static uint32_t table_cap(size_t expect)
{
	uint32_t c = 16;
	while (c < 2 * expect + 2)
		c *= 2;
	return c;
}

int tk_strmap_init(struct tk_strmap *m, size_t expect)
{
	uint32_t cap = table_cap(expect);
	m->slots = calloc(cap, sizeof *m->slots);
	m->mask = cap - 1;
	m->count = 0;
	return m->slots ? 0 : -1;
}

void tk_strmap_free(struct tk_strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

static struct tk_str_slot *str_find(const struct tk_strmap *m, const char *key, size_t len,
				    uint32_t h)
{
	uint32_t i = h & m->mask;
	for (;;) {
		struct tk_str_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len)))
			return s;
		i = (i + 1) & m->mask;
	}
}

static int str_rehash(struct tk_strmap *m)
{
	struct tk_strmap bigger;
	uint32_t i;
	if (tk_strmap_init(&bigger, (size_t)m->count * 2))
		return -1;
	for (i = 0; i <= m->mask; i++) {
		struct tk_str_slot *s = &m->slots[i];
		if (s->key)
			*str_find(&bigger, s->key, s->len, s->hash) = *s;
	}
	bigger.count = m->count;
	free(m->slots);
	*m = bigger;
	return 0;
}

int tk_strmap_put(struct tk_strmap *m, const char *key, size_t len, int val)
{
	uint32_t h = hash_bytes(key, len);
	struct tk_str_slot *s;
	if (2 * (m->count + 1) > m->mask + 1 && str_rehash(m))
		return -1;
	s = str_find(m, key, len, h);
	if (!s->key) {
		s->key = key;
		s->len = (uint32_t)len;
		s->hash = h;
		m->count++;
	}
	s->val = val;
	return 0;
}

int tk_strmap_get(const struct tk_strmap *m, const char *key, size_t len)
{
	const struct tk_str_slot *s;
	if (!m->slots)
		return -1;
	s = str_find(m, key, len, hash_bytes(key, len));
	return s->key ? s->val : -1;
}

int tk_pairmap_init(struct tk_pairmap *m, size_t expect)
{
	uint32_t cap = table_cap(expect), i;
	m->slots = malloc(cap * sizeof *m->slots);
	if (!m->slots)
		return -1;
	for (i = 0; i < cap; i++)
		m->slots[i].rank = -1;
	m->mask = cap - 1;
	m->count = 0;
	return 0;
}

void tk_pairmap_free(struct tk_pairmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

static struct tk_pair_slot *pair_find(const struct tk_pairmap *m, uint64_t key)
{
	uint32_t i = hash_u64(key) & m->mask;
	for (;;) {
		struct tk_pair_slot *s = &m->slots[i];
		if (s->rank < 0 || s->key == key)
			return s;
		i = (i + 1) & m->mask;
	}
}

static uint64_t pair_key(int left, int right)
{
	return (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
}

int tk_pairmap_put(struct tk_pairmap *m, int left, int right, int rank, int id)
{
	uint64_t key = pair_key(left, right);
	struct tk_pair_slot *s;
	if (2 * (m->count + 1) > m->mask + 1) {
		struct tk_pairmap bigger;
		uint32_t i;
		if (tk_pairmap_init(&bigger, (size_t)m->count * 2))
			return -1;
		for (i = 0; i <= m->mask; i++)
			if (m->slots[i].rank >= 0)
				*pair_find(&bigger, m->slots[i].key) = m->slots[i];
		bigger.count = m->count;
		free(m->slots);
		*m = bigger;
	}
	s = pair_find(m, key);
	if (s->rank < 0)
		m->count++;
	/* a later duplicate overwrites the earlier one, as HF's HashMap collect does */
	s->key = key;
	s->rank = rank;
	s->id = id;
	return 0;
}

const struct tk_pair_slot *tk_pairmap_get(const struct tk_pairmap *m, int left, int right)
{
	const struct tk_pair_slot *s;
	if (!m->slots)
		return NULL;
	s = pair_find(m, pair_key(left, right));
	return s->rank >= 0 ? s : NULL;
}

// ---- string arena ----

struct tk_arena_block {
	struct tk_arena_block *next;
	size_t used, cap;
	char data[];
};

char *tk_arena_dup(struct tk_arena *a, const char *s, size_t n)
{
	struct tk_arena_block *b = a->head;
	char *p;
	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	p = b->data + b->used;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

void tk_arena_free(struct tk_arena *a)
{
	while (a->head) {
		struct tk_arena_block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
}
