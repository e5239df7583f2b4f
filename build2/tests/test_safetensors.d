build2/tests/test_safetensors: tests/unit/test_safetensors.c \
 core/safetensors.h core/error.h tests/unit/check.h core/spawn.h
core/safetensors.h:
core/error.h:
tests/unit/check.h:
core/spawn.h:
