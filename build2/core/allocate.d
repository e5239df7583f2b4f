build2/core/allocate.o: core/allocate.c core/allocate.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h \
 core/constraints.h core/formats.h core/recipe.h core/scores.h \
 core/strbuf.h
core/allocate.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
core/strbuf.h:
