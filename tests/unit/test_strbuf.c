/*
 * test_strbuf.c: core/strbuf.c, the growable string: appends of bytes, code points and
 * formats, growth far past any fixed buffer (a path of more than 4096 bytes comes back
 * whole), and an allocation failure reported once, as BB_ENOMEM, never as a cut string;
 * and core/error.c's one cut, of a message too long for struct bb_error, which keeps the
 * reason at its end.
 * Expected strings are built independently, byte by byte, not through strbuf.
 */
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/strbuf.h"
#include "tests/unit/check.h"

TEST(strbuf_should_start_empty_and_take_an_empty_string)
{
	struct strbuf b = {0};
	char *s = strbuf_take(&b);
	CHECK_STR(s, "");
	CHECK(b.p == NULL && b.len == 0);
	free(s);
}

TEST(strbuf_should_append_bytes_strings_and_characters)
{
	struct strbuf b = {0};
	CHECK(strbuf_add(&b, "ab\0cd", 5) == 0);
	CHECK(b.len == 5 && memcmp(b.p, "ab\0cd", 6) == 0); /* NUL kept, and terminated */
	strbuf_reset(&b);
	CHECK(b.len == 0 && b.p[0] == 0);
	strbuf_adds(&b, "x=");
	strbuf_addc(&b, '1');
	CHECK_STR(b.p, "x=1");
	strbuf_release(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
}

TEST(strbuf_should_encode_code_points_as_utf8)
{
	struct strbuf b = {0};
	strbuf_add_cp(&b, 'A');
	strbuf_add_cp(&b, 0xE9);    /* é */
	strbuf_add_cp(&b, 0x20AC);  /* € */
	strbuf_add_cp(&b, 0x1F600); /* 😀 */
	char *s = strbuf_take(&b);
	CHECK_STR(s, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
	free(s);
}

TEST(strbuf_addf_should_format_without_truncation)
{
	struct strbuf b = {0};
	strbuf_addf(&b, "%s-%d-%.2f", "key", 42, 0.5);
	CHECK_STR(b.p, "key-42-0.50");
	/* 10,000 characters through one format: far past any fixed buffer it replaces */
	char *big = malloc(10001);
	memset(big, 'z', 10000);
	big[10000] = 0;
	strbuf_addf(&b, "[%s]", big);
	CHECK(b.len == 11 + 10002);
	CHECK(b.p[11] == '[' && b.p[12] == 'z' && b.p[10011] == 'z' && b.p[10012] == ']');
	CHECK(b.p[b.len] == 0);
	free(big);
	strbuf_release(&b);
}

TEST(str_printf_should_build_a_path_longer_than_4096_bytes)
{
	/* a folder name of 5000 characters: the path is 5000 + "/" + "abc.json" */
	size_t n = 5000;
	char *folder = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		folder[i] = (char)('a' + i % 26);
	folder[n] = 0;
	char *expect = malloc(n + 10);
	memcpy(expect, folder, n);
	memcpy(expect + n, "/abc.json", 10);

	struct bb_error err = {0};
	char *path = str_printf(&err, "%s/%s.json", folder, "abc");
	CHECK_STR(path, expect);
	CHECK(path && strlen(path) == n + 9);
	char *joined = path_join(folder, "abc.json");
	CHECK_STR(joined, expect);
	free(joined);
	free(path);
	free(expect);
	free(folder);
}

TEST(strbuf_should_report_running_out_of_memory_once)
{
	struct strbuf b = {0};
	strbuf_adds(&b, "part");
	b.oom = true; /* as if an append had failed */
	CHECK(strbuf_adds(&b, "more") == -1);
	CHECK(strbuf_addf(&b, "%d", 1) == -1);
	struct bb_error err = {0};
	CHECK(strbuf_take_or_fail(&b, &err) == NULL);
	CHECK(err.code == BB_ENOMEM);
	CHECK(strstr(err.msg, "out of memory") != NULL);
	CHECK(b.p == NULL && !b.oom); /* freed, and empty again */
}

TEST(strbuf_should_refuse_a_size_that_overflows)
{
	struct strbuf b = {0};
	strbuf_adds(&b, "x");
	CHECK(strbuf_add(&b, "", SIZE_MAX) == -1); /* len + n wraps around */
	CHECK(b.oom);
	CHECK(strbuf_take(&b) == NULL);
}

TEST(bb_fail_should_keep_the_reason_of_a_message_too_long_to_hold)
{
	char path[3001];
	memset(path, 'p', 3000);
	path[3000] = 0;
	struct bb_error err = {0};
	CHECK(bb_fail(&err, BB_EIO, "'%s': File name too long", path) == BB_EIO);
	CHECK(err.code == BB_EIO);
	size_t len = strlen(err.msg);
	CHECK(len == sizeof err.msg - 1);
	CHECK(strncmp(err.msg, "'ppp", 4) == 0);
	CHECK(strstr(err.msg, "p...p") != NULL);
	const char *end = "p': File name too long";
	CHECK(len > strlen(end) && strcmp(err.msg + len - strlen(end), end) == 0);
	/* a message that fits is kept whole */
	bb_fail(&err, BB_EINVAL, "short %d", 7);
	CHECK_STR(err.msg, "short 7");
}

TEST(fmt_fits_should_say_whether_the_text_fitted)
{
	char buf[8];
	CHECK(fmt_fits(buf, sizeof buf, "W%dG%d", 4, 32)); /* 6 bytes and the NUL */
	CHECK_STR(buf, "W4G32");
	CHECK(fmt_fits(buf, sizeof buf, "%s", "1234567")); /* exactly full */
	CHECK_STR(buf, "1234567");
	CHECK(!fmt_fits(buf, sizeof buf, "%s", "12345678")); /* one byte too many */
	CHECK(!fmt_fits(buf, sizeof buf, "W%dG%d", 4, 65536));
}

int main(void)
{
	RUN(strbuf_should_start_empty_and_take_an_empty_string);
	RUN(strbuf_should_append_bytes_strings_and_characters);
	RUN(strbuf_should_encode_code_points_as_utf8);
	RUN(strbuf_addf_should_format_without_truncation);
	RUN(str_printf_should_build_a_path_longer_than_4096_bytes);
	RUN(strbuf_should_report_running_out_of_memory_once);
	RUN(strbuf_should_refuse_a_size_that_overflows);
	RUN(bb_fail_should_keep_the_reason_of_a_message_too_long_to_hold);
	RUN(fmt_fits_should_say_whether_the_text_fitted);
	END_TESTS();
}
