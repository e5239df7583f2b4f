/*
 * error.c: fills the caller's struct bb_error. Never prints, never exits.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

int bb_fail(struct bb_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
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
