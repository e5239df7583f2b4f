/*
 * http_error.c: the endpoint's one error body (http_error.h). Never prints, never exits.
 */
#include "endpoint/http_error.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/strbuf.h"

cJSON *http_error(const char *fmt, ...)
{
	struct strbuf msg = {0}; /* grown to fit: a long path in it is never cut */
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	for (char *c = msg.p; c && *c; c++) /* one line */
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	char *text = strbuf_take(&msg);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", text ? text : "out of memory");
	free(text);
	return o;
}
