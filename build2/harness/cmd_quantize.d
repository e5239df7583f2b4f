build2/harness/cmd_quantize.o: harness/cmd_quantize.c core/quantize.h \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/error.h \
 core/safetensors.h core/recipe.h core/formats.h harness/cli.h \
 harness/commands.h
core/quantize.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
harness/cli.h:
harness/commands.h:
