/*
 * py_format.c: Python's str(float) and json.dumps(indent=2, ensure_ascii=False) in C, for
 * lm-eval's per-document samples (engine/tasks/results.c): its resps are stringified
 * floats and its doc_hash is the SHA-256 of the document dumped this way
 * (lm_eval/evaluator.py, evaluate()).
 * Never prints or exits.
 */
#include "engine/py_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest "%.*e" text of x that reads back as x: its digits (no point) and the
 * decimal exponent of the first digit. */
static void shortest_digits(double x, char *digits, int *exp10)
{
	char buf[40]; /* "-d.<16 digits>e-308": 24 bytes at most */
	for (int prec = 0; prec < 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	char *e = strchr(buf, 'e');
	int k = 0;
	for (char *p = buf; p < e; p++)
		if (*p >= '0' && *p <= '9')
			digits[k++] = *p;
	digits[k] = 0;
	*exp10 = atoi(e + 1);
}

/* At most 17 significant digits, and an exponent only outside [1e-4, 1e16): 24 bytes with
 * the sign, so every write below fits buf's 32. */
void py_float_repr(double x, char buf[32])
{
	if (isnan(x) || isinf(x)) {
		snprintf(buf, 32, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
		return;
	}
	char digits[24];
	int e, n, k = 0;
	shortest_digits(fabs(x), digits, &e);
	n = (int)strlen(digits);
	if (signbit(x))
		buf[k++] = '-';
	if (e < -4 || e >= 16) { /* float_repr_style 'r': scientific outside [1e-4, 1e16) */
		k += snprintf(buf + k, (size_t)(32 - k), "%c%s%.*s", digits[0], n > 1 ? "." : "",
			      n - 1, digits + 1);
		snprintf(buf + k, (size_t)(32 - k), "e%c%02d", e < 0 ? '-' : '+', abs(e));
	} else if (e < 0) {
		k += snprintf(buf + k, (size_t)(32 - k), "0.");
		for (int z = 0; z < -e - 1; z++)
			buf[k++] = '0';
		snprintf(buf + k, (size_t)(32 - k), "%s", digits);
	} else if (n <= e + 1) {
		k += snprintf(buf + k, (size_t)(32 - k), "%s", digits);
		for (int z = n; z <= e; z++)
			buf[k++] = '0';
		snprintf(buf + k, (size_t)(32 - k), ".0");
	} else {
		snprintf(buf + k, (size_t)(32 - k), "%.*s.%s", e + 1, digits, digits + e + 1);
	}
}

/* A JSON string as json.dumps writes it with ensure_ascii=False: only '"', '\' and the
 * control characters below 0x20 are escaped. */
static void dump_string(const char *s, struct strbuf *out)
{
	strbuf_adds(out, "\"");
	for (; *s; s++) {
		const char *esc = *s == '"' ? "\\\"" : *s == '\\' ? "\\\\" : *s == '\n' ? "\\n"
				  : *s == '\r' ? "\\r" : *s == '\t' ? "\\t" : *s == '\b' ? "\\b"
				  : *s == '\f' ? "\\f" : NULL;
		char u[8];
		if (!esc && (unsigned char)*s < 0x20) {
			snprintf(u, sizeof u, "\\u%04x", (unsigned char)*s);
			esc = u;
		}
		if (esc)
			strbuf_adds(out, esc);
		else
			strbuf_add(out, s, 1);
	}
	strbuf_adds(out, "\"");
}

static void dump_number(double x, struct strbuf *out)
{
	char buf[32];
	if (x == floor(x) && fabs(x) < 9007199254740992.0)
		snprintf(buf, sizeof buf, "%.0f", x);
	else
		py_float_repr(x, buf);
	strbuf_adds(out, buf);
}

static void newline_indent(int depth, struct strbuf *out)
{
	strbuf_adds(out, "\n");
	for (int i = 0; i < depth; i++)
		strbuf_adds(out, "  ");
}

static void dump_value(const cJSON *v, int depth, struct strbuf *out);

/* A list or an object: "[]"/"{}" when empty, else one item a line, indented. */
static void dump_container(const cJSON *v, int depth, struct strbuf *out)
{
	bool object = cJSON_IsObject(v);
	strbuf_adds(out, object ? "{" : "[");
	for (const cJSON *it = v->child; it; it = it->next) {
		newline_indent(depth + 1, out);
		if (object) {
			dump_string(it->string, out);
			strbuf_adds(out, ": ");
		}
		dump_value(it, depth + 1, out);
		if (it->next)
			strbuf_adds(out, ",");
	}
	if (v->child)
		newline_indent(depth, out);
	strbuf_adds(out, object ? "}" : "]");
}

static void dump_value(const cJSON *v, int depth, struct strbuf *out)
{
	if (cJSON_IsString(v))
		dump_string(v->valuestring, out);
	else if (cJSON_IsNumber(v))
		dump_number(v->valuedouble, out);
	else if (cJSON_IsBool(v))
		strbuf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsArray(v) || cJSON_IsObject(v))
		dump_container(v, depth, out);
	else
		strbuf_adds(out, "null");
}

void py_json_dumps_indent2(const cJSON *v, struct strbuf *out)
{
	dump_value(v, 0, out);
}
