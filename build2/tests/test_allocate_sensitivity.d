build2/tests/test_allocate_sensitivity: \
 tests/unit/test_allocate_sensitivity.c core/allocate.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h \
 core/constraints.h core/formats.h core/recipe.h core/scores.h \
 tests/unit/check.h core/spawn.h tests/unit/core_fixture.h \
 tests/unit/strategy_fixture.h baselines/registry.h \
 baselines/strategies.h
core/allocate.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/constraints.h:
core/formats.h:
core/recipe.h:
core/scores.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/core_fixture.h:
tests/unit/strategy_fixture.h:
baselines/registry.h:
baselines/strategies.h:
