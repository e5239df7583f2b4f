build2/harness/endpoints.o: harness/endpoints.c harness/endpoints.h \
 core/error.h /usr/include/cjson/cJSON.h core/strbuf.h core/version.h
harness/endpoints.h:
core/error.h:
/usr/include/cjson/cJSON.h:
core/strbuf.h:
core/version.h:
