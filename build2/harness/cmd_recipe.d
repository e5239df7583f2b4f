build2/harness/cmd_recipe.o: harness/cmd_recipe.c \
 /usr/include/cjson/cJSON.h baselines/alloc_recipe.h core/allocate.h \
 core/checkpoint.h core/error.h core/safetensors.h core/constraints.h \
 core/formats.h core/recipe.h core/scores.h core/fileio.h core/strbuf.h \
 harness/cli.h harness/commands.h
/usr/include/cjson/cJSON.h:
baselines/alloc_recipe.h:
core/allocate.h:
core/checkpoint.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
core/fileio.h:
core/strbuf.h:
harness/cli.h:
harness/commands.h:
