/* pipeline: see pipeline.h. */
#include "pipeline.h"

#include "clock.h"
#include "config.h"
#include "event.h"
#include "ingest.h"
#include "log.h"
#include "report.h"
#include "store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pipeline {
	struct store *store;
	const struct config *cfg; /* current; SIGHUP replaces it */
	struct ingest *ingest;
	struct spool_reader *reader;
	char spool_dir[PATH_MAX];
	uint64_t replay_bytes;	/* committed before the writer ran */
	uint64_t removed_below; /* segments already unlinked */
	int writes_failing;
	char error[160]; /* of the first failure in a row */
	unsigned retry_ms;
	int caught_up;		/* the last batch reached the end */
	int64_t last_commit_us; /* monotonic */
	int final_tries;
	int64_t last_reconcile_ms;
	/* Retention: the interval by the boot clock, and the wall and boot
	 * clocks read together at start and at the last prune. */
	int64_t prune_every_ms; /* 0 until the first pipeline_prune_at() */
	int64_t last_prune_us;	/* boot clock */
	int64_t ref_wall_ms, ref_boot_us;
	int clock_checked; /* against the database, at the first prune call */
	int hold_pending;  /* a step is logged, its hold not yet written */
	int hold_behind;   /* ... and the clock went backwards */
	uint64_t reconciled_changes; /* counter value at the last run */
};

int
pipeline_open(struct store *store, const struct config *cfg,
    const struct profile_set *profiles, int64_t now_ms, struct pipeline **out)
{
	struct pipeline *p = NULL;
	int n;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	p->store = store;
	p->cfg = cfg;
	p->ref_wall_ms = now_ms;
	p->ref_boot_us = p->last_prune_us = clock_boot_us();
	/* The spool sits beside the database: same filesystem, same
	 * lifetime, same backups. */
	n = snprintf(p->spool_dir, sizeof(p->spool_dir), "%s.spool",
	    cfg->database.path);
	if (n < 0 || (size_t)n >= sizeof(p->spool_dir)) {
		log_warnx("pipeline: database path too long for its spool");
		goto fail;
	}
	if (ingest_open(store, cfg, profiles, &p->ingest) == -1 ||
	    spool_mkdir(p->spool_dir) == -1 ||
	    spool_reader_open(p->spool_dir, ingest_committed(p->ingest),
		&p->reader) == -1)
		goto fail;
	*out = p;
	return 0;
fail:
	pipeline_free(p);
	return -1;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	spool_reader_close(p->reader);
	ingest_free(p->ingest);
	free(p);
}

void
pipeline_set_config(struct pipeline *p, const struct config *cfg,
    const struct profile_set *profiles)
{
	ingest_set_config(p->ingest, cfg, profiles);
	p->cfg = cfg;
}

/* Segments before the committed one are done: unlink them, once. */
static void
remove_old_segments(struct pipeline *p)
{
	struct spool_pos c = ingest_committed(p->ingest);

	if (c.seg > p->removed_below &&
	    spool_remove_before(p->spool_dir, c.seg) == 0)
		p->removed_below = c.seg;
}

int
pipeline_replay(struct pipeline *p)
{
	struct spool_pos all = { UINT64_MAX, UINT64_MAX };
	const struct ingest_counters *c = ingest_counters(p->ingest);
	uint64_t corrupt;
	int n;

	do {
		n = ingest_batch(p->ingest, p->reader, all, PIPELINE_BATCH_MAX,
		    clock_ms(), 0);
		if (n == -1) {
			log_warnx("pipeline: cannot replay the spool into %s",
			    p->cfg->database.path);
			return -1;
		}
	} while (n > 0);
	p->replay_bytes = c->bytes;
	if (c->received > 0)
		log_notice("pipeline: replayed %llu spooled messages",
		    (unsigned long long)c->received);
	if ((corrupt = spool_reader_corrupt(p->reader)) > 0)
		log_warnx("pipeline: %llu corrupt spool records skipped",
		    (unsigned long long)corrupt);
	remove_old_segments(p);
	return 0;
}

int
pipeline_writer_open(struct pipeline *p, int sync, struct spool_writer **w,
    struct spool_pos *start)
{
	uint64_t first, last, committed = ingest_committed(p->ingest).seg;

	if (spool_bounds(p->spool_dir, &first, &last) == -1)
		return -1;
	/* Never append to a segment the reader may be in the middle of. */
	start->seg = (last > committed ? last : committed) + 1;
	start->off = 0;
	return spool_writer_open(p->spool_dir, start->seg, PIPELINE_SEGMENT_MAX,
	    sync, w);
}

static void
set_writes_failing(struct pipeline *p, int failing)
{
	if (failing && !p->writes_failing) {
		snprintf(p->error, sizeof(p->error), "%s",
		    ingest_error(p->ingest));
		log_warnx("store: writes failing (%s); retrying, nothing "
			  "acknowledged is lost",
		    p->error);
	} else if (!failing && p->writes_failing)
		log_notice("store: writes work again");
	p->writes_failing = failing;
}

int
pipeline_drain(struct pipeline *p, struct spool_pos end, int64_t now_ms)
{
	int n;

	n = ingest_batch(p->ingest, p->reader, end, PIPELINE_BATCH_MAX, now_ms,
	    PIPELINE_BATCH_BUDGET_MS);
	if (n == -1) {
		set_writes_failing(p, 1);
		p->retry_ms =
		    p->retry_ms ? p->retry_ms * 2 : PIPELINE_RETRY_MIN_MS;
		if (p->retry_ms > PIPELINE_RETRY_MAX_MS)
			p->retry_ms = PIPELINE_RETRY_MAX_MS;
		return -1;
	}
	set_writes_failing(p, 0);
	p->retry_ms = 0;
	remove_old_segments(p);
	if (n > 0) {
		p->last_commit_us = clock_mono_us();
		p->caught_up =
		    !spool_pos_before(spool_reader_pos(p->reader), end);
	}
	return n;
}

unsigned
pipeline_retry_ms(const struct pipeline *p)
{
	return p->retry_ms;
}

int64_t
pipeline_drain_wait_us(const struct pipeline *p, int64_t now_us)
{
	int64_t wait_us;

	if (!p->caught_up)
		return 0;
	wait_us = p->last_commit_us + PIPELINE_COALESCE_MS * 1000 - now_us;
	return wait_us > 0 ? wait_us : 0;
}

int
pipeline_final_drain(struct pipeline *p, struct spool_pos end, int64_t now_ms,
    unsigned *wait_ms)
{
	int n;

	*wait_ms = 0;
	n = ingest_batch(p->ingest, p->reader, end, PIPELINE_BATCH_MAX, now_ms,
	    0);
	if (n == 0)
		return 0;
	if (n > 0)
		return 1;
	if (++p->final_tries == PIPELINE_FINAL_TRIES) {
		log_warnx("pipeline: cannot commit the last messages; they "
			  "stay in the spool for the next start");
		return -1;
	}
	*wait_ms = PIPELINE_FINAL_WAIT_MS;
	return 1;
}

uint64_t
pipeline_committed_bytes(const struct pipeline *p)
{
	uint64_t bytes = ingest_counters(p->ingest)->bytes;

	return bytes > p->replay_bytes ? bytes - p->replay_bytes : 0;
}

uint64_t
pipeline_backlog_bytes(const struct pipeline *p, uint64_t written_bytes)
{
	uint64_t committed = pipeline_committed_bytes(p);

	return written_bytes > committed ? written_bytes - committed : 0;
}

int
pipeline_writes_failing(const struct pipeline *p)
{
	return p->writes_failing;
}

const char *
pipeline_error(const struct pipeline *p)
{
	return p->writes_failing ? p->error : NULL;
}

int64_t
pipeline_prune_cutoff(int64_t now_ms, int retention_days)
{
	return now_ms - (int64_t)retention_days * 86400000;
}

int64_t
pipeline_clock_step_ms(int64_t ref_wall_ms, int64_t ref_boot_us, int64_t now_ms,
    int64_t now_boot_us)
{
	return (now_ms - ref_wall_ms) - (now_boot_us - ref_boot_us) / 1000;
}

/*
 * Test hook: WT_TEST_PRUNE_EVERY_MS shortens the hourly interval so an
 * integration test can watch retention run. Read once per pipeline.
 */
static int64_t
prune_every_ms(struct pipeline *p)
{
	const char *v;
	long long ms;

	if (p->prune_every_ms > 0)
		return p->prune_every_ms;
	p->prune_every_ms = PIPELINE_PRUNE_EVERY_MS;
	if ((v = getenv("WT_TEST_PRUNE_EVERY_MS")) != NULL &&
	    (ms = atoll(v)) > 0) {
		p->prune_every_ms = ms;
		log_notice("pipeline: test hook: retention every %lld ms", ms);
	}
	return p->prune_every_ms;
}

/*
 * The first call of a run compares the clock with the database: a clock
 * behind the newest stored receive time went backwards since (a bad RTC
 * at boot, a wrong manual setting); a clock that went backwards in an
 * earlier run and reads ahead of the database now has been fixed while
 * the daemon was stopped. Either is a step the boot clock cannot see
 * across a restart. -1 when the database cannot say (retried).
 */
static int
check_clock_at_start(struct pipeline *p, int64_t now_ms)
{
	int64_t newest;
	int behind;

	if (store_clock_state(p->store, &newest, &behind) == -1)
		return -1;
	p->clock_checked = 1;
	if (newest - now_ms > PIPELINE_CLOCK_STEP_MS) {
		log_warnx("pipeline: the wall clock reads %lld s before the "
			  "newest stored message; retention refused, payloads "
			  "stored so far kept %d days from now",
		    (long long)((newest - now_ms) / 1000),
		    p->cfg->database.raw_retention_days);
		p->hold_pending = p->hold_behind = 1;
	} else if (behind) {
		log_warnx("pipeline: the wall clock, behind in an earlier run, "
			  "no longer is; retention refused, payloads stored so "
			  "far kept %d days from now",
		    p->cfg->database.raw_retention_days);
		p->hold_pending = 1;
		p->hold_behind = 0;
	}
	return 0;
}

/*
 * After a step every received_ms stored so far may be off by it, so no
 * payload may go by its age: hold them all until raw_retention_days after
 * now (on the clock as it reads now). The hold is in the store, so a
 * restart keeps it. Until it is written nothing is pruned.
 */
static int
write_hold(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	if (store_begin(p->store) == -1 ||
	    store_hold_payloads(p->store, now_ms, p->hold_behind) == -1 ||
	    store_commit(p->store) == -1) {
		store_rollback(p->store);
		return -1;
	}
	p->hold_pending = 0;
	p->ref_wall_ms = now_ms;
	p->ref_boot_us = now_boot_us;
	return 0;
}

int
pipeline_prune(struct pipeline *p, int64_t now_ms)
{
	return pipeline_prune_at(p, now_ms, clock_boot_us());
}

int
pipeline_prune_at(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	int64_t cutoff, n = 0, step;

	if (!p->clock_checked && check_clock_at_start(p, now_ms) == -1)
		return 0;
	step = pipeline_clock_step_ms(p->ref_wall_ms, p->ref_boot_us, now_ms,
	    now_boot_us);
	if (step > PIPELINE_CLOCK_STEP_MS || step < -PIPELINE_CLOCK_STEP_MS) {
		if (!p->hold_pending)
			log_warnx(
			    "pipeline: the wall clock stepped %+lld s "
			    "against the monotonic clock; retention "
			    "refused, payloads stored so far kept %d days "
			    "from now",
			    (long long)(step / 1000),
			    p->cfg->database.raw_retention_days);
		p->hold_pending = 1;
		p->hold_behind = step < 0;
	}
	if (p->hold_pending) {
		if (write_hold(p, now_ms, now_boot_us) == 0)
			log_notice("pipeline: raw payloads held");
		return 0;
	}
	if (now_boot_us - p->last_prune_us < prune_every_ms(p) * 1000)
		return 0;
	p->last_prune_us = p->ref_boot_us = now_boot_us;
	p->ref_wall_ms = now_ms;
	cutoff =
	    pipeline_prune_cutoff(now_ms, p->cfg->database.raw_retention_days);
	if (store_begin(p->store) == 0 &&
	    store_prune_payloads(p->store, cutoff, &n) == 0 &&
	    store_commit(p->store) == 0)
		log_info("store: retention dropped %lld raw payloads",
		    (long long)n);
	else
		store_rollback(p->store);
	return 1;
}

int
pipeline_reconcile(struct pipeline *p, int64_t now_ms, uint64_t written_bytes)
{
	const struct ingest_counters *c = ingest_counters(p->ingest);
	uint64_t changes =
	    c->by_kind[EV_WEIGHING] + c->by_kind[EV_MANIFEST] + c->history;
	int stale = now_ms - p->last_reconcile_ms >= PIPELINE_RECONCILE_MAX_MS;

	if (p->writes_failing)
		return 0;
	if (changes == p->reconciled_changes && !stale)
		return 0;
	/* Ingest first; the minute rule still bounds how stale it gets. */
	if (pipeline_backlog_bytes(p, written_bytes) > PIPELINE_DEFER_BACKLOG &&
	    !stale)
		return 0;
	if (store_reconcile(p->store, now_ms, p->cfg) == -1)
		return -1;
	p->reconciled_changes = changes;
	p->last_reconcile_ms = now_ms;
	return 1;
}

void
pipeline_report(struct pipeline *p, uint64_t written_bytes,
    const char *spool_error, struct report *r)
{
	struct store_info info = { 0 };

	r->ingest = ingest_counters(p->ingest);
	r->spool_backlog_bytes = pipeline_backlog_bytes(p, written_bytes);
	r->spool_corrupt = spool_reader_corrupt(p->reader);
	r->last_message_ms = ingest_last_message_ms(p->ingest);
	r->db.path = store_path(p->store);
	/* Two stat() calls; on failure the sizes read 0 until the next. */
	(void)store_info(p->store, &info);
	r->db.schema_version = info.schema_version;
	r->db.size_bytes = info.size_bytes;
	r->db.wal_bytes = info.wal_bytes;
	r->db.last_commit_ms = ingest_last_commit_ms(p->ingest);
	r->db.writes_failing = p->writes_failing || spool_error != NULL;
	r->db.last_error = p->writes_failing ? p->error : spool_error;
}

const struct ingest_counters *
pipeline_counters(const struct pipeline *p)
{
	return ingest_counters(p->ingest);
}

struct spool_pos
pipeline_committed(const struct pipeline *p)
{
	return ingest_committed(p->ingest);
}

const char *
pipeline_spool_dir(const struct pipeline *p)
{
	return p->spool_dir;
}
