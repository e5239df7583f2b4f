build2/engine/py_format.o: engine/py_format.c engine/py_format.h \
 core/strbuf.h core/error.h
engine/py_format.h:
core/strbuf.h:
core/error.h:
