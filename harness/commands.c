/*
 * commands.c: the command table (sorted by name). See commands.h to add a command.
 */
#include "harness/commands.h"

const struct command commands[] = {
	{"inspect", cmd_inspect, "print a model's budget inventory (layers, shapes, parameters)"},
	{"quantize", cmd_quantize, "write a fake-quantized checkpoint from a recipe"},
	{"recipe", cmd_recipe, "allocate formats to layers under an average-bit budget"},
};
const int n_commands = sizeof commands / sizeof commands[0];
