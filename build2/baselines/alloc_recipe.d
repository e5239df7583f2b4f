build2/baselines/alloc_recipe.o: baselines/alloc_recipe.c \
 baselines/alloc_recipe.h core/allocate.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h \
 core/constraints.h core/formats.h core/recipe.h core/scores.h \
 baselines/registry.h baselines/strategies.h core/manifest.h
baselines/alloc_recipe.h:
core/allocate.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
baselines/registry.h:
baselines/strategies.h:
core/manifest.h:
