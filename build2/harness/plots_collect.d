build2/harness/plots_collect.o: harness/plots_collect.c \
 harness/plots_collect.h harness/plan.h harness/experiment.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 harness/report.h harness/stats.h core/strbuf.h
harness/plots_collect.h:
harness/plan.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
harness/report.h:
harness/stats.h:
core/strbuf.h:
