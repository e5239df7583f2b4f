build2/harness/cmd_loglik.o: harness/cmd_loglik.c \
 /usr/include/cjson/cJSON.h engine/model/loglik.h core/error.h \
 engine/model/model.h core/checkpoint.h core/safetensors.h core/recipe.h \
 core/formats.h engine/tasks/encode_pair.h engine/tokenizer/tokenizer.h \
 harness/cli.h harness/commands.h
/usr/include/cjson/cJSON.h:
engine/model/loglik.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/tasks/encode_pair.h:
engine/tokenizer/tokenizer.h:
harness/cli.h:
harness/commands.h:
