build2/baselines/external.o: baselines/external.c \
 /usr/include/cjson/cJSON.h baselines/strategies.h core/allocate.h \
 core/checkpoint.h core/error.h core/safetensors.h core/constraints.h \
 core/formats.h core/recipe.h core/scores.h core/spawn.h core/strbuf.h
/usr/include/cjson/cJSON.h:
baselines/strategies.h:
core/allocate.h:
core/checkpoint.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
core/spawn.h:
core/strbuf.h:
