build2/core/recipe.o: core/recipe.c core/recipe.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/checkpoint.h \
 core/safetensors.h core/fileio.h core/hash.h core/strbuf.h
core/recipe.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/checkpoint.h:
core/safetensors.h:
core/fileio.h:
core/hash.h:
core/strbuf.h:
