build2/core/hash.o: core/hash.c core/hash.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h
core/hash.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
