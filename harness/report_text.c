/*
 * report_text.c: text both report writers print the same way (report_text.h).
 */
#include "harness/report_text.h"

#include <string.h>

#include "harness/stats.h"

void report_p_text(double p, char *buf, size_t n)
{
	if (p <= 0)
		snprintf(buf, n, "<%.4f", 1.0 / BOOTSTRAP_RESAMPLES);
	else
		snprintf(buf, n, "%.4f", p);
}

void tex_escape(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (strchr("&%$#_{}", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}
