build2/engine/tokenizer/tokenizer.o: engine/tokenizer/tokenizer.c \
 engine/tokenizer/internal.h core/error.h core/strbuf.h \
 engine/tokenizer/tokenizer.h
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
