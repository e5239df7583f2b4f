build2/engine/model/calib.o: engine/model/calib.c engine/model/calib.h \
 core/error.h
engine/model/calib.h:
core/error.h:
