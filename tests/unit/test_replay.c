/*
 * test_replay: lib/replay.c over a real store. Rejects are made the way
 * the daemon makes them (spool records through ingest_batch), the
 * configuration is then fixed, and replays turn what the fix accepts into
 * rows: a dry run writes nothing, filters select, a second replay changes
 * nothing, a reject whose payload was stored since is a duplicate, one
 * whose payload retention pruned is reported as skipped.
 */
#include "check.h"
#include "tmpfiles.h"
#include "dbfiles.h"

#include "config.h"
#include "ingest.h"
#include "muck.h"
#include "profile.h"
#include "replay.h"
#include "spool.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2023-08-07T06:00:00Z */
#define T0 INT64_C(1691388000000)

static const struct spool_pos all = { UINT64_MAX, UINT64_MAX };

/* The same configuration but for the clock tolerance: 60 s rejects
 * positions ten minutes ahead of their receipt, one hour accepts them. */
static const char conf_fmt[] = "subscriptions:\n"
			       "  - {topic: \"wt/v1/#\", profile: wastetrack}\n"
			       "database:\n"
			       "  path: \"$/wt.db\"\n"
			       "  raw_retention_days: 7\n"
			       "time:\n"
			       "  local_offset: \"+08:00\"\n"
			       "  future_tolerance_s: %d\n";

#define TOPIC "wt/v1/vehicles/KW-0217/position"

struct env {
	struct config *cfg[2];
	struct profile_set *profiles[2];
	struct store *store;
	struct ingest *in;
	const char *db;
};

static void
load(struct env *e, int i, int tolerance_s)
{
	char text[512];

	snprintf(text, sizeof(text), conf_fmt, tolerance_s);
	load_test_config(text, &e->cfg[i], &e->profiles[i]);
}

static void
position(char *buf, size_t len, int64_t ts_ms)
{
	snprintf(buf, len,
	    "{\"ts\":%lld,\"lat\":43.88,\"lon\":125.31,"
	    "\"plate\":\"吉A5G217\",\"speed_kmh\":30}",
	    (long long)ts_ms);
}

static void
append(struct spool_writer *w, const char *topic, const char *payload,
    int64_t received_ms)
{
	struct spool_pos end;

	if (spool_append(w, topic, strlen(topic), payload, strlen(payload),
		received_ms, &end) == -1) {
		fprintf(stderr, "test_replay: spool_append\n");
		exit(1);
	}
}

/* Five positions 10 min ahead of their receipt, one without a time, one
 * that is not JSON; then the first of the five again, received after its
 * time (accepted now). */
static void
make_rejects(struct env *e)
{
	struct spool_writer *w;
	struct spool_reader *r;
	char p[256], spool[PATH_MAX];
	int i;

	snprintf(spool, sizeof(spool), "%s", tpath("spool"));
	CHECK(spool_mkdir(spool) == 0);
	CHECK(spool_writer_open(spool, 1, 1u << 20, 0, &w) == 0);
	for (i = 0; i < 5; i++) {
		position(p, sizeof(p), T0 + i * 60000 + 600000);
		append(w, TOPIC, p, T0 + i * 60000);
	}
	append(w, TOPIC, "{\"lat\":43.88,\"lon\":125.31}", T0);
	append(w, "wt/v1/vehicles/KW-0218/position", "{\"ts\":", T0);
	position(p, sizeof(p), T0 + 600000);
	append(w, TOPIC, p, T0 + 700000);
	CHECK(spool_reader_open(spool, ingest_committed(e->in), &r) == 0);
	CHECK_INT(ingest_batch(e->in, r, all, 100, T0 + 700000, 0), 8);
	spool_reader_close(r);
	spool_writer_close(w);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM rejects"), 7);
	CHECK_INT(db_int(e->db,
		      "SELECT count(*) FROM rejects WHERE reason = "
		      "'future_ts'"),
	    5);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM positions"), 1);
}

/* Run a whole replay; its stats in *st. */
static void
run(struct env *e, const char *reason, const char *topic, int64_t since,
    int dry_run, struct replay_stats *st)
{
	struct replay_req req = { .since_ms = since, .dry_run = dry_run };
	struct replay *r;
	int rc, steps = 0;

	snprintf(req.reason, sizeof(req.reason), "%s", reason);
	snprintf(req.topic, sizeof(req.topic), "%s", topic);
	CHECK(replay_new(e->in, e->store, &req, &r) == 0);
	/* A zero budget: one chunk a step. */
	while ((rc = replay_step(r, T0 + 3600000, 0)) == 1 && steps < 100)
		steps++;
	CHECK_INT(rc, 0);
	*st = *replay_stats(r);
	CHECK(st->done);
	replay_free(r);
}

/* What retention does to the payload of the rejects of topic. */
static int
prune_payload(const char *path, const char *topic)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db,
		"UPDATE rejects SET payload = NULL WHERE topic = ?1", -1, &st,
		NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

static long long
q(const struct env *e, const char *sql)
{
	return db_int(e->db, sql);
}

int
main(void)
{
	struct env e = { 0 };
	struct replay_stats st;

	tmpfiles_init("test_replay");
	load(&e, 0, 60);
	load(&e, 1, 3600);
	e.db = e.cfg[0]->database.path;
	CHECK(store_open(e.db, 0, &e.store) == 0);
	CHECK(ingest_open(e.store, e.cfg[0], e.profiles[0], &e.in) == 0);
	make_rejects(&e);
	/* Schema v9 also names the file: "WTRK". */
	CHECK_INT(q(&e, "PRAGMA application_id"), 0x5754524B);

	/* Under the old configuration a replay accepts nothing and records
	 * each outcome once. */
	run(&e, "", "", 0, 0, &st);
	CHECK_INT(st.selected, 7);
	CHECK_INT(st.rejected, 7);
	CHECK_INT(st.marked, 7);
	CHECK_INT(q(&e, "SELECT count(*) FROM positions"), 1);
	CHECK_INT(q(&e,
		      "SELECT count(*) FROM rejects WHERE replay_outcome = "
		      "'rejected' AND replay_detail LIKE 'future_ts: %'"),
	    5);

	/* A restart into the fixed configuration: no vehicle tracked. */
	ingest_free(e.in);
	CHECK(ingest_open(e.store, e.cfg[1], e.profiles[1], &e.in) == 0);
	/* A dry run says what would change and writes nothing; the
	 * positions it fed start no track (lib/muck.h, muck_begin_replay). */
	run(&e, "", "", 0, 1, &st);
	CHECK_INT(ingest_muck_counters(e.in)->vehicles, 0);
	CHECK_INT(st.selected, 7);
	CHECK_INT(st.stored, 4);
	CHECK_INT(st.duplicate, 1);
	CHECK_INT(st.rejected, 2);
	CHECK_INT(st.marked, 0);
	CHECK_INT(q(&e, "SELECT count(*) FROM positions"), 1);
	CHECK_INT(q(&e, "SELECT count(*) FROM messages"), 1);
	/* Filters: by reason, by topic, by time of receipt. */
	run(&e, "missing_field", "", 0, 1, &st);
	CHECK_INT(st.selected, 1);
	run(&e, "", "wt/v1/facilities/#", 0, 1, &st);
	CHECK_INT(st.selected, 0);
	run(&e, "", "wt/v1/vehicles/KW-0218/+", 0, 1, &st);
	CHECK_INT(st.selected, 1);
	run(&e, "future_ts", "", T0 + 120000, 1, &st);
	CHECK_INT(st.selected, 3);

	/* The replay: four new positions, each message naming its reject;
	 * the fifth is the one stored since; two are rejected again with the
	 * same detail as before, so their rows are not written again. */
	run(&e, "", "", 0, 0, &st);
	CHECK_INT(st.selected, 7);
	CHECK_INT(st.stored, 4);
	CHECK_INT(st.duplicate, 1);
	CHECK_INT(st.rejected, 2);
	CHECK_INT(st.rows, 4);
	CHECK_INT(st.marked, 5);
	CHECK_INT(ingest_muck_counters(e.in)->vehicles, 0);
	CHECK_INT(q(&e, "SELECT count(*) FROM positions"), 5);
	CHECK_INT(q(&e,
		      "SELECT count(*) FROM messages m JOIN rejects r ON"
		      " r.id = m.replay_of AND r.payload = m.payload AND"
		      " r.received_ms = m.received_ms"),
	    4);
	CHECK_INT(q(&e,
		      "SELECT count(*) FROM rejects WHERE replay_outcome"
		      " IN ('stored', 'duplicate')"),
	    5);
	/* Again: only the two still rejected are looked at; nothing
	 * changes. */
	run(&e, "", "", 0, 0, &st);
	CHECK_INT(st.selected, 2);
	CHECK_INT(st.marked, 0);
	CHECK_INT(st.rows, 0);
	CHECK_INT(q(&e, "SELECT count(*) FROM positions"), 5);
	CHECK_INT(q(&e, "SELECT count(*) FROM messages"), 5);

	/* A reject whose payload retention pruned is reported, never
	 * passed over in silence, and nothing is written for it. */
	CHECK(prune_payload(e.db, "wt/v1/vehicles/KW-0218/position") == 0);
	run(&e, "", "", 0, 0, &st);
	CHECK_INT(st.selected, 2);
	CHECK_INT(st.pruned, 1);
	CHECK_INT(st.rejected, 1);
	CHECK_INT(q(&e, "SELECT count(*) FROM messages"), 5);

	ingest_free(e.in);
	store_close(e.store);
	config_free(e.cfg[0]);
	config_free(e.cfg[1]);
	profile_set_free(e.profiles[0]);
	profile_set_free(e.profiles[1]);
	rmtree(tmpdir);
	return check_result("test_replay");
}
