build2/engine/tasks/score.o: engine/tasks/score.c engine/tasks/tasks.h \
 /usr/include/cjson/cJSON.h core/error.h engine/tasks/metrics.h
engine/tasks/tasks.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/tasks/metrics.h:
