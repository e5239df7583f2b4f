build2/harness/cmd_generate.o: harness/cmd_generate.c \
 engine/model/model.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/error.h core/safetensors.h core/recipe.h core/formats.h \
 engine/model/session.h engine/tokenizer/tokenizer.h harness/cli.h \
 harness/commands.h
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/session.h:
engine/tokenizer/tokenizer.h:
harness/cli.h:
harness/commands.h:
