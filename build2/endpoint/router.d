build2/endpoint/router.o: endpoint/router.c endpoint/router.h \
 /usr/include/cjson/cJSON.h endpoint/completer.h core/error.h \
 engine/model/model.h core/checkpoint.h core/safetensors.h core/recipe.h \
 core/formats.h endpoint/completions.h endpoint/jobs.h \
 endpoint/server_settings.h endpoint/request_pool.h core/version.h \
 endpoint/http_error.h endpoint/http_send.h engine/evaluate.h
endpoint/router.h:
/usr/include/cjson/cJSON.h:
endpoint/completer.h:
core/error.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
endpoint/completions.h:
endpoint/jobs.h:
endpoint/server_settings.h:
endpoint/request_pool.h:
core/version.h:
endpoint/http_error.h:
endpoint/http_send.h:
engine/evaluate.h:
