build2/engine/tokenizer/load.o: engine/tokenizer/load.c \
 engine/tokenizer/stages.h /usr/include/cjson/cJSON.h \
 engine/tokenizer/fields.h engine/tokenizer/internal.h core/error.h \
 core/strbuf.h engine/tokenizer/tokenizer.h engine/tokenizer/scratch.h \
 core/fileio.h
engine/tokenizer/stages.h:
/usr/include/cjson/cJSON.h:
engine/tokenizer/fields.h:
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
engine/tokenizer/scratch.h:
core/fileio.h:
