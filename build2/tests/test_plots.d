build2/tests/test_plots: tests/unit/test_plots.c core/fileio.h \
 core/error.h core/spawn.h core/strbuf.h harness/gnuplot_string.h \
 harness/plots_collect.h harness/plan.h harness/experiment.h \
 /usr/include/cjson/cJSON.h core/formats.h core/recipe.h harness/report.h \
 harness/stats.h harness/plots_write.h harness/report_collect.h \
 tests/unit/check.h
core/fileio.h:
core/error.h:
core/spawn.h:
core/strbuf.h:
harness/gnuplot_string.h:
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
tests/unit/check.h:
