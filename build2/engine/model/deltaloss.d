build2/engine/model/deltaloss.o: engine/model/deltaloss.c \
 engine/model/deltaloss.h /usr/include/cjson/cJSON.h core/error.h \
 core/formats.h core/recipe.h engine/model/model.h core/checkpoint.h \
 core/safetensors.h engine/model/model_internal.h \
 engine/model/model_ops.h
engine/model/deltaloss.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
engine/model/model_internal.h:
engine/model/model_ops.h:
