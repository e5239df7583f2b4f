build2/tests/test_model_scores: tests/unit/test_model_scores.c \
 engine/model/deltaloss.h /usr/include/cjson/cJSON.h core/error.h \
 core/formats.h core/recipe.h engine/model/model.h core/checkpoint.h \
 core/safetensors.h engine/model/model_internal.h tests/unit/check.h \
 core/spawn.h tests/unit/model_fixture.h
engine/model/deltaloss.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
engine/model/model_internal.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/model_fixture.h:
