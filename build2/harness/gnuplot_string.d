build2/harness/gnuplot_string.o: harness/gnuplot_string.c \
 harness/gnuplot_string.h
harness/gnuplot_string.h:
