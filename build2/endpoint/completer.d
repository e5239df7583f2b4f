build2/endpoint/completer.o: endpoint/completer.c endpoint/completer.h \
 /usr/include/cjson/cJSON.h core/error.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h core/recipe.h core/formats.h \
 endpoint/http_error.h engine/tokenizer/tokenizer.h
endpoint/completer.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
endpoint/http_error.h:
engine/tokenizer/tokenizer.h:
