build2/engine/tokenizer/scratch.o: engine/tokenizer/scratch.c \
 engine/tokenizer/scratch.h engine/tokenizer/internal.h core/error.h \
 core/strbuf.h engine/tokenizer/tokenizer.h
engine/tokenizer/scratch.h:
engine/tokenizer/internal.h:
core/error.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
