build2/tests/test_stats: tests/unit/test_stats.c harness/stats.h \
 tests/unit/check.h core/spawn.h core/error.h
harness/stats.h:
tests/unit/check.h:
core/spawn.h:
core/error.h:
