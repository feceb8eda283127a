/*
 * store_pg_event: the PostgreSQL backend's positions, vehicle events,
 * facility statuses and device bindings, with the meaning of
 * store_write.c's for SQLite. Each statement is guarded by its message:
 * the events of a message another writer stored first (a late
 * duplicate, store_pg_write.c) are never written.
 *
 * Positions are store_pg_batch.c's. These events are few and answer at
 * once, as SQLite's do, so that ingest counts them exactly.
 */
#include "store_pg_write.h"

#include "log.h"
#include "norm.h"

#include <stdio.h>
#include <string.h>

/* The guard each statement carries: its message's row. */
#define MSG_EXISTS(n) "EXISTS (SELECT 1 FROM messages WHERE id = " n ")"

/* The local day is stamped at write time, like a ticket's: a later
 * change of time.local_offset does not move past unloads. */
static const struct pg_stmt st_vevent = { "w_vevent",
	"INSERT INTO vehicle_events(type, vehicle, plate, ts_ms,"
	" site, facility, waste, mass_kg, manifest_no, lat, lon, dq_flags,"
	" message_id, day, site_district, count, count_unit) SELECT"
	" $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text,"
	" $7::text, $8::float8, $9::text, $10::float8, $11::float8,"
	" $12::bigint, $13::bigint, $14::text,"
	" (SELECT district FROM generators WHERE id = $5), $15::bigint,"
	" $16::text"
	" WHERE " MSG_EXISTS(
	    "$13") " ON CONFLICT(vehicle, type, ts_ms) DO NOTHING"
		   " RETURNING id" };

/* The result of an event answered now: new when it returned a row,
 * a duplicate when its message was (nothing was written). */
static void
answered(struct store_pgsql *s, PGresult *r, int64_t mid,
    enum store_result *res)
{
	*res = PQntuples(r) > 0 ? STORE_NEW : STORE_DUPLICATE;
	if (store_pgw_message_late(s, mid))
		*res = STORE_DUPLICATE;
}

int
store_pgw_vehicle_event(struct store_pgsql *s, const struct ev *e, int64_t mid,
    int off_min, enum store_result *res)
{
	const struct ev_vehicle_event *v = &e->u.vev;
	int64_t flag = store_pgw_facility_flag(s, v->facility);
	struct pgp q;
	PGresult *r;
	char day[16];

	if (flag < 0)
		return -1;
	norm_local_day(v->ts_ms, off_min, day);
	pgp_init(&q);
	pgp_text(&q, v->type);
	pgp_text(&q, v->vehicle);
	pgp_text(&q, v->plate);
	pgp_i64(&q, v->ts_ms);
	pgp_text(&q, v->site);
	pgp_text(&q, v->facility);
	pgp_text(&q, v->waste);
	pgp_real(&q, v->mass_kg);
	pgp_text(&q, v->manifest_no);
	pgp_real(&q, v->lat);
	pgp_real(&q, v->lon);
	pgp_i64(&q, (int64_t)e->dq | flag);
	pgp_i64(&q, mid);
	pgp_text(&q, day);
	if (v->count >= 0)
		pgp_i64(&q, v->count);
	else
		pgp_null(&q);
	pgp_text(&q, v->count_unit);
	if ((r = pgq_query(s, &st_vevent, &q)) == NULL)
		return -1;
	answered(s, r, mid, res);
	PQclear(r);
	if (*res == STORE_NEW)
		return store_pgw_vehicle_seen(s, v->vehicle, v->plate, NULL,
		    v->ts_ms);
	return 0;
}

static const struct pg_stmt st_fstatus = { "w_fstatus",
	"INSERT INTO facility_status(facility, ts_ms, state,"
	" inventory_kg, throughput_kg, extra, dq_flags, message_id)"
	" SELECT $1::text, $2::bigint, $3::text, $4::float8, $5::float8,"
	" $6::text, $7::bigint, $8::bigint WHERE " MSG_EXISTS(
	    "$8") " ON CONFLICT(facility, ts_ms) DO NOTHING RETURNING id" };

int
store_pgw_facility_status(struct store_pgsql *s, const struct ev *e,
    int64_t mid, enum store_result *res)
{
	const struct ev_facility_status *f = &e->u.fst;
	int64_t flag = store_pgw_facility_flag(s, f->facility);
	struct pgp q;
	PGresult *r;

	if (flag < 0)
		return -1;
	pgp_init(&q);
	pgp_text(&q, f->facility);
	pgp_i64(&q, f->ts_ms);
	pgp_text(&q, f->state);
	pgp_real(&q, f->inventory_kg);
	pgp_real(&q, f->throughput_kg);
	pgp_text(&q, f->extra_json);
	pgp_i64(&q, (int64_t)e->dq | flag);
	pgp_i64(&q, mid);
	if ((r = pgq_query(s, &st_fstatus, &q)) == NULL)
		return -1;
	answered(s, r, mid, res);
	PQclear(r);
	return 0;
}

/* ---- device bindings ---- */

static const struct pg_stmt st_bind_latest = { "w_bind_latest",
	"SELECT plate, plate_color FROM device_bindings"
	" WHERE device = $1 ORDER BY valid_from_ms DESC LIMIT 1" };
static const struct pg_stmt st_bind_upsert = { "w_bind_upsert",
	"INSERT INTO device_bindings(device, valid_from_ms,"
	" plate, plate_color, message_id) VALUES($1, $2, $3, $4, $5)"
	" ON CONFLICT(device, valid_from_ms) DO UPDATE SET"
	" plate = excluded.plate, plate_color = excluded.plate_color,"
	" message_id = excluded.message_id" };

/*
 * A binding without its own time holds from the beginning when it is the
 * device's first, so positions recorded before the registration reached
 * us still resolve; a later re-binding holds from when we learn it.
 */
int
store_pgw_binding(struct store_pgsql *s, const struct ev *e, int64_t mid,
    int64_t now_ms, enum store_result *res)
{
	const struct ev_device_binding *b = &e->u.bind;
	int64_t from = b->ts_ms;
	const char *plate;
	struct pgp q;
	PGresult *r;
	int found, same;

	pgp_init(&q);
	pgp_text(&q, b->device);
	if ((r = pgq_query(s, &st_bind_latest, &q)) == NULL)
		return -1;
	if (store_pgw_message_late(s, mid)) {
		PQclear(r);
		*res = STORE_DUPLICATE;
		return 0;
	}
	found = PQntuples(r) > 0;
	plate = pgr_text(r, 0, 0);
	same = found && plate != NULL && b->plate != NULL &&
	    strcmp(plate, b->plate) == 0;
	PQclear(r);
	if (same && from == WT_NOTIME) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if (from == WT_NOTIME)
		from = found ? now_ms : 0;
	pgp_init(&q);
	pgp_text(&q, b->device);
	pgp_i64(&q, from);
	pgp_text(&q, b->plate);
	pgp_text(&q, b->plate_color);
	pgp_i64(&q, mid);
	*res = STORE_NEW;
	return pgq_send(s, &st_bind_upsert, &q, NULL, 0);
}
