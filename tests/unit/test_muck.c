/*
 * test_muck: the muck module wired to a real store (lib/muck.c): recorded
 * tracks through muck_before, store_event and muck_after as the ingest
 * does, then the unloads (authorised or not, where, how, which district),
 * the speed-outlier flags stored on positions, the violations, the daily
 * views and the alerts, all against figures worked out by hand below.
 * Then the same messages again with a fresh module (a restart) change
 * nothing, and a batch rolled back and fed again writes its unload once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "event.h"
#include "muck.h"
#include "rawdb.h"
#include "report.h"
#include "store.h"
#include "tmpfiles.h"

/* 2026-12-07 00:00 local (+08:00). */
#define T0   1796572800000LL
#define MIN  60000LL
#define HOUR (60 * MIN)

static const char conf[] =
    "facilities:\n"
    "  - {id: CW1, kind: cw_disposal_site, district: A, lat: 43.80,\n"
    "     lon: 125.20, geofence: {radius_m: 200}, accepts: [\"cw.*\"]}\n"
    "  - {id: INC, kind: incinerator, district: B, lat: 43.90, lon: 125.30,\n"
    "     geofence: {radius_m: 200}, accepts: [\"msw.*\"]}\n"
    "generators:\n"
    "  - {id: CS1, kind: construction_site, district: C, lat: 43.85,\n"
    "     lon: 125.25, geofence: {radius_m: 150},\n"
    "     permit_from: \"2026-01-01\", permit_to: \"2026-12-31\"}\n"
    "vehicles:\n"
    "  - {plate: \"吉A00001\", kind: muck_truck, district: A,\n"
    "     waste: [\"cw.*\"], permit_from: \"2026-01-01\",\n"
    "     permit_to: \"2027-12-31\"}\n"
    "  - {plate: \"吉A00002\", kind: muck_truck, district: B,\n"
    "     waste: [\"cw.*\"], permit_to: \"2026-06-30\"}\n"
    "  - {plate: \"吉A00004\", kind: muck_truck, district: A,\n"
    "     waste: [\"cw.*\"]}\n"
    "supervision: {muck_hours: \"22:00-06:00\", unload_dwell_s: 120}\n";

static struct config *cfg;
static struct store *st;
static struct muck *mk;
static int64_t mid;

static void
feed(struct ev *e)
{
	enum store_result res;

	muck_before(mk, st, e, T0 + 30 * HOUR);
	CHECK(store_event(st, e, ++mid, 480, T0 + 30 * HOUR, &res) == 0);
	CHECK(muck_after(mk, st, e, mid, res) == 0);
}

static void
pos(const char *vehicle, const char *plate, int64_t ts, double lat, double lon,
    double speed, const char *load, int body)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_POSITION);
	e.u.pos.vehicle = vehicle;
	e.u.pos.plate = plate;
	e.u.pos.ts_ms = ts;
	e.u.pos.lat = lat;
	e.u.pos.lon = lon;
	e.u.pos.speed_kmh = speed;
	e.u.pos.load_state = load;
	e.u.pos.body_lifted = body;
	feed(&e);
}

static void
vevent(const char *type, const char *vehicle, const char *plate, int64_t ts,
    const char *waste)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_VEHICLE_EVENT);
	e.u.vev.type = type;
	e.u.vev.vehicle = vehicle;
	e.u.vev.plate = plate;
	e.u.vev.ts_ms = ts;
	e.u.vev.waste = waste;
	feed(&e);
}

static void
weighing(const char *plate, int64_t ts, double gross, double tare)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_WEIGHING);
	e.u.wb.facility = "CW1";
	e.u.wb.ticket = "W1";
	e.u.wb.plate = plate;
	e.u.wb.direction = "in";
	e.u.wb.status = "complete";
	e.u.wb.waste = "cw.demolition";
	e.u.wb.first_ms = ts;
	e.u.wb.second_ms = ts + 5 * MIN;
	e.u.wb.gross_kg = gross;
	e.u.wb.tare_kg = tare;
	e.u.wb.net_kg = gross - tare;
	feed(&e);
}

/* Every message of the day, in the order the broker delivered them. */
static void
the_day(void)
{
	int64_t n = T0 + 23 * HOUR, d = T0 + 24 * HOUR;

	/* T1: loads at CS1 at night, unloads at CW1 (authorised)... */
	pos("T1", "吉A00001", n, 43.85, 125.25, 0, "empty", -1);
	pos("T1", "吉A00001", n + 5 * MIN, 43.85, 125.25, 0, "full", -1);
	pos("T1", "吉A00001", n + 10 * MIN, 43.83, 125.23, 40, "full", -1);
	pos("T1", "吉A00001", n + 20 * MIN, 43.80, 125.20, 0, "full", -1);
	pos("T1", "吉A00001", n + 25 * MIN, 43.8001, 125.2001, 0, "empty", -1);
	pos("T1", "吉A00001", n + 30 * MIN, 43.81, 125.21, 30, "empty", -1);
	/* ...loads again and dumps in a field after midnight. */
	pos("T1", "吉A00001", n + 40 * MIN, 43.85, 125.25, 0, "full", -1);
	pos("T1", "吉A00001", n + 50 * MIN, 43.78, 125.18, 50, "full", -1);
	pos("T1", "吉A00001", d, 43.70, 125.10, 0, "full", -1);
	pos("T1", "吉A00001", d + 5 * MIN, 43.70, 125.10, 0, "empty", -1);
	pos("T1", "吉A00001", d + 10 * MIN, 43.71, 125.11, 30, "empty", -1);
	/* 55 km in 10 s: an outlier; the next fix agrees with the last. */
	pos("T1", "吉A00001", d + 10 * MIN + 10000, 44.20, 125.60, NAN, "empty",
	    -1);
	pos("T1", "吉A00001", d + 10 * MIN + 20000, 43.7101, 125.1101, 30,
	    "empty", -1);
	/* T2: expired permit, loaded and moving at 10:00 local. */
	pos("T2", "吉A00002", T0 + 10 * HOUR, 43.75, 125.15, 0, "full", -1);
	pos("T2", "吉A00002", T0 + 10 * HOUR + 5 * MIN, 43.76, 125.16, 40,
	    "full", -1);
	/* T6: not in the registry (which lists vehicles), loads soil. */
	vevent("load", "T6", "吉A00006", T0 + 9 * HOUR, "cw.excavated_soil");
	/* T3: unregistered, loads food waste, tips at the incinerator. */
	vevent("load", "T3", "吉A00003", T0 + 11 * HOUR, "msw.food");
	pos("T3", "吉A00003", T0 + 11 * HOUR + 30 * MIN, 43.90, 125.30, 0, NULL,
	    0);
	pos("T3", "吉A00003", T0 + 11 * HOUR + 31 * MIN, 43.90, 125.30, 0, NULL,
	    1);
	/* T4: no load state at all; stops 5 min in the field, moves on,
	 * and weighs in empty at CW1: the stop was the unload. */
	pos("T4", "吉A00004", T0 + 12 * HOUR, 43.705, 125.105, 30, NULL, -1);
	pos("T4", "吉A00004", T0 + 12 * HOUR + MIN, 43.70, 125.10, 0, NULL, -1);
	pos("T4", "吉A00004", T0 + 12 * HOUR + 5 * MIN, 43.70001, 125.10001, 0,
	    NULL, -1);
	pos("T4", "吉A00004", T0 + 12 * HOUR + 6 * MIN, 43.705, 125.105, 25,
	    NULL, -1);
	weighing("吉A00004", T0 + 13 * HOUR, 15000, 15000);
}

static char *
dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int i;

	CHECK(f != NULL && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == 0);
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(q); i++) {
			const unsigned char *t = sqlite3_column_text(q, i);

			fprintf(f, "%s%s", i ? "|" : "",
			    t ? (const char *)t : "NULL");
		}
		fputc('\n', f);
	}
	sqlite3_finalize(q);
	fclose(f);
	return out;
}

static void
check_dump(sqlite3 *db, const char *sql, const char *want)
{
	char *got = dump(db, sql);

	if (strcmp(got, want) != 0)
		fprintf(stderr, "%s\n--- got:\n%s--- want:\n%s", sql, got,
		    want);
	CHECK_STR(got, want);
	free(got);
}

static const char unloads_sql[] =
    "SELECT vehicle, how, state, day, coalesce(site, '-'), district,"
    " authorised, muck, coalesce(origin, '-'), ts_ms FROM unloads"
    " ORDER BY vehicle, ts_ms";

/* The unloads: (vehicle, how, state, day, site, origin district,
 * authorised, muck truck, origin site, revealing fix). */
static char unloads_want[1024];

static void
want_unloads(void)
{
	int64_t n = T0 + 23 * HOUR, d = T0 + 24 * HOUR;

	snprintf(unloads_want, sizeof(unloads_want),
	    /* the empty fix at CW1; C is CS1's district */
	    "T1|load_state|unload|2026-12-07|CW1|C|1|1|CS1|%lld\n"
	    /* the field: no site, not authorised */
	    "T1|load_state|unload|2026-12-08|-|C|0|1|CS1|%lld\n"
	    /* food waste tipped at the incinerator, which takes msw.* */
	    "T3|tipping|unload|2026-12-07|INC|B|1|0|-|%lld\n"
	    /* the dwell, confirmed by the empty weighing; A: the
	     * vehicle's district (no origin known) */
	    "T4|dwell|unload|2026-12-07|-|A|0|1|-|%lld\n",
	    (long long)(n + 25 * MIN), (long long)(d + 5 * MIN),
	    (long long)(T0 + 11 * HOUR + 31 * MIN),
	    (long long)(T0 + 12 * HOUR + 6 * MIN));
}

static void
check_day(sqlite3 *db)
{
	char want[512];

	check_dump(db, unloads_sql, unloads_want);
	/* Only the jump is flagged (256). */
	check_dump(db,
	    "SELECT vehicle, ts_ms - 1796659200000 FROM positions"
	    " WHERE dq_flags & 256 ORDER BY 1",
	    "T1|610000\n");
	/* T2 moved loaded at 10:05 (outside 22:00-06:00) with a permit
	 * that ended on 2026-06-30; the first loaded fix (10:00) found the
	 * permit, the first moving one the window. */
	snprintf(want, sizeof(want),
	    "night_window|吉A00002/2026-12-07||B|%lld\n"
	    "permit|吉A00002|expired|B|%lld\n"
	    "permit|吉A00006|unregistered|NULL|%lld\n",
	    (long long)(T0 + 10 * HOUR + 5 * MIN), (long long)(T0 + 10 * HOUR),
	    (long long)(T0 + 9 * HOUR));
	check_dump(db,
	    "SELECT kind, subject, reason, district, ts_ms"
	    " FROM muck_violations ORDER BY kind, subject",
	    want);
	/* 7th: T1 at CW1, T3 at INC authorised, T4 not: 3 and 2; 8th:
	 * the field, 1 and 0. */
	check_dump(db, "SELECT * FROM daily_unloads ORDER BY day",
	    "2026-12-07|3|2\n2026-12-08|1|0\n");
	/* Muck trucks only (T3 is not one): by origin district. 7th: A
	 * T4's dwell outside; B T2's night and permit; C T1 at CW1; no
	 * district: T6's permit (unregistered, no origin); 全市 the sum.
	 * 8th: C the field. */
	check_dump(db,
	    "SELECT day, district, trips, authorised_unloads,"
	    " unauthorised_unloads, night_window_violations,"
	    " permit_violations FROM daily_muck ORDER BY day, district",
	    "2026-12-07|NULL|0|0|0|0|1\n"
	    "2026-12-07|A|1|0|1|0|0\n"
	    "2026-12-07|B|0|0|0|1|1\n"
	    "2026-12-07|C|1|1|0|0|0\n"
	    "2026-12-07|全市|2|1|1|1|2\n"
	    "2026-12-08|C|1|0|1|0|0\n"
	    "2026-12-08|全市|1|0|1|0|0\n");
}

static void
check_alerts(sqlite3 *db)
{
	char want[512];
	int more = 1;

	CHECK(store_alerts_sync(st, T0 + 25 * HOUR, 10000000, &more) == 0);
	CHECK_INT(more, 0);
	snprintf(want, sizeof(want),
	    "night_window|吉A00002/2026-12-07|B\n"
	    "permit|吉A00002|B\n"
	    "permit|吉A00006|NULL\n"
	    "unauthorised_unload|吉A00001@%lld|C\n"
	    "unauthorised_unload|吉A00004@%lld|A\n",
	    (long long)(T0 + 24 * HOUR + 5 * MIN),
	    (long long)(T0 + 12 * HOUR + 6 * MIN));
	check_dump(db,
	    "SELECT kind, subject, district FROM alerts"
	    " WHERE resolved_ms IS NULL ORDER BY kind, subject",
	    want);
	/* The field dump's evidence: its track, the outlier left out: the
	 * 10 fixes of T1 up to the unload (at most 12) and the 2 good ones
	 * after it (at most 6); the 10th is the empty fix in the field. */
	check_dump(db,
	    "SELECT json_array_length(evidence, '$.track'),"
	    " json_extract(evidence, '$.how'), json_extract(evidence,"
	    " '$.track[9][1]') FROM alerts WHERE subject LIKE '吉A00001@%'",
	    "12|load_state|43.7\n");
	/* A day later (event time) they resolve. */
	CHECK(store_alerts_sync(st, T0 + 49 * HOUR, 10000000, &more) == 0);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM alerts WHERE resolved_ms IS NULL"),
	    0);
}

/* /status's city block: the 全市 row of the 7th. */
static void
check_city(const char *path)
{
	static struct report_city city;
	struct store *r;

	CHECK(store_open_reader(path, &r) == 0);
	CHECK(report_city_compute(r, "2026-12-07", &city) == 0);
	CHECK_INT((int)city.muck.trips, 2);
	CHECK_INT((int)city.muck.authorised, 1);
	CHECK_INT((int)city.muck.unauthorised, 1);
	CHECK_INT((int)city.muck.night_window, 1);
	CHECK_INT((int)city.muck.permit, 2);
	store_close(r);
}

/* A batch rolled back is fed again from the state it started with. */
static void
test_rollback(sqlite3 *db)
{
	int64_t t = T0 + 2 * HOUR;

	muck_begin(mk, t);
	CHECK(store_begin(st) == 0);
	pos("T5", "吉A00005", t, 43.80, 125.20, 0, "full", -1);
	CHECK(store_commit(st) == 0);
	muck_commit(mk);
	muck_begin(mk, t);
	CHECK(store_begin(st) == 0);
	pos("T5", "吉A00005", t + MIN, 43.80, 125.20, 0, "empty", -1);
	store_rollback(st);
	muck_rollback(mk);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM unloads WHERE vehicle"
		      " = 'T5'"),
	    0);
	muck_begin(mk, t);
	CHECK(store_begin(st) == 0);
	pos("T5", "吉A00005", t + MIN, 43.80, 125.20, 0, "empty", -1);
	CHECK(store_commit(st) == 0);
	muck_commit(mk);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM unloads WHERE vehicle"
		      " = 'T5' AND authorised = 1 AND site = 'CW1'"),
	    1);
}

/* Where the registry lists no vehicle, nobody is unregistered. */
static void
test_no_registry(sqlite3 *db)
{
	struct config *c2;
	char *errors = NULL;

	CHECK(config_load(write_t("noveh.yaml", "supervision: {}\n"), &c2,
		  &errors) == 0);
	muck_set_config(mk, c2);
	CHECK(store_begin(st) == 0);
	vevent("load", "T7", "吉A00007", T0 + 50 * HOUR, "cw.slurry");
	CHECK(store_commit(st) == 0);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM muck_violations"
		      " WHERE plate = '吉A00007'"),
	    0);
	muck_set_config(mk, cfg);
	config_free(c2);
	free(errors);
}

/* A restart between a loaded fix and the empty one, and between a load
 * event and the loaded truck's moving by day: the new run's tracks start
 * from what is stored and still see the unload and the night window. */
static void
test_warm(sqlite3 *db)
{
	int64_t t = T0 + 3 * HOUR;

	CHECK(store_begin(st) == 0);
	pos("T8", "吉A00008", t, 43.75, 125.15, 0, "full", -1);
	pos("T8", "吉A00008", t + MIN, 43.75, 125.15, 0, "full", -1);
	vevent("load", "T9", "吉A00009", t, "cw.slurry");
	CHECK(store_commit(st) == 0);
	muck_free(mk);
	CHECK(muck_new(cfg, &mk) == 0);
	CHECK(store_begin(st) == 0);
	pos("T8", "吉A00008", t + 2 * MIN, 43.75, 125.15, 0, "empty", -1);
	pos("T9", "吉A00009", t + 7 * HOUR, 43.76, 125.16, 40, NULL, -1);
	CHECK(store_commit(st) == 0);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM unloads WHERE vehicle"
		      " = 'T8' AND how = 'load_state' AND ts_ms = "
		      "1796583720000"),
	    1);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM muck_violations WHERE"
		      " subject = '吉A00009/2026-12-07'"),
	    1);
}

int
main(void)
{
	char path[128], *errors = NULL;
	sqlite3 *db;

	tmpfiles_init("test_muck");
	if (config_load(write_t("muck.yaml", conf), &cfg, &errors) != 0) {
		fprintf(stderr, "%s", errors != NULL ? errors : "?\n");
		return 1;
	}
	tdb_path("muck.db", path, sizeof(path));
	CHECK(store_open(path, 0, &st) == 0);
	CHECK(store_sync_config(st, cfg) == 0);
	CHECK(muck_new(cfg, &mk) == 0);
	db = raw_open(path);
	want_unloads();

	CHECK(store_begin(st) == 0);
	the_day();
	CHECK(store_commit(st) == 0);
	check_day(db);
	CHECK_INT((int)muck_counters(mk)->outliers, 1);
	check_city(path);
	check_alerts(db);

	/* A restart: a fresh module, the same messages again. */
	muck_free(mk);
	CHECK(muck_new(cfg, &mk) == 0);
	CHECK(store_begin(st) == 0);
	the_day();
	CHECK(store_commit(st) == 0);
	check_day(db);

	test_rollback(db);
	test_no_registry(db);
	test_warm(db);

	sqlite3_close(db);
	muck_free(mk);
	store_close(st);
	config_free(cfg);
	tmpfiles_cleanup();
	return check_result("test_muck");
}
