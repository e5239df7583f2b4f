build2/harness/report.o: harness/report.c harness/report.h core/formats.h \
 core/error.h harness/experiment.h /usr/include/cjson/cJSON.h \
 core/recipe.h harness/stats.h
harness/report.h:
core/formats.h:
core/error.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
harness/stats.h:
