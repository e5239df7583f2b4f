build2/tests/test_tasks: tests/unit/test_tasks.c \
 engine/tasks/encode_pair.h core/error.h engine/tasks/families.h \
 /usr/include/cjson/cJSON.h engine/tasks/tasks.h engine/tasks/metrics.h \
 engine/tasks/registry.h engine/tasks/text.h core/strbuf.h \
 engine/tokenizer/tokenizer.h tests/unit/check.h core/spawn.h
engine/tasks/encode_pair.h:
core/error.h:
engine/tasks/families.h:
/usr/include/cjson/cJSON.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tasks/registry.h:
engine/tasks/text.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
tests/unit/check.h:
core/spawn.h:
