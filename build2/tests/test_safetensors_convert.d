build2/tests/test_safetensors_convert: \
 tests/unit/test_safetensors_convert.c core/safetensors.h core/error.h \
 tests/unit/check.h core/spawn.h
core/safetensors.h:
core/error.h:
tests/unit/check.h:
core/spawn.h:
