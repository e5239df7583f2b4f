build2/bench/bench_engine: bench/bench_engine.c \
 /usr/include/x86_64-linux-gnu/openblas-openmp/cblas.h \
 /usr/include/x86_64-linux-gnu/openblas-openmp/openblas_config.h \
 bench/bench.h engine/model/model.h core/checkpoint.h \
 /usr/include/cjson/cJSON.h core/error.h core/safetensors.h core/recipe.h \
 core/formats.h engine/model/model_internal.h tests/unit/model_fixture.h
/usr/include/x86_64-linux-gnu/openblas-openmp/cblas.h:
/usr/include/x86_64-linux-gnu/openblas-openmp/openblas_config.h:
bench/bench.h:
engine/model/model.h:
core/checkpoint.h:
/usr/include/cjson/cJSON.h:
core/error.h:
core/safetensors.h:
core/recipe.h:
core/formats.h:
engine/model/model_internal.h:
tests/unit/model_fixture.h:
