build2/endpoint/request_pool.o: endpoint/request_pool.c \
 endpoint/request_pool.h core/error.h
endpoint/request_pool.h:
core/error.h:
