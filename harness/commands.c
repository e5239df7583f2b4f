/*
 * commands.c: the command table (sorted by name). See commands.h to add a command.
 * Never holds a command's code: one row per command, nothing else.
 */
#include "harness/commands.h"

const struct command commands[] = {
	{"eval", cmd_eval, "evaluate a model on lm-eval tasks through an evaluation endpoint"},
	{"generate", cmd_generate, "greedy text from a model (optionally quantized by a recipe)"},
	{"inspect", cmd_inspect, "print a model's budget inventory (layers, shapes, parameters)"},
	{"kld", cmd_kld, "KL divergence of a quantized model to the unquantized one over a text"},
	{"loglik", cmd_loglik, "log-likelihood of a continuation or a whole text, as lm-eval"},
	{"quantize", cmd_quantize, "write a fake-quantized checkpoint from a recipe"},
	{"recipe", cmd_recipe, "allocate formats to layers under an average-bit budget"},
	{"report", cmd_report, "rewrite an experiment's tables and plots from cached results"},
	{"run", cmd_run, "run an experiment: plan, score, quantize, evaluate, report"},
	{"run-job", cmd_run_job, "run one planned job (plumbing, called by run)"},
	{"scores", cmd_scores, "per-layer sensitivity of each format (DeltaLoss or proxy)"},
	{"serve", cmd_serve, "run the evaluation endpoint (HTTP + JSON, lm-eval compatible)"},
};
const int n_commands = sizeof commands / sizeof commands[0];
