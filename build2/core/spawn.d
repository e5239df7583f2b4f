build2/core/spawn.o: core/spawn.c core/spawn.h core/error.h
core/spawn.h:
core/error.h:
