build2/tests/test_tokenizer: tests/unit/test_tokenizer.c \
 engine/tokenizer/tokenizer.h core/error.h tests/unit/check.h \
 core/spawn.h tests/unit/tokenizer_check.h
engine/tokenizer/tokenizer.h:
core/error.h:
tests/unit/check.h:
core/spawn.h:
tests/unit/tokenizer_check.h:
