build2/tests/test_recipe: tests/unit/test_recipe.c \
 /usr/include/cjson/cJSON.h core/recipe.h core/error.h core/formats.h \
 core/scores.h core/checkpoint.h core/safetensors.h tests/unit/check.h \
 core/spawn.h tests/unit/core_fixture.h
/usr/include/cjson/cJSON.h:
core/recipe.h:
core/error.h:
core/formats.h:
core/scores.h:
core/checkpoint.h:
core/safetensors.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/core_fixture.h:
