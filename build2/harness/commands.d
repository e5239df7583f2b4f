build2/harness/commands.o: harness/commands.c harness/commands.h
harness/commands.h:
