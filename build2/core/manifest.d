build2/core/manifest.o: core/manifest.c core/manifest.h \
 /usr/include/cjson/cJSON.h core/allocate.h core/checkpoint.h \
 core/error.h core/safetensors.h core/constraints.h core/formats.h \
 core/recipe.h core/scores.h core/fileio.h core/hash.h core/version.h
core/manifest.h:
/usr/include/cjson/cJSON.h:
core/allocate.h:
core/checkpoint.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
core/fileio.h:
core/hash.h:
core/version.h:
