build2/harness/report_write_kld.o: harness/report_write_kld.c \
 harness/report_write_kld.h harness/report.h core/formats.h core/error.h \
 harness/experiment.h /usr/include/cjson/cJSON.h core/recipe.h \
 harness/stats.h harness/report_stats.h
harness/report_write_kld.h:
harness/report.h:
core/formats.h:
core/error.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
harness/stats.h:
harness/report_stats.h:
