/*
 * commands.c: the command table (sorted by name). See commands.h to add a command.
 */
#include "harness/commands.h"

const struct command commands[] = {
	{"inspect", cmd_inspect, "print a model's budget inventory (layers, shapes, parameters)"},
	{"quantize", cmd_quantize, "write a fake-quantized checkpoint from a recipe"},
	{"recipe", cmd_recipe, "allocate formats to layers under an average-bit budget"},
	{"report", cmd_report, "rewrite an experiment's tables and plots from cached results"},
	{"run", cmd_run, "run an experiment: plan, score, quantize, evaluate, report"},
	{"run-job", cmd_run_job, "run one planned job (plumbing, called by run)"},
};
const int n_commands = sizeof commands / sizeof commands[0];
