build2/engine/model/model_open.o: engine/model/model_open.c \
 engine/model/model.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/error.h core/safetensors.h core/recipe.h core/formats.h \
 engine/tokenizer/tokenizer.h
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/tokenizer/tokenizer.h:
