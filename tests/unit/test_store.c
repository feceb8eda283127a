/*
 * test_store: lib/store*.c on temporary SQLite files — migrations from
 * every earlier schema version, idempotent writes, versioned weighings,
 * rejects, reconciliation verdicts, pruning, the spool position, the
 * report reads and the maintenance handle. Rows are looked at with a
 * plain sqlite3 connection of the test's own.
 */
#include "check.h"
#include "rawdb.h"
#include "tmpfiles.h"

#include "config.h"
#include "event.h"
#include "store.h"
#include "store_int.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0   INT64_C(1691388178000) /* 2023-08-07 13:22:58 +08:00 */
#define HOUR INT64_C(3600000)
#define DAY  (24 * HOUR)
#define DAY0 "2023-08-07" /* T0's local day */

/* A database file of the test, with the -wal and -shm SQLite adds. */
static const char *
db_path(const char *name)
{
	char rel[64];
	const char *p;

	snprintf(rel, sizeof(rel), "%s-wal", name);
	remember(tpath(rel));
	snprintf(rel, sizeof(rel), "%s-shm", name);
	remember(tpath(rel));
	p = tpath(name);
	remember(p);
	return p;
}

/* ---- a raw connection for setting up and looking at rows ---- */

static double
raw_real(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double v = NAN;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		check_failures++;
		return NAN;
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as text, in a static buffer ("" when
 * none, "NULL" for NULL). */
static const char *
raw_text(sqlite3 *db, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *st;
	const unsigned char *v;

	snprintf(buf, sizeof(buf), "%s", "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		check_failures++;
		return buf;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		snprintf(buf, sizeof(buf), "%s", v ? (const char *)v : "NULL");
	}
	sqlite3_finalize(st);
	return buf;
}

/* ---- events and messages ---- */

static struct store_msg
msg(const char *topic, int n, int64_t received_ms)
{
	static char sha[8][65];
	static const char payload[] = "{\"payload\":1}";
	static int i;
	struct store_msg m;

	i = (i + 1) % 8;
	snprintf(sha[i], sizeof(sha[i]), "%064d", n);
	memset(&m, 0, sizeof(m));
	m.topic = topic;
	m.profile = "wastetrack";
	m.payload = payload;
	m.payload_len = sizeof(payload) - 1;
	m.received_ms = received_ms;
	m.sha256 = sha[i];
	m.keep_payload = 1;
	return m;
}

static struct ev
position(const char *vehicle, int64_t ts)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_POSITION);
	e.u.pos.vehicle = vehicle;
	e.u.pos.plate = vehicle;
	e.u.pos.ts_ms = ts;
	e.u.pos.lat = 22.5;
	e.u.pos.lon = 114.0;
	return e;
}

static struct ev
weighing(const char *facility, const char *ticket, const char *plate,
    int64_t version, const char *status, double net, int64_t first_ms)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_WEIGHING);
	e.u.wb.facility = facility;
	e.u.wb.ticket = ticket;
	e.u.wb.plate = plate;
	e.u.wb.direction = "in";
	e.u.wb.waste = "msw.residual";
	e.u.wb.status = status;
	e.u.wb.version = version;
	e.u.wb.net_kg = net;
	e.u.wb.first_ms = first_ms;
	e.u.wb.second_ms = first_ms + 600000;
	return e;
}

static struct ev
manifest(const char *no, const char *plate, const char *status,
    int64_t departed_ms, double declared_kg)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_MANIFEST);
	e.u.man.scheme = "msw";
	e.u.man.manifest_no = no;
	e.u.man.status = status;
	e.u.man.plate = plate;
	e.u.man.receiver_facility = "F1";
	e.u.man.version = 1;
	e.u.man.ts_ms = departed_ms;
	e.u.man.departed_ms = departed_ms;
	e.u.man.declared_kg = declared_kg;
	return e;
}

/*
 * One message with its events, as ingest writes it: find, events, add.
 * Returns the message's result; *evres gets the last event's.
 */
static enum store_result
put_off(struct store *s, const struct store_msg *m, const struct ev *evs,
    size_t nev, int off_min, enum store_result *evres)
{
	enum store_result res = STORE_NEW, er = STORE_NEW;
	int64_t mid = -1;
	size_t i;

	CHECK(store_message_find(s, m, &mid, &res) == 0);
	if (res == STORE_DUPLICATE)
		return res;
	for (i = 0; i < nev; i++)
		CHECK(store_event(s, &evs[i], mid, off_min, T0, &er) == 0);
	CHECK(store_message_add(s, m, mid, "stored", "test") == 0);
	if (evres != NULL)
		*evres = er;
	return res;
}

/* put_off() in the offset of China, +08:00. */
static enum store_result
put(struct store *s, const struct store_msg *m, const struct ev *evs,
    size_t nev, enum store_result *evres)
{
	return put_off(s, m, evs, nev, 480, evres);
}

/* ---- migrations ---- */

/* Rows a database of version v can hold, written before the upgrade. */
static void
fill_version(sqlite3 *db, int v)
{
	raw_exec(db,
	    "INSERT INTO messages(id, topic, profile, received_ms,"
	    " sha256, outcome, kind, payload) VALUES(1, 't/a', 'wastetrack',"
	    " 1691388178000, '00000000000000000000000000000000000000000000"
	    "00000000000000000042', 'stored', 'position', x'7b7d')");
	raw_exec(db,
	    "INSERT INTO weighings(facility, ticket, day, version,"
	    " plate, direction, net_kg, first_ms, status, fingerprint, waste)"
	    " VALUES('F1', 'T1', '2023-08-07', 1, 'A1', 'in', 1000,"
	    " 1691388178000, 'complete', 'fp', 'msw.food')");
	raw_exec(db,
	    "INSERT INTO weighings_history(facility, ticket, day, version,"
	    " first_ms, status, fingerprint) VALUES('F1', 'T1', '2023-08-07',"
	    " 0, 1691388178000, 'open', 'fp0')");
	raw_exec(db,
	    "INSERT INTO manifests(scheme, manifest_no, version,"
	    " status, updated_ms) VALUES('msw', 'M1', 1, 'created', 0)");
	raw_exec(db,
	    "INSERT INTO meta(key, value) VALUES('spool_seg', 7),"
	    " ('spool_off', 99), ('local_offset_min', 480)");
	/* The registry as the last start synchronised it, and an unload
	 * at 23:30 local time at a facility of it and one elsewhere. */
	raw_exec(db,
	    "INSERT INTO facilities(id, kind, district, harmless)"
	    " VALUES('F1', 'incinerator', 'D1', 1)");
	raw_exec(db,
	    "UPDATE manifests SET receiver_facility = 'F1'"
	    " WHERE manifest_no = 'M1'");
	raw_exec(db,
	    "INSERT INTO vehicle_events(type, vehicle, ts_ms, facility,"
	    " waste) VALUES('unload', 'V1', 1691422200000, 'F1', 'msw.food'),"
	    " ('unload', 'V2', 1691422200000, 'F7', 'msw.food')");
	if (v >= 2)
		raw_exec(db,
		    "INSERT INTO device_bindings(device,"
		    " valid_from_ms, plate) VALUES('13800000000', 0, 'A1')");
	if (v >= 3)
		raw_exec(db,
		    "INSERT INTO reconciliation_links(scheme,"
		    " manifest_no, facility, ticket, day, method) VALUES('msw',"
		    " 'M1', 'F1', 'T1', '2023-08-07', 'ticket_ref')");
}

/* The same rows as a version 6 writer stored them: stamped. */
static void
fill_v6(sqlite3 *db)
{
	raw_exec(db,
	    "INSERT INTO messages(id, topic, profile, received_ms,"
	    " sha256, outcome, kind, payload) VALUES(1, 't/a', 'wastetrack',"
	    " 1691388178000, '00000000000000000000000000000000000000000000"
	    "00000000000000000042', 'stored', 'position', x'7b7d')");
	raw_exec(db,
	    "INSERT INTO weighings(facility, ticket, day, version,"
	    " plate, direction, net_kg, first_ms, status, fingerprint, waste,"
	    " key_day, district, facility_kind, harmless)"
	    " VALUES('F1', 'T1', '2023-08-07', 1, 'A1', 'in', 1000,"
	    " 1691388178000, 'complete', 'fp', 'msw.food', '2023-08-07', 'D1',"
	    " 'incinerator', 1)");
	raw_exec(db,
	    "INSERT INTO weighings_history(facility, ticket, day, version,"
	    " first_ms, status, fingerprint, key_day) VALUES('F1', 'T1',"
	    " '2023-08-07', 0, 1691388178000, 'open', 'fp0', '2023-08-07')");
	raw_exec(db,
	    "INSERT INTO manifests(scheme, manifest_no, version,"
	    " status, updated_ms, receiver_facility, local_offset_min,"
	    " receiver_district) VALUES('msw', 'M1', 1, 'created', 0, 'F1',"
	    " 480, 'D1')");
	raw_exec(db,
	    "INSERT INTO meta(key, value) VALUES('spool_seg', 7),"
	    " ('spool_off', 99), ('local_offset_min', 480)");
	raw_exec(db,
	    "INSERT INTO facilities(id, kind, district, harmless)"
	    " VALUES('F1', 'incinerator', 'D1', 1)");
	raw_exec(db,
	    "INSERT INTO vehicle_events(type, vehicle, ts_ms, facility,"
	    " waste, day, dq_flags) VALUES('unload', 'V1', 1691422200000,"
	    " 'F1', 'msw.food', '2023-08-07', 0), ('unload', 'V2',"
	    " 1691422200000, 'F7', 'msw.food', '2023-08-07', 262144)");
	raw_exec(db,
	    "INSERT INTO device_bindings(device, valid_from_ms, plate)"
	    " VALUES('13800000000', 0, 'A1')");
	raw_exec(db,
	    "INSERT INTO reconciliation_links(scheme, manifest_no, facility,"
	    " ticket, day, method) VALUES('msw', 'M1', 'F1', 'T1',"
	    " '2023-08-07', 'ticket_ref')");
}

static int
has_index(sqlite3 *db, const char *name)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'index' AND name = '%s'",
	    name);
	return raw_int(db, sql) == 1;
}

/* v6 stamped the rows of every earlier version with today's values. */
static void
check_upgraded_v6(sqlite3 *db)
{
	CHECK_STR(raw_text(db, "SELECT key_day FROM weighings"), "2023-08-07");
	CHECK_STR(raw_text(db, "SELECT district FROM weighings"), "D1");
	CHECK_STR(raw_text(db, "SELECT facility_kind FROM weighings"),
	    "incinerator");
	CHECK_INT(raw_int(db, "SELECT harmless FROM weighings"), 1);
	CHECK_STR(raw_text(db, "SELECT key_day FROM weighings_history"),
	    "2023-08-07");
	CHECK(has_index(db, "weighings_ticket"));
	CHECK(has_index(db, "weighings_day"));
	CHECK(has_index(db, "weighings_plate"));
	CHECK(has_index(db, "weighings_manifest"));
	/* 2023-08-07 23:30 at +08:00 */
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM vehicle_events"
		      " WHERE day = '2023-08-07'"),
	    2);
	CHECK_INT(raw_int(db,
		      "SELECT (dq_flags & 262144) != 0 FROM vehicle_events"
		      " WHERE vehicle = 'V2'"),
	    1);
	CHECK_INT(raw_int(db, "SELECT local_offset_min FROM manifests"), 480);
	CHECK_STR(raw_text(db, "SELECT receiver_district FROM manifests"),
	    "D1");
	/* The views read the stored values, with their columns of old. */
	CHECK_STR(raw_text(db,
		      "SELECT district || ' ' || facility_kind || ' ' || kg"
		      " FROM daily_tonnage WHERE day = '2023-08-07'"),
	    "D1 incinerator 1000.0");
	CHECK_STR(raw_text(db,
		      "SELECT unloads || ' ' || authorised FROM daily_unloads"
		      " WHERE day = '2023-08-07'"),
	    "2 1");
	CHECK_NEAR(raw_real(db,
		       "SELECT collected_kg FROM daily_indicators"
		       " WHERE day = '2023-08-07' AND district = 'D1'"),
	    1000, 1e-9);
	CHECK_STR(raw_text(db,
		      "SELECT day || ' ' || district FROM manifest_days"),
	    "NULL");
}

static void
check_upgraded(const char *path, int from)
{
	struct spool_pos pos = { 0, 0 };
	struct store_msg m = msg("t/a", 42, T0);
	struct store *s = NULL;
	enum store_result res = STORE_NEW;
	int64_t mid = 0;
	sqlite3 *db;

	CHECK(store_open(path, 0, &s) == 0);
	if (s == NULL)
		return;
	/* The message of version `from` is found through the digest index
	 * of version 4. */
	CHECK(store_message_find(s, &m, &mid, &res) == 0);
	CHECK_INT(res, STORE_DUPLICATE);
	CHECK(store_spool_pos(s, &pos) == 0);
	CHECK_INT(pos.seg, 7);
	CHECK_INT(pos.off, 99);
	store_close(s);

	db = raw_open(path);
	CHECK_INT(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM messages"), 1);
	CHECK_INT(raw_int(db, "SELECT net_kg FROM weighings"), 1000);
	CHECK_STR(raw_text(db, "SELECT status FROM manifests"), "created");
	/* v2 added a column to manifests: NULL in the old row. */
	CHECK_INT(raw_int(db, "SELECT arrived_ms FROM manifests"), -1);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM device_bindings"),
	    from >= 2 ? 1 : 0);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM reconciliation_links"),
	    from >= 3 ? 1 : 0);
	CHECK(has_index(db, "messages_digest"));
	CHECK(!has_index(db, "messages_dedupe"));
	CHECK(has_index(db, "reconciliation_links_ticket"));
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM sqlite_master"
		      " WHERE type = 'view' AND name = 'daily_indicators'"),
	    1);
	check_upgraded_v6(db);
	sqlite3_close(db);
}

static void
test_migrations(void)
{
	char name[32];
	const char *path = NULL;
	sqlite3 *db;
	int v;

	for (v = 1; v < STORE_SCHEMA_VERSION; v++) {
		snprintf(name, sizeof(name), "v%d.db", v);
		path = db_path(name);
		db = raw_open(path);
		CHECK(store_migrate(db, path, v) == 0);
		CHECK_INT(raw_int(db, "PRAGMA user_version"), v);
		if (v >= 6)
			fill_v6(db);
		else
			fill_version(db, v);
		sqlite3_close(db);
		check_upgraded(path, v);
	}

	/* Migrating is idempotent: a second run leaves the last version as
	 * it is. */
	db = raw_open(path);
	CHECK(store_migrate(db, path, STORE_SCHEMA_VERSION) == 0);
	CHECK_INT(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* Out of range: nothing to migrate to. */
	CHECK(store_migrate(db, path, 0) == -1);
	CHECK(store_migrate(db, path, STORE_SCHEMA_VERSION + 1) == -1);
	sqlite3_close(db);
}

static void
test_newer_refused(void)
{
	const char *path = db_path("newer.db");
	struct store *s = NULL;
	sqlite3 *db;

	db = raw_open(path);
	raw_exec(db, "CREATE TABLE future(x); PRAGMA user_version = 99");
	sqlite3_close(db);
	CHECK(store_open(path, 0, &s) == -1);
	CHECK(s == NULL);

	db = raw_open(path);
	CHECK_INT(raw_int(db, "PRAGMA user_version"), 99);
	CHECK(store_migrate(db, path, STORE_SCHEMA_VERSION) == -1);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM sqlite_master"
		      " WHERE name = 'messages'"),
	    0);
	sqlite3_close(db);
}

/* ---- writes ---- */

static void
test_messages(struct store *s, sqlite3 *db)
{
	struct store_msg m1 = msg("t/pos", 1, T0), m2 = msg("t/pos", 2, T0);
	struct store_msg m3 = msg("t/other", 1, T0);
	struct ev p = position("V1", T0), q = position("V1", T0 + 60000);
	enum store_result er = STORE_NEW;

	CHECK(store_begin(s) == 0);
	CHECK_INT(put(s, &m1, &p, 1, &er), STORE_NEW);
	CHECK_INT(er, STORE_NEW);
	/* The same payload again on the same topic: an exact redelivery. */
	CHECK_INT(put(s, &m1, &p, 1, &er), STORE_DUPLICATE);
	/* Another message carrying the same position: the event is a
	 * duplicate, the message is new. */
	CHECK_INT(put(s, &m2, &p, 1, &er), STORE_NEW);
	CHECK_INT(er, STORE_DUPLICATE);
	/* The same digest on another topic is another message. */
	CHECK_INT(put(s, &m3, &q, 1, &er), STORE_NEW);
	CHECK_INT(er, STORE_NEW);
	CHECK(store_commit(s) == 0);

	CHECK_INT(raw_int(db, "SELECT count(*) FROM messages"), 3);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 2);
	CHECK_INT(raw_int(db, "SELECT max(id) FROM messages"), 3);
	/* The vehicles cache is written at commit, once per vehicle. */
	CHECK_INT(raw_int(db,
		      "SELECT first_seen_ms FROM vehicles"
		      " WHERE vehicle = 'V1'"),
	    T0);
	CHECK_INT(raw_int(db,
		      "SELECT last_seen_ms FROM vehicles"
		      " WHERE vehicle = 'V1'"),
	    T0 + 60000);

	/* A rolled-back message leaves nothing, and the next id is the
	 * one after the last row that stayed. */
	m1 = msg("t/pos", 9, T0);
	p = position("V2", T0);
	CHECK(store_begin(s) == 0);
	CHECK_INT(put(s, &m1, &p, 1, &er), STORE_NEW);
	store_rollback(s);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM messages"), 3);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM vehicles"
		      " WHERE vehicle = 'V2'"),
	    0);
	CHECK(store_begin(s) == 0);
	CHECK_INT(put(s, &m1, &p, 1, &er), STORE_NEW);
	CHECK(store_commit(s) == 0);
	CHECK_INT(raw_int(db, "SELECT max(id) FROM messages"), 4);
	CHECK_INT(raw_int(db,
		      "SELECT message_id FROM positions"
		      " WHERE vehicle = 'V2'"),
	    4);
}

static void
test_weighings(struct store *s, sqlite3 *db)
{
	int64_t t = T0 + 5 * DAY;
	struct ev v1 = weighing("F9", "W1", "A1", 1, "complete", 1000, t);
	struct ev v2 = weighing("F9", "W1", "A1", 2, "complete", 1100, t);
	struct ev old = weighing("F9", "W1", "A1", 1, "complete", 900, t);
	struct ev open = weighing("F9", "W2", "A1", -1, "open", NAN, t);
	struct ev done = weighing("F9", "W2", "A1", -1, "complete", 500, t);
	struct store_msg m;
	enum store_result er = STORE_NEW;

	CHECK(store_begin(s) == 0);
	m = msg("t/wb", 101, t);
	put(s, &m, &v1, 1, &er);
	CHECK_INT(er, STORE_NEW);
	/* Re-sent unchanged: nothing new. */
	m = msg("t/wb", 102, t);
	put(s, &m, &v1, 1, &er);
	CHECK_INT(er, STORE_DUPLICATE);
	/* A correction: version 2 becomes current, version 1 history. */
	m = msg("t/wb", 103, t);
	put(s, &m, &v2, 1, &er);
	CHECK_INT(er, STORE_NEW);
	/* Version 1 arriving late, with other figures: history only. */
	m = msg("t/wb", 104, t);
	put(s, &m, &old, 1, &er);
	CHECK_INT(er, STORE_HISTORY);
	/* Without versions, completing an open ticket keeps its version. */
	m = msg("t/wb", 105, t);
	put(s, &m, &open, 1, &er);
	CHECK_INT(er, STORE_NEW);
	m = msg("t/wb", 106, t);
	put(s, &m, &done, 1, &er);
	CHECK_INT(er, STORE_NEW);
	CHECK(store_commit(s) == 0);

	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM weighings"
		      " WHERE ticket = 'W1'"),
	    1);
	CHECK_INT(raw_int(db,
		      "SELECT version FROM weighings"
		      " WHERE ticket = 'W1'"),
	    2);
	CHECK_INT(raw_int(db,
		      "SELECT net_kg FROM weighings"
		      " WHERE ticket = 'W1'"),
	    1100);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM weighings_history"
		      " WHERE ticket = 'W1'"),
	    2);
	/* The superseded row names the message that replaced it. */
	CHECK_INT(
	    raw_int(db,
		"SELECT h.superseded_by = w.message_id"
		" FROM weighings_history h, weighings w WHERE h.ticket = 'W1'"
		" AND w.ticket = 'W1' AND h.net_kg = 1000"),
	    1);
	/* The late one is flagged as such. */
	CHECK_INT(
	    raw_int(db,
		"SELECT (dq_flags & 2) != 0 FROM"
		" weighings_history WHERE ticket = 'W1' AND net_kg = 900"),
	    1);
	/* F9 is in no registry. */
	CHECK_INT(raw_int(db,
		      "SELECT (dq_flags & 262144) != 0 FROM"
		      " weighings WHERE ticket = 'W1'"),
	    1);
	CHECK_INT(raw_int(db,
		      "SELECT version FROM weighings"
		      " WHERE ticket = 'W2'"),
	    1);
	CHECK_STR(raw_text(db,
		      "SELECT status FROM weighings"
		      " WHERE ticket = 'W2'"),
	    "complete");
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM weighings_history"
		      " WHERE ticket = 'W2'"),
	    1);
}

/* Two lines in kg and a ticket reference, as a manifest update sends. */
static struct ev_manifest_line lines[] = {
	{ .line = 1,
	    .waste = "msw.residual",
	    .qty = 600,
	    .unit = "kg",
	    .qty_kg = 600 },
	{ .line = 2,
	    .waste = "msw.food",
	    .qty = 0.4,
	    .unit = "t",
	    .qty_kg = 400 },
};
static struct ev_manifest_ticket tickets[] = {
	{ .facility = "F9", .ticket = "W1" },
};

static void
test_manifests(struct store *s, sqlite3 *db)
{
	struct ev first = manifest("M1", "A1", "created", T0, NAN);
	struct ev transit = manifest("M1", "A1", "in_transit", T0, NAN);
	struct ev back = manifest("M1", "A1", "created", T0 + HOUR, NAN);
	struct ev late = manifest("M1", "A1", "received", T0 + HOUR, NAN);
	struct store_msg m;
	enum store_result er = STORE_NEW;

	first.u.man.lines = lines;
	first.u.man.nlines = 2;
	first.u.man.tickets = tickets;
	first.u.man.ntickets = 1;
	transit.u.man.version = 2;
	back.u.man.version = 3;
	late.u.man.version = 1;
	CHECK(store_begin(s) == 0);
	m = msg("t/man", 601, T0);
	put(s, &m, &first, 1, &er);
	CHECK_INT(er, STORE_NEW);
	m = msg("t/man", 602, T0);
	put(s, &m, &first, 1, &er);
	CHECK_INT(er, STORE_DUPLICATE);
	m = msg("t/man", 603, T0);
	put(s, &m, &transit, 1, &er);
	CHECK_INT(er, STORE_NEW);
	/* A newer version naming an earlier status: kept, not applied. */
	m = msg("t/man", 604, T0);
	put(s, &m, &back, 1, &er);
	CHECK_INT(er, STORE_HISTORY);
	/* An older version: kept, late. */
	m = msg("t/man", 605, T0);
	put(s, &m, &late, 1, &er);
	CHECK_INT(er, STORE_HISTORY);
	CHECK(store_commit(s) == 0);

	CHECK_STR(raw_text(db,
		      "SELECT status FROM manifests"
		      " WHERE manifest_no = 'M1'"),
	    "in_transit");
	CHECK_INT(raw_int(db,
		      "SELECT version FROM manifests"
		      " WHERE manifest_no = 'M1'"),
	    2);
	/* The lines' masses add up; a later update without lines keeps
	 * them. */
	CHECK_INT(raw_int(db,
		      "SELECT declared_kg FROM manifests"
		      " WHERE manifest_no = 'M1'"),
	    1000);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM manifest_lines"
		      " WHERE manifest_no = 'M1'"),
	    2);
	CHECK_STR(raw_text(db,
		      "SELECT ticket FROM manifest_tickets"
		      " WHERE manifest_no = 'M1'"),
	    "W1");
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM manifest_events"
		      " WHERE manifest_no = 'M1'"),
	    4);
	CHECK_INT(raw_int(db,
		      "SELECT applied FROM manifest_events"
		      " WHERE manifest_no = 'M1' AND version = 3"),
	    0);
	CHECK_INT(
	    raw_int(db,
		"SELECT (dq_flags & 32768) != 0 FROM"
		" manifest_events WHERE manifest_no = 'M1' AND version = 3"),
	    1);
	CHECK_INT(raw_int(db,
		      "SELECT (dq_flags & 2) != 0 FROM"
		      " manifest_events WHERE manifest_no = 'M1' AND status ="
		      " 'received'"),
	    1);
}

static void
test_rejects(struct store *s, sqlite3 *db)
{
	struct store_msg m = msg("t/bad", 201, T0);

	CHECK(store_begin(s) == 0);
	CHECK(store_reject(s, &m, "json_invalid", "line 1: unexpected x") == 0);
	m.profile = NULL;
	CHECK(store_reject(s, &m, "no_profile", NULL) == 0);
	CHECK(store_commit(s) == 0);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM rejects"), 2);
	CHECK_STR(raw_text(db,
		      "SELECT detail FROM rejects"
		      " WHERE reason = 'json_invalid'"),
	    "line 1: unexpected x");
	CHECK_STR(raw_text(db,
		      "SELECT payload FROM rejects"
		      " WHERE reason = 'json_invalid'"),
	    "{\"payload\":1}");
	CHECK_STR(raw_text(db,
		      "SELECT profile FROM rejects"
		      " WHERE reason = 'no_profile'"),
	    "NULL");
	CHECK_INT(raw_int(db,
		      "SELECT received_ms FROM rejects"
		      " WHERE reason = 'no_profile'"),
	    T0);
}

/* After a clock step: what was stored before the hold ages from the
 * hold, what comes after from its own receive time; rejects never go. */
static void
test_prune_hold(struct store *s, sqlite3 *db)
{
	struct store_msg a = msg("t/hold", 303, T0 - 30 * DAY);
	struct store_msg b = msg("t/hold", 304, T0 - 30 * DAY);
	int64_t pruned = -1, newest = -1;
	int behind = -1;

	CHECK(store_clock_state(s, &newest, &behind) == 0);
	CHECK_INT(behind, 0);
	CHECK(store_begin(s) == 0);
	put(s, &a, NULL, 0, NULL);
	CHECK(store_hold_payloads(s, T0 - 2 * DAY, 1) == 0);
	put(s, &b, NULL, 0, NULL);
	CHECK(store_commit(s) == 0);
	CHECK(store_begin(s) == 0);
	CHECK(store_prune_payloads(s, T0 - 3 * DAY, &pruned) == 0);
	CHECK_INT(pruned, 1); /* b only */
	CHECK(store_prune_payloads(s, T0 - 2 * DAY, &pruned) == 0);
	CHECK_INT(pruned, 0); /* a is held until after the hold's time */
	CHECK(store_prune_payloads(s, T0 - 2 * DAY + 1, &pruned) == 0);
	CHECK_INT(pruned, 1); /* a */
	CHECK(store_commit(s) == 0);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM rejects WHERE payload IS NULL"),
	    0);
	CHECK(store_clock_state(s, &newest, &behind) == 0);
	CHECK_INT(newest, raw_int(db, "SELECT max(received_ms) FROM messages"));
	CHECK_INT(behind, 1);
}

static void
test_prune(struct store *s, sqlite3 *db)
{
	struct store_msg old = msg("t/prune", 301, T0 - 30 * DAY);
	struct store_msg young = msg("t/prune", 302, T0);
	int64_t pruned = -1;

	CHECK(store_begin(s) == 0);
	put(s, &old, NULL, 0, NULL);
	put(s, &young, NULL, 0, NULL);
	CHECK(store_commit(s) == 0);
	CHECK(store_begin(s) == 0);
	CHECK(store_prune_payloads(s, T0 - DAY, &pruned) == 0);
	CHECK(store_commit(s) == 0);
	CHECK_INT(pruned, 1);
	CHECK_INT(
	    raw_int(db,
		"SELECT payload IS NULL FROM messages"
		" WHERE topic = 't/prune' AND received_ms < 1691388178000"),
	    1);
	CHECK_INT(
	    raw_int(db,
		"SELECT payload IS NULL FROM messages"
		" WHERE topic = 't/prune' AND received_ms = 1691388178000"),
	    0);
	/* Again: nothing left to prune. */
	CHECK(store_begin(s) == 0);
	CHECK(store_prune_payloads(s, T0 - DAY, &pruned) == 0);
	CHECK(store_commit(s) == 0);
	CHECK_INT(pruned, 0);
	test_prune_hold(s, db);
}

static void
test_spool_pos(const char *path)
{
	struct spool_pos pos = { 0, 0 }, set = { 3, 12345 };
	struct store *s = NULL;

	CHECK(store_open(path, 1, &s) == 0);
	if (s == NULL)
		return;
	CHECK(store_spool_pos(s, &pos) == 0);
	CHECK_INT(pos.seg, 1);
	CHECK_INT(pos.off, 0);
	CHECK(store_begin(s) == 0);
	CHECK(store_set_spool_pos(s, set) == 0);
	CHECK(store_commit(s) == 0);
	store_close(s);

	s = NULL;
	CHECK(store_open(path, 0, &s) == 0);
	if (s == NULL)
		return;
	CHECK(store_spool_pos(s, &pos) == 0);
	CHECK_INT(pos.seg, 3);
	CHECK_INT(pos.off, 12345);
	/* A rolled-back position is not kept. */
	set.off = 99999;
	CHECK(store_begin(s) == 0);
	CHECK(store_set_spool_pos(s, set) == 0);
	store_rollback(s);
	CHECK(store_spool_pos(s, &pos) == 0);
	CHECK_INT(pos.off, 12345);
	store_close(s);
}

static void
test_writes(void)
{
	const char *path = db_path("writes.db");
	struct store_info info;
	struct store *s = NULL;
	sqlite3 *db;

	CHECK(store_open(path, 0, &s) == 0);
	if (s == NULL)
		return;
	CHECK_STR(store_path(s), path);
	db = raw_open(path);
	test_messages(s, db);
	test_weighings(s, db);
	test_manifests(s, db);
	test_rejects(s, db);
	test_prune(s, db);
	memset(&info, 0, sizeof(info));
	CHECK(store_info(s, &info) == 0);
	CHECK_INT(info.schema_version, STORE_SCHEMA_VERSION);
	CHECK(info.size_bytes > 0);
	CHECK(info.log_bytes >= 0 && info.log_bytes <= info.size_bytes);
	sqlite3_close(db);
	store_close(s);
	test_spool_pos(db_path("spool.db"));
}

/* ---- reconciliation and the report reads ---- */

/* The registry: writable strings, as the configuration's own are. */
static char f1_id[] = "F1", f1_name[] = "East incinerator";
static char f1_kind[] = "incinerator", f1_district[] = "D1";
static struct cfg_facility facilities[] = {
	{ .id = f1_id,
	    .name = f1_name,
	    .kind = f1_kind,
	    .district = f1_district,
	    .harmless = 1 },
};

/*
 * Four manifests on their way to F1: one whose ticket matches its
 * declaration (ok), one 50 % over (discrepancy), one without a ticket
 * yet (pending) and one without a ticket three days after departure
 * (overdue). The tickets match by plate within the window.
 */
static void
fill_reconcile(struct store *s)
{
	struct ev evs[] = {
		manifest("M-OK", "A1", "in_transit", T0, 1000),
		manifest("M-DISC", "B2", "in_transit", T0, 1000),
		manifest("M-PEND", "C3", "in_transit", T0, 1000),
		manifest("M-OVER", "D4", "in_transit", T0 - 3 * DAY, 1000),
		weighing("F1", "T1", "A1", 1, "complete", 1040, T0 + HOUR),
		weighing("F1", "T2", "B2", 1, "complete", 1500, T0 + HOUR),
	};
	struct store_msg m;
	enum store_result er;
	size_t i;

	CHECK(store_begin(s) == 0);
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		m = msg("t/recon", 400 + (int)i, T0);
		er = STORE_DUPLICATE;
		put(s, &m, &evs[i], 1, &er);
		CHECK_INT(er, STORE_NEW);
	}
	CHECK(store_commit(s) == 0);
}

static const char *
verdict(sqlite3 *db, const char *no)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT verdict FROM reconciliations"
	    " WHERE manifest_no = '%s'",
	    no);
	return raw_text(db, sql);
}

struct tonnage {
	int rows;
	char district[32], waste[32];
	double kg;
};

static void
on_tonnage(void *arg, const char *a, const char *b, double v)
{
	struct tonnage *t = arg;

	t->rows++;
	snprintf(t->district, sizeof(t->district), "%s", a ? a : "NULL");
	snprintf(t->waste, sizeof(t->waste), "%s", b ? b : "NULL");
	t->kg = v;
}

struct indicators {
	int rows;
	struct store_indicators last;
};

static void
on_indicators(void *arg, const struct store_indicators *row)
{
	struct indicators *in = arg;

	in->rows++;
	in->last = *row;
}

struct items {
	int rows;
	struct store_manifest_item first;
};

static void
on_item(void *arg, const struct store_manifest_item *item)
{
	struct items *it = arg;

	if (it->rows++ == 0)
		it->first = *item;
}

static void
check_reads(struct store *s)
{
	struct store_manifest_counts mc;
	struct tonnage t;
	struct indicators in;
	struct items it;

	memset(&t, 0, sizeof(t));
	memset(&in, 0, sizeof(in));
	memset(&it, 0, sizeof(it));
	CHECK(store_read_begin(s) == 0);
	CHECK(store_day_tonnage(s, DAY0, on_tonnage, &t) == 0);
	CHECK(store_day_indicators(s, DAY0, on_indicators, &in) == 0);
	CHECK(store_manifest_counts(s, &mc) == 0);
	CHECK(store_manifest_items(s, "discrepancy", 10, on_item, &it) == 0);
	store_read_end(s);

	CHECK_INT(t.rows, 1);
	CHECK_STR(t.district, "D1");
	CHECK_STR(t.waste, "msw.residual");
	CHECK_NEAR(t.kg, 2540, 1e-6);

	/* D1's row and the city's (全市, sorted after it), the same. */
	CHECK_INT(in.rows, 2);
	CHECK_STR(in.last.district, "全市");
	CHECK_NEAR(in.last.collected_kg, 2540, 1e-6);
	CHECK_NEAR(in.last.harmless_rate, 1, 1e-9);
	CHECK_NEAR(in.last.recycling_rate, 0, 1e-9);
	CHECK(isnan(in.last.cw_rate));
	CHECK_INT(in.last.manifests, 3); /* M-OVER left days before */
	CHECK_NEAR(in.last.discrepancy_rate, 0.5, 1e-9);
	CHECK_NEAR(in.last.closure_rate, 0, 1e-9);
	CHECK_INT(in.last.overdue, 0);

	CHECK_INT(mc.open, 4);
	CHECK_INT(mc.overdue, 1);
	CHECK_INT(mc.discrepancies, 1);

	CHECK_INT(it.rows, 1);
	CHECK_STR(it.first.manifest_no, "M-DISC");
	CHECK_STR(it.first.scheme, "msw");
	CHECK_STR(it.first.verdict, "discrepancy");
	CHECK_NEAR(it.first.declared_kg, 1000, 1e-9);
	CHECK_NEAR(it.first.received_kg, 1500, 1e-9);
	CHECK_NEAR(it.first.diff_pct, 50, 1e-9);
	CHECK_INT(it.first.departed_ms, T0);
}

static void
test_reconcile(void)
{
	const char *path = db_path("recon.db");
	struct config *cfg = config_default();
	struct store *s = NULL, *r = NULL;
	int64_t v1 = 0, v2 = 0;
	sqlite3 *db;

	cfg->facilities = facilities;
	cfg->nfacilities = 1;
	cfg->reconcile.tolerance_pct = 5;
	cfg->reconcile.overdue_h = 48;
	cfg->reconcile.window_h = 24;
	CHECK(store_open(path, 0, &s) == 0);
	if (s == NULL)
		goto done;
	CHECK(store_sync_config(s, cfg) == 0);
	fill_reconcile(s);
	CHECK(store_reconcile(s, T0 + 2 * HOUR, cfg) == 0);

	db = raw_open(path);
	CHECK_STR(verdict(db, "M-OK"), "ok");
	CHECK_STR(verdict(db, "M-DISC"), "discrepancy");
	CHECK_STR(verdict(db, "M-PEND"), "pending");
	CHECK_STR(verdict(db, "M-OVER"), "overdue");
	CHECK_STR(raw_text(db,
		      "SELECT method FROM reconciliations"
		      " WHERE manifest_no = 'M-OK'"),
	    "plate_window");
	CHECK_NEAR(raw_real(db,
		       "SELECT diff_pct FROM reconciliations"
		       " WHERE manifest_no = 'M-OK'"),
	    4, 1e-9);
	CHECK_INT(raw_int(db,
		      "SELECT value FROM meta"
		      " WHERE key = 'local_offset_min'"),
	    480);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM facilities"), 1);
	sqlite3_close(db);

	check_reads(s);

	/* A reader of its own sees the writer's later commits. */
	CHECK(store_open_reader(path, &r) == 0);
	if (r != NULL) {
		CHECK(store_data_version(r, &v1) == 0);
		CHECK(store_reconcile(s, T0 + 3 * HOUR, cfg) == 0);
		CHECK(store_data_version(r, &v2) == 0);
		CHECK(v1 != v2);
		check_reads(r);
		store_close(r);
	}
	store_close(s);
done:
	cfg->facilities = NULL;
	cfg->nfacilities = 0;
	config_free(cfg);
}

/* ---- the past: corrections across midnight, configuration changes ---- */

#define MID  INT64_C(1691424000000) /* 2023-08-08 00:00 +08:00 */
#define DAY1 "2023-08-08"

static double
day_kg(sqlite3 *db, const char *day, const char *district)
{
	char sql[192];

	snprintf(sql, sizeof(sql),
	    "SELECT coalesce(sum(kg), 0) FROM daily_tonnage"
	    " WHERE day = '%s' AND district IS %s%s%s",
	    day, district ? "'" : "", district ? district : "NULL",
	    district ? "'" : "");
	return raw_real(db, sql);
}

/*
 * Version 1 weighed at 23:58, version 2 moving the first weighing to
 * 00:02: one ticket, counted once, on the new day; a next-day void of
 * another ticket voids it; a ticket with the same number weighed the
 * next afternoon is another ticket.
 */
static void
test_midnight(struct store *s, sqlite3 *db)
{
	struct ev ev[] = {
		weighing("F1", "N1", "A1", 1, "complete", 1000, MID - 120000),
		weighing("F1", "N1", "A1", 2, "complete", 1100, MID + 120000),
		weighing("F1", "N2", "B2", 1, "complete", 700, MID - 60000),
		weighing("F1", "N2", "B2", 2, "void", 700, MID + 180000),
		weighing("F1", "N3", "C3", -1, "complete", 300, MID - 30000),
		weighing("F1", "N3", "C3", -1, "void", 300, MID + 30000),
		/* the next afternoon: ticket numbers restart every day */
		weighing("F1", "N1", "D4", 1, "complete", 500, MID + 15 * HOUR),
		/* version 1 of the first N1 again, late and changed */
		weighing("F1", "N1", "A1", 1, "complete", 990, MID - 120000),
	};
	enum store_result want[] = { STORE_NEW, STORE_NEW, STORE_NEW, STORE_NEW,
		STORE_NEW, STORE_NEW, STORE_NEW, STORE_HISTORY };
	struct store_msg m;
	enum store_result er;
	size_t i;

	CHECK(store_begin(s) == 0);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		m = msg("t/midnight", 600 + (int)i, T0);
		er = STORE_DUPLICATE;
		put(s, &m, &ev[i], 1, &er);
		CHECK_INT(er, want[i]);
		if (er != want[i])
			fprintf(stderr, "  midnight event %zu\n", i);
	}
	CHECK(store_commit(s) == 0);

	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM weighings WHERE ticket = 'N1'"),
	    2);
	CHECK_STR(raw_text(db,
		      "SELECT day || ' ' || key_day || ' ' || version"
		      " FROM weighings WHERE ticket = 'N1' AND plate = 'A1'"),
	    DAY1 " " DAY0 " 2");
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM weighings_history"
		      " WHERE ticket = 'N1'"),
	    2);
	CHECK_STR(raw_text(db,
		      "SELECT status FROM weighings WHERE ticket = 'N2'"),
	    "void");
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM weighings WHERE ticket = 'N2'"),
	    1);
	CHECK_STR(raw_text(db,
		      "SELECT status FROM weighings WHERE ticket = 'N3'"),
	    "void");
	/* Counted once, on the day the correction says. */
	CHECK_NEAR(day_kg(db, DAY0, "D1"), 0, 1e-9);
	CHECK_NEAR(day_kg(db, DAY1, "D1"), 1600, 1e-9);
}

/*
 * Rows written under one configuration keep their day and district when
 * the offset changes and the facility moves district.
 */
static void
test_config_change(struct store *s, sqlite3 *db, struct config *cfg)
{
	static char d2[] = "D2";
	struct ev unload, wb;
	struct store_msg m;
	enum store_result er;

	/* 23:30 at +08:00 is 00:30 at +09:00 */
	memset(&unload, 0, sizeof(unload));
	ev_init(&unload, EV_VEHICLE_EVENT);
	unload.u.vev.type = "unload";
	unload.u.vev.vehicle = "V9";
	unload.u.vev.facility = "F1";
	unload.u.vev.waste = "msw.residual";
	unload.u.vev.ts_ms = MID + 2 * DAY - 30 * 60000;
	wb = weighing("F1", "C1", "E5", 1, "complete", 800,
	    MID + 2 * DAY - 30 * 60000);
	CHECK(store_begin(s) == 0);
	m = msg("t/cfg", 700, T0);
	put(s, &m, &unload, 1, &er);
	m = msg("t/cfg", 701, T0);
	put(s, &m, &wb, 1, &er);
	CHECK(store_commit(s) == 0);
	CHECK_NEAR(day_kg(db, "2023-08-09", "D1"), 800, 1e-9);
	CHECK_INT(raw_int(db,
		      "SELECT authorised FROM daily_unloads"
		      " WHERE day = '2023-08-09'"),
	    1);

	cfg->time.local_offset_min = 540;
	cfg->facilities[0].district = d2;
	CHECK(store_sync_config(s, cfg) == 0);
	/* A correction after the change stays where its ticket was. */
	wb = weighing("F1", "C1", "E5", 2, "complete", 850,
	    MID + 2 * DAY - 30 * 60000);
	CHECK(store_begin(s) == 0);
	m = msg("t/cfg", 702, T0);
	put_off(s, &m, &wb, 1, 540, &er);
	CHECK_INT(er, STORE_NEW);
	/* A new ticket after the change goes to the new district. */
	wb = weighing("F1", "C2", "E6", 1, "complete", 100,
	    MID + 2 * DAY + 5 * HOUR);
	m = msg("t/cfg", 703, T0);
	put_off(s, &m, &wb, 1, 540, &er);
	CHECK(store_commit(s) == 0);

	CHECK_NEAR(day_kg(db, "2023-08-09", "D1"), 850, 1e-9);
	CHECK_NEAR(day_kg(db, "2023-08-09", "D2"), 0, 1e-9);
	CHECK_NEAR(day_kg(db, "2023-08-10", "D1"), 0, 1e-9);
	CHECK_NEAR(day_kg(db, "2023-08-10", "D2"), 100, 1e-9);
	CHECK_INT(raw_int(db,
		      "SELECT unloads FROM daily_unloads"
		      " WHERE day = '2023-08-09'"),
	    1);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM daily_unloads"
		      " WHERE day = '2023-08-10'"),
	    0);
	CHECK_NEAR(raw_real(db,
		       "SELECT collected_kg FROM daily_indicators"
		       " WHERE day = '2023-08-09' AND district = 'D1'"),
	    850, 1e-9);
	/* The facility leaves the registry: its unloads stay authorised. */
	cfg->nfacilities = 0;
	CHECK(store_sync_config(s, cfg) == 0);
	CHECK_INT(raw_int(db,
		      "SELECT authorised FROM daily_unloads"
		      " WHERE day = '2023-08-09'"),
	    1);
	cfg->nfacilities = 1;
	cfg->facilities[0].district = f1_district;
}

static void
test_past(void)
{
	const char *path = db_path("past.db");
	struct config *cfg = config_default();
	struct store *s = NULL;
	sqlite3 *db;

	cfg->facilities = facilities;
	cfg->nfacilities = 1;
	CHECK(store_open(path, 0, &s) == 0);
	if (s == NULL)
		goto done;
	CHECK(store_sync_config(s, cfg) == 0);
	db = raw_open(path);
	test_midnight(s, db);
	test_config_change(s, db, cfg);
	sqlite3_close(db);
	store_close(s);
done:
	cfg->facilities = NULL;
	cfg->nfacilities = 0;
	config_free(cfg);
}

/* ---- background maintenance ---- */

static int pressure_calls, pressure_last;

static void
on_pressure(void *arg, int pending)
{
	(void)arg;
	pressure_calls++;
	pressure_last = pending;
}

static void
test_maint(void)
{
	const char *path = db_path("maint.db");
	struct store_maint *m = NULL;
	struct store *s = NULL;
	struct store_msg msg1 = msg("t/m", 501, T0);
	int pending = -1, done = -1;

	CHECK(store_open(path, 0, &s) == 0);
	if (s == NULL)
		return;
	CHECK(store_maint_open(path, &m) == 0);
	store_on_commit_pressure(s, on_pressure, NULL);
	CHECK(store_begin(s) == 0);
	put(s, &msg1, NULL, 0, NULL);
	CHECK(store_commit(s) == 0);
	CHECK_INT(pressure_calls, 1);
	CHECK(pressure_last > 0);
	if (m != NULL) {
		CHECK(store_maint_step(m, &pending, &done) == 0);
		CHECK(pending >= done && done >= 0);
		CHECK(store_maint_log_bytes(m) > 0);
		CHECK(store_maint_truncate(m) == 0);
		CHECK_INT(store_maint_log_bytes(m), 0);
		CHECK(store_maint_errmsg(m) != NULL);
	}
	CHECK(store_maint_catch_up(s) == 0);
	store_on_commit_pressure(s, NULL, NULL);
	CHECK(store_begin(s) == 0);
	CHECK(store_commit(s) == 0);
	CHECK_INT(pressure_calls, 1);
	store_maint_close(m);
	store_close(s);
}

int
main(void)
{
	tmpfiles_init("test_store");
	test_migrations();
	test_newer_refused();
	test_writes();
	test_reconcile();
	test_past();
	test_maint();
	tmpfiles_cleanup();
	return check_result("test_store");
}
