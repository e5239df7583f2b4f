build2/engine/tasks/registry.o: engine/tasks/registry.c \
 engine/tasks/registry.h /usr/include/cjson/cJSON.h core/error.h \
 engine/tasks/tasks.h engine/tasks/metrics.h engine/tasks/families.h
engine/tasks/registry.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tasks/families.h:
