build2/endpoint/run_spec.o: endpoint/run_spec.c endpoint/run_spec.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 endpoint/job_spec.h endpoint/server_settings.h engine/model/deltaloss.h \
 engine/model/model.h core/checkpoint.h core/safetensors.h \
 endpoint/spec_fields.h
endpoint/run_spec.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
endpoint/job_spec.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
endpoint/spec_fields.h:
