build2/core/formats.o: core/formats.c core/formats.h core/error.h \
 core/safetensors.h
core/formats.h:
core/error.h:
core/safetensors.h:
