build2/harness/client.o: harness/client.c harness/client.h \
 /usr/include/cjson/cJSON.h core/error.h core/strbuf.h engine/evaluate.h \
 core/recipe.h core/formats.h
harness/client.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/strbuf.h:
engine/evaluate.h:
core/recipe.h:
core/formats.h:
