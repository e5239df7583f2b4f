build2/tests/test_kld: tests/unit/test_kld.c core/formats.h core/error.h \
 core/recipe.h /usr/include/cjson/cJSON.h engine/model/kld.h core/hash.h \
 core/checkpoint.h core/safetensors.h engine/model/model.h \
 engine/model/loglik.h engine/model/overlap.h \
 engine/tokenizer/tokenizer.h tests/unit/check.h core/spawn.h
core/formats.h:
core/error.h:
core/recipe.h:
/usr/include/cjson/cJSON.h:
engine/model/kld.h:
core/hash.h:
core/checkpoint.h:
core/safetensors.h:
engine/model/model.h:
engine/model/loglik.h:
engine/model/overlap.h:
engine/tokenizer/tokenizer.h:
tests/unit/check.h:
core/spawn.h:
