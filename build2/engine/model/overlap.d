build2/engine/model/overlap.o: engine/model/overlap.c \
 engine/model/overlap.h core/error.h
engine/model/overlap.h:
core/error.h:
