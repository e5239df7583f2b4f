build2/engine/tasks/results.o: engine/tasks/results.c \
 engine/tasks/results.h /usr/include/cjson/cJSON.h core/error.h \
 engine/tasks/tasks.h engine/tasks/metrics.h engine/tasks/text.h \
 core/strbuf.h core/hash.h core/checkpoint.h core/safetensors.h \
 engine/py_format.h
engine/tasks/results.h:
/usr/include/cjson/cJSON.h:
core/error.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tasks/text.h:
core/strbuf.h:
core/hash.h:
core/checkpoint.h:
core/safetensors.h:
engine/py_format.h:
