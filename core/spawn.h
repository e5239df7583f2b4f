/*
 * spawn.h: the one way bitbudget starts another program.
 *
 * No shell is ever involved: a child is started by posix_spawn from an argv array, so a
 * path, a label or a file name in an argument is only ever data. Around that, the few
 * things a caller needs: text for the child's stdin, its stdout (optionally with stderr)
 * collected up to a size cap, a deadline after which the child is killed, an own
 * process group (so the whole tree can be signalled or killed at once), and a wait that
 * gives the exit status. A child that runs past its deadline or prints more than the cap
 * is killed (its whole group when it has one) and reaped before the call returns.
 *
 * The one place where a user asks for a command line, `external:CMD`, is split into argv
 * by spawn_split_command (quoting rules below), never handed to /bin/sh.
 */
#ifndef BB_SPAWN_H
#define BB_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

struct spawn_opts {
	const char *stdin_data;  /* written to the child's stdin; NULL: stdin is /dev/null */
	size_t stdin_len;
	bool capture_stdout;     /* collect stdout into spawn_result.out (else inherited) */
	bool stderr_to_stdout;   /* with capture_stdout: stderr is collected with it */
	size_t max_output;       /* with capture_stdout: kill the child beyond this; 0: none */
	double deadline_s;       /* kill the child after this many seconds; 0: none */
	bool own_group;          /* the child leads a new process group */
};

struct spawn_child {
	pid_t pid;
	bool own_group;
	int stdin_fd, stdout_fd; /* our ends of the pipes, -1 when none */
};

struct spawn_result {
	int status;           /* exit code, or 128 + signal number when killed by one */
	char *out;            /* captured stdout, NUL-terminated, malloc'd (caller frees) */
	size_t out_len;
	bool timed_out;       /* killed at the deadline */
	bool output_too_big;  /* killed at max_output */
};

/* Start argv[0] (looked up in PATH when it has no '/') with the options' pipes set up. */
int spawn_start(struct spawn_child *c, char *const argv[], const struct spawn_opts *o,
		struct bb_error *err);

/* Feed stdin, collect stdout, and wait for the child, within the options' deadline and
 * cap. Always reaps the child. Fails only when the child could not be run or reaped;
 * a timeout or an oversize output is reported in r, with r->status the killing signal's. */
int spawn_finish(struct spawn_child *c, const struct spawn_opts *o, struct spawn_result *r,
		 struct bb_error *err);

/* spawn_start then spawn_finish. */
int spawn_run(char *const argv[], const struct spawn_opts *o, struct spawn_result *r,
	      struct bb_error *err);

/* Non-blocking check: 1 and *status (as in spawn_result) when the child has exited,
 * 0 while it runs, -1 on error. */
int spawn_poll(struct spawn_child *c, int *status);

/* Send sig to the child, or to its whole process group when it has one. */
void spawn_signal(const struct spawn_child *c, int sig);

/* Split a command line into a NULL-terminated, malloc'd argv (free with spawn_free_argv).
 * Words are separated by blanks (space, tab, newline). Inside a word, '...' is taken
 * literally, "..." too except that \" and \\ stand for " and \, and a backslash outside
 * quotes takes the next character literally. Nothing else is special: no variables, no
 * globbing, no redirection, no ';' or '|'. An unterminated quote or an empty command is
 * an error naming what is wrong. */
int spawn_split_command(const char *cmd, char ***argv, struct bb_error *err);
void spawn_free_argv(char **argv);

#endif
