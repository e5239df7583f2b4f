build2/harness/run_job.o: harness/run_job.c harness/run_job.h \
 core/error.h harness/job_exec.h /usr/include/cjson/cJSON.h \
 endpoint/job_spec.h core/formats.h core/recipe.h \
 endpoint/server_settings.h engine/model/deltaloss.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h core/fileio.h core/hash.h \
 core/quantize.h core/spawn.h core/strbuf.h endpoint/kld_job.h \
 endpoint/run_spec.h harness/endpoints.h harness/runner.h harness/plan.h \
 harness/experiment.h
harness/run_job.h:
core/error.h:
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
core/fileio.h:
core/hash.h:
core/quantize.h:
core/spawn.h:
core/strbuf.h:
endpoint/kld_job.h:
endpoint/run_spec.h:
harness/endpoints.h:
harness/runner.h:
harness/plan.h:
harness/experiment.h:
