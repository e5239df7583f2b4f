build2/tests/test_report_kld_stats: tests/unit/test_report_kld_stats.c \
 tests/unit/check.h core/spawn.h core/error.h core/fileio.h core/strbuf.h \
 harness/report_stats.h harness/report.h core/formats.h \
 harness/experiment.h /usr/include/cjson/cJSON.h core/recipe.h \
 harness/stats.h harness/report_write.h
tests/unit/check.h:
core/spawn.h:
core/error.h:
core/fileio.h:
core/strbuf.h:
harness/report_stats.h:
harness/report.h:
core/formats.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
harness/stats.h:
harness/report_write.h:
