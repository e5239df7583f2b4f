build2/endpoint/server.o: endpoint/server.c endpoint/server.h \
 core/error.h core/version.h endpoint/http_error.h \
 /usr/include/cjson/cJSON.h endpoint/http_send.h endpoint/router.h \
 endpoint/completer.h engine/model/model.h core/checkpoint.h \
 core/safetensors.h core/recipe.h core/formats.h endpoint/completions.h \
 endpoint/jobs.h endpoint/server_settings.h endpoint/request_pool.h
endpoint/server.h:
core/error.h:
core/version.h:
endpoint/http_error.h:
/usr/include/cjson/cJSON.h:
endpoint/http_send.h:
endpoint/router.h:
endpoint/completer.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
endpoint/completions.h:
endpoint/jobs.h:
endpoint/server_settings.h:
endpoint/request_pool.h:
