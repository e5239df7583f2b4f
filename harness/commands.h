/*
 * commands.h: the command table of bin/bitbudget, in the manner of git's builtin.h.
 *
 * Adding a command:
 *   1. write int cmd_<name>(int argc, char **argv) in harness/cmd_<name>.c, parsing its
 *      options with getopt_long into a struct and calling small named steps;
 *   2. declare it below and add a row to the table in harness/commands.c (sorted);
 *   3. give it --help (usage on stdout, exit 0);
 *   4. add a test under tests/cli/ and a README section with a worked example.
 * A command returns the process exit status: 0 success, 2 bad input or usage, 1 other.
 * A command never calls exit(): it returns the status to main.c.
 */
#ifndef BB_COMMANDS_H
#define BB_COMMANDS_H

#include <stdbool.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct command commands[];
extern const int n_commands;

int cmd_eval(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_kld(int argc, char **argv);
int cmd_loglik(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_recipe(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_run_job(int argc, char **argv);
int cmd_scores(int argc, char **argv);

/* Shared by run and report (harness/cmd_run.c). */
int run_or_report(int argc, char **argv, bool report_only);
int cmd_serve(int argc, char **argv);

#endif
