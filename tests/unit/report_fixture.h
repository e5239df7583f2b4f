/*
 * report_fixture.h: what the report tests share: a writer's output as a string, and a
 * comparison with a golden file (UPDATE_GOLDEN=1 rewrites it, refused inside tests/run.sh).
 * Used by test_report.c, test_report_sizes.c and test_report_kld_stats.c. Writes a file
 * only when asked to update a golden one.
 */
#ifndef BB_REPORT_FIXTURE_H
#define BB_REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "harness/report.h"
#include "tests/unit/check.h"

/* What fn writes for r, malloc'd. */
static inline char *render_report(void (*fn)(const struct report *, FILE *),
				  const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(r, f);
	fclose(f);
	return buf;
}

static inline void check_golden(const char *path, const char *text)
{
	struct bb_error err;
	if (getenv("UPDATE_GOLDEN") && getenv("BB_TEST_SUITE")) { /* set by tests/run.sh */
		fprintf(stderr, "  UPDATE_GOLDEN is refused inside the test suite (tests/run.sh)\n");
		CHECK(0);
		return;
	}
	if (getenv("UPDATE_GOLDEN")) {
		CHECK(write_file_atomic(path, text, strlen(text), &err) == 0);
		return;
	}
	char *golden = NULL;
	CHECK(read_file(path, &golden, NULL, &err) == 0);
	if (golden && strcmp(golden, text) != 0) {
		fprintf(stderr, "  %s differs; got:\n%s\n", path, text);
		CHECK(0);
	}
	free(golden);
}

#endif
