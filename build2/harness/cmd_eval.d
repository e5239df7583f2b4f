build2/harness/cmd_eval.o: harness/cmd_eval.c /usr/include/cjson/cJSON.h \
 core/fileio.h core/error.h core/recipe.h core/formats.h \
 endpoint/server.h core/version.h engine/evaluate.h endpoint/job_spec.h \
 endpoint/server_settings.h engine/model/deltaloss.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h harness/cli.h harness/client.h \
 harness/commands.h harness/job_exec.h
/usr/include/cjson/cJSON.h:
core/fileio.h:
core/error.h:
core/recipe.h:
core/formats.h:
endpoint/server.h:
core/version.h:
engine/evaluate.h:
endpoint/job_spec.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
harness/cli.h:
harness/client.h:
harness/commands.h:
harness/job_exec.h:
