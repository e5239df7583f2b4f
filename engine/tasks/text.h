/*
 * text.h: the text helpers the tasks share: the few pieces of Python's str semantics
 * (isspace, strip, len, word counts, capitalize) that lm-eval's task rules lean on, so
 * that a document reads the same here as in Python. Text is built in core's struct strbuf.
 *
 * Pure functions over UTF-8 bytes (text.c); they must never print or exit. An
 * allocation failure is recorded in the buffer (strbuf.oom), not reported.
 */
#ifndef BB_TASK_TEXT_H
#define BB_TASK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

/* Python's str.isspace for one code point. */
bool py_isspace(uint32_t cp);
/* Length of s[0..n) once trailing whitespace is removed (str.rstrip()). */
size_t py_rstrip_len(const char *s, size_t n);
/* Offset of the first non-whitespace character (str.lstrip()). */
size_t py_lstrip_off(const char *s, size_t n);
/* len() of a str: code points in UTF-8 (continuation bytes not counted). */
long py_len(const char *s, size_t n);
/* len(re.split(r"\s+", s)): 1 + the number of whitespace runs. */
long py_count_words(const char *s, size_t n);
/* str.capitalize(): first character upper (title) case, the rest lower case. Case maps
 * cover ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic; other characters
 * (and Python's multi-character special cases) are kept as they are. */
void py_capitalize(struct strbuf *out, const char *s, size_t n);

#endif
