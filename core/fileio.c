/*
 * fileio.c: small-file reads and atomic writes (temporary file + fsync + rename), the
 * rule for what an output path may name, and the cleanup of killed processes' temporaries.
 * Never prints or exits; a regular file is never left half-written under its final name.
 */
#include "core/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, a);
	size_t at = a;
	if (a && dir[a - 1] != '/')
		p[at++] = '/';
	memcpy(p + at, name, b + 1);
	return p;
}

int make_dirs(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	if (mkdir(buf, 0755) == 0)
		return 0;
	struct stat st;
	if (errno != EEXIST || stat(buf, &st) < 0)
		return -1;
	errno = ENOTDIR;
	return S_ISDIR(st.st_mode) ? 0 : -1;
}

int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

// ---- what an output path names ----

static const char *kind_name(mode_t mode)
{
	return S_ISDIR(mode) ? "a folder" : S_ISCHR(mode) ? "a character device"
	       : S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket"
	       : S_ISBLK(mode) ? "a block device" : S_ISREG(mode) ? "a regular file"
							  : "a special file";
}

/* The file a dangling symbolic link points to (to be created there): the link read hop by
 * hop, since realpath refuses a target that does not exist. */
static char *follow_dangling(const char *path)
{
	char *at = strdup(path);
	for (int hops = 0; at && hops < 40; hops++) {
		struct stat st;
		char link[PATH_MAX];
		ssize_t n;
		if (lstat(at, &st) < 0 || !S_ISLNK(st.st_mode))
			return at;
		if ((n = readlink(at, link, sizeof link - 1)) < 0)
			break;
		link[n] = 0;
		const char *slash = strrchr(at, '/');
		char *next;
		if (link[0] == '/' || !slash) {
			next = strdup(link);
		} else { /* relative to the link's own folder */
			next = malloc((size_t)(slash - at) + (size_t)n + 2);
			if (next)
				sprintf(next, "%.*s/%s", (int)(slash - at), at, link);
		}
		free(at);
		at = next;
	}
	free(at);
	errno = ELOOP;
	return NULL;
}

int output_resolve(const char *path, struct output_target *t, struct bb_error *err)
{
	struct stat st, lst;
	memset(t, 0, sizeof *t);
	if (strcmp(path, "-") == 0) {
		t->kind = OUTPUT_STREAM, t->what = "stdout", t->path = strdup("-");
	} else if (stat(path, &st) == 0) {
		t->what = kind_name(st.st_mode);
		t->kind = S_ISREG(st.st_mode) ? OUTPUT_REGULAR : S_ISDIR(st.st_mode) ? OUTPUT_FOLDER
			  : S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)
				  ? OUTPUT_STREAM
				  : OUTPUT_OTHER;
		bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
		/* A link to a file or folder: replace that, beside it, and keep the link. A
		 * stream is opened through the link (the kernel follows /proc/self/fd/N too). */
		t->path = link && t->kind != OUTPUT_STREAM ? realpath(path, NULL) : strdup(path);
	} else if (errno == ENOENT) {
		t->kind = OUTPUT_NEW, t->what = "a new file";
		t->path = lstat(path, &lst) == 0 ? follow_dangling(path) : strdup(path);
	} else {
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	}
	if (!t->path)
		return bb_fail(err, errno == ENOMEM ? BB_ENOMEM : BB_EIO, "'%s': %s", path,
			       strerror(errno));
	return 0;
}

void output_target_free(struct output_target *t)
{
	free(t->path);
	t->path = NULL;
}

/* The error for a target no file may be written to; 0 for one that may. */
static int refuse_non_file(const char *path, const struct output_target *t,
			   struct bb_error *err)
{
	if (t->kind == OUTPUT_FOLDER)
		return bb_fail(err, BB_EINVAL, "'%s' is a folder; give a file name", path);
	if (t->kind == OUTPUT_OTHER)
		return bb_fail(err, BB_EINVAL, "'%s' is %s, which is never replaced", path, t->what);
	return 0;
}

int output_check_file(const char *path, struct bb_error *err)
{
	struct output_target t;
	int rc = output_resolve(path, &t, err);
	if (!rc)
		rc = refuse_non_file(path, &t, err);
	output_target_free(&t);
	return rc;
}

bool output_is_stdout(const char *path)
{
	struct stat out, st;
	return strcmp(path, "-") == 0 || (fstat(STDOUT_FILENO, &out) == 0 && stat(path, &st) == 0 &&
					   out.st_dev == st.st_dev && out.st_ino == st.st_ino);
}

// ---- temporaries and their cleanup ----

char *temporary_template(const char *path)
{
	size_t n = strlen(path) + 40; /* ".tmp.", a pid of at most 20 digits, ".XXXXXX" */
	char *tmp = malloc(n);
	if (tmp)
		snprintf(tmp, n, "%s.tmp.%ld.XXXXXX", path, (long)getpid());
	return tmp;
}

void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = path_join(path, e->d_name);
		if (p)
			remove_tree(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* The pid in "<base>.tmp.<pid>.XXXXXX" (name a directory entry), or 0 if it is not one. */
static long temporary_owner(const char *name, const char *base)
{
	size_t n = strlen(base);
	if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
		return 0;
	char *end;
	long pid = strtol(name + n + 5, &end, 10);
	return end != name + n + 5 && *end == '.' && strlen(end + 1) == 6 ? pid : 0;
}

void remove_stale_temporaries(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	const char *base = slash ? slash + 1 : path;
	DIR *d = dir && *base ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = temporary_owner(e->d_name, base);
		/* ESRCH: no such process. EPERM means it lives (another user's): keep it. */
		if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			char *p = path_join(dir, e->d_name);
			if (p)
				remove_tree(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(dir);
}

// ---- atomic files ----

/* A socket is written through a connection, not open(). */
static int open_socket(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int open_through(struct atomic_file *af, const struct output_target *t)
{
	struct stat st;
	af->through = 1;
	if (strcmp(t->path, "-") == 0) {
		fflush(stdout); /* what the command printed before comes first */
		return af->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	}
	if (stat(t->path, &st) == 0 && S_ISSOCK(st.st_mode))
		return af->fd = open_socket(t->path);
	return af->fd = open(t->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

int atomic_open(struct atomic_file *af, const char *path, struct bb_error *err)
{
	memset(af, 0, sizeof *af);
	af->fd = -1;
	struct output_target t;
	int rc = output_resolve(path, &t, err);
	if (!rc)
		rc = refuse_non_file(path, &t, err);
	if (rc) {
		output_target_free(&t);
		return rc;
	}
	af->path = t.path; /* the link's target: the temporary goes beside it */
	if (t.kind == OUTPUT_STREAM) {
		if (open_through(af, &t) < 0) {
			int e = errno;
			atomic_abort(af);
			return bb_fail(err, BB_EIO, "'%s': cannot open %s: %s", path, t.what,
				       strerror(e));
		}
		return 0;
	}
	remove_stale_temporaries(af->path);
	af->tmp_path = temporary_template(af->path);
	if (!af->tmp_path) {
		atomic_abort(af);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	af->fd = mkstemp(af->tmp_path);
	if (af->fd < 0) {
		int e = errno;
		free(af->tmp_path);
		af->tmp_path = NULL;
		atomic_abort(af);
		return bb_fail(err, BB_EIO, "'%s': cannot create: %s", path, strerror(e));
	}
	fchmod(af->fd, 0644);
	return 0;
}

int write_fully(int fd, const void *buf, size_t len, int64_t offset)
{
	const char *p = buf;
	while (len) {
		ssize_t w = offset < 0 ? write(fd, p, len) : pwrite(fd, p, len, (off_t)offset);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		len -= (size_t)w;
		if (offset >= 0)
			offset += w;
	}
	return 0;
}

static int atomic_write_at(struct atomic_file *af, const void *buf, size_t len, int64_t offset,
			   struct bb_error *err)
{
	int e = write_fully(af->fd, buf, len, offset);
	return e ? bb_fail(err, BB_EIO, "'%s': write failed: %s", af->path, strerror(e)) : 0;
}

int atomic_write(struct atomic_file *af, const void *buf, size_t len, struct bb_error *err)
{
	return atomic_write_at(af, buf, len, -1, err);
}

int atomic_pwrite(struct atomic_file *af, const void *buf, size_t len, size_t offset,
		  struct bb_error *err)
{
	return atomic_write_at(af, buf, len, (int64_t)offset, err);
}

int atomic_commit(struct atomic_file *af, struct bb_error *err)
{
	int rc = 0;
	if (af->through) { /* nothing to rename; a device or pipe may not fsync */
		if (close(af->fd) < 0)
			rc = bb_fail(err, BB_EIO, "'%s': %s", af->path, strerror(errno));
		af->fd = -1;
		atomic_abort(af);
		return rc;
	}
	if (fsync(af->fd) < 0 || close(af->fd) < 0)
		rc = bb_fail(err, BB_EIO, "'%s': cannot flush: %s", af->path, strerror(errno));
	af->fd = -1;
	if (rc == 0 && rename(af->tmp_path, af->path) < 0)
		rc = bb_fail(err, BB_EIO, "'%s': cannot rename into place: %s", af->path,
			     strerror(errno));
	if (rc < 0) {
		atomic_abort(af);
		return rc;
	}
	free(af->tmp_path);
	free(af->path);
	memset(af, 0, sizeof *af);
	af->fd = -1;
	return 0;
}

void atomic_abort(struct atomic_file *af)
{
	if (af->fd >= 0)
		close(af->fd);
	if (af->tmp_path)
		unlink(af->tmp_path);
	free(af->tmp_path);
	free(af->path);
	memset(af, 0, sizeof *af);
	af->fd = -1;
}

int write_file_atomic(const char *path, const void *buf, size_t len, struct bb_error *err)
{
	struct atomic_file af;
	int rc = atomic_open(&af, path, err);
	if (rc < 0)
		return rc;
	rc = atomic_write(&af, buf, len, err);
	if (rc < 0) {
		atomic_abort(&af);
		return rc;
	}
	return atomic_commit(&af, err);
}

int read_file(const char *path, char **buf, size_t *len, struct bb_error *err)
{
	*buf = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return bb_fail(err, BB_EIO, "'%s': %s", path, strerror(errno));
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	while (p) {
		n += fread(p + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		char *q = realloc(p, cap *= 2);
		if (!q) {
			free(p);
			p = NULL;
		} else {
			p = q;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (!p)
		return bb_fail(err, BB_ENOMEM, "'%s': out of memory", path);
	if (bad) {
		free(p);
		return bb_fail(err, BB_EIO, "'%s': read error", path);
	}
	p[n] = 0;
	*buf = p;
	if (len)
		*len = n;
	return 0;
}

int read_text_file(const char *path, char **text, struct bb_error *err)
{
	size_t len;
	int rc = read_file(path, text, &len, err);
	if (!rc && strlen(*text) != len) {
		free(*text);
		*text = NULL;
		rc = bb_fail(err, BB_EFORMAT, "'%s': holds a NUL byte: not a text file", path);
	}
	return rc;
}
