build2/tests/test_checkpoint: tests/unit/test_checkpoint.c \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/error.h \
 core/safetensors.h tests/unit/check.h core/spawn.h \
 tests/unit/checkpoint_fixture.h
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/checkpoint_fixture.h:
