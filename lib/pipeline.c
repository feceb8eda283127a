/* pipeline: see pipeline.h. */
#include "pipeline.h"

#include "clock.h"
#include "config.h"
#include "event.h"
#include "ingest.h"
#include "log.h"
#include "replay.h"
#include "report.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* In the spool directory: whose spool it is, and who writes it now. */
#define OWNER_FILE "database-id"
#define LOCK_FILE  "lock"

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
	int caught_up;		   /* the last batch reached the end */
	int64_t last_commit_us;	   /* monotonic */
	int64_t commit_gap_max_us; /* longest with messages waiting */
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
	/* A retention round in progress: its cutoffs, read at its start,
	 * and how far its slices got; then giving the pages back. */
	int pruning, vacuuming;
	struct store_retention ret;
	struct store_prune prune;
	int64_t round_us, vacuumed;  /* busy time, pages given back */
	uint64_t reconciled_changes; /* counter value at the last run */
	int reconcile_behind;	     /* the last pass left work */
	dev_t db_dev;		     /* the database file opened */
	ino_t db_ino;
	int db_gone; /* its path names another file, or none */
	char gone_error[PATH_MAX + 96];
};

/* The spool sits beside the database: same filesystem, same lifetime,
 * same backups. */
static int
spool_dir_of(const char *db_path, char *out, size_t n)
{
	int len = snprintf(out, n, "%s.spool", db_path);

	if (len < 0 || (size_t)len >= n) {
		log_warnx("pipeline: database path too long for its spool");
		return -1;
	}
	return 0;
}

static int
spool_file(const char *dir, const char *name, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%s", dir, name);

	if (len < 0 || (size_t)len >= n) {
		log_warnx("pipeline: spool path too long");
		return -1;
	}
	return 0;
}

int
pipeline_open(struct store *store, const struct config *cfg,
    const struct profile_set *profiles, int64_t now_ms, struct pipeline **out)
{
	struct pipeline *p = NULL;
	struct stat st;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	p->store = store;
	p->cfg = cfg;
	p->ref_wall_ms = now_ms;
	p->ref_boot_us = p->last_prune_us = clock_boot_us();
	if (spool_dir_of(cfg->database.path, p->spool_dir,
		sizeof(p->spool_dir)) == -1)
		goto fail;
	/* The file the store has just opened: pipeline_check_file()
	 * compares the path with it. */
	if (stat(store_path(store), &st) == -1) {
		log_warn("pipeline: stat %s", store_path(store));
		goto fail;
	}
	p->db_dev = st.st_dev;
	p->db_ino = st.st_ino;
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

	if (c.seg <= p->removed_below)
		return;
	/* Committed to the file at the database's path, not to one removed
	 * since the last tick: else the spool keeps the only copy. */
	pipeline_check_file(p);
	if (!p->db_gone && spool_remove_before(p->spool_dir, c.seg) == 0)
		p->removed_below = c.seg;
}

int
pipeline_replay(struct pipeline *p, pipeline_progress_fn *progress, void *arg)
{
	struct spool_pos all = { 0, UINT64_MAX };
	const struct ingest_counters *c = ingest_counters(p->ingest);
	uint64_t corrupt, first;
	int n;

	/* Up to the end of the last segment on disk, stepping over a
	 * missing one as the live reader does: both must agree on what
	 * the spool holds, or the live reader takes up records the writer
	 * of this run never wrote. */
	if (spool_bounds(p->spool_dir, &first, &all.seg) == -1)
		return -1;
	do {
		n = ingest_batch(p->ingest, p->reader, all, PIPELINE_BATCH_MAX,
		    clock_ms(), 0);
		if (n == -1) {
			log_warnx("pipeline: cannot replay the spool into %s",
			    p->cfg->database.path);
			return -1;
		}
		if (progress != NULL && n > 0)
			progress(arg, c->received);
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
	int64_t now_us;
	int n;

	/* Commits would go to a file nobody will open again: keep the
	 * messages in the spool instead (pipeline_check_file()). */
	n = p->db_gone
	    ? -1
	    : ingest_batch(p->ingest, p->reader, end, PIPELINE_BATCH_MAX,
		  now_ms, PIPELINE_BATCH_BUDGET_MS);
	if (n == -1) {
		if (!p->db_gone)
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
		now_us = clock_mono_us();
		/* Messages were left waiting at the last commit, so the whole
		 * gap is time ingest stood still (batches, reconciliation,
		 * retention, checkpoints); after catching up it would include
		 * idle time, so it is not counted. */
		if (!p->caught_up && p->last_commit_us > 0 &&
		    now_us - p->last_commit_us > p->commit_gap_max_us)
			p->commit_gap_max_us = now_us - p->last_commit_us;
		p->last_commit_us = now_us;
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
	if (p->db_gone) {
		log_warnx("pipeline: %s; the last messages stay in the spool",
		    p->gone_error);
		return -1;
	}
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
	return p->writes_failing || p->db_gone;
}

const char *
pipeline_error(const struct pipeline *p)
{
	if (p->db_gone)
		return p->gone_error;
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

/* A round's slices: rows changed per transaction, and the loop time one
 * tick may spend on them (a batch's own budget), so ingestion waits at
 * most that long once a second. */
#define PRUNE_SLICE_ROWS 4000
#define PRUNE_SLICE_US	 50000
/* While ingestion keeps up a round may go on between the ticks in
 * shorter slices (pipeline_prune_idle), so a message that arrives meanwhile
 * waits ~20 ms at most. */
#define PRUNE_IDLE_SLICE_US 20000
#define VACUUM_STEP_PAGES   128 /* 512 KiB of 4 KiB pages: ~5 ms a step */

/* Cutoff of a kind kept `days` (0: for ever). */
static int64_t
days_cutoff(int64_t now_ms, int days)
{
	return days > 0 ? pipeline_prune_cutoff(now_ms, days) : 0;
}

/* The cutoffs of a round, from the configuration as it is now. */
static void
retention_of(const struct config *cfg, int64_t now_ms,
    struct store_retention *r)
{
	int64_t *c = r->cutoff;

	/* 0 days keeps no payload, as it always did. */
	c[STORE_PRUNE_PAYLOADS] =
	    pipeline_prune_cutoff(now_ms, cfg->database.raw_retention_days);
	c[STORE_PRUNE_MESSAGES] =
	    days_cutoff(now_ms, cfg->retention.messages_days);
	c[STORE_PRUNE_REJECT_PAYLOADS] =
	    days_cutoff(now_ms, cfg->retention.rejects_payload_days);
	c[STORE_PRUNE_REJECTS] =
	    days_cutoff(now_ms, cfg->retention.rejects_days);
	c[STORE_PRUNE_POSITIONS] =
	    days_cutoff(now_ms, cfg->retention.positions_days);
	r->thin_ms = (int64_t)cfg->retention.positions_thin_s * 1000;
	c[STORE_PRUNE_POSITIONS_THIN] = r->thin_ms > 0
	    ? days_cutoff(now_ms, cfg->retention.positions_full_days)
	    : 0;
	c[STORE_PRUNE_VEHICLE_EVENTS] =
	    days_cutoff(now_ms, cfg->retention.vehicle_events_days);
	c[STORE_PRUNE_WEIGHINGS_HISTORY] =
	    days_cutoff(now_ms, cfg->retention.weighings_history_days);
	c[STORE_PRUNE_FACILITY_STATUS] =
	    days_cutoff(now_ms, cfg->retention.facility_status_days);
}

/* What a round did, in one line (the first words are what the
 * integration tests count). */
static void
log_round(const struct pipeline *p)
{
	char buf[512];
	size_t len = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 1; i < STORE_PRUNE_KINDS; i++) {
		if (p->prune.rows[i] == 0)
			continue;
		n = snprintf(buf + len, sizeof(buf) - len, ", %lld %s",
		    (long long)p->prune.rows[i], store_prune_names[i]);
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	log_info("store: retention dropped %lld raw payloads%s in %d slices, "
		 "%.1f ms",
	    (long long)p->prune.rows[STORE_PRUNE_PAYLOADS], buf,
	    p->prune.slices, (double)p->round_us / 1000);
}

/* Give free pages back for what is left of this tick's budget. */
static void
vacuum_some(struct pipeline *p, int64_t budget_us)
{
	int64_t freed = 0, left = 0;

	if (budget_us <= 0)
		return;
	if (store_vacuum_slice(p->store, VACUUM_STEP_PAGES, budget_us, &freed,
		&left) == -1)
		left = 0; /* logged; the next round tries again */
	p->vacuumed += freed;
	if (left == 0) {
		p->vacuuming = 0;
		if (p->vacuumed > 0)
			log_info("store: retention gave %lld pages back to the "
				 "file system",
			    (long long)p->vacuumed);
	}
}

/* One slice of the round in progress, within budget_us. */
static void
prune_continue(struct pipeline *p, int64_t budget_us)
{
	int64_t t0 = clock_mono_us();

	if (p->pruning) {
		if (store_prune_slice(p->store, &p->ret, &p->prune,
			PRUNE_SLICE_ROWS, budget_us) == -1) {
			/* Logged; what committed stays, the rest waits for
			 * the next round. */
			p->pruning = 0;
			return;
		}
		p->round_us += clock_mono_us() - t0;
		if (p->prune.kind < STORE_PRUNE_KINDS)
			return;
		p->pruning = 0;
		log_round(p);
		p->vacuuming = 1;
		p->vacuumed = 0;
	}
	if (p->vacuuming)
		vacuum_some(p, budget_us - (clock_mono_us() - t0));
}

int
pipeline_prune(struct pipeline *p, int64_t now_ms)
{
	return pipeline_prune_at(p, now_ms, clock_boot_us());
}

/* A step seen: refused, and the round in progress (its cutoffs read from
 * the clock before the step) abandoned. */
static int
refuse_after_step(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	p->pruning = p->vacuuming = 0;
	if (write_hold(p, now_ms, now_boot_us) == 0)
		log_notice("pipeline: raw payloads held");
	return 0;
}

int
pipeline_prune_at(struct pipeline *p, int64_t now_ms, int64_t now_boot_us)
{
	int64_t step;

	/* A database file that is gone takes nothing more: see
	 * pipeline_check_file(). */
	if (p->db_gone)
		return 0;
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
	if (p->hold_pending)
		return refuse_after_step(p, now_ms, now_boot_us);
	if (p->pruning || p->vacuuming) {
		if (!pipeline_writes_failing(p))
			prune_continue(p, PRUNE_SLICE_US);
		return 0;
	}
	if (now_boot_us - p->last_prune_us < prune_every_ms(p) * 1000)
		return 0;
	p->last_prune_us = p->ref_boot_us = now_boot_us;
	p->ref_wall_ms = now_ms;
	retention_of(p->cfg, now_ms, &p->ret);
	memset(&p->prune, 0, sizeof(p->prune));
	p->round_us = 0;
	p->pruning = 1;
	prune_continue(p, PRUNE_SLICE_US);
	return 1;
}

int
pipeline_prune_busy(const struct pipeline *p)
{
	return (p->pruning || p->vacuuming) && !p->hold_pending && !p->db_gone;
}

int
pipeline_prune_idle(struct pipeline *p)
{
	if (!pipeline_prune_busy(p) || pipeline_writes_failing(p))
		return 0;
	prune_continue(p, PRUNE_IDLE_SLICE_US);
	return pipeline_prune_busy(p);
}

int
pipeline_reconcile(struct pipeline *p, int64_t now_ms, uint64_t written_bytes)
{
	const struct ingest_counters *c = ingest_counters(p->ingest);
	uint64_t changes =
	    c->by_kind[EV_WEIGHING] + c->by_kind[EV_MANIFEST] + c->history;
	int stale = now_ms - p->last_reconcile_ms >= PIPELINE_RECONCILE_MAX_MS;
	int more = 0;

	if (pipeline_writes_failing(p))
		return 0;
	if (changes == p->reconciled_changes && !stale && !p->reconcile_behind)
		return 0;
	/* Ingest first; the minute rule still bounds how stale it gets. */
	if (pipeline_backlog_bytes(p, written_bytes) > PIPELINE_DEFER_BACKLOG &&
	    !stale)
		return 0;
	/* A pass is one bounded slice: a large catch-up (an upgrade, a
	 * changed setting) goes on at the next tick, between batches. */
	if (store_reconcile_pass(p->store, now_ms, p->cfg, &more) == -1)
		return -1;
	p->reconciled_changes = changes;
	p->last_reconcile_ms = now_ms;
	p->reconcile_behind = more;
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
	r->db.commit_gap_max_us = p->commit_gap_max_us;
	r->db.reconcile_behind = p->reconcile_behind;
	r->db.writes_failing =
	    pipeline_writes_failing(p) || spool_error != NULL;
	r->db.file_gone = p->db_gone;
	r->db.last_error =
	    pipeline_writes_failing(p) ? pipeline_error(p) : spool_error;
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

/* ---- whose spool: one writer, one database ---- */

int
pipeline_lock(const char *db_path, int *out)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[32];
	ssize_t n;
	int fd, len;

	*out = -1;
	if (spool_dir_of(db_path, dir, sizeof(dir)) == -1 ||
	    spool_file(dir, LOCK_FILE, path, sizeof(path)) == -1 ||
	    spool_mkdir(dir) == -1)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		log_warn("pipeline: open %s", path);
		return -1;
	}
	/* flock: held by the open file, so the kernel lets go when the
	 * process ends, however it ends (SIGKILL included). */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_warn("pipeline: lock %s", path);
			close(fd);
			return -1;
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("pipeline: another wastetrackd (pid %s) holds %s "
			  "and its spool (lock %s)",
		    buf[0] ? buf : "unknown", db_path, path);
		close(fd);
		return 1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, (size_t)len, 0) != (ssize_t)len) {
		log_warn("pipeline: write %s", path);
		close(fd);
		return -1;
	}
	*out = fd;
	return 0;
}

void
pipeline_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/* The id in the spool's owner file: 1 and owner, 0 when there is none. */
static int
read_owner(const char *dir, char *owner, size_t n)
{
	char path[PATH_MAX];
	ssize_t got;
	int fd;

	if (spool_file(dir, OWNER_FILE, path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("pipeline: open %s", path);
		return -1;
	}
	got = read(fd, owner, n - 1);
	close(fd);
	if (got == -1) {
		log_warn("pipeline: read %s", path);
		return -1;
	}
	owner[got] = '\0';
	owner[strcspn(owner, "\n")] = '\0';
	return 1;
}

/* Record id as the spool's owner: a whole file or the old one. */
static int
write_owner(const char *dir, const char *id)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(id);
	int fd, ok;

	if (spool_file(dir, OWNER_FILE, path, sizeof(path)) == -1 ||
	    spool_file(dir, OWNER_FILE ".tmp", tmp, sizeof(tmp)) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("pipeline: open %s", tmp);
		return -1;
	}
	ok = write(fd, id, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
	    fsync(fd) == 0;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		log_warn("pipeline: write %s", path);
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* Replay from the first segment on disk on. */
static int
restart_at(struct store *store, uint64_t seg)
{
	struct spool_pos pos = { seg, 0 };

	if (store_begin(store) == -1 || store_set_spool_pos(store, pos) == -1 ||
	    store_commit(store) == -1) {
		store_rollback(store);
		return -1;
	}
	return 0;
}

int
pipeline_claim_spool(struct store *store, const char *db_path, int adopt)
{
	char dir[PATH_MAX], id[STORE_ID_LEN + 1], owner[STORE_ID_LEN + 2];
	struct spool_pos c;
	uint64_t first, last;
	int has_owner, ours;

	if (spool_dir_of(db_path, dir, sizeof(dir)) == -1 ||
	    spool_mkdir(dir) == -1 ||
	    store_db_id(store, id, sizeof(id)) == -1 ||
	    store_spool_pos(store, &c) == -1 ||
	    spool_bounds(dir, &first, &last) == -1 ||
	    (has_owner = read_owner(dir, owner, sizeof(owner))) == -1)
		return -1;
	/* A spool from before owner files is this database's when the
	 * committed position lies within it. */
	ours = last == 0 ||
	    (has_owner ? strcmp(owner, id) == 0
		       : c.seg >= first && c.seg <= last);
	if (!ours && !adopt) {
		log_warnx("pipeline: the spool %s belongs to another database "
			  "(%s), not to %s (%s); its messages may be missing "
			  "from this one",
		    dir, has_owner ? owner : "unknown", db_path, id);
		return 1;
	}
	if (!ours) {
		log_notice("pipeline: importing the spool %s (of database %s) "
			   "into %s: every record from segment %" PRIu64 " on",
		    dir, has_owner ? owner : "unknown", db_path, first);
		if (restart_at(store, first) == -1)
			return -1;
	} else if (last != 0 && c.seg < first) {
		/* Segments go only once a commit has passed them: a copy of
		 * this database went further than this one (a backup). */
		log_warnx("pipeline: %s is older than its spool: segments "
			  "%" PRIu64 " to %" PRIu64
			  " were removed after a newer "
			  "copy of it committed them, and messages in them may "
			  "be missing here; importing the spool from segment "
			  "%" PRIu64,
		    db_path, c.seg, first - 1, first);
		if (restart_at(store, first) == -1)
			return -1;
	}
	if (!has_owner || strcmp(owner, id) != 0)
		return write_owner(dir, id);
	return 0;
}

void
pipeline_check_file(struct pipeline *p)
{
	const char *path = store_path(p->store);
	struct stat st;
	int gone;

	if (stat(path, &st) == -1)
		gone = errno == ENOENT || errno == ENOTDIR;
	else
		gone = st.st_dev != p->db_dev || st.st_ino != p->db_ino;
	if (gone && !p->db_gone) {
		snprintf(p->gone_error, sizeof(p->gone_error),
		    "database file %s was removed or replaced while running; "
		    "restart wastetrackd",
		    path);
		log_warnx("pipeline: %s (new messages stay in the spool)",
		    p->gone_error);
	} else if (!gone && p->db_gone)
		log_notice("pipeline: database file %s is back", path);
	p->db_gone = gone;
}

int
pipeline_replay_new(struct pipeline *p, const struct replay_req *req,
    struct replay **out)
{
	return replay_new(p->ingest, p->store, req, out);
}
