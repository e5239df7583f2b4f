build2/harness/job_exec.o: harness/job_exec.c harness/job_exec.h \
 /usr/include/cjson/cJSON.h core/error.h endpoint/job_spec.h \
 core/formats.h core/recipe.h endpoint/server_settings.h \
 engine/model/deltaloss.h engine/model/model.h core/checkpoint.h \
 core/safetensors.h core/fileio.h core/strbuf.h harness/cli.h \
 harness/client.h
harness/job_exec.h:
/usr/include/cjson/cJSON.h:
core/error.h:
endpoint/job_spec.h:
core/formats.h:
core/recipe.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
core/fileio.h:
core/strbuf.h:
harness/cli.h:
harness/client.h:
