build2/core/safetensors.o: core/safetensors.c core/safetensors.h \
 core/error.h /usr/include/cjson/cJSON.h core/fileio.h
core/safetensors.h:
core/error.h:
/usr/include/cjson/cJSON.h:
core/fileio.h:
