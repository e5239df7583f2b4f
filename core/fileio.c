/*
 * fileio.c: small-file reads and atomic writes (temporary file + fsync + rename).
 */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int atomic_open(struct atomic_file *af, const char *path, struct bb_error *err)
{
	memset(af, 0, sizeof *af);
	af->fd = -1;
	size_t n = strlen(path);
	af->path = strdup(path);
	af->tmp_path = malloc(n + 16);
	if (!af->path || !af->tmp_path) {
		atomic_abort(af);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	snprintf(af->tmp_path, n + 16, "%s.tmp.XXXXXX", path);
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
