build2/tests/test_spawn: tests/unit/test_spawn.c core/spawn.h \
 core/error.h tests/unit/check.h
core/spawn.h:
core/error.h:
tests/unit/check.h:
