build2/engine/tokenizer/fields.o: engine/tokenizer/fields.c \
 engine/tokenizer/fields.h /usr/include/cjson/cJSON.h \
 engine/tokenizer/internal.h core/error.h core/strbuf.h \
 engine/tokenizer/tokenizer.h
engine/tokenizer/fields.h:
/usr/include/cjson/cJSON.h:
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
