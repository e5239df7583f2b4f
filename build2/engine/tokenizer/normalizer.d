build2/engine/tokenizer/normalizer.o: engine/tokenizer/normalizer.c \
 engine/tokenizer/stages.h /usr/include/cjson/cJSON.h \
 engine/tokenizer/fields.h engine/tokenizer/internal.h core/error.h \
 core/strbuf.h engine/tokenizer/tokenizer.h engine/tokenizer/scratch.h \
 engine/tokenizer/pattern.h
engine/tokenizer/stages.h:
/usr/include/cjson/cJSON.h:
engine/tokenizer/fields.h:
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
engine/tokenizer/scratch.h:
engine/tokenizer/pattern.h:
