build2/engine/tokenizer/util.o: engine/tokenizer/util.c \
 engine/tokenizer/internal.h core/error.h core/strbuf.h \
 engine/tokenizer/tokenizer.h
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
