/*
 * test_alerts: the alert rules and their sync on a real SQLite file
 * (lib/store_alert.c, docs/alerts.md). The core rules read rows written
 * here as the writer would leave them (manifests and their verdicts,
 * flagged weighings and unloads); a sync opens one alert per condition,
 * a second sync changes nothing, a condition that clears resolves its
 * alert and one that comes back opens a new row. Then the publishing
 * steps, the slices and a failing rule, with rules of the test's own.
 */
#include "check.h"
#include "rawdb.h"
#include "tmpfiles.h"

#include "alert.h"
#include "config.h"
#include "report.h"
#include "store.h"
#include "store_int.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0   INT64_C(1691337600000) /* 2023-08-07 00:00 +08:00 */
#define HOUR INT64_C(3600000)
#define DAY  (24 * HOUR)
#define BIG  INT64_C(10000000) /* µs: every rule in one call */

static char f1[] = "F1", fx[] = "FX", fname[] = "plant";
static char fkind[] = "hw_facility", fdist[] = "D1";
static struct cfg_facility facilities[] = {
	{ .id = f1, .name = fname, .kind = fkind, .district = fdist },
	{ .id = fx, .name = fname, .kind = fkind, .district = fdist },
};

static int64_t q(sqlite3 *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int64_t
q(sqlite3 *db, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return raw_int(db, sql);
}

/* What store_alerts_pending() gave, in order. */
struct got {
	int n;
	int64_t id[16];
	int step[16], retained[16];
	char topic[16][96], payload[16][1024];
};

static int
take(void *arg, const struct store_alert_msg *m)
{
	struct got *g = arg;

	if (g->n == 16)
		return 0;
	g->id[g->n] = m->id;
	g->step[g->n] = (int)m->step;
	g->retained[g->n] = m->retained;
	snprintf(g->topic[g->n], sizeof(g->topic[0]), "%s", m->topic);
	snprintf(g->payload[g->n], sizeof(g->payload[0]), "%.*s", (int)m->len,
	    m->payload);
	g->n++;
	return 1;
}

static struct got
pending(struct store *s)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK(store_alerts_pending(s, take, &g) == 0);
	return g;
}

/* Acknowledge everything pending, one step each. */
static void
ack_all(struct store *s)
{
	struct got g = pending(s);
	enum store_alert_step steps[16];
	int i;

	for (i = 0; i < g.n; i++)
		steps[i] = (enum store_alert_step)g.step[i];
	CHECK(store_alerts_acked(s, g.id, steps, (size_t)g.n) == 0);
}

static void
sync_all(struct store *s, int64_t now)
{
	int more = 1;

	CHECK(store_alerts_sync(s, now, BIG, &more) == 0);
	CHECK_INT(more, 0);
}

/* Rows the writer would leave: a discrepancy (M1, generator in D9), an
 * overdue manifest (M2, no generator district: its facility's, D1), an
 * ok one, tickets and unloads of facilities missing from the registry. */
static void
seed(sqlite3 *db)
{
	raw_exec(db,
	    "INSERT INTO manifests(scheme, manifest_no, version, status,"
	    " plate, generator_district, receiver_facility, departed_ms,"
	    " declared_kg, updated_ms) VALUES"
	    " ('CN_HW', 'M1', 1, 'received', 'A1', 'D9', 'F1', 1, 1000, 1),"
	    " ('CN_HW', 'M2', 1, 'in_transit', 'A2', NULL, 'F1', 2, 500, 1),"
	    " ('CN_HW', 'M3', 1, 'received', 'A3', 'D9', 'F1', 3, 700, 1);"
	    "INSERT INTO reconciliation_results(scheme, manifest_no,"
	    " declared_kg, received_kg, diff_pct, method, verdict) VALUES"
	    " ('CN_HW', 'M1', 1000, 500, -50, 'ticket_ref', 'discrepancy'),"
	    " ('CN_HW', 'M2', 500, NULL, NULL, NULL, 'overdue'),"
	    " ('CN_HW', 'M3', 700, 700, 0, 'ticket_ref', 'ok');");
	/* FX: a ticket a day old and an unload an hour old; FY: ten days
	 * old, outside the window; F1 flagged before it was registered. */
	raw_exec(db,
	    "INSERT INTO weighings(facility, ticket, day, key_day, version,"
	    " first_ms, status, dq_flags, fingerprint) VALUES"
	    " ('FX', 'T1', '2023-08-09', '2023-08-09', 1, 1691510400000, 'complete',"
	    " 262144, 'x'),"
	    " ('FY', 'T2', '2023-07-31', '2023-07-31', 1, 1690732800000, 'complete',"
	    " 262144, 'y'),"
	    " ('F1', 'T3', '2023-08-09', '2023-08-09', 1, 1691510400000, 'complete',"
	    " 262144, 'z');"
	    "INSERT INTO vehicle_events(type, vehicle, ts_ms, facility, waste,"
	    " dq_flags) VALUES ('unload', 'V1', 1691593200000, 'FX', 'msw',"
	    " 262144);");
}

/* /status and /metrics from the city figures of the database left by
 * test_core_rules: one discrepancy open (id 4) of four ever opened. */
static void
report_on(struct store *r)
{
	static struct report_city city;
	struct report rep;
	struct ingest_counters ic;
	char *js, *m;

	memset(&rep, 0, sizeof(rep));
	memset(&ic, 0, sizeof(ic));
	rep.ingest = &ic;
	rep.city = &city;
	rep.alerts.synced_ms = 42;
	CHECK(report_city_compute(r, "2023-08-10", &city) == 0);
	CHECK_INT(city.nalert_items, 1);
	CHECK_INT(city.nalert_kinds, 10);
	js = report_status_json(&rep);
	m = report_metrics(&rep);
	CHECK(js != NULL && m != NULL);
	if (js != NULL && m != NULL) {
		CHECK(strstr(js,
			  ",\"alerts\":{\"open\":1,\"opened_total\":4,"
			  "\"unpublished\":2,\"in_flight\":0,\"acked\":0,"
			  "\"failed\":0,\"synced_ms\":42,\"open_by_kind\":{"
			  "\"discrepancy\":1,\"overdue_manifest\":0,") != NULL);
		CHECK(
		    strstr(js,
			"\"newest\":[{\"id\":4,\"kind\":\"discrepancy\","
			"\"severity\":\"warning\",\"subject\":\"CN_HW/M1\","
			"\"district\":\"D9\",\"opened_ms\":1691607600000}]}") !=
		    NULL);
		CHECK(strstr(m,
			  "wastetrack_alerts_open{kind=\"discrepancy\"} 1\n"
			  "wastetrack_alerts_open{kind=\"overdue_manifest\"}"
			  " 0\n") != NULL);
		CHECK(strstr(m, "wastetrack_alerts_opened_total 4\n") != NULL);
		CHECK(strstr(m, "wastetrack_alerts_unpublished 2\n") != NULL);
	}
	free(js);
	free(m);
}

static void
test_core_rules(void)
{
	char buf[PATH_MAX];
	const char *p = tdb_path("core.db", buf, sizeof(buf));
	struct config *cfg = config_default();
	struct store *s = NULL;
	sqlite3 *db = NULL;
	int64_t now = T0 + 3 * DAY; /* 2023-08-10 00:00 +08:00 */
	struct got g;

	cfg->facilities = facilities;
	cfg->nfacilities = 1;
	if (store_open(p, 0, &s) == -1) {
		CHECK(!"store_open");
		goto done;
	}
	CHECK(store_sync_config(s, cfg) == 0);
	db = raw_open(p);
	seed(db);

	sync_all(s, now);
	CHECK_INT(q(db, "SELECT count(*) FROM alerts"), 3);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE kind = 'discrepancy'"
		      " AND subject = 'CN_HW/M1' AND district = 'D9'"
		      " AND severity = 'warning' AND opened_ms = %" PRId64
		      " AND resolved_ms IS NULL"
		      " AND evidence ->> '$.diff_pct' = -50",
		      now),
	    1);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE kind ="
		      " 'overdue_manifest' AND subject = 'CN_HW/M2'"
		      " AND district = 'D1' AND severity = 'critical'"),
	    1);
	/* FX: one ticket and one unload; FY too old; F1 registered now. */
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE kind ="
		      " 'unknown_facility' AND subject = 'FX'"
		      " AND district IS NULL"
		      " AND evidence ->> '$.weighings' = 1"
		      " AND evidence ->> '$.unloads' = 1"),
	    1);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE subject IN"
		      " ('FY', 'F1', 'CN_HW/M3')"),
	    0);

	/* Again, later, nothing changed: no new row, nothing rewritten. */
	sync_all(s, now + HOUR);
	CHECK_INT(q(db, "SELECT count(*) FROM alerts"), 3);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE opened_ms = %" PRId64
		      " AND resolved_ms IS NULL",
		      now),
	    3);

	/* Two open rows for one condition cannot exist. */
	CHECK(sqlite3_exec(db,
		  "INSERT INTO alerts(kind, severity, subject, opened_ms)"
		  " VALUES ('discrepancy', 'warning', 'CN_HW/M1', 5)",
		  NULL, NULL, NULL) == SQLITE_CONSTRAINT);

	/* Published: each retained, its JSON as the docs say. */
	g = pending(s);
	CHECK_INT(g.n, 3);
	CHECK_INT(g.step[0], STORE_ALERT_OPEN);
	CHECK_INT(g.retained[0], 1);
	CHECK_STR(g.topic[0], "wt/v1/alerts/discrepancy/1");
	CHECK(strstr(g.payload[0],
		  "\"id\":1,\"kind\":\"discrepancy\",\"severity\":\"warning\","
		  "\"subject\":\"CN_HW/M1\",\"district\":\"D9\","
		  "\"opened_ms\":1691596800000,\"evidence\":{") != NULL);
	CHECK(strstr(g.payload[0], "\"diff_pct\":-50") != NULL);
	CHECK(strstr(g.payload[0], "resolved_ms") == NULL);
	ack_all(s);
	CHECK_INT(pending(s).n, 0);
	/* An acknowledgement that comes late never takes a step back. */
	{
		int64_t id = 1;
		enum store_alert_step st = STORE_ALERT_OPEN;

		CHECK(store_alerts_acked(s, &id, &st, 1) == 0);
		CHECK_INT(pending(s).n, 0);
	}

	/* The discrepancy corrected, the registry learns FX: resolved. */
	raw_exec(db,
	    "UPDATE reconciliation_results SET verdict = 'ok'"
	    " WHERE manifest_no = 'M1'");
	cfg->nfacilities = 2;
	CHECK(store_sync_config(s, cfg) == 0);
	sync_all(s, now + 2 * HOUR);
	CHECK_INT(
	    q(db, "SELECT count(*) FROM alerts WHERE resolved_ms = %" PRId64,
		now + 2 * HOUR),
	    2);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE resolved_ms IS NULL"
		      " AND kind = 'overdue_manifest'"),
	    1);
	/* Resolved: a notice (not retained, with resolved_ms), then the
	 * retained message cleared. */
	g = pending(s);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.id[0], 1);
	CHECK_INT(g.step[0], STORE_ALERT_RESOLVED);
	CHECK_INT(g.retained[0], 0);
	CHECK(strstr(g.payload[0], "\"resolved_ms\":1691604000000") != NULL);
	ack_all(s);
	g = pending(s);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.step[0], STORE_ALERT_CLEAR);
	CHECK_INT(g.retained[0], 1);
	CHECK_STR(g.payload[0], "");
	ack_all(s);
	CHECK_INT(pending(s).n, 0);

	/* The discrepancy comes back: a new alert, a new row. */
	raw_exec(db,
	    "UPDATE reconciliation_results SET verdict ="
	    " 'discrepancy' WHERE manifest_no = 'M1'");
	sync_all(s, now + 3 * HOUR);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE subject ="
		      " 'CN_HW/M1'"),
	    2);
	CHECK_INT(q(db,
		      "SELECT id FROM alerts WHERE subject = 'CN_HW/M1'"
		      " AND resolved_ms IS NULL"),
	    4);
	g = pending(s);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.topic[0], "wt/v1/alerts/discrepancy/4");
	/* Cancelled: its verdict goes, and so does the alert. */
	raw_exec(db,
	    "DELETE FROM reconciliation_results WHERE"
	    " manifest_no = 'M2'");
	sync_all(s, now + 4 * HOUR);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE resolved_ms IS NULL"),
	    1);

	/* The report's reads, on the read-only connection. */
	{
		struct store *r = NULL;
		struct store_alert_counts c;

		CHECK(store_open_reader(p, &r) == 0);
		CHECK(store_read_begin(r) == 0);
		CHECK(store_alert_counts(r, &c) == 0);
		CHECK_INT(c.opened_total, 4);
		CHECK_INT(c.open, 1);
		/* id 4 opened, id 2 resolved: neither sent yet. */
		CHECK_INT(c.unpublished, 2);
		store_read_end(r);
		report_on(r);
		store_close(r);
	}
done:
	if (db != NULL)
		sqlite3_close(db);
	store_close(s);
	cfg->facilities = NULL;
	cfg->nfacilities = 0;
	config_free(cfg);
}

/* Rules of the test's own: over a table it fills itself. */
static const struct store_alert_rule test_rules[] = {
	{ "broken", "info", "SELECT nonsense FROM nowhere" },
	{ "test_kind", "info",
	    "SELECT subject, 'D1', json_object('n', n) FROM t" },
	{ "bad_evidence", "info",
	    "SELECT 'x', NULL, 'not json' UNION ALL SELECT 'y', NULL,"
	    " json_object('big', printf('%.3000c', 'a'))" },
};
static const size_t one = 1, two = 2;
static const struct store_alert_set good_set[] = {
	{ test_rules + 1, &one },
	{ NULL, NULL },
};
static const struct store_alert_set bad_set[] = {
	{ test_rules + 2, &one },
	{ NULL, NULL },
};
static const struct store_alert_set both_sets[] = {
	{ test_rules, &two },
	{ NULL, NULL },
};

static void
test_slices(void)
{
	char buf[PATH_MAX];
	const char *p = tdb_path("slices.db", buf, sizeof(buf));
	struct store *s = NULL;
	sqlite3 *db = NULL;
	int more = 0, i;

	if (store_open(p, 0, &s) == -1) {
		CHECK(!"store_open");
		return;
	}
	db = raw_open(p);
	raw_exec(db,
	    "CREATE TABLE t(subject TEXT, n INTEGER);"
	    "INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3),"
	    " ('d', 4), ('e', 5), ('f', 6), ('g', 7), (NULL, 8);");
	/* Three rows a slice and no time: one slice a call. */
	store_sqlite_of(s)->alert_slice = 3;
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), good_set, T0, 0,
		  &more) == 0);
	CHECK_INT(more, 1);
	CHECK_INT(q(db, "SELECT count(*) FROM alerts"), 3);
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), good_set, T0, 0,
		  &more) == 0);
	CHECK_INT(more, 1);
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), good_set, T0, 0,
		  &more) == 0);
	CHECK_INT(more, 0);
	/* Seven: the row without a subject is not a condition. */
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE kind = 'test_kind'"
		      " AND district = 'D1'"),
	    7);
	/* All cleared: resolved three at a time. */
	raw_exec(db, "DELETE FROM t");
	for (i = 0; i < 3; i++)
		CHECK(store_alerts_sync_sets(store_sqlite_of(s), good_set,
			  T0 + 1, 0, &more) == 0);
	CHECK_INT(more, 0);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE resolved_ms IS NULL"),
	    0);
	/* A broken rule fails alone: it resolves nothing, the next one
	 * runs at the next call. */
	raw_exec(db,
	    "INSERT INTO alerts(kind, severity, subject, opened_ms)"
	    " VALUES ('broken', 'info', 'x', 1);"
	    "INSERT INTO t VALUES ('h', 9)");
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), both_sets, T0 + 2, BIG,
		  &more) == -1);
	CHECK_INT(more, 1);
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), both_sets, T0 + 2, BIG,
		  &more) == 0);
	CHECK_INT(more, 0);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE resolved_ms IS NULL"),
	    2);
	/* Evidence that is not a small JSON object: its size instead. */
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), bad_set, T0 + 3, BIG,
		  &more) == 0);
	CHECK_INT(q(db,
		      "SELECT count(*) FROM alerts WHERE kind ="
		      " 'bad_evidence' AND subject = 'x' AND evidence ="
		      " '{\"evidence_bytes\":8}'"),
	    1);
	CHECK_INT(q(db,
		      "SELECT evidence ->> '$.evidence_bytes' FROM alerts"
		      " WHERE kind = 'bad_evidence' AND subject = 'y'"),
	    3010);
	sqlite3_close(db);
	store_close(s);
}

/* The publisher: one step per alert in flight, at most ALERT_INFLIGHT,
 * recorded only once acknowledged. */
struct sent {
	int n, refuse;
	uint64_t cookie[64];
	char topic[64][96];
};

static int
fake_send(void *arg, const char *topic, const void *payload, size_t len,
    int retained, uint64_t cookie)
{
	struct sent *x = arg;

	(void)payload;
	(void)len;
	(void)retained;
	if (x->refuse || x->n == 64)
		return -1;
	x->cookie[x->n] = cookie;
	snprintf(x->topic[x->n], sizeof(x->topic[0]), "%s", topic);
	x->n++;
	return 0;
}

static void
test_publisher(void)
{
	char buf[PATH_MAX];
	const char *p = tdb_path("pub.db", buf, sizeof(buf));
	struct store *s = NULL;
	struct alert_pub *ap = NULL;
	struct alert_pub_stats st;
	struct sent x = { 0 };
	sqlite3 *db = NULL;
	int more, i;

	if (store_open(p, 0, &s) == -1 || alert_pub_new(&ap) == -1) {
		CHECK(!"open");
		goto done;
	}
	db = raw_open(p);
	raw_exec(db,
	    "CREATE TABLE t(subject TEXT, n INTEGER);"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM c WHERE i < 20) INSERT INTO t SELECT 's' || i, i"
	    " FROM c;");
	CHECK(store_alerts_sync_sets(store_sqlite_of(s), good_set, T0, BIG,
		  &more) == 0);
	/* Broker down: nothing goes, nothing is in flight. */
	x.refuse = 1;
	CHECK(alert_pub_flush(ap, s, fake_send, &x) == 0);
	alert_pub_stats(ap, &st);
	CHECK_INT(st.inflight, 0);
	/* Up: 16 of the 20 in flight. */
	x.refuse = 0;
	CHECK(alert_pub_flush(ap, s, fake_send, &x) == 0);
	CHECK_INT(x.n, ALERT_INFLIGHT);
	CHECK_STR(x.topic[0], "wt/v1/alerts/test_kind/1");
	/* Again: nothing more while every slot is taken. */
	CHECK(alert_pub_flush(ap, s, fake_send, &x) == 0);
	CHECK_INT(x.n, ALERT_INFLIGHT);
	/* The first acknowledged, the second lost: both slots free; the
	 * first recorded at the next flush, the second sent again, and the
	 * four left. */
	alert_pub_done(ap, x.cookie[0], 1);
	alert_pub_done(ap, x.cookie[1], 0);
	alert_pub_done(ap, x.cookie[1], 1); /* a second completion: ignored */
	CHECK(alert_pub_flush(ap, s, fake_send, &x) == 0);
	CHECK_INT(q(db, "SELECT count(*) FROM alerts WHERE published = 1"), 1);
	CHECK_INT(x.n, ALERT_INFLIGHT + 2);
	CHECK_STR(x.topic[ALERT_INFLIGHT], "wt/v1/alerts/test_kind/2");
	CHECK_STR(x.topic[ALERT_INFLIGHT + 1], "wt/v1/alerts/test_kind/17");
	/* Everything acknowledged: 20 recorded, nothing pending. */
	for (i = 2; i < x.n; i++)
		alert_pub_done(ap, x.cookie[i], 1);
	CHECK(alert_pub_flush(ap, s, fake_send, &x) == 0);
	for (i = ALERT_INFLIGHT + 2; i < x.n; i++)
		alert_pub_done(ap, x.cookie[i], 1);
	CHECK(alert_pub_flush(ap, s, fake_send, &x) == 0);
	CHECK_INT(q(db, "SELECT count(*) FROM alerts WHERE published = 1"), 20);
	alert_pub_stats(ap, &st);
	CHECK_INT(st.inflight, 0);
	CHECK_INT(st.acked, 20);
	CHECK_INT(st.failed, 1);
done:
	if (db != NULL)
		sqlite3_close(db);
	alert_pub_free(ap);
	store_close(s);
}

int
main(void)
{
	tmpfiles_init("test_alerts");
	test_core_rules();
	test_slices();
	test_publisher();
	if (getenv("KEEP") == NULL)
		tmpfiles_cleanup();
	return check_result("test_alerts");
}
