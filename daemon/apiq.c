/* apiq: see apiq.h. */
#include "apiq.h"

#include "api.h"
#include "clock.h"
#include "log.h"
#include "store.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX   32
#define DB_RETRY_MS 1000

struct job {
	struct job *next;
	void *tag;
	char *path, *query;
	struct api_req req;
	struct api_reply reply;
};

/* A FIFO of jobs. */
struct list {
	struct job *head, *tail;
	size_t n;
};

struct apiq {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct list todo, done; /* under mu */
	int stop;		/* under mu */
	struct event *wake;
	/* the worker's only */
	char *backend, *path, *password_file, *instance; /* the store */
	struct store_query *q;
	int64_t retry_ms;
};

static void
push(struct list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static struct job *
pop(struct list *l)
{
	struct job *j = l->head;

	if (j != NULL) {
		if ((l->head = j->next) == NULL)
			l->tail = NULL;
		l->n--;
	}
	return j;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->path);
	free(j->query);
	free(j->reply.body);
	free(j);
}

/* The connection, (re)opened when needed; NULL: cannot now. */
static struct store_query *
reader(struct apiq *w)
{
	int64_t now = clock_ms();
	struct store_where where = { w->backend, w->path, w->password_file,
		w->instance };

	if (w->q != NULL || now < w->retry_ms)
		return w->q;
	if (store_query_open_at(&where, &w->q) == -1) {
		w->q = NULL;
		w->retry_ms = now + DB_RETRY_MS;
	}
	return w->q;
}

static void
answer(struct apiq *w, struct job *j)
{
	j->req.now_ms = clock_ms(); /* when it is answered, not queued */
	if (!api_query(reader(w), &j->req, &j->reply))
		api_error(&j->reply, 404, "not found");
	/* A connection that failed is opened afresh next time. */
	if (j->reply.status == 503 && w->q != NULL &&
	    !store_query_timed_out(w->q)) {
		store_query_close(w->q);
		w->q = NULL;
	}
}

static void *
run(void *arg)
{
	struct apiq *w = arg;
	struct job *j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->todo.head == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = pop(&w->todo);
		pthread_mutex_unlock(&w->mu);
		answer(w, j);
		pthread_mutex_lock(&w->mu);
		push(&w->done, j);
		event_active(w->wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static char *
dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}

/* The worker's copy of where the store is. */
static void
where_free(struct apiq *w)
{
	free(w->backend);
	free(w->path);
	free(w->password_file);
	free(w->instance);
}

int
apiq_start(const struct store_where *where, struct event *wake,
    struct apiq **out)
{
	struct apiq *w;
	int failed = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->backend = dup_or_null(where->backend, &failed);
	w->path = dup_or_null(where->path, &failed);
	w->password_file = dup_or_null(where->password_file, &failed);
	w->instance = dup_or_null(where->instance, &failed);
	if (failed) {
		where_free(w);
		free(w);
		return -1;
	}
	w->wake = wake;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		log_warnx("http: cannot start the API's thread");
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		where_free(w);
		free(w);
		return -1;
	}
	/* Named for top -H and perf: the loop keeps "wastetrackd". */
	pthread_setname_np(w->thread, "wt-api");
	*out = w;
	return 0;
}

int
apiq_submit(struct apiq *w, const struct api_req *r, void *tag)
{
	struct job *j = calloc(1, sizeof(*j));
	int failed = 0, full;

	if (j == NULL)
		return -1;
	j->tag = tag;
	j->req = *r;
	j->req.path = j->path = dup_or_null(r->path, &failed);
	j->req.query = j->query = dup_or_null(r->query, &failed);
	pthread_mutex_lock(&w->mu);
	full = w->todo.n + w->done.n >= QUEUE_MAX;
	if (!failed && !full) {
		push(&w->todo, j);
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (failed || full) {
		job_free(j);
		return -1;
	}
	return 0;
}

void
apiq_collect(struct apiq *w,
    void (*fn)(void *arg, void *tag, struct api_reply *r), void *arg)
{
	struct list done;
	struct job *j;

	pthread_mutex_lock(&w->mu);
	done = w->done;
	memset(&w->done, 0, sizeof(w->done));
	pthread_mutex_unlock(&w->mu);
	while ((j = pop(&done)) != NULL) {
		fn(arg, j->tag, &j->reply);
		j->reply.body = NULL; /* fn's now */
		job_free(j);
	}
}

void
apiq_stop(struct apiq *w)
{
	struct job *j;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	while ((j = pop(&w->todo)) != NULL)
		job_free(j);
	while ((j = pop(&w->done)) != NULL)
		job_free(j);
	store_query_close(w->q);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	where_free(w);
	free(w);
}
