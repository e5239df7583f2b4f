build2/core/checkpoint.o: core/checkpoint.c core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h core/fileio.h
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/fileio.h:
