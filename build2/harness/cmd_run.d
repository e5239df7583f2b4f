build2/harness/cmd_run.o: harness/cmd_run.c core/fileio.h core/error.h \
 core/strbuf.h harness/cli.h harness/commands.h harness/endpoints.h \
 harness/plots_collect.h harness/plan.h harness/experiment.h \
 /usr/include/cjson/cJSON.h core/formats.h core/recipe.h harness/report.h \
 harness/stats.h harness/plots_write.h harness/report_collect.h \
 harness/report_write.h harness/runner.h
core/fileio.h:
core/error.h:
core/strbuf.h:
harness/cli.h:
harness/commands.h:
harness/endpoints.h:
harness/plots_collect.h:
harness/plan.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/formats.h:
core/recipe.h:
harness/report.h:
harness/stats.h:
harness/plots_write.h:
harness/report_collect.h:
harness/report_write.h:
harness/runner.h:
