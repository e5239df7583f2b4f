build2/endpoint/spec_fields.o: endpoint/spec_fields.c \
 endpoint/spec_fields.h /usr/include/cjson/cJSON.h core/error.h
endpoint/spec_fields.h:
/usr/include/cjson/cJSON.h:
core/error.h:
