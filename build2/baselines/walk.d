build2/baselines/walk.o: baselines/walk.c baselines/walk.h \
 core/allocate.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/error.h core/safetensors.h core/constraints.h core/formats.h \
 core/recipe.h core/scores.h
baselines/walk.h:
core/allocate.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
