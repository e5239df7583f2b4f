build2/baselines/pure.o: baselines/pure.c baselines/strategies.h \
 core/allocate.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/error.h core/safetensors.h core/constraints.h core/formats.h \
 core/recipe.h core/scores.h
baselines/strategies.h:
core/allocate.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
