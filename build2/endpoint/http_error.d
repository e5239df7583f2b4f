build2/endpoint/http_error.o: endpoint/http_error.c endpoint/http_error.h \
 /usr/include/cjson/cJSON.h core/strbuf.h core/error.h
endpoint/http_error.h:
/usr/include/cjson/cJSON.h:
core/strbuf.h:
core/error.h:
