build2/harness/cmd_inspect.o: harness/cmd_inspect.c \
 /usr/include/cjson/cJSON.h core/checkpoint.h core/error.h \
 core/safetensors.h harness/cli.h harness/commands.h
/usr/include/cjson/cJSON.h:
core/checkpoint.h:
core/error.h:
core/safetensors.h:
harness/cli.h:
harness/commands.h:
