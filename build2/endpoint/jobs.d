build2/endpoint/jobs.o: endpoint/jobs.c endpoint/jobs.h \
 /usr/include/cjson/cJSON.h core/error.h endpoint/server_settings.h \
 core/checkpoint.h core/safetensors.h core/fileio.h endpoint/http_error.h \
 endpoint/job_spec.h core/formats.h core/recipe.h \
 engine/model/deltaloss.h engine/model/model.h
endpoint/jobs.h:
/usr/include/cjson/cJSON.h:
core/error.h:
endpoint/server_settings.h:
core/checkpoint.h:
core/safetensors.h:
core/fileio.h:
endpoint/http_error.h:
endpoint/job_spec.h:
core/formats.h:
core/recipe.h:
engine/model/deltaloss.h:
engine/model/model.h:
