build2/engine/tokenizer/pattern.o: engine/tokenizer/pattern.c \
 engine/tokenizer/pattern.h engine/tokenizer/fields.h \
 /usr/include/cjson/cJSON.h engine/tokenizer/internal.h core/error.h \
 core/strbuf.h engine/tokenizer/tokenizer.h
engine/tokenizer/pattern.h:
engine/tokenizer/fields.h:
/usr/include/cjson/cJSON.h:
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
