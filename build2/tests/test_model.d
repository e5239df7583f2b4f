build2/tests/test_model: tests/unit/test_model.c engine/model/loglik.h \
 core/error.h engine/model/model.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/safetensors.h core/recipe.h \
 core/formats.h engine/model/model_internal.h engine/model/model_ops.h \
 engine/model/session.h engine/tokenizer/tokenizer.h tests/unit/check.h \
 core/spawn.h
engine/model/loglik.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/model_internal.h:
engine/model/model_ops.h:
engine/model/session.h:
engine/tokenizer/tokenizer.h:
tests/unit/check.h:
core/spawn.h:
