build2/engine/model/model_load.o: engine/model/model_load.c \
 engine/model/model_internal.h core/safetensors.h core/error.h \
 engine/model/model.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/recipe.h core/formats.h core/strbuf.h
engine/model/model_internal.h:
core/safetensors.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
core/formats.h:
core/strbuf.h:
