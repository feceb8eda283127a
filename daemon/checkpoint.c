/* checkpoint: see checkpoint.h. */
#include "checkpoint.h"

#include "clock.h"
#include "log.h"
#include "store.h"

#include <sys/statvfs.h>

#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The store reports its pending maintenance in pages of about 4 KiB
 * (SQLite: frames in the WAL). KICK_PAGES is where SQLite would
 * checkpoint by itself (4 MiB).
 */
#define KICK_PAGES 1000
/*
 * A passive checkpoint cannot restart the WAL while the writer keeps
 * committing: the writer restarts it only when everything was copied
 * before its next transaction, and under a steady flood the checkpoint
 * thread never quite catches up. So once the WAL holds CATCH_UP_PAGES,
 * the loop copies the last few pages itself, between two batches
 * (checkpoint_catch_up()): its next transaction then restarts the WAL.
 * After a long reader has gone and the writer is quiet (QUIET_MS), the
 * file is emptied (TRUNCATE) to give the space back.
 *
 * The same happens, whatever the WAL's size, when the writer is quiet and
 * the WAL holds more than the free space left on its filesystem: on a
 * small or full disk the writer is quiet because its commits fail for
 * space, and the WAL's few MiB are what it needs back (the spool gives
 * back its own committed segments, see lib/spool.c).
 */
#define CATCH_UP_PAGES 8192 /* 32 MiB of 4 KiB pages */
#define SOFT_BYTES     (32LL << 20)
#define QUIET_MS       500
#define TICK_MS	       500

struct checkpoint {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store_maint *conn;
	char dir[PATH_MAX];		/* the database's directory */
	int kick_pages, catch_up_pages; /* under mu; see limits() */
	int wanted, stop;
	int catch_up;		    /* the loop's only */
	int64_t last_commit_us;	    /* clock_mono_us() */
	struct checkpoint_state st; /* under mu */
};

/* From every commit of the writer, on the loop thread: a lock, no wait. */
static void
kick(void *arg, int pages)
{
	struct checkpoint *c = arg;

	pthread_mutex_lock(&c->mu);
	if (pages >= c->catch_up_pages)
		c->catch_up = 1;
	c->last_commit_us = clock_mono_us();
	if (pages >= c->kick_pages) {
		c->wanted = 1;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

/* Log a failure once, and the recovery once (outside the lock: the
 * writer's commit hook takes it). */
static void
record(struct checkpoint *c, int ok)
{
	char error[sizeof(c->st.last_error)] = "";
	int was_failing;

	if (!ok)
		snprintf(error, sizeof(error), "%s",
		    store_maint_errmsg(c->conn));
	pthread_mutex_lock(&c->mu);
	c->st.runs++;
	was_failing = c->st.failing;
	if (!ok) {
		c->st.failures++;
		memcpy(c->st.last_error, error, sizeof(error));
	}
	c->st.failing = !ok;
	pthread_mutex_unlock(&c->mu);
	if (!ok && !was_failing)
		log_warnx("checkpoint: failing (%s); the WAL grows until it "
			  "works again",
		    error);
	else if (ok && was_failing)
		log_notice("checkpoint: works again");
}

/* The WAL holds more than the space left beside it. */
static int
disk_tight(struct checkpoint *c, int64_t log_bytes)
{
	struct statvfs sv;

	if (log_bytes <= 0 || statvfs(c->dir, &sv) == -1)
		return 0;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize < log_bytes;
}

/*
 * On a small filesystem 4 MiB of WAL may be most of the room: the
 * thresholds shrink with the free space (a quarter of it before copying,
 * half before the loop's catch-up), so the WAL never takes what the
 * database needs to grow into.
 */
static void
limits(struct checkpoint *c)
{
	struct statvfs sv;
	int64_t pages;
	int kick_pages = KICK_PAGES, catch_up_pages = CATCH_UP_PAGES;

	if (statvfs(c->dir, &sv) == 0) {
		pages = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize / 4096;
		if (pages / 4 < kick_pages)
			kick_pages = pages / 4 > 16 ? (int)(pages / 4) : 16;
		if (pages / 2 < catch_up_pages)
			catch_up_pages = pages / 2 > 64 ? (int)(pages / 2) : 64;
	}
	pthread_mutex_lock(&c->mu);
	c->kick_pages = kick_pages;
	c->catch_up_pages = catch_up_pages;
	pthread_mutex_unlock(&c->mu);
}

/* Copy what can be copied; empty the WAL file when the writer is quiet. */
static void
work(struct checkpoint *c, int wanted, int64_t quiet_ms)
{
	int pending, done, rc = 0;
	int64_t log_bytes;

	if (wanted)
		rc = store_maint_step(c->conn, &pending, &done);
	if (rc == 0 && quiet_ms >= QUIET_MS) {
		log_bytes = store_maint_log_bytes(c->conn);
		if (log_bytes > SOFT_BYTES || disk_tight(c, log_bytes))
			rc = store_maint_truncate(c->conn);
	}
	if (wanted || rc == -1)
		record(c, rc == 0);
}

static void *
run(void *arg)
{
	struct checkpoint *c = arg;
	struct timespec until;
	int64_t quiet;
	int wanted;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->wanted) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += TICK_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&c->cv, &c->mu, &until);
			if (c->stop)
				break;
		}
		wanted = c->wanted;
		c->wanted = 0;
		quiet = (clock_mono_us() - c->last_commit_us) / 1000;
		pthread_mutex_unlock(&c->mu);
		limits(c);
		work(c, wanted, quiet);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
checkpoint_start(struct store *s, struct checkpoint **out)
{
	struct checkpoint *c;
	char path[PATH_MAX];
	struct store_where w = { 0 };

	*out = NULL;
	if (!store_has_maint(s)) {
		log_info("checkpoint: the %s store needs no maintenance thread",
		    store_backend_name(s));
		return 0;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->last_commit_us = clock_mono_us();
	snprintf(path, sizeof(path), "%s", store_path(s));
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(path));
	c->kick_pages = KICK_PAGES;
	c->catch_up_pages = CATCH_UP_PAGES;
	w.backend = store_backend_name(s);
	w.path = store_path(s);
	if (store_maint_open_at(&w, &c->conn) == -1)
		goto fail;
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		log_warnx("checkpoint: cannot start a thread");
		goto fail;
	}
	/* Named for top -H and perf: the loop keeps "wastetrackd". */
	pthread_setname_np(c->thread, "wt-checkpoint");
	store_on_commit_pressure(s, kick, c);
	*out = c;
	return 0;
fail:
	store_maint_close(c->conn);
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
	store_on_commit_pressure(s, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	store_maint_close(c->conn);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void
checkpoint_catch_up(struct checkpoint *c, struct store *s)
{
	if (c == NULL || !c->catch_up)
		return;
	c->catch_up = 0;
	/* Only an optimisation: the next commit past CATCH_UP_PAGES asks
	 * again, and the thread keeps copying meanwhile. */
	if (store_maint_catch_up(s) == -1)
		log_debug("checkpoint: catch-up: %s", store_errmsg(s));
}

void
checkpoint_state(struct checkpoint *c, struct checkpoint_state *st)
{
	if (c == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&c->mu);
	*st = c->st;
	pthread_mutex_unlock(&c->mu);
}
