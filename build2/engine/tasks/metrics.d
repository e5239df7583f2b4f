build2/engine/tasks/metrics.o: engine/tasks/metrics.c \
 engine/tasks/metrics.h core/error.h
engine/tasks/metrics.h:
core/error.h:
