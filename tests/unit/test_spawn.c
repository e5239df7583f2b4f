/*
 * test_spawn.c: core/spawn.h, the one way bitbudget starts a program: arguments reach
 * the child byte for byte (no shell), stdin larger than a pipe's buffer goes in while
 * stdout comes out, the deadline and the output cap kill the child's whole process group,
 * and external:CMD's command line splits by its documented rules.
 * Never writes a file; never starts a shell: every child is named by its argv.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/spawn.h"
#include "tests/unit/check.h"

/* Whether any process of group pgid is left, waiting up to 10 s for init to reap them
 * (a killed grandchild is reparented first). */
static bool group_alive(pid_t pgid)
{
	for (int i = 0; i < 1000; i++) {
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return false;
		struct timespec tick = {0, 10 * 1000 * 1000};
		nanosleep(&tick, NULL);
	}
	return true;
}

TEST(spawn_should_pass_arguments_as_they_are)
{
	const char *hostile[] = {"a;touch x", "$(touch y)", "`touch z`", "'\"", "two words", "",
				 "*", NULL};
	char *argv[16] = {"printf", "[%s]\\n"};
	int n = 2;
	for (int i = 0; hostile[i]; i++)
		argv[n++] = (char *)hostile[i];
	argv[n] = NULL;
	struct spawn_opts o = {.capture_stdout = true};
	struct spawn_result r;
	struct bb_error err = {0};
	CHECK(spawn_run(argv, &o, &r, &err) == 0);
	CHECK(r.status == 0);
	CHECK_STR(r.out, "[a;touch x]\n[$(touch y)]\n[`touch z`]\n['\"]\n[two words]\n[]\n[*]\n");
	CHECK(access("x", F_OK) != 0 && access("y", F_OK) != 0 && access("z", F_OK) != 0);
	free(r.out);
}

TEST(spawn_should_feed_stdin_and_collect_stdout_larger_than_a_pipe)
{
	size_t n = 3 << 20; /* far more than the 64 KiB a pipe holds: both sides must flow */
	char *in = malloc(n);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	char *argv[] = {"cat", NULL};
	struct spawn_opts o = {.stdin_data = in, .stdin_len = n, .capture_stdout = true};
	struct spawn_result r;
	struct bb_error err = {0};
	CHECK(spawn_run(argv, &o, &r, &err) == 0);
	CHECK(r.status == 0 && r.out_len == n && r.out && memcmp(r.out, in, n) == 0);
	free(r.out);
	free(in);
}

TEST(spawn_should_report_exit_status_and_a_missing_program)
{
	char *exit7[] = {"python3", "-c", "import sys; sys.exit(7)", NULL};
	struct spawn_opts o = {0};
	struct spawn_result r;
	struct bb_error err = {0};
	CHECK(spawn_run(exit7, &o, &r, &err) == 0 && r.status == 7);
	char *missing[] = {"bitbudget-no-such-program", NULL};
	CHECK(spawn_run(missing, &o, &r, &err) == BB_EIO);
	CHECK(strstr(err.msg, "cannot run 'bitbudget-no-such-program'") != NULL);
}

/* A child that forks a grandchild, both sleeping: only killing the group stops both. */
static char *forking_sleeper[] = {
	"python3", "-c", "import os, sys, time\nos.fork()\nsys.stdout.write('x' * int(sys.argv[1]))\n"
	"sys.stdout.flush()\ntime.sleep(100)", NULL, NULL};

TEST(spawn_should_kill_the_group_at_the_deadline)
{
	forking_sleeper[3] = "1";
	struct spawn_opts o = {.capture_stdout = true, .deadline_s = 0.5, .own_group = true};
	struct spawn_child c;
	struct spawn_result r;
	struct bb_error err = {0};
	time_t start = time(NULL);
	CHECK(spawn_start(&c, forking_sleeper, &o, &err) == 0);
	pid_t pgid = c.pid;
	CHECK(spawn_finish(&c, &o, &r, &err) == 0);
	CHECK(r.timed_out && !r.output_too_big && r.status == 128 + SIGKILL);
	CHECK(time(NULL) - start < 60); /* not the child's 100 s */
	CHECK(!group_alive(pgid));
	free(r.out);
}

TEST(spawn_should_kill_the_group_past_the_output_cap)
{
	forking_sleeper[3] = "300000"; /* each of the two processes prints 300 000 bytes */
	struct spawn_opts o = {.capture_stdout = true, .max_output = 100000, .own_group = true};
	struct spawn_child c;
	struct spawn_result r;
	struct bb_error err = {0};
	CHECK(spawn_start(&c, forking_sleeper, &o, &err) == 0);
	pid_t pgid = c.pid;
	CHECK(spawn_finish(&c, &o, &r, &err) == 0);
	CHECK(r.output_too_big && !r.timed_out && r.status == 128 + SIGKILL);
	CHECK(r.out_len <= 100000);
	CHECK(!group_alive(pgid));
	free(r.out);
}

TEST(spawn_should_survive_a_child_that_does_not_read_its_stdin)
{
	size_t n = 1 << 20;
	char *in = calloc(1, n);
	char *argv[] = {"true", NULL};
	struct spawn_opts o = {.stdin_data = in, .stdin_len = n, .capture_stdout = true,
			       .deadline_s = 60};
	struct spawn_result r;
	struct bb_error err = {0};
	CHECK(spawn_run(argv, &o, &r, &err) == 0); /* EPIPE, not a SIGPIPE that kills us */
	CHECK(r.status == 0 && !r.timed_out);
	free(r.out);
	free(in);
}

/* Split cmd and join the words as [w1][w2]..., or "error: MESSAGE". */
static const char *split(const char *cmd)
{
	static char out[600];
	char **argv;
	struct bb_error err = {0};
	if (spawn_split_command(cmd, &argv, &err) != 0) {
		snprintf(out, sizeof out, "error: %s", err.msg);
		return out;
	}
	out[0] = 0;
	for (int i = 0; argv[i]; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "[%s]", argv[i]);
	spawn_free_argv(argv);
	return out;
}

TEST(split_command_should_follow_its_documented_rules)
{
	CHECK_STR(split("python3 my_strategy.py"), "[python3][my_strategy.py]");
	CHECK_STR(split("  a \t b\nc  "), "[a][b][c]");
	CHECK_STR(split("perl -e 'print $HOME; ls' x"), "[perl][-e][print $HOME; ls][x]");
	CHECK_STR(split("a\"b c\"d 'it''s'"), "[ab cd][its]");
	CHECK_STR(split("\"say \\\"hi\\\" \\\\ \\n\""), "[say \"hi\" \\ \\n]");
	CHECK_STR(split("a\\ b \\'c"), "[a b]['c]");
	CHECK_STR(split("'' x"), "[][x]");
	CHECK_STR(split("a;b|c>d $(e) `f` *"), "[a;b|c>d][$(e)][`f`][*]");
	CHECK_STR(split("python3 'oops"), "error: unterminated ' quote in: 'oops");
	CHECK_STR(split("python3 \"oops"), "error: unterminated \" quote in: \"oops");
	CHECK_STR(split(" \t "), "error: empty command");
}

int main(void)
{
	RUN(spawn_should_pass_arguments_as_they_are);
	RUN(spawn_should_feed_stdin_and_collect_stdout_larger_than_a_pipe);
	RUN(spawn_should_report_exit_status_and_a_missing_program);
	RUN(spawn_should_kill_the_group_at_the_deadline);
	RUN(spawn_should_kill_the_group_past_the_output_cap);
	RUN(spawn_should_survive_a_child_that_does_not_read_its_stdin);
	RUN(split_command_should_follow_its_documented_rules);
	END_TESTS();
}
