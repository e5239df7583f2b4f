build2/tests/test_evaluate: tests/unit/test_evaluate.c engine/evaluate.h \
 /usr/include/cjson/cJSON.h core/error.h core/recipe.h core/formats.h \
 engine/model/model.h core/checkpoint.h core/safetensors.h \
 engine/tasks/registry.h engine/tasks/tasks.h engine/tasks/metrics.h \
 engine/tokenizer/tokenizer.h engine/model/loglik.h tests/unit/check.h \
 core/spawn.h
engine/evaluate.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/recipe.h:
core/formats.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
engine/tasks/registry.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tokenizer/tokenizer.h:
engine/model/loglik.h:
tests/unit/check.h:
core/spawn.h:
