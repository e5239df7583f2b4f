build2/core/scores.o: core/scores.c core/scores.h \
 /usr/include/cjson/cJSON.h core/checkpoint.h core/error.h \
 core/safetensors.h core/formats.h core/recipe.h core/fileio.h \
 core/hash.h core/strbuf.h
core/scores.h:
/usr/include/cjson/cJSON.h:
core/checkpoint.h:
core/error.h:
core/safetensors.h:
core/formats.h:
core/recipe.h:
core/fileio.h:
core/hash.h:
core/strbuf.h:
