build2/tests/test_report: tests/unit/test_report.c tests/unit/check.h \
 core/spawn.h core/error.h core/fileio.h harness/plan.h \
 harness/experiment.h /usr/include/cjson/cJSON.h core/formats.h \
 core/recipe.h harness/report_collect.h harness/report.h harness/stats.h \
 harness/report_stats.h harness/report_write.h
tests/unit/check.h:
core/spawn.h:
core/error.h:
core/fileio.h:
harness/plan.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/formats.h:
core/recipe.h:
harness/report_collect.h:
harness/report.h:
harness/stats.h:
harness/report_stats.h:
harness/report_write.h:
