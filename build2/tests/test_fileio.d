build2/tests/test_fileio: tests/unit/test_fileio.c core/fileio.h \
 core/error.h tests/unit/check.h core/spawn.h
core/fileio.h:
core/error.h:
tests/unit/check.h:
core/spawn.h:
