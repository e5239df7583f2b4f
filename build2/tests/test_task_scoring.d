build2/tests/test_task_scoring: tests/unit/test_task_scoring.c \
 engine/tasks/families.h /usr/include/cjson/cJSON.h core/error.h \
 engine/tasks/tasks.h engine/tasks/metrics.h engine/tasks/registry.h \
 engine/tasks/results.h tests/unit/check.h core/spawn.h
engine/tasks/families.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tasks/registry.h:
engine/tasks/results.h:
tests/unit/check.h:
core/spawn.h:
