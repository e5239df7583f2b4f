/*
 * fileio.h: whole-file reads of small files, and atomic writes.
 *
 * Every file bitbudget produces is written through an atomic_file: a temporary file in
 * the destination's directory, fsync'd and renamed into place only when complete, so an
 * interrupted or failed run never leaves a half-written output under its final name.
 * Never prints, never exits.
 *
 * What an output path names decides how it is written (output_resolve, the one rule):
 * "-" is stdout; a character device, FIFO or socket is written through (no temporary, no
 * rename: it cannot be replaced); a symbolic link is followed and its final target is
 * replaced atomically, the temporary beside the target; a folder, a block device or
 * anything else that is not a regular file is never replaced (an error naming it).
 *
 * Temporaries are named "<target>.tmp.<pid>.XXXXXX" so that one left by a killed process
 * can be told from one a live process is writing: remove_stale_temporaries removes those
 * whose process is gone, and atomic_open calls it for its target.
 */
#ifndef BB_FILEIO_H
#define BB_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

struct atomic_file {
	char *path;     /* final name (a symbolic link's target), or "-" for stdout */
	char *tmp_path; /* temporary name beside it; NULL when written through */
	int fd;
	int through;    /* 1: a stream (stdout, device, FIFO, socket) written in place */
};

enum output_kind {
	OUTPUT_NEW,     /* nothing there yet: created atomically */
	OUTPUT_REGULAR, /* a regular file: replaced atomically */
	OUTPUT_STREAM,  /* stdout, a character device, a FIFO or a socket: written through */
	OUTPUT_FOLDER,  /* a folder */
	OUTPUT_OTHER    /* a block device or other special file: never written */
};

struct output_target {
	enum output_kind kind;
	char *path;       /* malloc'd: where to write, symbolic links followed; "-" for stdout */
	const char *what; /* "a folder", "a FIFO", ...: for messages */
};

/* Classify an output path by the rule above. Fails only when the path cannot be looked
 * at (permission, a loop of links); the caller decides which kinds it accepts. */
int output_resolve(const char *path, struct output_target *t, struct bb_error *err);
void output_target_free(struct output_target *t);
/* Is path acceptable as a file output (not a folder or a block device)? For commands to
 * check -o before their work rather than after it. */
int output_check_file(const char *path, struct bb_error *err);

/* Does path name this process's stdout ("-", /dev/stdout, /proc/self/fd/1, or the very
 * file or pipe stdout is)? A command then prints its other output on stderr. */
bool output_is_stdout(const char *path);

/* "<path>.tmp.<pid>.XXXXXX", malloc'd: a template for mkstemp or mkdtemp. */
char *temporary_template(const char *path);
/* Remove "<path>.tmp.<pid>.*" files and folders whose process no longer exists. A pid is
 * only meaningful on this machine: see docs/reliability.md on shared file systems. */
void remove_stale_temporaries(const char *path);
/* rm -r of a folder (does not follow symbolic links). */
void remove_tree(const char *path);

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

/* read_file for a text: a NUL byte inside is refused (the text would end there), and
 * *text is then NULL. */
int read_text_file(const char *path, char **text, struct bb_error *err);

/* mkdir -p: create path and its missing parents (0755). 0 on success; -1 (errno
 * ENOTDIR) when path exists and is not a folder. */
int make_dirs(const char *path);

/* path joined with name, malloc'd. */
char *path_join(const char *dir, const char *name);
int file_exists(const char *path);

#endif
