build2/baselines/registry.o: baselines/registry.c baselines/registry.h \
 baselines/strategies.h core/allocate.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h \
 core/constraints.h core/formats.h core/recipe.h core/scores.h
baselines/registry.h:
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
