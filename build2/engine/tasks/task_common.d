build2/engine/tasks/task_common.o: engine/tasks/task_common.c \
 engine/tasks/tasks.h /usr/include/cjson/cJSON.h core/error.h \
 engine/tasks/metrics.h engine/tasks/text.h core/strbuf.h core/fileio.h
engine/tasks/tasks.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/tasks/metrics.h:
engine/tasks/text.h:
core/strbuf.h:
core/fileio.h:
