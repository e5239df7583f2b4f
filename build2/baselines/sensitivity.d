build2/baselines/sensitivity.o: baselines/sensitivity.c \
 baselines/strategies.h core/allocate.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h \
 core/constraints.h core/formats.h core/recipe.h core/scores.h \
 core/knapsack.h
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
core/knapsack.h:
