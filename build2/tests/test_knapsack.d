build2/tests/test_knapsack: tests/unit/test_knapsack.c core/knapsack.h \
 core/error.h tests/unit/check.h core/spawn.h
core/knapsack.h:
core/error.h:
tests/unit/check.h:
core/spawn.h:
