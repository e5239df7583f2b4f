build2/tests/test_random: tests/unit/test_random.c \
 baselines/alloc_recipe.h core/allocate.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h \
 core/constraints.h core/formats.h core/recipe.h core/scores.h \
 baselines/registry.h baselines/strategies.h tests/unit/check.h \
 core/spawn.h tests/unit/core_fixture.h tests/unit/strategy_fixture.h
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
tests/unit/check.h:
core/spawn.h:
tests/unit/core_fixture.h:
tests/unit/strategy_fixture.h:
