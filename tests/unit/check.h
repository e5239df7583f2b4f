/*
 * check.h: the smallest test framework that gives a real verdict.
 *
 * Each tests/unit/test_<module>.c is one program: TEST() functions, a main() that RUNs
 * them, and END_TESTS() which exits non-zero if any check failed. Every test prints one
 * line, "PASS name" or "FAIL name", which tests/run.sh counts. A failing CHECK prints
 * file:line and what it compared, then the test goes on: a failure never stops the others.
 */
#ifndef BB_CHECK_H
#define BB_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spawn.h"

static int check_failures_in_test, check_tests_failed, check_tests_run;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,     \
				__LINE__, #cond);                                   \
			check_failures_in_test++;                                   \
		}                                                                   \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                       \
	do {                                                                        \
		double check_a_ = (a), check_b_ = (b);                              \
		if (!(fabs(check_a_ - check_b_) <= (tol))) {                        \
			fprintf(stderr, "  %s:%d: %s = %.9g, %s = %.9g, diff %.3g > %g\n", \
				__FILE__, __LINE__, #a, check_a_, #b, check_b_,     \
				fabs(check_a_ - check_b_), (double)(tol));          \
			check_failures_in_test++;                                   \
		}                                                                   \
	} while (0)

#define CHECK_STR(a, b)                                                             \
	do {                                                                        \
		const char *check_sa_ = (a), *check_sb_ = (b);                      \
		if (!check_sa_ || !check_sb_ || strcmp(check_sa_, check_sb_) != 0) { \
			fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__,     \
				__LINE__, check_sa_ ? check_sa_ : "(null)",         \
				check_sb_ ? check_sb_ : "(null)");                  \
			check_failures_in_test++;                                   \
		}                                                                   \
	} while (0)

/* rm -rf path, for a test's temporary folder: through core/spawn.h, no shell. */
static inline int check_remove_tree(const char *path)
{
	char *argv[] = {"rm", "-rf", "--", (char *)path, NULL};
	struct spawn_opts o = {0};
	struct spawn_result r;
	return spawn_run(argv, &o, &r, NULL) == 0 && r.status == 0 ? 0 : -1;
}

#define TEST(name) static void name(void)

#define RUN(name)                                                                   \
	do {                                                                        \
		check_failures_in_test = 0;                                         \
		name();                                                             \
		check_tests_run++;                                                  \
		if (check_failures_in_test) check_tests_failed++;                   \
		printf("%s %s\n", check_failures_in_test ? "FAIL" : "PASS", #name); \
		fflush(stdout);                                                     \
	} while (0)

#define END_TESTS() return check_tests_failed ? 1 : 0

/* Directory of the shared test data (../shared unless SHARED is set). */
static inline const char *shared_dir(void)
{
	const char *s = getenv("SHARED");
	return s && *s ? s : "../shared";
}

#endif
