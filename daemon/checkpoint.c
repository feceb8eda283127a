/* checkpoint: see checkpoint.h. */
#include "checkpoint.h"

#include "log.h"
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size at which SQLite would checkpoint by itself (4 MiB of pages). */
#define KICK_FRAMES 1000

struct checkpoint {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store_ckpt *conn;
	int wanted, stop;
	struct checkpoint_state st;	/* under mu */
};

/* From the writer's commit, on the loop thread: never blocks for long. */
static void
kick(void *arg, int frames)
{
	struct checkpoint *c = arg;

	if (frames < KICK_FRAMES)
		return;
	pthread_mutex_lock(&c->mu);
	c->wanted = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Log a failure once, and the recovery once. */
static void
record(struct checkpoint *c, int ok)
{
	pthread_mutex_lock(&c->mu);
	c->st.runs++;
	if (!ok) {
		c->st.failures++;
		snprintf(c->st.last_error, sizeof(c->st.last_error), "%s",
		    store_ckpt_errmsg(c->conn));
		if (!c->st.failing)
			log_warnx("checkpoint: failing (%s); the WAL grows "
			    "until it works again", c->st.last_error);
	} else if (c->st.failing)
		log_notice("checkpoint: works again");
	c->st.failing = !ok;
	pthread_mutex_unlock(&c->mu);
}

static void *
run(void *arg)
{
	struct checkpoint *c = arg;
	int frames, copied, ok;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->mu);
		ok = store_ckpt_run(c->conn, &frames, &copied) == 0;
		record(c, ok);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
checkpoint_start(struct store *s, struct checkpoint **out)
{
	struct checkpoint *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (store_ckpt_open(store_path(s), &c->conn) == -1)
		goto fail;
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		log_warnx("checkpoint: cannot start a thread");
		goto fail;
	}
	/* Named for top -H and perf: the loop keeps "wastetrackd". */
	pthread_setname_np(c->thread, "wt-checkpoint");
	store_on_wal(s, kick, c);
	*out = c;
	return 0;
fail:
	store_ckpt_close(c->conn);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return -1;
}

void
checkpoint_stop(struct checkpoint *c, struct store *s)
{
	if (c == NULL)
		return;
	store_on_wal(s, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	store_ckpt_close(c->conn);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void
checkpoint_state(struct checkpoint *c, struct checkpoint_state *st)
{
	pthread_mutex_lock(&c->mu);
	*st = c->st;
	pthread_mutex_unlock(&c->mu);
}
