/*
 * test_pipeline: lib/pipeline.c on a real store and spool in a temporary
 * directory: where the spool goes, writer segment numbering, backlog
 * accounting, removal of committed segments, replay, the final drain,
 * the writes-failing state, the prune interval and cutoff, when a
 * reconciliation runs, the lock, whose spool it is, and a database file
 * removed under a running pipeline.
 */
#include "check.h"
#include "tmpfiles.h"
#include "dbfiles.h"

#include "clock.h"
#include "config.h"
#include "event.h"
#include "ingest.h"
#include "pipeline.h"
#include "profile.h"
#include "report.h"
#include "spool.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2023-08-07T09:20:00Z: after every event time below. */
#define NOW    INT64_C(1691400000000)
#define DAY_MS INT64_C(86400000)

struct env {
	struct config *cfg;
	struct profile_set *profiles;
	char db[PATH_MAX];
	struct store *store;
	struct pipeline *p;
	struct spool_writer *w;
	struct spool_pos start, end; /* of the current writer */
	uint64_t written;	     /* bytes this writer appended */
	int n;			     /* messages made, for unique times */
};

static void
die(const char *what)
{
	fprintf(stderr, "test_pipeline: %s\n", what);
	exit(1);
}

static int
pos_eq(struct spool_pos a, struct spool_pos b)
{
	return a.seg == b.seg && a.off == b.off;
}

static void
open_all(struct env *e)
{
	if (store_open(e->db, 0, &e->store) == -1 ||
	    store_sync_config(e->store, e->cfg) == -1 ||
	    pipeline_open(e->store, e->cfg, e->profiles, NOW, &e->p) == -1)
		die("open");
}

static void
close_all(struct env *e)
{
	pipeline_free(e->p);
	store_close(e->store);
	e->p = NULL;
	e->store = NULL;
}

/* A new writer where the pipeline says, as the daemon starts one. */
static void
new_writer(struct env *e)
{
	spool_writer_close(e->w);
	if (pipeline_writer_open(e->p, 0, &e->w, &e->start) == -1)
		die("pipeline_writer_open");
	e->end = e->start;
	e->written = 0;
}

static void
append(struct env *e, const char *topic, const char *payload,
    int64_t received_ms)
{
	if (spool_append(e->w, topic, strlen(topic), payload, strlen(payload),
		received_ms, &e->end) == -1)
		die("spool_append");
	e->written += spool_record_size(strlen(topic), strlen(payload));
}

/* A position a minute after the last one, received at received_ms. */
static void
append_position(struct env *e, const char *day, int64_t received_ms)
{
	char payload[160];

	e->n++;
	snprintf(payload, sizeof(payload),
	    "{\"ts\":\"%sT%02d:%02d:00Z\","
	    "\"lat\":43.88,\"lon\":125.31}",
	    day, e->n / 60, e->n % 60);
	append(e, "wt/v1/vehicles/KW-0217/position", payload, received_ms);
}

/* A new weighbridge ticket: changes what a reconciliation sees. */
static void
append_weighing(struct env *e)
{
	char payload[400];

	e->n++;
	snprintf(payload, sizeof(payload),
	    "{\"ticket\":\"T%d\","
	    "\"plate\":\"吉A5G217\",\"direction\":\"in\",\"gross_kg\":18070,"
	    "\"tare_kg\":13320,\"net_kg\":4750,"
	    "\"first_ts\":\"2023-08-07T14:03:22+08:00\","
	    "\"second_ts\":\"2023-08-07T14:21:05+08:00\","
	    "\"waste\":\"msw.food\",\"status\":\"complete\",\"version\":1}",
	    e->n);
	append(e, "wt/v1/facilities/CC-KWP-01/weighings", payload, NOW);
}

static void
setup(struct env *e)
{
	memset(e, 0, sizeof(*e));
	load_test_config(test_conf, &e->cfg, &e->profiles);
	snprintf(e->db, sizeof(e->db), "%s", tpath("wt.db"));
}

/* The spool goes beside the database; the first writer starts after the
 * committed segment, on a fresh one. */
static void
test_open(struct env *e)
{
	struct spool_pos one = { 1, 0 };
	struct stat st;
	uint64_t first, last;

	open_all(e);
	CHECK_STR(pipeline_spool_dir(e->p), tpath("wt.db.spool"));
	CHECK(stat(tpath("wt.db.spool"), &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(pos_eq(pipeline_committed(e->p), one));
	CHECK(pipeline_replay(e->p, NULL, NULL) == 0);
	CHECK_INT(pipeline_counters(e->p)->received, 0);
	new_writer(e);
	CHECK_INT(e->start.seg, 2);
	CHECK_INT(e->start.off, 0);
	CHECK(spool_bounds(pipeline_spool_dir(e->p), &first, &last) == 0);
	CHECK_INT(first, 2);
	CHECK_INT(last, 2);
}

/* Backlog: what the writer spooled minus what was committed, never
 * below zero. */
static void
test_backlog(struct env *e)
{
	struct spool_pos after_first;
	int64_t now_us;
	unsigned wait_ms;

	append_position(e, "2023-08-07", NOW);
	after_first = e->end;
	append_position(e, "2023-08-07", NOW);
	append_position(e, "2023-08-07", NOW);
	CHECK_INT(pipeline_committed_bytes(e->p), 0);
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written), e->written);
	CHECK_INT(pipeline_drain(e->p, after_first, NOW), 1);
	CHECK(pos_eq(pipeline_committed(e->p), after_first));
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written),
	    e->written - pipeline_committed_bytes(e->p));
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 2);
	CHECK_INT(pipeline_committed_bytes(e->p), e->written);
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written), 0);
	/* A stale written count (taken before the commit) is no backlog,
	 * not a wrap to 2^64. */
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written - 1), 0);
	CHECK_INT(pipeline_backlog_bytes(e->p, 0), 0);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 0);
	CHECK(!pipeline_writes_failing(e->p));
	CHECK(pipeline_error(e->p) == NULL);
	CHECK_INT(pipeline_retry_ms(e->p), 0);
	/* Caught up: the next commit waits out the coalescing interval. */
	now_us = clock_mono_us();
	CHECK(pipeline_drain_wait_us(e->p, now_us) > 0);
	CHECK(pipeline_drain_wait_us(e->p, now_us) <=
	    PIPELINE_COALESCE_MS * 1000);
	CHECK_INT(pipeline_drain_wait_us(e->p,
		      now_us + PIPELINE_COALESCE_MS * 1000),
	    0);
	/* Nothing left: the final drain is done at once. */
	CHECK_INT(pipeline_final_drain(e->p, e->end, NOW, &wait_ms), 0);
	CHECK_INT(wait_ms, 0);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM positions"), 3);
}

/* A segment goes once the committed position has moved past it, not
 * before. */
static void
test_segments(struct env *e)
{
	uint64_t first, last;
	const char *dir = pipeline_spool_dir(e->p);

	new_writer(e);
	CHECK_INT(e->start.seg, 3);
	append_position(e, "2023-08-07", NOW);
	CHECK(spool_bounds(dir, &first, &last) == 0);
	CHECK_INT(first, 2);
	CHECK_INT(last, 3);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	CHECK(pos_eq(pipeline_committed(e->p), e->end));
	CHECK(spool_bounds(dir, &first, &last) == 0);
	CHECK_INT(first, 3);
	CHECK_INT(last, 3);
}

/* Replay progress: calls, and the last count reported. */
struct progress {
	int calls;
	uint64_t last;
};

static void
on_progress(void *arg, uint64_t replayed)
{
	struct progress *pr = arg;

	pr->calls++;
	pr->last = replayed;
}

/* What was spooled but not committed before a stop is committed by the
 * replay at the next start, and is not this run's backlog; the replay
 * reports its progress after every batch. */
static void
test_replay(struct env *e)
{
	struct progress pr = { 0, 0 };
	uint64_t first, last;

	append_position(e, "2023-08-07", NOW);
	append_position(e, "2023-08-07", NOW);
	close_all(e);
	open_all(e);
	CHECK(pipeline_replay(e->p, on_progress, &pr) == 0);
	CHECK_INT(pr.calls, 1);
	CHECK_INT(pr.last, 2);
	CHECK_INT(pipeline_counters(e->p)->received, 2);
	CHECK_INT(pipeline_counters(e->p)->stored, 2);
	CHECK_INT(pipeline_committed_bytes(e->p), 0);
	CHECK_INT(pipeline_backlog_bytes(e->p, 0), 0);
	CHECK(pos_eq(pipeline_committed(e->p), e->end));
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM positions"), 6);
	/* The next writer starts after the segment the last one used. */
	new_writer(e);
	CHECK_INT(e->start.seg, 4);
	CHECK(spool_bounds(pipeline_spool_dir(e->p), &first, &last) == 0);
	CHECK_INT(first, 3);
	CHECK_INT(last, 4);
	append_position(e, "2023-08-07", NOW);
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written), e->written);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	CHECK_INT(pipeline_committed_bytes(e->p), e->written);
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written), 0);
}

/* Raw payloads past retention go, once an hour by the boot clock; not
 * when the wall clock stepped, and not those held after a step. */
static void
test_prune(struct env *e)
{
	/* At or after the pipeline's own reading at open. */
	int64_t b = clock_boot_us(), t = NOW, h = PIPELINE_PRUNE_EVERY_MS;

	CHECK_INT(pipeline_prune_cutoff(NOW, 7), NOW - 7 * DAY_MS);
	CHECK_INT(pipeline_prune_cutoff(NOW, 0), NOW);
	CHECK_INT(pipeline_clock_step_ms(NOW, b, NOW + 5000, b + 5000000), 0);
	CHECK_INT(pipeline_clock_step_ms(NOW, b, NOW - 10 * DAY_MS, b + 1000),
	    -10 * DAY_MS - 1);
	append_position(e, "2023-07-27", NOW - 8 * DAY_MS);
	append_position(e, "2023-07-27", NOW - 8 * DAY_MS);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 2);
	CHECK_INT(db_int(e->db,
		      "SELECT count(*) FROM messages WHERE "
		      "payload IS NULL"),
	    0);
	CHECK_INT(pipeline_prune_at(e->p, t + 1000, b + 1000000), 0);
	CHECK_INT(pipeline_prune_at(e->p, t + h - 10000,
		      b + (h - 10000) * 1000),
	    0);
	/* The wall clock alone says an hour passed: a step, not due. */
	CHECK_INT(pipeline_prune_at(e->p, t + h, b + 2000000), 0);
	CHECK_INT(db_int(e->db,
		      "SELECT count(*) FROM messages WHERE "
		      "payload IS NULL"),
	    0);
	/* The step made a hold at t + h: the clocks agree again from there,
	 * an hour on retention runs, and the 8-day-old payloads stay. */
	t += h;
	b += 2000000;
	CHECK_INT(pipeline_prune_at(e->p, t + h, b + h * 1000), 1);
	CHECK_INT(db_int(e->db,
		      "SELECT count(*) FROM messages WHERE "
		      "payload IS NULL"),
	    0);
	/* Past the hold by more than the retention: they go. */
	t += h;
	b += h * 1000;
	CHECK_INT(pipeline_prune_at(e->p, t + 8 * DAY_MS,
		      b + 8 * DAY_MS * 1000),
	    1);
	CHECK_INT(db_int(e->db,
		      "SELECT count(*) FROM messages WHERE "
		      "payload IS NULL"),
	    9);
	CHECK_INT(pipeline_prune_at(e->p, t + 8 * DAY_MS + 1000,
		      b + (8 * DAY_MS + 1000) * 1000),
	    0);
}

/* At most once per call while weighings or manifests change, at least
 * once a minute, deferred while a backlog waits. */
static void
test_reconcile(struct env *e)
{
	int64_t t = NOW;
	uint64_t big;

	/* Never ran: due. */
	CHECK_INT(pipeline_reconcile(e->p, t, e->written), 1);
	CHECK_INT(pipeline_reconcile(e->p, t + 1000, e->written), 0);
	/* Positions change nothing a reconciliation reads. */
	append_position(e, "2023-08-07", NOW);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	CHECK_INT(pipeline_reconcile(e->p, t + 2000, e->written), 0);
	append_weighing(e);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	CHECK_INT(pipeline_reconcile(e->p, t + 3000, e->written), 1);
	CHECK_INT(pipeline_reconcile(e->p, t + 4000, e->written), 0);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM weighings"), 1);
	/* A change with a backlog waiting: ingest first. */
	append_weighing(e);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	big = e->written + PIPELINE_DEFER_BACKLOG + 1;
	CHECK_INT(pipeline_reconcile(e->p, t + 5000, big), 0);
	CHECK_INT(pipeline_reconcile(e->p, t + 5000,
		      e->written + PIPELINE_DEFER_BACKLOG),
	    1);
	/* Nothing changed: once a minute anyway, backlog or not. */
	t += 5000;
	CHECK_INT(pipeline_reconcile(e->p, t + PIPELINE_RECONCILE_MAX_MS - 1,
		      e->written),
	    0);
	CHECK_INT(pipeline_reconcile(e->p, t + PIPELINE_RECONCILE_MAX_MS, big),
	    1);
	t += PIPELINE_RECONCILE_MAX_MS;
	append_weighing(e);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	big = e->written + PIPELINE_DEFER_BACKLOG + 1;
	CHECK_INT(pipeline_reconcile(e->p, t + 1000, big), 0);
	CHECK_INT(pipeline_reconcile(e->p, t + PIPELINE_RECONCILE_MAX_MS, big),
	    1);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM weighings"), 3);
}

/* The pipeline's part of the status snapshot. */
static void
test_report(struct env *e)
{
	struct report r;

	memset(&r, 0, sizeof(r));
	append_position(e, "2023-08-07", NOW + 5);
	pipeline_report(e->p, e->written, NULL, &r);
	CHECK(r.ingest == pipeline_counters(e->p));
	CHECK_INT(r.spool_backlog_bytes,
	    pipeline_backlog_bytes(e->p, e->written));
	CHECK(r.spool_backlog_bytes > 0);
	CHECK_INT(r.spool_corrupt, 0);
	CHECK_STR(r.db.path, e->db);
	CHECK_INT(r.db.schema_version, STORE_SCHEMA_VERSION);
	CHECK(r.db.size_bytes > 0);
	CHECK_INT(r.db.last_commit_ms, NOW);
	CHECK_INT(r.db.writes_failing, 0);
	CHECK(r.db.last_error == NULL);
	/* A failing spool writer is failing writes too. */
	pipeline_report(e->p, e->written, "spool write: No space", &r);
	CHECK_INT(r.db.writes_failing, 1);
	CHECK_STR(r.db.last_error, "spool write: No space");
	CHECK_INT(pipeline_drain(e->p, e->end, NOW + 10), 1);
	pipeline_report(e->p, e->written, NULL, &r);
	CHECK_INT(r.spool_backlog_bytes, 0);
	CHECK_INT(r.last_message_ms, NOW + 5);
	CHECK_INT(r.db.last_commit_ms, NOW + 10);
}

/* A batch that fails sets the failing state and a retry delay; neither
 * a reconciliation runs meanwhile; the next good batch clears it all.
 * Forced with a second connection holding the write lock (the store
 * gives up after its busy timeout, a few seconds). */
static void
test_failing(struct env *e)
{
	struct report r;
	sqlite3 *db = NULL;

	append_position(e, "2023-08-07", NOW);
	if (sqlite3_open(e->db, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		die("lock");
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), -1);
	CHECK(pipeline_writes_failing(e->p));
	CHECK(pipeline_error(e->p) != NULL &&
	    strstr(pipeline_error(e->p), "locked") != NULL);
	CHECK_INT(pipeline_retry_ms(e->p), PIPELINE_RETRY_MIN_MS);
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written),
	    e->written - pipeline_committed_bytes(e->p));
	CHECK_INT(pipeline_reconcile(e->p, NOW + 10 * DAY_MS, e->written), 0);
	memset(&r, 0, sizeof(r));
	pipeline_report(e->p, e->written, "spool write: ignored", &r);
	CHECK_INT(r.db.writes_failing, 1);
	CHECK_STR(r.db.last_error, pipeline_error(e->p));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	CHECK(!pipeline_writes_failing(e->p));
	CHECK(pipeline_error(e->p) == NULL);
	CHECK_INT(pipeline_retry_ms(e->p), 0);
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written), 0);
}

/* At stop: batches until nothing is left. */
static void
test_final_drain(struct env *e)
{
	unsigned wait_ms = 99;

	append_position(e, "2023-08-07", NOW);
	append_position(e, "2023-08-07", NOW);
	CHECK_INT(pipeline_final_drain(e->p, e->end, NOW, &wait_ms), 1);
	CHECK_INT(wait_ms, 0);
	CHECK_INT(pipeline_final_drain(e->p, e->end, NOW, &wait_ms), 0);
	CHECK(pos_eq(pipeline_committed(e->p), e->end));
	CHECK_INT(pipeline_backlog_bytes(e->p, e->written), 0);
}

/* The spool's owner file, "" when there is none. */
static const char *
owner_of_spool(void)
{
	static char buf[80];
	FILE *fp;

	buf[0] = '\0';
	if ((fp = fopen(tpath("wt.db.spool/database-id"), "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* One lock holder at a time (flock: even two opens in one process). */
static void
test_lock(struct env *e)
{
	int fd, fd2;

	CHECK_INT(pipeline_lock(e->cfg->ingest.spool_dir, &fd), 0);
	CHECK(fd != -1);
	CHECK_INT(pipeline_lock(e->cfg->ingest.spool_dir, &fd2), 1);
	CHECK_INT(fd2, -1);
	pipeline_unlock(fd);
	CHECK_INT(pipeline_lock(e->cfg->ingest.spool_dir, &fd2), 0);
	pipeline_unlock(fd2);
}

/* Whose spool: one from before owner files is taken when the position
 * lies within it; another database's is refused untouched, or imported
 * from its first segment; an older copy of the database (a backup)
 * replays from the first segment still there. */
static void
test_claim(struct env *e)
{
	char id[STORE_ID_LEN + 1], id2[STORE_ID_LEN + 1];
	struct spool_pos pos, c;
	uint64_t first, last;

	spool_writer_close(e->w);
	e->w = NULL;
	c = pipeline_committed(e->p);
	close_all(e);
	CHECK(store_open(e->db, 0, &e->store) == 0);
	CHECK(store_db_id(e->store, id, sizeof(id)) == 0);
	CHECK_INT(strlen(id), STORE_ID_LEN);
	CHECK(store_db_id(e->store, id2, sizeof(id2)) == 0);
	CHECK_STR(id2, id);
	CHECK(spool_bounds(tpath("wt.db.spool"), &first, &last) == 0);
	CHECK(first > 0 && c.seg >= first && c.seg <= last);
	CHECK_STR(owner_of_spool(), "");
	CHECK_INT(pipeline_claim_spool(e->store, e->cfg->ingest.spool_dir, 0),
	    0);
	CHECK_STR(owner_of_spool(), id);
	CHECK_INT(pipeline_claim_spool(e->store, e->cfg->ingest.spool_dir, 0),
	    0);
	CHECK(store_spool_pos(e->store, &pos) == 0 && pos_eq(pos, c));
	/* Another database's. */
	write_t("wt.db.spool/database-id",
	    "00000000000000000000000000000000\n");
	CHECK_INT(pipeline_claim_spool(e->store, e->cfg->ingest.spool_dir, 0),
	    1);
	CHECK_STR(owner_of_spool(), "00000000000000000000000000000000");
	CHECK(store_spool_pos(e->store, &pos) == 0 && pos_eq(pos, c));
	CHECK_INT(pipeline_claim_spool(e->store, e->cfg->ingest.spool_dir, 1),
	    0);
	CHECK_STR(owner_of_spool(), id);
	CHECK(store_spool_pos(e->store, &pos) == 0 && pos.seg == first &&
	    pos.off == 0);
	/* A database older than its spool. */
	pos.seg = first - 1;
	pos.off = 77;
	CHECK(store_begin(e->store) == 0 &&
	    store_set_spool_pos(e->store, pos) == 0 &&
	    store_commit(e->store) == 0);
	CHECK_INT(pipeline_claim_spool(e->store, e->cfg->ingest.spool_dir, 0),
	    0);
	CHECK(store_spool_pos(e->store, &pos) == 0 && pos.seg == first &&
	    pos.off == 0);
	/* Replay from there: what the spool holds is stored once more as
	 * duplicates, nothing new. */
	CHECK(pipeline_open(e->store, e->cfg, e->profiles, NOW, &e->p) == 0);
	CHECK(pipeline_replay(e->p, NULL, NULL) == 0);
	CHECK(pipeline_counters(e->p)->received > 0);
	CHECK_INT(pipeline_counters(e->p)->stored, 0);
	CHECK(!spool_pos_before(pipeline_committed(e->p), c));
	new_writer(e);
}

/* The database file renamed away under a running pipeline: writes fail
 * (nothing is committed to the file nobody will open again) until the
 * path names it again. */
static void
test_file_gone(struct env *e)
{
	struct spool_pos before;
	struct report r;
	char moved[PATH_MAX];

	append_position(e, "2023-08-07", NOW);
	before = pipeline_committed(e->p);
	snprintf(moved, sizeof(moved), "%s", tpath("moved.db"));
	CHECK(rename(e->db, moved) == 0);
	pipeline_check_file(e->p);
	CHECK(pipeline_writes_failing(e->p));
	CHECK(strstr(pipeline_error(e->p), "removed or replaced") != NULL);
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), -1);
	CHECK(pos_eq(pipeline_committed(e->p), before));
	CHECK(pipeline_retry_ms(e->p) > 0);
	memset(&r, 0, sizeof(r));
	pipeline_report(e->p, e->written, NULL, &r);
	CHECK_INT(r.db.writes_failing, 1);
	CHECK_INT(r.db.file_gone, 1);
	CHECK_STR(r.db.last_error, pipeline_error(e->p));
	CHECK(pipeline_final_drain(e->p, e->end, NOW, &(unsigned){ 0 }) == -1);
	CHECK(rename(moved, e->db) == 0);
	pipeline_check_file(e->p);
	CHECK(!pipeline_writes_failing(e->p));
	CHECK_INT(pipeline_drain(e->p, e->end, NOW), 1);
	CHECK(pos_eq(pipeline_committed(e->p), e->end));
}

int
main(void)
{
	struct env e;

	tmpfiles_init("test_pipeline");
	setup(&e);
	test_open(&e);
	test_backlog(&e);
	test_segments(&e);
	test_replay(&e);
	test_prune(&e);
	test_reconcile(&e);
	test_report(&e);
	test_failing(&e);
	test_final_drain(&e);
	test_lock(&e);
	test_claim(&e);
	test_file_gone(&e);
	spool_writer_close(e.w);
	close_all(&e);
	profile_set_free(e.profiles);
	config_free(e.cfg);
	rmtree(tmpdir);
	return check_result("test_pipeline");
}
