build2/harness/report_write.o: harness/report_write.c \
 harness/report_write.h core/error.h harness/report.h core/formats.h \
 harness/experiment.h /usr/include/cjson/cJSON.h core/recipe.h \
 harness/stats.h core/fileio.h core/strbuf.h harness/report_stats.h \
 harness/report_write_kld.h
harness/report_write.h:
core/error.h:
harness/report.h:
core/formats.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
harness/stats.h:
core/fileio.h:
core/strbuf.h:
harness/report_stats.h:
harness/report_write_kld.h:
