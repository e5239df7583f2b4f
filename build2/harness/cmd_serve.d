build2/harness/cmd_serve.o: harness/cmd_serve.c core/fileio.h \
 core/error.h endpoint/server.h core/version.h harness/cli.h \
 harness/commands.h
core/fileio.h:
core/error.h:
endpoint/server.h:
core/version.h:
harness/cli.h:
harness/commands.h:
