build2/core/knapsack.o: core/knapsack.c core/knapsack.h core/error.h
core/knapsack.h:
core/error.h:
