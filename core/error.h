/*
 * error.h: how the core and the engine report failure.
 *
 * Library code never prints and never exits. A function that can fail returns 0 on
 * success or a negative enum bb_err, and fills a caller-owned struct bb_error with one
 * line naming the file, tensor or field at fault. Only the harness prints it, once.
 * Keeping the message in the caller's struct (not a static) keeps the libraries safe for
 * OpenMP threads and the HTTP server.
 */
#ifndef BB_ERROR_H
#define BB_ERROR_H

enum bb_err {
	BB_OK = 0,
	BB_EIO = -1,         /* a file could not be opened, read, written or renamed */
	BB_EFORMAT = -2,     /* input is malformed: bad header, bad JSON, missing key */
	BB_EINVAL = -3,      /* a request makes no sense: unknown option, infeasible budget */
	BB_ENOMEM = -4,      /* an allocation failed */
	BB_EUNSUPPORTED = -5 /* well-formed but outside what bitbudget handles */
};

struct bb_error {
	int code;
	char msg[512];
};

/* Fill err (if not NULL) with code and a printf-style message; returns code. */
int bb_fail(struct bb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Exit status the CLI uses for an error code: 2 for bad input, 1 for everything else. */
int bb_exit_status(int code);

#endif
