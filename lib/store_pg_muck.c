/*
 * store_pg_muck: the muck trucks' writes on PostgreSQL (store.h,
 * docs/geofence.md), the statements of SQLite's store_muck.c with the
 * same keys and results: unloads, their settling by weighings, night-
 * window and permit violations, and the track a vehicle had before.
 *
 * They run in the writer's open transaction. Only store_unload_add() is
 * queued (pgq_send): its upsert always writes its row, inserted or
 * rewritten, as SQLite counts it, so its answer is known before it
 * comes. The others tell the caller a count or rows, and wait for them
 * (pgq_query) after whatever the transaction queued before.
 */
#include "store_pg_int.h"

#include "log.h"
#include "norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's S_UNLOAD_UPSERT: the state a weighing gave stays. */
static const struct pg_stmt st_unload_upsert = { "m_unload_upsert",
	"INSERT INTO unloads(vehicle, plate, ts_ms, since_ms, day, lat,"
	" lon, how, state, site, site_kind, district, waste, origin, muck,"
	" authorised, message_id) VALUES($1, $2, $3, $4, $5, $6, $7, $8,"
	" $9, $10, $11, $12, $13, $14, $15, $16, $17)"
	" ON CONFLICT(vehicle, ts_ms, how) DO UPDATE SET"
	" plate = coalesce(excluded.plate, unloads.plate),"
	" lat = excluded.lat, lon = excluded.lon, site = excluded.site,"
	" site_kind = excluded.site_kind, district = excluded.district,"
	" waste = excluded.waste, origin = excluded.origin,"
	" muck = excluded.muck, authorised = excluded.authorised" };

/*
 * SQLite's S_UNLOAD_CONFIRM then S_UNLOAD_DROP in one statement (one
 * round trip): the candidate picked is confirmed and left out of the
 * drop, which in SQLite runs after the confirmation and so no longer
 * sees it. $5 says whether there is a window to confirm in. Each of
 * the two counts 1 when it changed any row, as SQLite's store_changed()
 * says (so *changed is 0, 1 or 2, however many candidates went). Among
 * candidates of the same since_ms the newest row wins (SQLite's order
 * there is its index's).
 */
static const struct pg_stmt st_unload_weighed = { "m_unload_weighed",
	"WITH pick AS (SELECT id FROM unloads WHERE $5::int = 1"
	" AND state = 'candidate' AND plate = $1 AND since_ms >= $2"
	" AND since_ms < $3 ORDER BY since_ms DESC, id DESC LIMIT 1),"
	" c AS (UPDATE unloads SET state = 'unload',"
	" muck = greatest(muck, $4::bigint) WHERE id IN (SELECT id FROM pick)"
	" RETURNING id),"
	" d AS (UPDATE unloads SET state = 'dropped' WHERE state = 'candidate'"
	" AND plate = $1 AND since_ms < $3 AND id NOT IN (SELECT id FROM pick)"
	" RETURNING id)"
	" SELECT (EXISTS (SELECT 1 FROM c))::int"
	" + (EXISTS (SELECT 1 FROM d))::int" };

static const struct pg_stmt st_violation_add = { "m_violation_add",
	"INSERT INTO muck_violations(kind, subject, day, reason,"
	" vehicle, plate, ts_ms, lat, lon, district, waste, site)"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
	" ON CONFLICT DO NOTHING" };

/* Through the (vehicle, ts_ms) key of positions (every day partition
 * before before_ms, newest first) and the (vehicle, type, ts_ms) one of
 * vehicle_events. */
static const struct pg_stmt st_vehicle_recent = { "m_vehicle_recent",
	"SELECT ts_ms, lat, lon, speed_kmh, load_state FROM positions"
	" WHERE vehicle = $1 AND ts_ms < $2 AND (dq_flags & 256) = 0"
	" AND lat IS NOT NULL ORDER BY ts_ms DESC LIMIT $3" };
static const struct pg_stmt st_vehicle_load = { "m_vehicle_load",
	"SELECT ts_ms, waste, site FROM vehicle_events"
	" WHERE vehicle = $1 AND type = 'load' AND ts_ms > coalesce("
	"(SELECT max(ts_ms) FROM unloads WHERE vehicle = $1"
	" AND state = 'unload'), -1) ORDER BY ts_ms DESC LIMIT 1" };

static const struct pg_stmt st_unload_event_near = { "m_unload_event_near",
	"SELECT 1 FROM unloads WHERE vehicle = $1 AND ts_ms >= $2"
	" AND ts_ms <= $3 AND how = 'event' LIMIT 1" };
static const struct pg_stmt st_unload_absorb = { "m_unload_absorb",
	"DELETE FROM unloads WHERE vehicle = $1 AND ts_ms >= $2"
	" AND ts_ms <= $3 AND how <> 'event'" };

/* Whether a statement changed any row: 1 or 0, as SQLite's
 * store_changed() counts for store_muck.c (an absorb removing two
 * inferred unloads says 1, there and here). -1 on failure. */
static int
run_count(struct store_pgsql *s, const struct pg_stmt *st, const struct pgp *p,
    int *n)
{
	PGresult *r = pgq_query(s, st, p);

	if (r == NULL)
		return -1;
	*n = atoi(PQcmdTuples(r)) > 0;
	PQclear(r);
	return 0;
}

int
store_pg_unload_add(struct store *pub, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	char day[16];
	struct pgp p;

	*added = 0;
	norm_local_day(u->ts_ms, local_offset_min, day);
	pgp_init(&p);
	pgp_text(&p, u->vehicle);
	pgp_text(&p, u->plate);
	pgp_i64(&p, u->ts_ms);
	pgp_time(&p, u->since_ms);
	pgp_text(&p, day);
	pgp_real(&p, u->lat);
	pgp_real(&p, u->lon);
	pgp_text(&p, u->how);
	pgp_text(&p, u->candidate ? "candidate" : "unload");
	pgp_text(&p, u->site);
	pgp_text(&p, u->site_kind);
	pgp_text(&p, u->district);
	pgp_text(&p, u->waste);
	pgp_text(&p, u->origin);
	pgp_i64(&p, u->muck != 0);
	pgp_i64(&p, u->authorised != 0);
	if (message_id > 0)
		pgp_i64(&p, message_id);
	else
		pgp_null(&p);
	if (pgq_send(s, &st_unload_upsert, &p, NULL, 0) == -1)
		return -1;
	/* Inserted or rewritten: one row either way (a failure fails the
	 * transaction at commit). */
	*added = 1;
	return 0;
}

int
store_pg_unload_weighed(struct store *pub, const char *plate, int64_t first_ms,
    int64_t second_ms, int loaded, int muck, int *changed)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	int64_t lo, hi;
	struct pgp p;
	PGresult *r;

	*changed = 0;
	if (plate == NULL || first_ms == WT_NOTIME)
		return 0;
	if (!loaded) {
		lo = INT64_MIN;
		hi = first_ms;
	} else {
		/* As store_muck.c: a stop before a loaded weighing was no
		 * unload; one between its two weighings was. */
		lo = first_ms;
		hi = second_ms != WT_NOTIME && second_ms >= first_ms
		    ? second_ms + 1
		    : first_ms;
	}
	pgp_init(&p);
	pgp_text(&p, plate);
	pgp_i64(&p, lo);
	pgp_i64(&p, hi);
	pgp_i64(&p, muck != 0);
	pgp_i64(&p, hi > lo);
	if ((r = pgq_query(s, &st_unload_weighed, &p)) == NULL)
		return -1;
	*changed = (int)pgr_i64(r, 0, 0, 0);
	PQclear(r);
	return 0;
}

int
store_pg_unload_event_near(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *found)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;
	PGresult *r;

	*found = 0;
	pgp_init(&p);
	pgp_text(&p, vehicle);
	pgp_i64(&p, from_ms);
	pgp_i64(&p, to_ms);
	if ((r = pgq_query(s, &st_unload_event_near, &p)) == NULL)
		return -1;
	*found = PQntuples(r) > 0;
	PQclear(r);
	return 0;
}

int
store_pg_unload_absorb(struct store *pub, const char *vehicle, int64_t from_ms,
    int64_t to_ms, int *removed)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;

	*removed = 0;
	pgp_init(&p);
	pgp_text(&p, vehicle);
	pgp_i64(&p, from_ms);
	pgp_i64(&p, to_ms);
	return run_count(s, &st_unload_absorb, &p, removed);
}

int
store_pg_violation_add(struct store *pub, const struct store_violation *v,
    int local_offset_min, int *added)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	char day[16];
	struct pgp p;

	*added = 0;
	norm_local_day(v->ts_ms, local_offset_min, day);
	pgp_init(&p);
	pgp_text(&p, v->kind);
	pgp_text(&p, v->subject);
	pgp_text(&p, day);
	pgp_text(&p, v->reason != NULL ? v->reason : "");
	pgp_text(&p, v->vehicle);
	pgp_text(&p, v->plate);
	pgp_i64(&p, v->ts_ms);
	pgp_real(&p, v->lat);
	pgp_real(&p, v->lon);
	pgp_text(&p, v->district);
	pgp_text(&p, v->waste);
	pgp_text(&p, v->site);
	return run_count(s, &st_violation_add, &p, added);
}

static void
copy_text(const PGresult *r, int row, int col, char *out, size_t n)
{
	const char *t = pgr_text(r, row, col);

	snprintf(out, n, "%s", t != NULL ? t : "");
}

int
store_pg_vehicle_recent(struct store *pub, const char *vehicle,
    int64_t before_ms, struct store_fix *out, size_t n, size_t *got)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;
	PGresult *r;
	size_t k, rows;

	*got = 0;
	pgp_init(&p);
	pgp_text(&p, vehicle);
	pgp_i64(&p, before_ms);
	pgp_i64(&p, (int64_t)n);
	if ((r = pgq_query(s, &st_vehicle_recent, &p)) == NULL)
		return -1;
	rows = (size_t)PQntuples(r);
	if (rows > n)
		rows = n;
	/* Newest first from the query: the track wants them in order. */
	for (k = 0; k < rows; k++) {
		int i = (int)(rows - 1 - k);

		out[k].ts_ms = pgr_i64(r, i, 0, 0);
		out[k].lat = pgr_real(r, i, 1);
		out[k].lon = pgr_real(r, i, 2);
		out[k].speed_kmh = pgr_real(r, i, 3);
		copy_text(r, i, 4, out[k].load_state,
		    sizeof(out[k].load_state));
	}
	PQclear(r);
	*got = rows;
	return 0;
}

int
store_pg_vehicle_load(struct store *pub, const char *vehicle,
    struct store_load *out, int *found)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;
	PGresult *r;

	*found = 0;
	pgp_init(&p);
	pgp_text(&p, vehicle);
	if ((r = pgq_query(s, &st_vehicle_load, &p)) == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		*found = 1;
		out->ts_ms = pgr_i64(r, 0, 0, 0);
		copy_text(r, 0, 1, out->waste, sizeof(out->waste));
		copy_text(r, 0, 2, out->site, sizeof(out->site));
	}
	PQclear(r);
	return 0;
}
