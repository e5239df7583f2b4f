/*
 * request_pool.h: a few threads that compute model requests (/v1/completions, /tokenize,
 * /detokenize) away from the HTTP polling threads (request_pool.c says why). It runs
 * whatever function it is handed and knows nothing of HTTP. Never prints, never exits.
 */
#ifndef BB_REQUEST_POOL_H
#define BB_REQUEST_POOL_H

#include <stdbool.h>

#include "core/error.h"

typedef void (*request_task_fn)(void *arg);
struct request_pool;

/* threads workers; at most max_waiting tasks wait for one. */
int request_pool_start(struct request_pool **out, int threads, int max_waiting,
		       struct bb_error *err);
/* Queue run(arg) for a pool thread. false (nothing queued) when the waiting list is full
 * or the pool is stopping. Thread-safe. */
bool request_pool_submit(struct request_pool *p, request_task_fn run, void *arg);
/* Refuse new tasks, run every task already queued and join the threads (once; later
 * calls return at once). NULL is a no-op. */
void request_pool_stop(struct request_pool *p);
/* Stop if not yet stopped, then free. NULL is a no-op. */
void request_pool_free(struct request_pool *p);

#endif
