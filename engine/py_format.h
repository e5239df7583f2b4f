/*
 * py_format.h: the two pieces of Python's text formatting that lm-eval's per-document
 * samples depend on, so bitbudget writes the same strings and the same hashes:
 * str(float) (the shortest text that reads back as the same double) and
 * json.dumps(obj, indent=2, ensure_ascii=False), whose SHA-256 is lm-eval's doc_hash.
 * Never prints or exits.
 */
#ifndef BB_ENGINE_PY_FORMAT_H
#define BB_ENGINE_PY_FORMAT_H

#include <cjson/cJSON.h>

#include "core/strbuf.h"

/* Python's repr(x) of a float into buf (32 bytes is enough): "-11.366117477416992",
 * "1e-05", "1000000.0", "nan", "inf". */
void py_float_repr(double x, char buf[32]);

/* json.dumps(v, indent=2, ensure_ascii=False) appended to out. A JSON number that is a
 * whole number below 2^53 is written as an int (cJSON keeps no int/float distinction;
 * dataset rows hold ints), any other as a float. */
void py_json_dumps_indent2(const cJSON *v, struct strbuf *out);

#endif
