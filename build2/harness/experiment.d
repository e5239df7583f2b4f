build2/harness/experiment.o: harness/experiment.c harness/experiment.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 core/fileio.h core/strbuf.h
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
core/fileio.h:
core/strbuf.h:
