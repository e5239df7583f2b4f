build2/tests/test_model_grad: tests/unit/test_model_grad.c \
 engine/model/model.h core/checkpoint.h /usr/include/cjson/cJSON.h \
 core/error.h core/safetensors.h core/recipe.h core/formats.h \
 engine/model/model_internal.h engine/model/model_ops.h \
 tests/unit/check.h core/spawn.h tests/unit/model_fixture.h
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/model_internal.h:
engine/model/model_ops.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/model_fixture.h:
