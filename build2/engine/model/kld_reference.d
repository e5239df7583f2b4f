build2/engine/model/kld_reference.o: engine/model/kld_reference.c \
 engine/model/kld.h core/error.h core/hash.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/safetensors.h engine/model/model.h \
 core/recipe.h core/formats.h core/fileio.h core/version.h \
 engine/model/model_internal.h
engine/model/kld.h:
core/error.h:
core/hash.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
engine/model/model.h:
core/recipe.h:
core/formats.h:
core/fileio.h:
core/version.h:
engine/model/model_internal.h:
