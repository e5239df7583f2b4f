build2/core/quantize.o: core/quantize.c core/quantize.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h core/recipe.h \
 core/formats.h core/fileio.h
core/quantize.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
core/fileio.h:
