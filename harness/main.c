/*
 * main.c: bin/bitbudget's entry point: find the command in the table and run it.
 * Never parses a command's options: each command parses its own.
 */
#include <stdio.h>
#include <string.h>

#include "harness/commands.h"

static void print_help(FILE *out)
{
	fputs("usage: bitbudget <command> [options]   (bitbudget <command> --help for more)\n\n"
	      "commands:\n",
	      out);
	for (int i = 0; i < n_commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		print_help(stdout);
		return 0;
	}
	for (int i = 0; i < n_commands; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "error: unknown command '%s' (see bitbudget help)\n", argv[1]);
	return 2;
}
