build2/core/fileio.o: core/fileio.c core/fileio.h core/error.h
core/fileio.h:
core/error.h:
