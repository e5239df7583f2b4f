build2/endpoint/http_send.o: endpoint/http_send.c endpoint/http_send.h \
 /usr/include/cjson/cJSON.h endpoint/http_error.h
endpoint/http_send.h:
/usr/include/cjson/cJSON.h:
endpoint/http_error.h:
