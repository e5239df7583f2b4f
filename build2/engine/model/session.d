build2/engine/model/session.o: engine/model/session.c \
 engine/model/session.h core/error.h engine/model/model.h \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/safetensors.h \
 core/recipe.h core/formats.h engine/model/model_internal.h
engine/model/session.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/model_internal.h:
