build2/endpoint/kld_job.o: endpoint/kld_job.c endpoint/kld_job.h \
 /usr/include/cjson/cJSON.h core/error.h core/recipe.h core/formats.h \
 core/checkpoint.h core/safetensors.h core/fileio.h core/hash.h \
 engine/model/kld.h engine/model/model.h engine/model/overlap.h \
 engine/tokenizer/tokenizer.h
endpoint/kld_job.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/recipe.h:
core/formats.h:
core/checkpoint.h:
core/safetensors.h:
core/fileio.h:
core/hash.h:
engine/model/kld.h:
engine/model/model.h:
engine/model/overlap.h:
engine/tokenizer/tokenizer.h:
