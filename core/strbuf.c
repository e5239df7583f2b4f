/*
 * strbuf.c: the growable string (strbuf.h): growth, formatted appends, UTF-8 encoding,
 * and the one place where an allocation failure is turned into a bb_error.
 *
 * Formatted appends measure with vsnprintf first and then write into room already made,
 * so a result is never cut short; fmt_fits, for fixed buffers, is the one place that checks
 * a fixed buffer's write for truncation. Never prints, never exits.
 */
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- growth ----

/* Make room for need bytes plus the terminating NUL; false (and oom) when that fails. */
static bool strbuf_reserve(struct strbuf *b, size_t need)
{
	if (b->oom)
		return false;
	if (need < b->len || need + 1 < need) { /* size_t overflow: cannot be held */
		b->oom = true;
		return false;
	}
	if (need + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need + 1)
		cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

// ---- appends ----

int strbuf_add(struct strbuf *b, const void *s, size_t n)
{
	if (!strbuf_reserve(b, b->len + n))
		return -1;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int strbuf_adds(struct strbuf *b, const char *s)
{
	return strbuf_add(b, s, strlen(s));
}

int strbuf_addc(struct strbuf *b, char c)
{
	return strbuf_add(b, &c, 1);
}

int strbuf_add_cp(struct strbuf *b, uint32_t cp)
{
	char s[4];
	size_t n = 0;
	if (cp < 0x80) {
		s[n++] = (char)cp;
	} else if (cp < 0x800) {
		s[n++] = (char)(0xC0 | (cp >> 6));
		s[n++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		s[n++] = (char)(0xE0 | (cp >> 12));
		s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[n++] = (char)(0x80 | (cp & 0x3F));
	} else {
		s[n++] = (char)(0xF0 | (cp >> 18));
		s[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[n++] = (char)(0x80 | (cp & 0x3F));
	}
	return strbuf_add(b, s, n);
}

int strbuf_vaddf(struct strbuf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap); /* the length it will have */
	if (n < 0 || !strbuf_reserve(b, b->len + (size_t)n)) {
		b->oom = true; /* a format error (n < 0) leaves the contents as incomplete */
		va_end(again);
		return -1;
	}
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
	return 0;
}

int strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = strbuf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

// ---- handing over ----

char *strbuf_take(struct strbuf *b)
{
	char *p = b->oom ? NULL : b->p;
	if (b->oom)
		free(b->p);
	else if (!p)
		p = calloc(1, 1);
	*b = (struct strbuf){0};
	return p;
}

char *strbuf_take_or_fail(struct strbuf *b, struct bb_error *err)
{
	char *p = strbuf_take(b);
	if (!p)
		bb_fail(err, BB_ENOMEM, "out of memory while building a string");
	return p;
}

void strbuf_release(struct strbuf *b)
{
	free(b->p);
	*b = (struct strbuf){0};
}

char *str_printf(struct bb_error *err, const char *fmt, ...)
{
	struct strbuf b = {0};
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&b, fmt, ap);
	va_end(ap);
	return strbuf_take_or_fail(&b, err);
}

bool fmt_fits(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}
