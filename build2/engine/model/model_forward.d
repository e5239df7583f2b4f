build2/engine/model/model_forward.o: engine/model/model_forward.c \
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
