build2/engine/evaluate.o: engine/evaluate.c engine/evaluate.h \
 /usr/include/cjson/cJSON.h core/error.h core/recipe.h core/formats.h \
 core/fileio.h core/strbuf.h engine/model/loglik.h engine/model/model.h \
 core/checkpoint.h core/safetensors.h engine/tasks/encode_pair.h \
 engine/tasks/registry.h engine/tasks/tasks.h engine/tasks/metrics.h \
 engine/tasks/results.h engine/tokenizer/tokenizer.h
engine/evaluate.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/recipe.h:
core/formats.h:
core/fileio.h:
core/strbuf.h:
engine/model/loglik.h:
engine/model/model.h:
core/checkpoint.h:
core/safetensors.h:
engine/tasks/encode_pair.h:
engine/tasks/registry.h:
engine/tasks/tasks.h:
engine/tasks/metrics.h:
engine/tasks/results.h:
engine/tokenizer/tokenizer.h:
