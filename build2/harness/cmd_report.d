build2/harness/cmd_report.o: harness/cmd_report.c harness/commands.h
harness/commands.h:
