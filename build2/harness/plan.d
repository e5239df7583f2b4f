build2/harness/plan.o: harness/plan.c harness/plan.h harness/experiment.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 baselines/alloc_recipe.h core/allocate.h core/checkpoint.h \
 core/safetensors.h core/constraints.h core/scores.h baselines/registry.h \
 baselines/strategies.h core/fileio.h core/hash.h core/strbuf.h \
 core/version.h
harness/plan.h:
harness/experiment.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
baselines/alloc_recipe.h:
core/allocate.h:
core/checkpoint.h:
core/safetensors.h:
core/constraints.h:
core/scores.h:
baselines/registry.h:
baselines/strategies.h:
core/fileio.h:
core/hash.h:
core/strbuf.h:
core/version.h:
