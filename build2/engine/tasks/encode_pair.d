build2/engine/tasks/encode_pair.o: engine/tasks/encode_pair.c \
 engine/tasks/encode_pair.h core/error.h engine/tasks/text.h \
 core/strbuf.h engine/tokenizer/tokenizer.h
engine/tasks/encode_pair.h:
core/error.h:
engine/tasks/text.h:
core/strbuf.h:
engine/tokenizer/tokenizer.h:
