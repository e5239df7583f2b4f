/*
 * text.c: the few Python str operations lm-eval's tasks apply to their rows, with
 * Python's meaning on UTF-8 text: isspace/strip (Unicode whitespace, not C's isspace),
 * len (code points), len(re.split(r"\s+")) and capitalize.
 *
 * These decide the exact bytes sent to the tokenizer, so they follow CPython, not the C
 * locale. Never prints, never exits, never consults the process locale.
 */
#include "engine/tasks/text.h"


// ---- UTF-8 ----

/* Decode the character at s[0..n) (n >= 1) into *cp; returns its byte length. A byte that
 * starts no valid sequence decodes as itself, length 1. */
static size_t utf8_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = u[0] < 0x80 ? 1 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 0;
	if (len == 0 || len > n) {
		*cp = u[0];
		return 1;
	}
	uint32_t c = len == 1 ? u[0] : u[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80) {
			*cp = u[0];
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3F);
	}
	*cp = c;
	return len;
}

/* Start of the character that ends at s[end - 1]. */
static size_t utf8_prev(const char *s, size_t end)
{
	size_t i = end - 1;
	while (i > 0 && end - i < 4 && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	return i;
}

// ---- whitespace, length, words ----

bool py_isspace(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
	       cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

size_t py_rstrip_len(const char *s, size_t n)
{
	while (n > 0) {
		uint32_t cp;
		size_t start = utf8_prev(s, n);
		if (utf8_next(s + start, n - start, &cp) != n - start || !py_isspace(cp))
			break;
		n = start;
	}
	return n;
}

size_t py_lstrip_off(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_next(s + i, n - i, &cp);
		if (!py_isspace(cp))
			break;
		i += len;
	}
	return i;
}

long py_len(const char *s, size_t n)
{
	long count = 0;
	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xC0) != 0x80;
	return count;
}

long py_count_words(const char *s, size_t n)
{
	long runs = 0;
	bool in_space = false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += utf8_next(s + i, n - i, &cp);
		bool space = py_isspace(cp);
		runs += space && !in_space;
		in_space = space;
	}
	return 1 + runs;
}

// ---- case ----

/* The upper-case partner of a lower-case letter cp, or cp. */
static uint32_t upper_of(uint32_t cp)
{
	if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) ||
	    (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) || (cp >= 0x430 && cp <= 0x44F))
		return cp - 32;
	if (cp == 0xFF)
		return 0x178;
	if (cp == 0xB5)
		return 0x39C;
	if (cp == 0x131)
		return 'I';
	if (cp == 0x17F)
		return 'S';
	if (cp == 0x3C2)
		return 0x3A3;
	if (cp >= 0x450 && cp <= 0x45F)
		return cp - 80;
	if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
	    (cp >= 0x14A && cp <= 0x177))
		return cp & ~1u;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return cp % 2 ? cp : cp - 1;
	return cp;
}

/* The lower-case partner of an upper-case letter cp, or cp. */
static uint32_t lower_of(uint32_t cp)
{
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
	    (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
		return cp + 32;
	if (cp == 0x178)
		return 0xFF;
	if (cp >= 0x400 && cp <= 0x40F)
		return cp + 80;
	if ((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
	    (cp >= 0x14A && cp <= 0x177))
		return cp | 1u;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return cp % 2 ? cp + 1 : cp;
	return cp;
}

void py_capitalize(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_next(s + i, n - i, &cp);
		if (len == 1 && cp >= 0x80)
			strbuf_add(out, s + i, 1); /* not UTF-8: kept as it is */
		else
			strbuf_add_cp(out, i == 0 ? upper_of(cp) : lower_of(cp));
		i += len;
	}
}
