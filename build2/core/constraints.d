build2/core/constraints.o: core/constraints.c core/constraints.h \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/error.h \
 core/safetensors.h core/formats.h core/strbuf.h
core/constraints.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/formats.h:
core/strbuf.h:
