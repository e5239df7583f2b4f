build2/engine/tasks/text.o: engine/tasks/text.c engine/tasks/text.h \
 core/strbuf.h core/error.h
engine/tasks/text.h:
core/strbuf.h:
core/error.h:
