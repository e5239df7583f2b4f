build2/engine/tasks/task_custom.o: engine/tasks/task_custom.c \
 engine/tasks/families.h /usr/include/cjson/cJSON.h core/error.h \
 engine/tasks/tasks.h engine/tasks/metrics.h engine/tasks/text.h \
 core/strbuf.h core/fileio.h
engine/tasks/families.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tasks/text.h:
core/strbuf.h:
core/fileio.h:
