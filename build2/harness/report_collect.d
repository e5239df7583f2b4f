build2/harness/report_collect.o: harness/report_collect.c \
 harness/report_collect.h harness/plan.h harness/experiment.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 harness/report.h harness/stats.h core/fileio.h core/strbuf.h \
 engine/evaluate.h harness/report_stats.h
harness/report_collect.h:
harness/plan.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
harness/report.h:
harness/stats.h:
core/fileio.h:
core/strbuf.h:
engine/evaluate.h:
harness/report_stats.h:
