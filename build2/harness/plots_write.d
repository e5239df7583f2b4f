build2/harness/plots_write.o: harness/plots_write.c harness/plots_write.h \
 harness/plots_collect.h harness/plan.h harness/experiment.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 harness/report.h harness/stats.h core/fileio.h core/spawn.h \
 core/strbuf.h harness/gnuplot_string.h harness/report_stats.h
harness/plots_write.h:
harness/plots_collect.h:
harness/plan.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
harness/report.h:
harness/stats.h:
core/fileio.h:
core/spawn.h:
core/strbuf.h:
harness/gnuplot_string.h:
harness/report_stats.h:
