/*
 * test_fileio.c: core/fileio.c's rule for output paths (what each kind of path resolves
 * to, and which are refused), atomic writes through links and to streams, make_dirs on a
 * file, and the removal of temporaries whose process is gone (and only those).
 * Never writes a file outside its own mkdtemp folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "tests/unit/check.h"

static char dir[64]; /* this run's scratch folder */

static char *in_dir(const char *name)
{
	static char buf[4][PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static void put(const char *path, const char *text)
{
	struct bb_error err = {0};
	if (write_file_atomic(path, text, strlen(text), &err) != 0)
		fprintf(stderr, "  cannot write %s: %s\n", path, err.msg);
}

static int is(const char *path, const char *text)
{
	char *got = NULL;
	struct bb_error err = {0};
	int same = read_file(path, &got, NULL, &err) == 0 && strcmp(got, text) == 0;
	free(got);
	return same;
}

/* The kind and path a path resolves to. */
static enum output_kind resolve(const char *path, char *where, size_t n)
{
	struct output_target t;
	struct bb_error err = {0};
	if (output_resolve(path, &t, &err) != 0) {
		snprintf(where, n, "error: %s", err.msg);
		return (enum output_kind)-1;
	}
	snprintf(where, n, "%s", t.path);
	enum output_kind kind = t.kind;
	output_target_free(&t);
	return kind;
}

TEST(output_resolve_should_classify_each_kind_of_path)
{
	char where[PATH_MAX], real[PATH_MAX];
	CHECK(resolve(in_dir("new.json"), where, sizeof where) == OUTPUT_NEW);
	CHECK_STR(where, in_dir("new.json"));
	put(in_dir("file"), "x");
	CHECK(resolve(in_dir("file"), where, sizeof where) == OUTPUT_REGULAR);
	CHECK(resolve("-", where, sizeof where) == OUTPUT_STREAM);
	CHECK_STR(where, "-");
	CHECK(resolve("/dev/null", where, sizeof where) == OUTPUT_STREAM);
	CHECK(mkfifo(in_dir("fifo"), 0644) == 0);
	CHECK(resolve(in_dir("fifo"), where, sizeof where) == OUTPUT_STREAM);
	CHECK(resolve(dir, where, sizeof where) == OUTPUT_FOLDER);
	/* a link to a file resolves to the file's real path; a chain of links too */
	CHECK(symlink("file", in_dir("link")) == 0 && symlink("link", in_dir("link2")) == 0);
	CHECK(realpath(in_dir("file"), real) != NULL);
	CHECK(resolve(in_dir("link2"), where, sizeof where) == OUTPUT_REGULAR);
	CHECK_STR(where, real);
	/* a dangling link resolves to the file it names, beside the link */
	CHECK(symlink("target.json", in_dir("dangling")) == 0);
	CHECK(resolve(in_dir("dangling"), where, sizeof where) == OUTPUT_NEW);
	CHECK_STR(where, in_dir("target.json"));
	/* a loop of links is an error naming the path */
	CHECK(symlink("loop-b", in_dir("loop-a")) == 0 && symlink("loop-a", in_dir("loop-b")) == 0);
	CHECK(resolve(in_dir("loop-a"), where, sizeof where) == (enum output_kind)-1);
	CHECK(strstr(where, "loop-a") != NULL);
}

TEST(atomic_writes_should_follow_links_write_streams_and_refuse_folders)
{
	struct bb_error err = {0};
	put(in_dir("target"), "old");
	CHECK(symlink("target", in_dir("to-target")) == 0);
	put(in_dir("to-target"), "new");
	struct stat st;
	CHECK(lstat(in_dir("to-target"), &st) == 0 && S_ISLNK(st.st_mode)); /* the link stays */
	CHECK(is(in_dir("target"), "new"));
	/* a FIFO is written through (a child reads it) and stays a FIFO; a device is the
	 * same case, left out here: a wrong writer would replace the system's /dev/null */
	CHECK(mkfifo(in_dir("pipe"), 0644) == 0);
	pid_t reader = fork();
	if (reader == 0) {
		char buf[64] = "";
		int fd = open(in_dir("pipe"), O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		put(in_dir("from-pipe"), n > 0 ? buf : "nothing");
		_exit(0);
	}
	CHECK(write_file_atomic(in_dir("pipe"), "through", 7, &err) == 0);
	waitpid(reader, NULL, 0);
	CHECK(is(in_dir("from-pipe"), "through"));
	CHECK(stat(in_dir("pipe"), &st) == 0 && S_ISFIFO(st.st_mode));
	/* a folder is refused, exit 2's code, and the folder is left empty */
	CHECK(mkdir(in_dir("folder"), 0755) == 0);
	CHECK(write_file_atomic(in_dir("folder"), "x", 1, &err) == BB_EINVAL);
	CHECK(strstr(err.msg, "is a folder") != NULL);
	CHECK(rmdir(in_dir("folder")) == 0);
	CHECK(output_check_file(dir, &err) == BB_EINVAL);
}

TEST(make_dirs_should_refuse_a_path_that_is_a_file)
{
	put(in_dir("plain"), "x");
	errno = 0;
	CHECK(make_dirs(in_dir("plain")) == -1 && errno == ENOTDIR);
	CHECK(make_dirs(in_dir("a/b/c")) == 0 && make_dirs(in_dir("a/b/c")) == 0);
}

TEST(read_text_file_should_refuse_a_nul_byte)
{
	struct bb_error err;
	char *text = NULL;
	put(in_dir("story.txt"), "Once upon a time.\n");
	CHECK(read_text_file(in_dir("story.txt"), &text, &err) == 0);
	CHECK(text && strcmp(text, "Once upon a time.\n") == 0);
	free(text);
	text = NULL;
	CHECK(write_file_atomic(in_dir("binary.txt"), "a\0b", 3, &err) == 0);
	CHECK(read_text_file(in_dir("binary.txt"), &text, &err) == BB_EFORMAT);
	CHECK(text == NULL && strstr(err.msg, "holds a NUL byte"));
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

TEST(stale_temporaries_should_be_removed_only_when_their_process_is_gone)
{
	char name[PATH_MAX];
	pid_t dead = dead_pid();
	const char *target = in_dir("out.json");
	char *mine = temporary_template(target);
	snprintf(name, sizeof name, "%s.tmp.%ld.XXXXXX", target, (long)getpid());
	CHECK_STR(mine, name);
	free(mine);
	/* a dead process's file and folder (with a file in it): removed */
	snprintf(name, sizeof name, "%s.tmp.%ld.abcdef", target, (long)dead);
	put(name, "partial");
	char folder[PATH_MAX], inside[PATH_MAX + 16];
	snprintf(folder, sizeof folder, "%s.tmp.%ld.ghijkl", target, (long)dead);
	snprintf(inside, sizeof inside, "%s/shard", folder);
	CHECK(mkdir(folder, 0755) == 0);
	put(inside, "partial");
	/* kept: this process's, pid 1's (alive), another file's, and names not of the form */
	char kept[6][PATH_MAX + 64];
	long me = (long)getpid(), gone = (long)dead;
	snprintf(kept[0], sizeof kept[0], "%s.tmp.%ld.mnopqr", target, me);
	snprintf(kept[1], sizeof kept[1], "%s.tmp.1.stuvwx", target);
	snprintf(kept[2], sizeof kept[2], "%s/other.json.tmp.%ld.abcdef", dir, gone);
	snprintf(kept[3], sizeof kept[3], "%s.tmp.%ld.abc", target, gone);
	snprintf(kept[4], sizeof kept[4], "%s.tmp.x%ld.abcdef", target, gone);
	snprintf(kept[5], sizeof kept[5], "%sx.tmp.%ld.abcdef", target, gone);
	for (int i = 0; i < 6; i++)
		put(kept[i], "keep");
	remove_stale_temporaries(target);
	CHECK(access(name, F_OK) != 0 && access(folder, F_OK) != 0);
	for (int i = 0; i < 6; i++)
		CHECK(is(kept[i], "keep"));
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_fileio.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(output_resolve_should_classify_each_kind_of_path);
	RUN(atomic_writes_should_follow_links_write_streams_and_refuse_folders);
	RUN(make_dirs_should_refuse_a_path_that_is_a_file);
	RUN(read_text_file_should_refuse_a_nul_byte);
	RUN(stale_temporaries_should_be_removed_only_when_their_process_is_gone);
	remove_tree(dir);
	END_TESTS();
}
