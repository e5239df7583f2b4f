build2/harness/cli.o: harness/cli.c harness/cli.h core/error.h \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/safetensors.h \
 core/fileio.h core/recipe.h core/formats.h core/strbuf.h \
 engine/model/model.h
harness/cli.h:
core/error.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
core/fileio.h:
core/recipe.h:
core/formats.h:
core/strbuf.h:
engine/model/model.h:
