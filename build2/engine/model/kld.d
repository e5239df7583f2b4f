build2/engine/model/kld.o: engine/model/kld.c engine/model/kld.h \
 core/error.h core/hash.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/safetensors.h engine/model/model.h core/recipe.h core/formats.h
engine/model/kld.h:
core/error.h:
core/hash.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
engine/model/model.h:
core/recipe.h:
core/formats.h:
