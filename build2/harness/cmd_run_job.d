build2/harness/cmd_run_job.o: harness/cmd_run_job.c endpoint/server.h \
 core/error.h core/version.h harness/cli.h harness/commands.h \
 harness/run_job.h harness/job_exec.h /usr/include/cjson/cJSON.h \
 endpoint/job_spec.h core/formats.h core/recipe.h \
 endpoint/server_settings.h engine/model/deltaloss.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h
endpoint/server.h:
core/error.h:
core/version.h:
harness/cli.h:
harness/commands.h:
harness/run_job.h:
harness/job_exec.h:
/usr/include/cjson/cJSON.h:
endpoint/job_spec.h:
core/formats.h:
core/recipe.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
