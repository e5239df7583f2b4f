/*
 * strbuf.h: the one growable string of the project, and strings built by format.
 *
 * A struct strbuf grows as it is appended to, so nothing written into it is ever cut
 * short: the fixed char[] buffers and unchecked snprintf calls it replaces could truncate
 * a long path silently. Running out of memory is the only way an append can fail; the
 * buffer remembers it (oom), later appends do nothing, and the owner checks once, at the
 * end (strbuf_take, or strbuf_take_or_fail to report BB_ENOMEM in a bb_error).
 *
 * Never prints, never exits; no global state, so threads may each use their own buffer.
 */
#ifndef BB_STRBUF_H
#define BB_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Zero-initialise ({0}) to start empty. p is NUL-terminated after any append (even of
 * nothing) while oom is false; NULL before the first append. */
struct strbuf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: p is then incomplete and the contents are lost */
};

/* Append n bytes of s (any bytes, NUL included). 0, or -1 once out of memory. */
int strbuf_add(struct strbuf *b, const void *s, size_t n);
/* Append a C string. */
int strbuf_adds(struct strbuf *b, const char *s);
/* Append one byte. */
int strbuf_addc(struct strbuf *b, char c);
/* Append code point cp encoded as UTF-8 (1 to 4 bytes). */
int strbuf_add_cp(struct strbuf *b, uint32_t cp);
/* Append printf-style: formatted straight into the grown buffer, so never truncated. */
int strbuf_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Empty the buffer, keeping its memory (and its oom state). */
void strbuf_reset(struct strbuf *b);

/* The string, malloc'd, ownership to the caller ("" when nothing was appended), or NULL
 * after an allocation failure. The buffer is empty again afterwards. */
char *strbuf_take(struct strbuf *b);
/* The same, but an allocation failure is reported in err as BB_ENOMEM. */
char *strbuf_take_or_fail(struct strbuf *b, struct bb_error *err);
/* Free the buffer's memory; it is empty again afterwards. */
void strbuf_release(struct strbuf *b);

/* A string built by format (a path "%s/%s.json", a file name), malloc'd; NULL with
 * BB_ENOMEM in err when memory runs out. Of any length: never truncated. */
char *str_printf(struct bb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For text of a known bound written into a fixed buffer (a number, a key, a format name, a
 * name whose length the format allows for): snprintf that says whether it fitted, so the
 * caller fails with a message instead of carrying on with a cut string. The one place where
 * truncation into a fixed buffer is checked; text of any length goes to str_printf. */
bool fmt_fits(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
