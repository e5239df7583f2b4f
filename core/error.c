/*
 * error.c: fills the caller's struct bb_error. Never prints, never exits.
 *
 * The one place a message can be too long (a path of thousands of characters in it):
 * the message keeps its beginning and its end, where the reason is, joined by "...",
 * rather than losing the reason to a cut.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a message's beginning kept when it is too long; the rest of msg is its end. */
#define KEEP_HEAD 160

static bool utf8_continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* Write full (len bytes, longer than msg holds) into msg as its head, "...", and its
 * tail, cutting only between UTF-8 characters. */
static void keep_both_ends(char *msg, size_t size, const char *full, size_t len)
{
	size_t head = KEEP_HEAD, tail = size - 1 - KEEP_HEAD - 3;
	while (head > 0 && utf8_continuation(full[head]))
		head--;
	while (tail > 0 && utf8_continuation(full[len - tail]))
		tail--;
	memcpy(msg, full, head);
	memcpy(msg + head, "...", 3);
	memcpy(msg + head + 3, full + len - tail, tail);
	msg[head + 3 + tail] = 0;
}

int bb_fail(struct bb_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	char *full = n >= (int)sizeof err->msg ? malloc((size_t)n + 1) : NULL;
	if (full) { /* without memory, the message stays cut at its end */
		vsnprintf(full, (size_t)n + 1, fmt, again);
		keep_both_ends(err->msg, sizeof err->msg, full, (size_t)n);
		free(full);
	}
	va_end(again);
	va_end(ap);
	err->code = code;
	return code;
}

int bb_exit_status(int code)
{
	switch (code) {
	case BB_EFORMAT:
	case BB_EINVAL:
	case BB_EUNSUPPORTED:
		return 2;
	default:
		return 1;
	}
}
