build2/harness/runner.o: harness/runner.c harness/runner.h \
 /usr/include/cjson/cJSON.h harness/plan.h harness/experiment.h \
 core/error.h core/formats.h core/recipe.h core/fileio.h core/spawn.h \
 core/strbuf.h endpoint/run_spec.h endpoint/job_spec.h \
 endpoint/server_settings.h engine/model/deltaloss.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h harness/endpoints.h
harness/runner.h:
/usr/include/cjson/cJSON.h:
harness/plan.h:
harness/experiment.h:
core/error.h:
core/formats.h:
core/recipe.h:
core/fileio.h:
core/spawn.h:
core/strbuf.h:
endpoint/run_spec.h:
endpoint/job_spec.h:
endpoint/server_settings.h:
engine/model/deltaloss.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
harness/endpoints.h:
