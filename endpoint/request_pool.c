/*
 * request_pool.c: a few threads that compute the answers of model requests
 * (/v1/completions, /tokenize, /detokenize) away from libmicrohttpd's connection threads.
 *
 * The HTTP side runs a small pool of polling threads, each serving many connections; a
 * completion computed there would stall every other connection of that thread (health
 * probes included). So router.c suspends the connection, hands the request to this pool
 * and resumes the connection from the task's own function once the answer is ready.
 * The waiting list is bounded (beyond it a submission is refused and the caller answers
 * 503). Stopping runs every task already accepted and refuses new ones, so each
 * suspended connection is resumed before the HTTP daemon stops; the pool is freed only
 * after the daemon, so late submissions still find it. Never prints, never exits.
 */
#include "endpoint/request_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct pool_task {
	request_task_fn run;
	void *arg;
	struct pool_task *next;
};

struct request_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct pool_task *head, *tail;
	int waiting, max_waiting;
	int n_threads;
	pthread_t *threads;
};

/* The next task, or NULL once stopping and nothing is left; called with the lock held. */
static struct pool_task *next_task(struct request_pool *p)
{
	while (!p->head && !p->stopping)
		pthread_cond_wait(&p->wake, &p->lock);
	struct pool_task *t = p->head;
	if (t) {
		p->head = t->next;
		if (!p->head)
			p->tail = NULL;
		p->waiting--;
	}
	return t;
}

static void *pool_thread(void *arg)
{
	struct request_pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		struct pool_task *t = next_task(p);
		pthread_mutex_unlock(&p->lock);
		if (!t)
			return NULL;
		t->run(t->arg);
		free(t);
	}
}

int request_pool_start(struct request_pool **out, int threads, int max_waiting,
		       struct bb_error *err)
{
	struct request_pool *p = calloc(1, sizeof *p);
	*out = NULL;
	if (!p || !(p->threads = calloc((size_t)threads, sizeof(pthread_t)))) {
		free(p);
		return bb_fail(err, BB_ENOMEM, "out of memory");
	}
	p->max_waiting = max_waiting;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (; p->n_threads < threads; p->n_threads++)
		if (pthread_create(&p->threads[p->n_threads], NULL, pool_thread, p)) {
			int started = p->n_threads;
			request_pool_free(p);
			return bb_fail(err, BB_ENOMEM, "cannot start request thread %d", started + 1);
		}
	*out = p;
	return 0;
}

bool request_pool_submit(struct request_pool *p, request_task_fn run, void *arg)
{
	struct pool_task *t = malloc(sizeof *t);
	if (!t)
		return false;
	*t = (struct pool_task){.run = run, .arg = arg};
	pthread_mutex_lock(&p->lock);
	bool ok = !p->stopping && p->waiting < p->max_waiting;
	if (ok) {
		if (p->tail)
			p->tail->next = t;
		else
			p->head = t;
		p->tail = t;
		p->waiting++;
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	if (!ok)
		free(t);
	return ok;
}

void request_pool_stop(struct request_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	bool joined = p->stopping;
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; !joined && i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
}

void request_pool_free(struct request_pool *p)
{
	if (!p)
		return;
	request_pool_stop(p);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
