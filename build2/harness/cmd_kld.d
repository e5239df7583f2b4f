build2/harness/cmd_kld.o: harness/cmd_kld.c /usr/include/cjson/cJSON.h \
 core/fileio.h core/error.h core/recipe.h core/formats.h \
 endpoint/job_spec.h endpoint/server_settings.h engine/model/deltaloss.h \
 engine/model/model.h core/checkpoint.h core/safetensors.h \
 endpoint/kld_job.h endpoint/server.h core/version.h harness/cli.h \
 harness/client.h harness/commands.h
/usr/include/cjson/cJSON.h:
core/fileio.h:
core/error.h:
core/recipe.h:
core/formats.h:
endpoint/job_spec.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
endpoint/kld_job.h:
endpoint/server.h:
core/version.h:
harness/cli.h:
harness/client.h:
harness/commands.h:
