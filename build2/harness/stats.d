build2/harness/stats.o: harness/stats.c harness/stats.h
harness/stats.h:
