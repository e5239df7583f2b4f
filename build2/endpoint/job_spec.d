build2/endpoint/job_spec.o: endpoint/job_spec.c endpoint/job_spec.h \
 /usr/include/cjson/cJSON.h core/error.h core/formats.h core/recipe.h \
 endpoint/server_settings.h engine/model/deltaloss.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h core/fileio.h \
 endpoint/spec_fields.h engine/evaluate.h engine/model/calib.h \
 engine/tokenizer/tokenizer.h endpoint/kld_job.h
endpoint/job_spec.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/formats.h:
core/recipe.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/fileio.h:
endpoint/spec_fields.h:
engine/evaluate.h:
engine/model/calib.h:
engine/tokenizer/tokenizer.h:
endpoint/kld_job.h:
