build2/harness/report_stats.o: harness/report_stats.c \
 harness/report_stats.h harness/report.h core/formats.h core/error.h \
 harness/experiment.h /usr/include/cjson/cJSON.h core/recipe.h \
 harness/stats.h
harness/report_stats.h:
harness/report.h:
core/formats.h:
core/error.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
harness/stats.h:
