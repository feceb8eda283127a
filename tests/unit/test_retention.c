/*
 * test_retention: retention per kind of record (lib/store_prune.c, the
 * round in lib/pipeline_prune.c) on temporary SQLite files: each kind's cutoff,
 * thinned positions, slices bounded in rows, the daily indicators equal
 * before and after their detail is pruned, the hold after a clock step,
 * and the conversion of version 6 and 7 files to incremental auto-vacuum
 * with the file shrinking once pages are given back.
 */
#include "check.h"
#include "rawdb.h"
#include "tmpfiles.h"
#include "dbfiles.h"

#include "clock.h"
#include "config.h"
#include "pipeline.h"
#include "profile.h"
#include "store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2023-08-07T09:20:00Z */
#define NOW INT64_C(1691400000000)
#define MIN INT64_C(60000)
#define DAY INT64_C(86400000)

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static const char *
db_file(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	return tdb_path(name, buf[i], sizeof(buf[i]));
}

/* Every row of sql as text, "|" between columns, a newline per row. */
static char *
raw_dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int i;

	if (f == NULL ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			fprintf(f, "%s%s", i ? "|" : "",
			    t ? (const char *)t : "NULL");
		}
		fputc('\n', f);
	}
	sqlite3_finalize(st);
	fclose(f);
	return out;
}

static void
ret_none(struct store_retention *r)
{
	memset(r, 0, sizeof(*r));
}

/* A whole round; the number of slices. */
static int
round_all(struct store *s, const struct store_retention *r,
    struct store_prune *pr, int max_rows)
{
	memset(pr, 0, sizeof(*pr));
	while (pr->kind < STORE_PRUNE_KINDS) {
		if (store_prune_slice(s, r, pr, max_rows, 50000) == -1) {
			CHECK(!"store_prune_slice failed");
			break;
		}
	}
	return pr->slices;
}

/* ---- each kind's cutoff ---- */

/* Ten rows of every kind, one a day from NOW - 10 days to NOW - 1 day
 * (messages and rejects by receive time, the others by their own). */
static void
fill_kinds(sqlite3 *db)
{
	raw_exec(db,
	    "CREATE TEMP TABLE d(i);"
	    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r"
	    " WHERE i < 10) INSERT INTO d SELECT i FROM r;"
	    "INSERT INTO messages(topic, profile, received_ms, sha256,"
	    " outcome, payload) SELECT 't/' || i, 'wastetrack',"
	    " 1691400000000 - (11 - i) * 86400000, printf('%064d', i),"
	    " 'stored',"
	    " x'7b7d' FROM d;"
	    "INSERT INTO rejects(topic, received_ms, payload, reason)"
	    " SELECT 't/r', 1691400000000 - i * 86400000, x'00', 'bad_json'"
	    " FROM d;"
	    "INSERT INTO positions(vehicle, ts_ms, message_id) SELECT 'V1',"
	    " 1691400000000 - (11 - i) * 86400000, i FROM d;"
	    "INSERT INTO vehicle_events(type, vehicle, ts_ms, waste, day,"
	    " facility) SELECT 'unload', 'V1', 1691400000000 - i * 86400000,"
	    " 'msw.food', date((1691400000000 - i * 86400000) / 1000,"
	    " 'unixepoch'), 'F1' FROM d;"
	    "INSERT INTO weighings_history(facility, ticket, day, version,"
	    " first_ms, status, fingerprint) SELECT 'F1', 'T' || i, 'x', 0,"
	    " 1691400000000 - i * 86400000, 'open', 'fp' FROM d;"
	    "INSERT INTO facility_status(facility, ts_ms, state)"
	    " SELECT 'F1', 1691400000000 - i * 86400000, 'open' FROM d;"
	    "DROP TABLE d;");
}

static void
test_cutoffs(const char *path)
{
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;
	int k;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	fill_kinds(db);
	/* Nothing configured: nothing goes. */
	ret_none(&r);
	round_all(s, &r, &pr, 4000);
	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		CHECK_INT(pr.rows[k], 0);
	/* Each kind its own cutoff: kind k keeps the rows younger than
	 * k + 1 days (thinning aside: tested below). */
	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		r.cutoff[k] = NOW - (k + 1) * DAY - 1;
	r.cutoff[STORE_PRUNE_POSITIONS_THIN] = 0;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM messages"
		      " WHERE payload IS NOT NULL"),
	    1);
	CHECK_INT(pr.rows[STORE_PRUNE_PAYLOADS], 9);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM messages"), 2);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM rejects"
		      " WHERE payload IS NOT NULL"),
	    3);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM rejects"), 4);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 5);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM vehicle_events"), 7);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM weighings_history"), 8);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM facility_status"), 9);
	CHECK_INT(pr.rows[STORE_PRUNE_FACILITY_STATUS], 1);
	/* The oldest rows went, the youngest stayed. */
	CHECK_INT(raw_int(db, "SELECT min(ts_ms) FROM positions"),
	    NOW - 5 * DAY);
	/* The newest message stays whatever the cutoff: the next id is
	 * max(id) + 1 and must not go back to ids rows still name. */
	r.cutoff[STORE_PRUNE_MESSAGES] = NOW;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM messages"), 1);
	CHECK_INT(raw_int(db, "SELECT received_ms FROM messages"), NOW - DAY);
	/* Unloads of the days that went were counted first. */
	CHECK_INT(raw_int(db, "SELECT count(*) FROM daily_unload_results"), 3);
	sqlite3_close(db);
	store_close(s);
}

/* Positions go in the order they were stored, and an old point stored
 * after a younger one (delivered late) goes too. */
static void
test_positions_order(const char *path)
{
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	raw_exec(db,
	    "DELETE FROM positions;"
	    "INSERT INTO positions(vehicle, ts_ms) VALUES"
	    " ('V1', 1691400000000 - 9 * 86400000),"
	    " ('V1', 1691400000000 - 3 * 86400000),"
	    " ('V2', 1691400000000 - 8 * 86400000);");
	ret_none(&r);
	r.cutoff[STORE_PRUNE_POSITIONS] = NOW - 5 * DAY;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS], 2);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 1);
	CHECK_INT(raw_int(db, "SELECT ts_ms FROM positions"), NOW - 3 * DAY);
	r.cutoff[STORE_PRUNE_POSITIONS] = NOW - 2 * DAY;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS], 1);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 0);
	sqlite3_close(db);
	store_close(s);
}

/* ---- thinning ---- */

static void
test_thinning(const char *path)
{
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	/* Two vehicles, a point every 10 s for 10 h, 3 s past the
	 * minute: the last 2 h are younger than the cutoff. */
	raw_exec(db,
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r"
	    " WHERE i < 3599) INSERT INTO positions(vehicle, ts_ms)"
	    " SELECT v, 1691400000000 - 36000000 + 3000 + i * 10000 FROM r,"
	    " (SELECT 'V1' AS v UNION ALL SELECT 'V2');");
	ret_none(&r);
	r.thin_ms = MIN;
	r.cutoff[STORE_PRUNE_POSITIONS_THIN] = NOW - 2 * 3600000 + 30000;
	/* In slices of about 1 000 rows: windows follow the rows they
	 * delete. */
	memset(&pr, 0, sizeof(pr));
	while (pr.kind < STORE_PRUNE_KINDS) {
		int64_t before = pr.rows[STORE_PRUNE_POSITIONS_THIN];

		if (store_prune_slice(s, &r, &pr, 1000, 50000) == -1)
			break;
		CHECK(pr.rows[STORE_PRUNE_POSITIONS_THIN] - before <= 1100);
	}
	CHECK(pr.slices >= 5); /* 4 800 rows go */
	/* 8 h thinned to a point per minute per vehicle, the first of
	 * each; the last 2 h whole (the cutoff's own minute too). */
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS_THIN], 2 * 8 * 60 * 5);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM positions"
		      " WHERE ts_ms < 1691400000000 - 7200000"),
	    2 * 8 * 60);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM (SELECT vehicle,"
		      " ts_ms / 60000, count(*) AS n FROM positions"
		      " WHERE ts_ms < 1691400000000 - 7200000"
		      " GROUP BY 1, 2) WHERE n <> 1"),
	    0);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM positions"
		      " WHERE ts_ms < 1691400000000 - 7200000"
		      " AND ts_ms % 60000 <> 3000"),
	    0);
	CHECK_INT(raw_int(db,
		      "SELECT count(*) FROM positions"
		      " WHERE ts_ms >= 1691400000000 - 7200000"),
	    2 * 2 * 360);
	/* Again: already thinned, nothing more. */
	round_all(s, &r, &pr, 4000);
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS_THIN], 0);
	sqlite3_close(db);
	store_close(s);
}

/* Months without positions cost a seek, not a window per day. */
static void
test_thinning_gap(void)
{
	const char *path = db_file("gap.db");
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	raw_exec(db,
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r"
	    " WHERE i < 59) INSERT INTO positions(vehicle, ts_ms)"
	    " SELECT v, t + i * 10000 FROM r, (SELECT 'V1' AS v UNION ALL"
	    " SELECT 'V2'), (SELECT 1691400000000 - 300 * 86400000 AS t"
	    " UNION ALL SELECT 1691400000000 - 10 * 86400000);");
	ret_none(&r);
	r.thin_ms = MIN;
	r.cutoff[STORE_PRUNE_POSITIONS_THIN] = NOW - DAY;
	CHECK(round_all(s, &r, &pr, 4000) <= 2);
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS_THIN], 2 * 2 * 50);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 2 * 2 * 10);
	sqlite3_close(db);
	store_close(s);
}

/* ---- slices ---- */

static void
test_slices(const char *path)
{
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;
	int64_t before, t0, us, max_us = 0, rows, max_rows = 0, all[1000];
	int slices = 0;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	raw_exec(db,
	    "DELETE FROM positions;"
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1"
	    " FROM r WHERE i < 99999) INSERT INTO positions(vehicle,"
	    " ts_ms, lat, lon, message_id) SELECT 'V' || (i % 200),"
	    " 1691400000000 - 300 * 86400000 + i * 1000, 43.88,"
	    " 125.31, i FROM r;"
	    "DELETE FROM facility_status;"
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1"
	    " FROM r WHERE i < 99) INSERT INTO facility_status(facility,"
	    " ts_ms, state) SELECT 'F1', 1691400000000 - 200 * 86400000"
	    " + i * 1000, 'open' FROM r;");
	ret_none(&r);
	r.cutoff[STORE_PRUNE_POSITIONS] = NOW - 190 * DAY;
	r.cutoff[STORE_PRUNE_FACILITY_STATUS] = NOW - 90 * DAY;
	memset(&pr, 0, sizeof(pr));
	while (pr.kind < STORE_PRUNE_KINDS) {
		before = pr.rows[STORE_PRUNE_POSITIONS];
		t0 = clock_mono_us();
		if (store_prune_slice(s, &r, &pr, 4000, 50000) == -1) {
			CHECK(!"store_prune_slice");
			break;
		}
		us = clock_mono_us() - t0;
		rows = pr.rows[STORE_PRUNE_POSITIONS] - before;
		max_us = us > max_us ? us : max_us;
		max_rows = rows > max_rows ? rows : max_rows;
		if (slices < 1000)
			all[slices] = us;
		/* Kinds take turns: the last kind is done in the first slice,
		 * not after the positions' long backlog. */
		if (slices++ == 0) {
			CHECK_INT(pr.rows[STORE_PRUNE_FACILITY_STATUS], 100);
			CHECK(pr.rows[STORE_PRUNE_POSITIONS] < 100000);
		}
	}
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS], 100000);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 0);
	CHECK(slices >= 25);
	CHECK(max_rows <= 4000);
	/* Each bounded in time: the budget and one chunk past it (a
	 * generous bound: sanitizers are slow; the figure is printed). */
	CHECK(max_us < 400000);
	qsort(all, slices < 1000 ? slices : 1000, sizeof(all[0]), cmp_i64);
	printf("test_retention: 100000 positions pruned in %d slices, "
	       "at most %lld rows each, median %.1f ms, longest %.1f ms\n",
	    slices, (long long)max_rows, (double)all[slices / 2] / 1000,
	    (double)max_us / 1000);
	sqlite3_close(db);
	store_close(s);
}

/* ---- the indicators of past days ---- */

/* Five days of unloads at a registered facility and an unknown one,
 * and the tickets that make those days indicator rows. */
static void
fill_days(sqlite3 *db)
{
	raw_exec(db,
	    "INSERT INTO facilities(id, kind, district, harmless)"
	    " VALUES('F1', 'incinerator', 'D1', 1);"
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r"
	    " WHERE i < 119) INSERT INTO vehicle_events(type, vehicle, ts_ms,"
	    " facility, waste, day, dq_flags) SELECT 'unload', 'V' || i,"
	    " 1691400000000 - 10 * 86400000 + i * 3600000,"
	    " CASE WHEN i % 3 = 0 THEN 'F9' ELSE 'F1' END, 'msw.food',"
	    " date((1691400000000 - 10 * 86400000 + i * 3600000) / 1000"
	    " + 28800, 'unixepoch'), CASE WHEN i % 3 = 0 THEN 262144"
	    " ELSE 0 END FROM r;"
	    "INSERT INTO vehicle_events(type, vehicle, ts_ms, waste, day)"
	    " SELECT 'collection', vehicle, ts_ms + 1, waste, day"
	    " FROM vehicle_events;"
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r"
	    " WHERE i < 5) INSERT INTO weighings(facility, ticket, day,"
	    " version, plate, direction, net_kg, first_ms, status,"
	    " fingerprint, waste, key_day, district, facility_kind, harmless)"
	    " SELECT 'F1', 'T' || i, date((1691400000000 - (10 - i) *"
	    " 86400000) / 1000 + 28800, 'unixepoch'), 1, 'A1', 'in',"
	    " 1000 + i, 1691400000000 - (10 - i) * 86400000, 'complete',"
	    " 'fp', 'msw.food', date((1691400000000 - (10 - i) * 86400000)"
	    " / 1000 + 28800, 'unixepoch'), 'D1', 'incinerator', 1 FROM r;");
}

static const char indicators_sql[] =
    "SELECT * FROM daily_indicators ORDER BY day, district";
static const char unloads_sql[] = "SELECT * FROM daily_unloads ORDER BY day";

static void
test_indicators(const char *path)
{
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;
	char *ind, *unl, *after;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	raw_exec(db,
	    "DELETE FROM vehicle_events; DELETE FROM unloads; DELETE FROM"
	    " daily_unload_results; DELETE FROM facilities;");
	fill_days(db);
	ind = raw_dump(db, indicators_sql);
	unl = raw_dump(db, unloads_sql);
	/* The data make a difference: unloads on 6 days, a share < 1. */
	CHECK_INT(raw_int(db, "SELECT count(*) FROM daily_unloads"), 6);
	CHECK(raw_int(db,
		  "SELECT count(*) FROM daily_indicators"
		  " WHERE authorised_unload_share < 1") >= 4);
	/* Midway through a day, then everything. */
	ret_none(&r);
	r.cutoff[STORE_PRUNE_VEHICLE_EVENTS] = NOW - 7 * DAY - 5 * 3600000;
	round_all(s, &r, &pr, 4000);
	CHECK(pr.rows[STORE_PRUNE_VEHICLE_EVENTS] > 100);
	CHECK(raw_int(db, "SELECT count(*) FROM daily_unload_results") >= 3);
	after = raw_dump(db, indicators_sql);
	CHECK_STR(after, ind);
	free(after);
	after = raw_dump(db, unloads_sql);
	CHECK_STR(after, unl);
	free(after);
	r.cutoff[STORE_PRUNE_VEHICLE_EVENTS] = NOW;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM vehicle_events"), 0);
	after = raw_dump(db, indicators_sql);
	CHECK_STR(after, ind);
	free(after);
	after = raw_dump(db, unloads_sql);
	CHECK_STR(after, unl);
	free(after);
	free(ind);
	free(unl);
	sqlite3_close(db);
	store_close(s);
}

/* ---- after a clock step ---- */

static void
test_hold(const char *path)
{
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;
	int k;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	raw_exec(db,
	    "DELETE FROM messages; DELETE FROM rejects;"
	    " DELETE FROM positions; DELETE FROM vehicle_events;"
	    " DELETE FROM weighings_history;"
	    " DELETE FROM facility_status;");
	fill_kinds(db);
	CHECK(store_begin(s) == 0);
	CHECK(store_hold_payloads(s, NOW - DAY / 2, 1) == 0);
	CHECK(store_commit(s) == 0);
	/* Every cutoff before the hold's time: held, nothing goes. */
	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		r.cutoff[k] = NOW - DAY / 2;
	r.thin_ms = MIN;
	round_all(s, &r, &pr, 4000);
	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		CHECK_INT(pr.rows[k], 0);
	/* Past it: they go as configured. */
	for (k = 0; k < STORE_PRUNE_KINDS; k++)
		r.cutoff[k] = NOW - DAY / 2 + 1;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(pr.rows[STORE_PRUNE_PAYLOADS], 10);
	CHECK_INT(pr.rows[STORE_PRUNE_POSITIONS], 10);
	CHECK_INT(pr.rows[STORE_PRUNE_FACILITY_STATUS], 10);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM rejects"), 0);
	sqlite3_close(db);
	store_close(s);
}

/* A pipeline on a fresh file whose positions go after 190 days, unthinned;
 * boot: the boot clock at or after the pipeline's reading. */
struct round_env {
	struct config *cfg;
	struct profile_set *profiles;
	struct store *s;
	struct pipeline *p;
	sqlite3 *db;
	int64_t boot;
};

static void
round_open(struct round_env *e, const char *name)
{
	static const char conf[] = "retention:\n"
				   "  positions_days: 190\n"
				   "  positions_thin_s: 0\n";
	char text[2048];
	const char *path = db_file(name);

	snprintf(text, sizeof(text), "%s%s", test_conf, conf);
	load_test_config(text, &e->cfg, &e->profiles);
	CHECK(store_open(path, 0, &e->s) == 0);
	CHECK(store_sync_config(e->s, e->cfg) == 0);
	CHECK(pipeline_open(e->s, e->cfg, e->profiles, NOW, &e->p) == 0);
	e->boot = clock_boot_us();
	e->db = raw_open(path);
}

/* n positions of 200 vehicles, 300 days old. */
static void
old_positions(struct round_env *e, int n)
{
	char sql[320];

	snprintf(sql, sizeof(sql),
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1"
	    " FROM r WHERE i < %d) INSERT INTO positions(vehicle,"
	    " ts_ms) SELECT 'V' || (i %% 200), 1691400000000 - 300 *"
	    " 86400000 + i * 1000 FROM r;",
	    n - 1);
	raw_exec(e->db, sql);
}

static void
round_close(struct round_env *e)
{
	sqlite3_close(e->db);
	pipeline_free(e->p);
	store_close(e->s);
	profile_set_free(e->profiles);
	config_free(e->cfg);
}

/* The pipeline's round: due hourly, then a slice a tick; a clock step
 * abandons it and holds every kind. */
static void
test_pipeline_round(void)
{
	struct round_env e;
	struct pipeline *p;
	sqlite3 *db;
	int64_t h = PIPELINE_PRUNE_EVERY_MS, b, left, n = 0;
	int ticks = 0;

	round_open(&e, "wt.db");
	p = e.p;
	db = e.db;
	b = e.boot;
	CHECK_INT(e.cfg->retention.positions_days, 190);
	CHECK_INT(e.cfg->retention.messages_days, 90); /* a default */
	old_positions(&e, 20000);
	/* Not due before the hour; then the round starts (1) and the
	 * next ticks continue it (0) until all 20 000 are gone. */
	CHECK_INT(pipeline_prune_at(p, NOW + 1000, b + 1000000), 0);
	CHECK_INT(pipeline_prune_at(p, NOW + h, b + h * 1000), 1);
	left = raw_int(db, "SELECT count(*) FROM positions");
	CHECK(left >= 20000 - 4000 && left < 20000);
	while (left > 0 && ticks < 100) {
		ticks++;
		CHECK_INT(pipeline_prune_at(p, NOW + h + ticks * 1000,
			      b + (h + ticks * 1000) * 1000),
		    0);
		n = raw_int(db, "SELECT count(*) FROM positions");
		CHECK(left - n <= 4000);
		left = n;
	}
	CHECK_INT(left, 0);
	CHECK(ticks >= 4);
	/* Then the pages go back, a tick's budget at a time. */
	while (raw_int(db, "PRAGMA freelist_count") > 0 && ticks < 200) {
		ticks++;
		CHECK_INT(pipeline_prune_at(p, NOW + h + ticks * 1000,
			      b + (h + ticks * 1000) * 1000),
		    0);
	}
	CHECK_INT(raw_int(db, "PRAGMA freelist_count"), 0);
	/* Again, then the wall clock steps a year ahead mid-round: the
	 * round stops, and the held positions stay a whole retention
	 * after the step. */
	old_positions(&e, 20000);
	CHECK_INT(pipeline_prune_at(p, NOW + 2 * h + 200000,
		      b + (2 * h + 200000) * 1000),
	    1);
	left = raw_int(db, "SELECT count(*) FROM positions");
	CHECK(left > 0 && left < 20000);
	CHECK_INT(pipeline_prune_at(p, NOW + 365 * DAY,
		      b + (2 * h + 201000) * 1000),
	    0);
	CHECK_INT(pipeline_prune_at(p, NOW + 365 * DAY + h,
		      b + (3 * h + 201000) * 1000),
	    1);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), left);
	CHECK_INT(pipeline_prune_at(p, NOW + 556 * DAY + h,
		      b + (3 * h + 201000 + 191 * DAY) * 1000),
	    1);
	for (ticks = 1; ticks < 10; ticks++)
		CHECK_INT(
		    pipeline_prune_at(p, NOW + 556 * DAY + h + ticks * 1000,
			b + (3 * h + 201000 + 191 * DAY + ticks * 1000) * 1000),
		    0);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 0);
	round_close(&e);
}

/* Between the ticks, while ingestion is caught up, the round in progress
 * goes on in shorter slices until it and its vacuum are done; with no
 * round in progress an idle slice does nothing. */
static void
test_pipeline_idle(void)
{
	struct round_env e;
	struct pipeline *p;
	sqlite3 *db;
	int64_t h = PIPELINE_PRUNE_EVERY_MS, b, left, n;
	int slices = 0;

	round_open(&e, "idle.db");
	p = e.p;
	db = e.db;
	b = e.boot;
	old_positions(&e, 30000);
	CHECK_INT(pipeline_prune_busy(p), 0);
	CHECK_INT(pipeline_prune_idle(p), 0);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 30000);
	CHECK_INT(pipeline_prune_at(p, NOW + h, b + h * 1000), 1);
	CHECK_INT(pipeline_prune_busy(p), 1);
	left = raw_int(db, "SELECT count(*) FROM positions");
	CHECK(left > 0 && left < 30000);
	while (pipeline_prune_idle(p) && slices < 1000) {
		slices++;
		n = raw_int(db, "SELECT count(*) FROM positions");
		CHECK(left - n <= 4000);
		left = n;
	}
	CHECK(slices >= 6);
	CHECK_INT(pipeline_prune_busy(p), 0);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM positions"), 0);
	CHECK_INT(raw_int(db, "PRAGMA freelist_count"), 0);
	/* Done: the next tick within the hour starts nothing. */
	CHECK_INT(pipeline_prune_at(p, NOW + h + 1000, b + (h + 1000) * 1000),
	    0);
	CHECK_INT(pipeline_prune_busy(p), 0);
	round_close(&e);
}

/* ---- incremental auto-vacuum ---- */

static int64_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* A file of schema version v as an older wastetrackd left it (no
 * auto-vacuum), 2 000 rejects of 8 KiB in it, opened by this one. */
static void
test_vacuum(int v)
{
	char name[32];
	const char *path;
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;
	int64_t t0, big, small, freed = 0, left = 1, f;
	int steps = 0;

	snprintf(name, sizeof(name), "v%d.db", v);
	path = db_file(name);
	db = raw_open(path);
	CHECK(store_migrate(db, path, v) == 0);
	CHECK_INT(raw_int(db, "PRAGMA auto_vacuum"), 0);
	raw_exec(db,
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1"
	    " FROM r WHERE i < 1999) INSERT INTO rejects(topic,"
	    " received_ms, payload, reason) SELECT 't', 1691400000000"
	    " - 100 * 86400000 + i, randomblob(8192), 'bad_json'"
	    " FROM r;");
	sqlite3_close(db);
	t0 = clock_mono_us();
	CHECK(store_open(path, 0, &s) == 0);
	printf("test_retention: a version %d file of %lld KiB converted to "
	       "incremental auto-vacuum in %.1f ms\n",
	    v, (long long)(file_size(path) >> 10),
	    (double)(clock_mono_us() - t0) / 1000);
	db = raw_open(path);
	CHECK_INT(raw_int(db, "PRAGMA auto_vacuum"), 2);
	CHECK_INT(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_INT(raw_int(db, "SELECT count(*) FROM rejects"), 2000);
	raw_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	big = file_size(path);
	ret_none(&r);
	r.cutoff[STORE_PRUNE_REJECTS] = NOW;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(pr.rows[STORE_PRUNE_REJECTS], 2000);
	CHECK(raw_int(db, "PRAGMA freelist_count") > 2000);
	while (left > 0 && steps < 1000) {
		if (store_reclaim_slice(s, 256, 50000, &f, &left) == -1) {
			CHECK(!"store_reclaim_slice");
			break;
		}
		freed += f;
		steps++;
	}
	CHECK_INT(left, 0);
	CHECK(freed > 2000);
	raw_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	small = file_size(path);
	CHECK(small < big / 4);
	printf("test_retention: %lld pages given back in %d slices: %lld KiB "
	       "-> %lld KiB\n",
	    (long long)freed, steps, (long long)(big >> 10),
	    (long long)(small >> 10));
	sqlite3_close(db);
	store_close(s);
}

/* A file above the bound is left as it is, and works: retention deletes,
 * nothing is given back. */
static void
test_vacuum_too_large(void)
{
	const char *path = db_file("large.db");
	struct store_retention r;
	struct store_prune pr;
	struct store *s;
	sqlite3 *db;
	int64_t freed = -1, left = -1;

	db = raw_open(path);
	CHECK(store_migrate(db, path, 7) == 0);
	raw_exec(db,
	    "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1"
	    " FROM r WHERE i < 499) INSERT INTO rejects(topic,"
	    " received_ms, payload, reason) SELECT 't', i,"
	    " randomblob(8192), 'bad_json' FROM r;");
	sqlite3_close(db);
	setenv("WT_TEST_AUTOVACUUM_MAX_MB", "1", 1);
	CHECK(store_open(path, 0, &s) == 0);
	unsetenv("WT_TEST_AUTOVACUUM_MAX_MB");
	db = raw_open(path);
	CHECK_INT(raw_int(db, "PRAGMA auto_vacuum"), 0);
	CHECK_INT(raw_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ret_none(&r);
	r.cutoff[STORE_PRUNE_REJECTS] = NOW;
	round_all(s, &r, &pr, 4000);
	CHECK_INT(pr.rows[STORE_PRUNE_REJECTS], 500);
	CHECK(store_reclaim_slice(s, 128, 50000, &freed, &left) == 0);
	CHECK_INT(freed, 0);
	CHECK_INT(left, 0);
	sqlite3_close(db);
	store_close(s);
}

/* A new file is in incremental mode from the start. */
static void
test_vacuum_new(void)
{
	const char *path = db_file("new.db");
	struct store *s;
	sqlite3 *db;

	CHECK(store_open(path, 0, &s) == 0);
	db = raw_open(path);
	CHECK_INT(raw_int(db, "PRAGMA auto_vacuum"), 2);
	sqlite3_close(db);
	store_close(s);
}

int
main(void)
{
	tmpfiles_init("test_retention");
	test_cutoffs(db_file("kinds.db"));
	test_positions_order(db_file("thin.db"));
	test_thinning(db_file("thin.db"));
	test_thinning_gap();
	test_slices(db_file("thin.db"));
	test_indicators(db_file("kinds.db"));
	test_hold(db_file("kinds.db"));
	test_pipeline_round();
	test_pipeline_idle();
	test_vacuum(6);
	test_vacuum(7);
	test_vacuum_new();
	test_vacuum_too_large();
	rmtree(tmpdir);
	return check_result("test_retention");
}
