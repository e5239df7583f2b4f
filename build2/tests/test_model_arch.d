build2/tests/test_model_arch: tests/unit/test_model_arch.c \
 engine/model/loglik.h core/error.h engine/model/model.h \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/safetensors.h \
 core/recipe.h core/formats.h engine/model/model_internal.h \
 engine/model/session.h tests/unit/check.h core/spawn.h \
 tests/unit/model_fixture.h
engine/model/loglik.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/model_internal.h:
engine/model/session.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/model_fixture.h:
