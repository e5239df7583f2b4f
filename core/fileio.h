/*
 * fileio.h: whole-file reads of small files, and atomic writes.
 *
 * Every file bitbudget produces is written through an atomic_file: a temporary file in
 * the destination's directory, fsync'd and renamed into place only when complete, so an
 * interrupted or failed run never leaves a half-written output under its final name.
 * Never prints, never exits.
 */
#ifndef BB_FILEIO_H
#define BB_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

struct atomic_file {
	char *path;     /* final name */
	char *tmp_path; /* temporary name beside it */
	int fd;
};

/* Write all of buf to fd at offset, or at the file position when offset < 0, continuing
 * after short writes and EINTR. Returns 0 or an errno (EIO when a write makes no progress);
 * sets no bb_error, so worker threads can call it. */
int write_fully(int fd, const void *buf, size_t len, int64_t offset);

int atomic_open(struct atomic_file *af, const char *path, struct bb_error *err);
int atomic_write(struct atomic_file *af, const void *buf, size_t len, struct bb_error *err);
/* Positioned write, for filling a file whose size is known in parallel. */
int atomic_pwrite(struct atomic_file *af, const void *buf, size_t len, size_t offset,
		  struct bb_error *err);
/* fsync, rename into place, free. On failure the temporary file is removed. */
int atomic_commit(struct atomic_file *af, struct bb_error *err);
/* Remove the temporary file and free; safe after a failed open. */
void atomic_abort(struct atomic_file *af);

/* Write a whole buffer atomically. */
int write_file_atomic(const char *path, const void *buf, size_t len, struct bb_error *err);

/* Read a whole (small) file into a NUL-terminated malloc'd buffer. */
int read_file(const char *path, char **buf, size_t *len, struct bb_error *err);

/* mkdir -p: create path and its missing parents (0755). 0 on success. */
int make_dirs(const char *path);

/* path joined with name, malloc'd. */
char *path_join(const char *dir, const char *name);
int file_exists(const char *path);

#endif
