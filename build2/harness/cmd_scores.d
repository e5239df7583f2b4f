build2/harness/cmd_scores.o: harness/cmd_scores.c \
 /usr/include/cjson/cJSON.h core/fileio.h core/error.h core/hash.h \
 core/checkpoint.h core/safetensors.h core/version.h engine/model/calib.h \
 engine/model/deltaloss.h core/formats.h core/recipe.h \
 engine/model/model.h engine/tokenizer/tokenizer.h harness/cli.h \
 harness/commands.h
/usr/include/cjson/cJSON.h:
core/fileio.h:
core/error.h:
core/hash.h:
core/checkpoint.h:
core/safetensors.h:
core/version.h:
engine/model/calib.h:
engine/model/deltaloss.h:
core/formats.h:
core/recipe.h:
engine/model/model.h:
engine/tokenizer/tokenizer.h:
harness/cli.h:
harness/commands.h:
