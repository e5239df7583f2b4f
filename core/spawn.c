/*
 * spawn.c: posix_spawn from an argv array, with pipes, a deadline and an output cap.
 * See spawn.h. The only file in bitbudget that starts a program.
 * Never runs a shell: argv goes to posix_spawn as it is.
 */
#define _GNU_SOURCE /* pipe2 */
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int exit_status_of(int wstatus)
{
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

/* The child starts with no blocked signals and the default action for the signals a
 * parent commonly handles or ignores (an ignored SIGPIPE or SIGINT would survive exec). */
static void child_attributes(posix_spawnattr_t *attr, bool own_group)
{
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	const int reset[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD};
	for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
		sigaddset(&defaults, reset[i]);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &defaults);
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (own_group) {
		posix_spawnattr_setpgroup(attr, 0);
		flags |= POSIX_SPAWN_SETPGROUP;
	}
	posix_spawnattr_setflags(attr, flags);
}

/* Pipes for the child's stdin and stdout as the options ask; their child ends go into fa.
 * Our ends are close-on-exec and non-blocking (spawn_finish polls them). */
static int child_pipes(posix_spawn_file_actions_t *fa, const struct spawn_opts *o,
		       struct spawn_child *c, int child_ends[2])
{
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	if ((o->stdin_data && pipe2(in, O_CLOEXEC) < 0) ||
	    (o->capture_stdout && pipe2(out, O_CLOEXEC) < 0)) {
		int saved = errno;
		close_fd(&in[0]), close_fd(&in[1]);
		return saved;
	}
	if (o->stdin_data)
		posix_spawn_file_actions_adddup2(fa, in[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (o->capture_stdout) {
		posix_spawn_file_actions_adddup2(fa, out[1], STDOUT_FILENO);
		if (o->stderr_to_stdout)
			posix_spawn_file_actions_adddup2(fa, out[1], STDERR_FILENO);
	}
	c->stdin_fd = in[1], c->stdout_fd = out[0];
	child_ends[0] = in[0], child_ends[1] = out[1];
	if (c->stdin_fd >= 0)
		fcntl(c->stdin_fd, F_SETFL, O_NONBLOCK);
	if (c->stdout_fd >= 0)
		fcntl(c->stdout_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

int spawn_start(struct spawn_child *c, char *const argv[], const struct spawn_opts *o,
		struct bb_error *err)
{
	*c = (struct spawn_child){.pid = -1, .own_group = o->own_group, .stdin_fd = -1,
				  .stdout_fd = -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int child_ends[2] = {-1, -1};
	posix_spawn_file_actions_init(&fa);
	int rc = child_pipes(&fa, o, c, child_ends);
	if (!rc) {
		child_attributes(&attr, o->own_group);
		rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, environ);
		posix_spawnattr_destroy(&attr);
	}
	posix_spawn_file_actions_destroy(&fa);
	close_fd(&child_ends[0]), close_fd(&child_ends[1]);
	if (rc) {
		close_fd(&c->stdin_fd), close_fd(&c->stdout_fd);
		c->pid = -1;
		return bb_fail(err, BB_EIO, "cannot run '%.200s': %s", argv[0], strerror(rc));
	}
	return 0;
}

void spawn_signal(const struct spawn_child *c, int sig)
{
	if (c->pid > 0)
		kill(c->own_group ? -c->pid : c->pid, sig);
}

int spawn_poll(struct spawn_child *c, int *status)
{
	int wstatus;
	pid_t r = waitpid(c->pid, &wstatus, WNOHANG);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	*status = exit_status_of(wstatus);
	c->pid = -1;
	return 1;
}

/* Blocking wait (through EINTR). */
static int reap(struct spawn_child *c, int *status, struct bb_error *err)
{
	int wstatus;
	while (waitpid(c->pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return bb_fail(err, BB_EIO, "waiting for child %d: %s", (int)c->pid,
				       strerror(errno));
	*status = exit_status_of(wstatus);
	c->pid = -1;
	return 0;
}

/* Milliseconds left before the deadline for poll(2): -1 when there is none. */
static int ms_left(double deadline)
{
	if (deadline <= 0)
		return -1;
	double left = deadline - now_s();
	return left <= 0 ? 0 : left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
}

/* Append what the child printed; false when it passed the cap or memory ran out. */
static bool read_some(struct spawn_child *c, const struct spawn_opts *o, struct spawn_result *r,
		      size_t *cap)
{
	char chunk[65536];
	ssize_t n = read(c->stdout_fd, chunk, sizeof chunk);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		close_fd(&c->stdout_fd);
		return true;
	}
	if (o->max_output && r->out_len + (size_t)n > o->max_output) {
		r->output_too_big = true;
		return false;
	}
	if (r->out_len + (size_t)n + 1 > *cap) {
		size_t bigger = (*cap ? *cap : 65536);
		while (bigger < r->out_len + (size_t)n + 1)
			bigger *= 2;
		char *grown = realloc(r->out, bigger);
		if (!grown)
			return false;
		r->out = grown, *cap = bigger;
	}
	memcpy(r->out + r->out_len, chunk, (size_t)n);
	r->out_len += (size_t)n;
	r->out[r->out_len] = 0;
	return true;
}

/* Write the next piece of stdin; close it when all is written or the child stopped
 * reading (EPIPE: SIGPIPE is blocked around this by spawn_finish). */
static void write_some(struct spawn_child *c, const struct spawn_opts *o, size_t *written)
{
	ssize_t n = write(c->stdin_fd, o->stdin_data + *written, o->stdin_len - *written);
	if (n > 0)
		*written += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		*written = o->stdin_len;
	if (*written >= o->stdin_len)
		close_fd(&c->stdin_fd);
}

/* Exchange data with the child until both pipes are closed; false when the deadline
 * passed, the cap was hit or memory ran out (the caller kills the child). */
static bool pump(struct spawn_child *c, const struct spawn_opts *o, struct spawn_result *r,
		 double deadline)
{
	size_t written = 0, cap = 0;
	if (c->stdin_fd >= 0 && o->stdin_len == 0)
		close_fd(&c->stdin_fd);
	while (c->stdin_fd >= 0 || c->stdout_fd >= 0) {
		struct pollfd fds[2] = {{c->stdin_fd, POLLOUT, 0}, {c->stdout_fd, POLLIN, 0}};
		int wait_ms = ms_left(deadline);
		if (wait_ms == 0) {
			r->timed_out = true;
			return false;
		}
		int n = poll(fds, 2, wait_ms);
		if (n < 0 && errno != EINTR)
			return false;
		if (n <= 0)
			continue;
		if (fds[0].revents)
			write_some(c, o, &written);
		if (fds[1].revents && !read_some(c, o, r, &cap))
			return false;
	}
	return true;
}

/* Wait for the exit until the deadline, polling (waitpid has no timeout). */
static bool wait_until(struct spawn_child *c, double deadline, int *status)
{
	for (;;) {
		int done = spawn_poll(c, status);
		if (done != 0)
			return done > 0;
		if (now_s() >= deadline)
			return false;
		struct timespec tick = {0, 10 * 1000 * 1000};
		nanosleep(&tick, NULL);
	}
}

int spawn_finish(struct spawn_child *c, const struct spawn_opts *o, struct spawn_result *r,
		 struct bb_error *err)
{
	*r = (struct spawn_result){0};
	double deadline = o->deadline_s > 0 ? now_s() + o->deadline_s : 0;
	sigset_t pipe_only, old;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	bool finished = pump(c, o, r, deadline);
	sigset_t pending;
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) &&
	    !sigismember(&old, SIGPIPE)) { /* a SIGPIPE from our write: not for anyone else */
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_only, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close_fd(&c->stdin_fd), close_fd(&c->stdout_fd);
	if (finished && deadline > 0) {
		finished = wait_until(c, deadline, &r->status);
		r->timed_out = !finished;
	}
	if (finished && c->pid > 0)
		return reap(c, &r->status, err);
	if (c->pid > 0) {
		spawn_signal(c, SIGKILL);
		return reap(c, &r->status, err);
	}
	return 0;
}

int spawn_run(char *const argv[], const struct spawn_opts *o, struct spawn_result *r,
	      struct bb_error *err)
{
	struct spawn_child c;
	*r = (struct spawn_result){0};
	int rc = spawn_start(&c, argv, o, err);
	return rc ? rc : spawn_finish(&c, o, r, err);
}

// ---- external:CMD's command line ----

/* Append one character to the word being built. */
static int word_add(char **word, size_t *len, size_t *cap, char ch)
{
	if (*len + 2 > *cap) {
		size_t bigger = *cap ? *cap * 2 : 32;
		char *grown = realloc(*word, bigger);
		if (!grown)
			return -1;
		*word = grown, *cap = bigger;
	}
	(*word)[(*len)++] = ch;
	(*word)[*len] = 0;
	return 0;
}

/* One word starting at *at (not a blank); advances *at past it. */
static int next_word(const char **at, char **word, struct bb_error *err)
{
	const char *s = *at;
	size_t len = 0, cap = 32;
	char quote = 0;
	*word = calloc(cap, 1); /* a word may be empty: '' */
	int rc = *word ? 0 : BB_ENOMEM;
	for (; !rc && *s && (quote || !strchr(" \t\n", *s)); s++) {
		if (quote == '\'' && *s == '\'')
			quote = 0;
		else if (quote == '"' && *s == '"')
			quote = 0;
		else if (!quote && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (quote == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
			rc = word_add(word, &len, &cap, *++s);
		else if (!quote && *s == '\\' && s[1])
			rc = word_add(word, &len, &cap, *++s);
		else
			rc = word_add(word, &len, &cap, *s);
	}
	if (rc)
		rc = bb_fail(err, BB_ENOMEM, "out of memory");
	else if (quote)
		rc = bb_fail(err, BB_EINVAL, "unterminated %c quote in: %.200s", quote, *at);
	*at = s;
	if (rc) {
		free(*word);
		*word = NULL;
	}
	return rc;
}

void spawn_free_argv(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int spawn_split_command(const char *cmd, char ***argv_out, struct bb_error *err)
{
	size_t n = 0, cap = 8;
	char **argv = calloc(cap, sizeof *argv);
	int rc = argv ? 0 : bb_fail(err, BB_ENOMEM, "out of memory");
	for (const char *at = cmd; !rc;) {
		at += strspn(at, " \t\n");
		if (!*at)
			break;
		if (n + 2 > cap) {
			char **grown = realloc(argv, (cap *= 2) * sizeof *argv);
			if (!grown) {
				rc = bb_fail(err, BB_ENOMEM, "out of memory");
				break;
			}
			argv = grown;
		}
		rc = next_word(&at, &argv[n], err);
		argv[n += !rc] = NULL;
	}
	if (!rc && n == 0)
		rc = bb_fail(err, BB_EINVAL, "empty command");
	if (rc) {
		spawn_free_argv(argv);
		return rc;
	}
	*argv_out = argv;
	return 0;
}
