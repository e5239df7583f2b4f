/*
 * report_text.c: text both report writers print the same way (report_text.h).
 */
#include "harness/report_text.h"

#include <string.h>

#include "harness/report_stats.h"
#include "harness/stats.h"

const char *report_row_label(const struct report *r, int row, char *buf, size_t n)
{
	const struct report_seed_group *g = report_seed_group_of(r, row);
	if (!g)
		return r->e->rows[row].label;
	if (r->n_seed_groups > 1)
		snprintf(buf, n, "Random %g-bit (%d seeds)", r->e->rows[row].avg_bits, g->n_rows);
	else
		snprintf(buf, n, "Random (%d seeds)", g->n_rows);
	return buf;
}

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
