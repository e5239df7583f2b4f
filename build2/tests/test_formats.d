build2/tests/test_formats: tests/unit/test_formats.c core/formats.h \
 core/error.h tests/unit/check.h core/spawn.h tests/unit/core_fixture.h \
 core/checkpoint.h /usr/include/cjson/cJSON.h core/safetensors.h \
 tests/unit/formats_reference.h
core/formats.h:
core/error.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/core_fixture.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/safetensors.h:
tests/unit/formats_reference.h:
