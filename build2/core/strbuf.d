build2/core/strbuf.o: core/strbuf.c core/strbuf.h core/error.h
core/strbuf.h:
core/error.h:
