build2/engine/model/loglik.o: engine/model/loglik.c engine/model/loglik.h \
 core/error.h engine/model/model.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/safetensors.h core/recipe.h \
 core/formats.h engine/model/model_internal.h engine/model/model_ops.h
engine/model/loglik.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/model_internal.h:
engine/model/model_ops.h:
