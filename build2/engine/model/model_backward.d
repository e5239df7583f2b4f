build2/engine/model/model_backward.o: engine/model/model_backward.c \
 engine/model/model_internal.h core/safetensors.h core/error.h \
 engine/model/model.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/recipe.h core/formats.h engine/model/model_ops.h
engine/model/model_internal.h:
core/safetensors.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/recipe.h:
core/formats.h:
engine/model/model_ops.h:
