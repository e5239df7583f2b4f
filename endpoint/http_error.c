/*
 * http_error.c: the endpoint's one error body (http_error.h). Never prints, never exits.
 */
#include "endpoint/http_error.h"

#include <stdarg.h>
#include <stdio.h>

cJSON *http_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++) /* one line */
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}
