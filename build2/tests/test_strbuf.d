build2/tests/test_strbuf: tests/unit/test_strbuf.c core/fileio.h \
 core/error.h core/strbuf.h tests/unit/check.h core/spawn.h
core/fileio.h:
core/error.h:
core/strbuf.h:
tests/unit/check.h:
core/spawn.h:
