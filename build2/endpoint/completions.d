build2/endpoint/completions.o: endpoint/completions.c \
 endpoint/completions.h /usr/include/cjson/cJSON.h endpoint/completer.h \
 core/error.h engine/model/model.h core/checkpoint.h core/safetensors.h \
 core/recipe.h core/formats.h endpoint/http_error.h \
 engine/model/session.h engine/tokenizer/tokenizer.h
endpoint/completions.h:
/usr/include/cjson/cJSON.h:
endpoint/completer.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
endpoint/http_error.h:
engine/model/session.h:
engine/tokenizer/tokenizer.h:
