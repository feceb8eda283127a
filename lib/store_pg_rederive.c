/*
 * store_pg_rederive: re-deriving accepted messages on PostgreSQL
 * (store.h, docs/replay.md), the meaning of SQLite's store_rederive.c
 * statement for statement: a message's rows are corrected in place
 * (same id, key and message), all of them or none, rows already equal
 * are not written, and the message records rederived_ms. The triggers on
 * weighings keep station days, ticket origins and the reconciliation
 * queue in step; a load's tickets get their origins again here, since
 * vehicle_events has an insert trigger only.
 *
 * Two differences of means, none of meaning. A failed statement fails
 * the writer's whole pipelined transaction (store_pg_int.h), so a moved
 * key that is another row's, or a required field the message no longer
 * gives, is found by a question before the write, where SQLite lets the
 * constraint refuse it. And "all or none" is a savepoint run as a
 * statement of the pipeline.
 */
#include "store_pg_int.h"
#include "store_pg_write.h"

#include "norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pg_stmt st_savepoint = { "rd_savepoint",
	"SAVEPOINT wt_rederive" };
static const struct pg_stmt st_rollback_to = { "rd_rollback_to",
	"ROLLBACK TO SAVEPOINT wt_rederive" };
static const struct pg_stmt st_release = { "rd_release",
	"RELEASE SAVEPOINT wt_rederive" };

static const struct pg_stmt st_ve_find = { "rd_ve_find",
	"SELECT id, message_id, plate, ts_ms FROM vehicle_events"
	" WHERE vehicle = $1 AND type = $2 AND ts_ms = $3" };
/* Another row with the key a pending event moves a row to. */
static const struct pg_stmt st_ve_taken = { "rd_ve_taken",
	"SELECT 1 FROM vehicle_events WHERE vehicle = $1 AND type = $2"
	" AND ts_ms = $3 AND id <> $4" };
/* The message's events, to pair those whose key changed. */
static const struct pg_stmt st_ve_rows = { "rd_ve_rows",
	"SELECT id, vehicle, type, ts_ms, plate FROM vehicle_events"
	" WHERE message_id = $1 ORDER BY id" };
/* The site's district is stamped again only when the site changed, the
 * day only when the time did. */
static const struct pg_stmt st_ve_update = { "rd_ve_update",
	"UPDATE vehicle_events SET type = $13, vehicle = $14, ts_ms = $15,"
	" day = CASE WHEN ts_ms = $15 THEN day ELSE $16 END,"
	" plate = $2, site = $3, facility = $4,"
	" waste = $5, mass_kg = $6, manifest_no = $7, lat = $8, lon = $9,"
	" dq_flags = $10, count = $11, count_unit = $12,"
	" site_district = CASE WHEN site IS NOT DISTINCT FROM $3::text"
	" THEN site_district"
	" ELSE (SELECT district FROM generators WHERE id = $3) END"
	" WHERE id = $1 AND (type IS DISTINCT FROM $13"
	" OR vehicle IS DISTINCT FROM $14 OR ts_ms IS DISTINCT FROM $15"
	" OR plate IS DISTINCT FROM $2 OR site IS DISTINCT FROM $3"
	" OR facility IS DISTINCT FROM $4 OR waste IS DISTINCT FROM $5"
	" OR mass_kg IS DISTINCT FROM $6 OR manifest_no IS DISTINCT FROM $7"
	" OR lat IS DISTINCT FROM $8 OR lon IS DISTINCT FROM $9"
	" OR dq_flags IS DISTINCT FROM $10 OR count IS DISTINCT FROM $11"
	" OR count_unit IS DISTINCT FROM $12)" };
/* A load's tickets: those of its plate (before and after the change)
 * in the 24 h after it (its time before and after the change), as the
 * insert trigger on vehicle_events. */
#define LOAD_TICKETS                                                           \
	"(SELECT w.id FROM weighings w WHERE w.plate IN ($1, $2)"              \
	" AND ((w.first_ms >= $3::bigint"                                      \
	" AND w.first_ms <= $3::bigint + 86400000)"                            \
	" OR (w.first_ms >= $4::bigint"                                        \
	" AND w.first_ms <= $4::bigint + 86400000)))"
static const struct pg_stmt st_origin_del = { "rd_origin_del",
	"DELETE FROM ticket_origins WHERE ticket_id IN " LOAD_TICKETS };
static const struct pg_stmt st_origin_ins = { "rd_origin_ins",
	"INSERT INTO ticket_origins SELECT * FROM ticket_origins_calc"
	" WHERE ticket_id IN " LOAD_TICKETS };

static const struct pg_stmt st_fs_find = { "rd_fs_find",
	"SELECT id, message_id FROM facility_status"
	" WHERE facility = $1 AND ts_ms = $2" };
static const struct pg_stmt st_fs_taken = { "rd_fs_taken",
	"SELECT 1 FROM facility_status WHERE facility = $1 AND ts_ms = $2"
	" AND id <> $3" };
static const struct pg_stmt st_fs_rows = { "rd_fs_rows",
	"SELECT id, facility, ts_ms FROM facility_status"
	" WHERE message_id = $1 ORDER BY id" };
static const struct pg_stmt st_fs_update = { "rd_fs_update",
	"UPDATE facility_status SET state = $2, inventory_kg = $3,"
	" throughput_kg = $4, extra = $5, dq_flags = $6, facility = $7,"
	" ts_ms = $8 WHERE id = $1 AND (state IS DISTINCT FROM $2"
	" OR inventory_kg IS DISTINCT FROM $3"
	" OR throughput_kg IS DISTINCT FROM $4 OR extra IS DISTINCT FROM $5"
	" OR dq_flags IS DISTINCT FROM $6 OR facility IS DISTINCT FROM $7"
	" OR ts_ms IS DISTINCT FROM $8)" };

/* The message's version of the ticket, current (0) or in history (1),
 * the one weighed nearest the event's first weighing first. */
static const struct pg_stmt st_wb_find = { "rd_wb_find",
	"SELECT 0, id, version, first_ms, day, dq_flags,"
	" abs(first_ms - $4::bigint) AS dist FROM weighings"
	" WHERE facility = $1 AND ticket = $2 AND message_id = $3"
	" UNION ALL SELECT 1, id, version, first_ms, day, dq_flags,"
	" abs(first_ms - $4::bigint) AS dist FROM weighings_history"
	" WHERE facility = $1 AND ticket = $2 AND message_id = $3"
	" ORDER BY dist LIMIT 1" };
static const struct pg_stmt st_wb_other = { "rd_wb_other",
	"SELECT 1 FROM weighings WHERE facility = $1 AND ticket = $2"
	" UNION ALL SELECT 1 FROM weighings_history"
	" WHERE facility = $1 AND ticket = $2 LIMIT 1" };
/* The plate's service district is read again only when the plate
 * changed, as a new version would. */
#define WB_SET                                                                 \
	" SET day = $2, plate = $3, direction = $4, gross_kg = $5,"            \
	" tare_kg = $6, net_kg = $7, first_ms = $8, second_ms = $9,"           \
	" waste = $10, origin = $11, status = $12, manifest_no = $13,"         \
	" dq_flags = $14, fingerprint = $15"
#define WB_WHERE                                                               \
	" WHERE id = $1 AND (fingerprint IS DISTINCT FROM $15"                 \
	" OR dq_flags IS DISTINCT FROM $14 OR day IS DISTINCT FROM $2)"
static const struct pg_stmt st_wb_update = { "rd_wb_update",
	"UPDATE weighings" WB_SET
	", vehicle_district = CASE WHEN plate IS NOT DISTINCT FROM $3::text"
	" THEN vehicle_district"
	" ELSE (SELECT district FROM vehicle_registry WHERE plate = $3)"
	" END" WB_WHERE };
static const struct pg_stmt st_wbh_update = { "rd_wbh_update",
	"UPDATE weighings_history" WB_SET WB_WHERE };

static const struct pg_stmt st_rows_of = { "rd_rows_of",
	"SELECT (SELECT count(*) FROM weighings WHERE message_id = $1)"
	" + (SELECT count(*) FROM weighings_history WHERE message_id = $1)"
	" + (SELECT count(*) FROM vehicle_events WHERE message_id = $1)"
	" + (SELECT count(*) FROM facility_status WHERE message_id = $1)" };
static const struct pg_stmt st_mark = { "rd_mark",
	"UPDATE messages SET rederived_ms = $2 WHERE id = $1" };

/* The job: the statements are prepared once per connection by pgq, so
 * it keeps only its handle. */
struct pg_rederive {
	struct store_rederive pub; /* first: see store_backend.h */
	struct store_pgsql *s;
};

/* Events of one message whose key moved, at most. */
#define RD_PENDING 64

/* One message's re-derivation. */
struct rd {
	struct store_pgsql *s;
	int64_t mid, now_ms;
	int off_min;
	size_t matched; /* rows of the message the events named */
	struct store_rd_result *out;
	/* Events whose key names no row: paired in order with the
	 * message's rows no event names (the fix moved their key). */
	size_t pending[RD_PENDING], npending;
};

int
store_pg_rederive_open(struct store *pub, struct store_rederive **out)
{
	struct pg_rederive *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->s = store_pgsql_of(pub);
	*out = &job->pub;
	return 0;
}

void
store_pg_rederive_close(struct store_rederive *pub)
{
	free(pub);
}

static void
conflict(struct rd *r, const char *what, const char *key)
{
	r->out->outcome = STORE_RD_CONFLICT;
	snprintf(r->out->detail, sizeof(r->out->detail), "%s %.100s", what,
	    key != NULL ? key : "?");
}

/* A write: 1 a row changed, 0 none, -1 error. */
static int
write_run(struct rd *r, const struct pg_stmt *st, const struct pgp *p)
{
	PGresult *res = pgq_query(r->s, st, p);
	int n;

	if (res == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n > 0;
}

/* Whether the question st with p has a row: 1, 0, -1 error. */
static int
exists(struct rd *r, const struct pg_stmt *st, const struct pgp *p)
{
	PGresult *res = pgq_query(r->s, st, p);
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res) > 0;
	PQclear(res);
	return n;
}

/*
 * The row of the key in res: 1 the message's (*id), 0 another message's
 * (or none: the event is left for pairing, or a conflict when too many).
 */
static int
owned(struct rd *r, const PGresult *res, size_t ev, int64_t *id)
{
	if (PQntuples(res) == 0) {
		if (r->npending == RD_PENDING)
			conflict(r, "too many events with a new key:", "64");
		else
			r->pending[r->npending++] = ev;
		return 0;
	}
	*id = pgr_i64(res, 0, 0, 0);
	if (pgr_i64(res, 0, 1, -1) != r->mid)
		return 0;
	r->matched++;
	return 1;
}

/* Tickets a changed load attributes, before and after, get their
 * origins again. */
static int
reorigin_load(struct rd *r, const char *old_plate, int64_t old_ts,
    const char *plate, int64_t ts_ms)
{
	const struct pg_stmt *st[] = { &st_origin_del, &st_origin_ins };
	struct pgp p;
	size_t i;

	for (i = 0; i < 2; i++) {
		pgp_init(&p);
		pgp_text(&p, old_plate);
		pgp_text(&p, plate);
		pgp_i64(&p, ts_ms);
		pgp_i64(&p, old_ts);
		if (pgq_run(r->s, st[i], &p) == -1)
			return -1;
	}
	return 0;
}

/* The row as it was: what a changed load attributed; moved when the
 * event's key is not the row's (it must then be no other row's). */
struct ve_old {
	int64_t id, ts_ms;
	const char *plate;
	int load, moved;
};

/* A key the fix moves a row to that another row has, or a field the
 * table requires that the event lacks: SQLite's constraint refuses the
 * write there (a conflict); asked here, since a refused statement would
 * fail the whole transaction. 1 conflict, 0 none, -1 error. */
static int
ve_refused(struct rd *r, const struct ev_vehicle_event *v,
    const struct ve_old *old)
{
	struct pgp p;
	int rc;

	if (v->type == NULL || v->vehicle == NULL || v->waste == NULL)
		rc = 1;
	else if (!old->moved)
		rc = 0;
	else {
		pgp_init(&p);
		pgp_text(&p, v->vehicle);
		pgp_text(&p, v->type);
		pgp_i64(&p, v->ts_ms);
		pgp_i64(&p, old->id);
		rc = exists(r, &st_ve_taken, &p);
	}
	if (rc == 1)
		conflict(r, "its corrected key is another row's:", v->vehicle);
	return rc;
}

/* Row old->id made what event e says; a load re-attributes its tickets. */
static int
update_ve(struct rd *r, const struct ev *e, const struct ve_old *old)
{
	const struct ev_vehicle_event *v = &e->u.vev;
	int64_t flag;
	struct pgp p;
	char day[16];
	int rc;

	if ((rc = ve_refused(r, v, old)) != 0)
		return rc == 1 ? 0 : -1;
	if ((flag = store_pgw_facility_flag(r->s, v->facility)) < 0)
		return -1;
	norm_local_day(v->ts_ms, r->off_min, day);
	pgp_init(&p);
	pgp_i64(&p, old->id);
	pgp_text(&p, v->plate);
	pgp_text(&p, v->site);
	pgp_text(&p, v->facility);
	pgp_text(&p, v->waste);
	pgp_real(&p, v->mass_kg);
	pgp_text(&p, v->manifest_no);
	pgp_real(&p, v->lat);
	pgp_real(&p, v->lon);
	pgp_i64(&p, (int64_t)e->dq | flag);
	if (v->count >= 0)
		pgp_i64(&p, v->count);
	else
		pgp_null(&p);
	pgp_text(&p, v->count_unit);
	pgp_text(&p, v->type);
	pgp_text(&p, v->vehicle);
	pgp_i64(&p, v->ts_ms);
	pgp_text(&p, day);
	if ((rc = write_run(r, &st_ve_update, &p)) != 1)
		return rc;
	r->out->changed[STORE_RD_VEHICLE_EVENTS]++;
	if (old->load || strcmp(v->type, "load") == 0)
		return reorigin_load(r, old->plate, old->ts_ms, v->plate,
		    v->ts_ms);
	return 0;
}

static int
vehicle_event(struct rd *r, const struct ev *e, size_t ev)
{
	const struct ev_vehicle_event *v = &e->u.vev;
	struct ve_old old = { 0 };
	struct pgp p;
	PGresult *res;
	int rc;

	pgp_init(&p);
	pgp_text(&p, v->vehicle);
	pgp_text(&p, v->type);
	pgp_i64(&p, v->ts_ms);
	if ((res = pgq_query(r->s, &st_ve_find, &p)) == NULL)
		return -1;
	if ((rc = owned(r, res, ev, &old.id)) == 1) {
		old.ts_ms = pgr_i64(res, 0, 3, 0);
		old.load = strcmp(v->type, "load") == 0;
		/* The plate before the change: the tickets it attributed. */
		old.plate = pgr_text(res, 0, 2);
		rc = update_ve(r, e, &old) == -1 ? -1 : 0;
	}
	PQclear(res);
	return rc;
}

static int
update_fs(struct rd *r, const struct ev *e, int64_t id, int moved)
{
	const struct ev_facility_status *f = &e->u.fst;
	int64_t flag;
	struct pgp p;
	int rc = 0;

	if (f->state == NULL || f->facility == NULL)
		rc = 1;
	else if (moved) {
		pgp_init(&p);
		pgp_text(&p, f->facility);
		pgp_i64(&p, f->ts_ms);
		pgp_i64(&p, id);
		rc = exists(r, &st_fs_taken, &p);
	}
	if (rc == 1)
		conflict(r, "its corrected key is another row's:", f->facility);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	if ((flag = store_pgw_facility_flag(r->s, f->facility)) < 0)
		return -1;
	pgp_init(&p);
	pgp_i64(&p, id);
	pgp_text(&p, f->state);
	pgp_real(&p, f->inventory_kg);
	pgp_real(&p, f->throughput_kg);
	pgp_text(&p, f->extra_json);
	pgp_i64(&p, (int64_t)e->dq | flag);
	pgp_text(&p, f->facility);
	pgp_i64(&p, f->ts_ms);
	if ((rc = write_run(r, &st_fs_update, &p)) == 1)
		r->out->changed[STORE_RD_FACILITY_STATUS]++;
	return rc == -1 ? -1 : 0;
}

static int
facility_status(struct rd *r, const struct ev *e, size_t ev)
{
	const struct ev_facility_status *f = &e->u.fst;
	struct pgp p;
	PGresult *res;
	int64_t id;
	int rc;

	pgp_init(&p);
	pgp_text(&p, f->facility);
	pgp_i64(&p, f->ts_ms);
	if ((res = pgq_query(r->s, &st_fs_find, &p)) == NULL)
		return -1;
	rc = owned(r, res, ev, &id);
	PQclear(res);
	if (rc != 1)
		return rc;
	return update_fs(r, e, id, 0);
}

/* Whether an event of kind k in evs has the key of row i of res (a
 * vehicle event's or a status report's). */
static int
key_named(const PGresult *res, int i, enum ev_kind k, const struct ev *evs,
    size_t n)
{
	const char *a = pgr_text(res, i, 1);
	const char *t = pgr_text(res, i, 2);
	size_t j;

	for (j = 0; j < n; j++) {
		if (evs[j].kind != k)
			continue;
		if (k == EV_VEHICLE_EVENT && evs[j].u.vev.vehicle != NULL &&
		    evs[j].u.vev.type != NULL &&
		    strcmp(evs[j].u.vev.vehicle, a) == 0 &&
		    strcmp(evs[j].u.vev.type, t) == 0 &&
		    evs[j].u.vev.ts_ms == pgr_i64(res, i, 3, 0))
			return 1;
		if (k == EV_FACILITY_STATUS && evs[j].u.fst.facility != NULL &&
		    strcmp(evs[j].u.fst.facility, a) == 0 &&
		    evs[j].u.fst.ts_ms == pgr_i64(res, i, 2, 0))
			return 1;
	}
	return 0;
}

/* One pending event and row i of the message it pairs with. */
static int
move_one(struct rd *r, const PGresult *res, int i, const struct ev *e)
{
	struct ve_old old = { pgr_i64(res, i, 0, 0), 0, NULL, 0, 1 };

	r->matched++;
	if (e->kind == EV_FACILITY_STATUS)
		return update_fs(r, e, old.id, 1);
	old.ts_ms = pgr_i64(res, i, 3, 0);
	old.load = strcmp(pgr_text(res, i, 2), "load") == 0;
	old.plate = pgr_text(res, i, 4);
	return update_ve(r, e, &old);
}

/*
 * The events of kind k whose key names no row, paired in order with the
 * message's rows of that kind no event names: the same number of each,
 * else a conflict (the fix would add or remove rows).
 */
static int
move_keys(struct rd *r, enum ev_kind k, const struct ev *evs, size_t n)
{
	PGresult *res;
	struct pgp p;
	size_t got = 0, want = 0, j;
	int rc = 0, i, m;

	for (j = 0; j < r->npending; j++)
		want += evs[r->pending[j]].kind == k;
	if (want == 0)
		return 0;
	pgp_init(&p);
	pgp_i64(&p, r->mid);
	if ((res = pgq_query(r->s,
		 k == EV_VEHICLE_EVENT ? &st_ve_rows : &st_fs_rows, &p)) ==
	    NULL)
		return -1;
	m = PQntuples(res);
	j = 0;
	for (i = 0; i < m && rc == 0 && r->out->outcome != STORE_RD_CONFLICT;
	     i++) {
		if (key_named(res, i, k, evs, n))
			continue;
		while (j < r->npending && evs[r->pending[j]].kind != k)
			j++;
		if (j == r->npending)
			break; /* more rows than events: counted below */
		rc = move_one(r, res, i, &evs[r->pending[j++]]);
		got++;
	}
	PQclear(res);
	if (rc == 0 && got < want && r->out->outcome != STORE_RD_CONFLICT)
		conflict(r,
		    "an event names no row of the message:", ev_kind_name(k));
	return rc;
}

/* The event's ticket is no row of the message: another message's (a
 * re-send that wrote nothing), else a conflict. */
static int
weighing_other(struct rd *r, const struct ev_weighing *w)
{
	struct pgp p;
	int rc;

	pgp_init(&p);
	pgp_text(&p, w->facility);
	pgp_text(&p, w->ticket);
	if ((rc = exists(r, &st_wb_other, &p)) == 0)
		conflict(r, "no stored ticket", w->ticket);
	return rc == -1 ? -1 : 0;
}

static void
wb_params(struct pgp *p, const struct ev *e, int64_t id, const char *day,
    int64_t dq, const char *fp)
{
	const struct ev_weighing *w = &e->u.wb;

	pgp_init(p);
	pgp_i64(p, id);
	pgp_text(p, day);
	store_pgv_wb_figures(p, w);
	pgp_i64(p, dq);
	pgp_text(p, fp);
}

/* Row 0 of found (wb_find) corrected to what e says: its day unless the
 * first weighing moved, a late version still marked late. */
static int
weighing_update(struct rd *r, const struct ev *e, const PGresult *found)
{
	const struct ev_weighing *w = &e->u.wb;
	int hist = (int)pgr_i64(found, 0, 0, 0);
	const char *was_day = pgr_text(found, 0, 4);
	char fp[65], day[16];
	int64_t flag;
	struct pgp p;
	int rc;

	if (w->status == NULL) {
		conflict(r, "its corrected key is another row's:", w->ticket);
		return 0;
	}
	if (store_wb_fingerprint(w, fp) == -1 ||
	    (flag = store_pgw_facility_flag(r->s, w->facility)) < 0)
		return -1;
	if (w->first_ms == pgr_i64(found, 0, 3, 0) && was_day != NULL)
		snprintf(day, sizeof(day), "%s", was_day);
	else
		norm_local_day(w->first_ms, r->off_min, day);
	wb_params(&p, e, pgr_i64(found, 0, 1, 0), day,
	    (int64_t)e->dq | flag | (pgr_i64(found, 0, 5, 0) & DQ_LATE), fp);
	rc = write_run(r, hist ? &st_wbh_update : &st_wb_update, &p);
	if (rc == 1)
		r->out->changed[hist ? STORE_RD_WEIGHINGS_HISTORY
				     : STORE_RD_WEIGHINGS]++;
	return rc == -1 ? -1 : 0;
}

/*
 * A ticket's version: corrected where it is, the current row or one in
 * history, keeping its version (an event that names another one is a
 * conflict), its stamps, and its day unless the first weighing moved.
 */
static int
weighing(struct rd *r, const struct ev *e)
{
	const struct ev_weighing *w = &e->u.wb;
	struct pgp p;
	PGresult *res;
	int rc;

	pgp_init(&p);
	pgp_text(&p, w->facility);
	pgp_text(&p, w->ticket);
	pgp_i64(&p, r->mid);
	pgp_i64(&p, w->first_ms);
	if ((res = pgq_query(r->s, &st_wb_find, &p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		rc = weighing_other(r, w);
		goto done;
	}
	r->matched++;
	if (w->version > 0 && w->version != pgr_i64(res, 0, 2, 0)) {
		conflict(r, "another version of ticket", w->ticket);
		rc = 0;
	} else
		rc = weighing_update(r, e, res);
done:
	PQclear(res);
	return rc;
}

/* Every row of the message named by an event; else a conflict. */
static int
all_named(struct rd *r)
{
	struct pgp p;
	PGresult *res;
	int64_t rows;

	pgp_init(&p);
	pgp_i64(&p, r->mid);
	if ((res = pgq_query(r->s, &st_rows_of, &p)) == NULL)
		return -1;
	rows = pgr_i64(res, 0, 0, 0);
	PQclear(res);
	if ((size_t)rows > r->matched) {
		r->out->outcome = STORE_RD_CONFLICT;
		snprintf(r->out->detail, sizeof(r->out->detail),
		    "%lld rows of the message, %zu named by its events",
		    (long long)rows, r->matched);
	}
	return 0;
}

static int
rederive_events(struct rd *r, const struct ev *evs, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0 && r->out->outcome != STORE_RD_CONFLICT;
	     i++) {
		switch (evs[i].kind) {
		case EV_VEHICLE_EVENT:
			rc = vehicle_event(r, &evs[i], i);
			break;
		case EV_WEIGHING:
			rc = weighing(r, &evs[i]);
			break;
		case EV_FACILITY_STATUS:
			rc = facility_status(r, &evs[i], i);
			break;
		default:
			conflict(r, "an event of kind",
			    ev_kind_name(evs[i].kind));
			break;
		}
	}
	if (rc == 0 && r->out->outcome != STORE_RD_CONFLICT)
		rc = move_keys(r, EV_VEHICLE_EVENT, evs, n);
	if (rc == 0 && r->out->outcome != STORE_RD_CONFLICT)
		rc = move_keys(r, EV_FACILITY_STATUS, evs, n);
	if (rc == 0 && r->out->outcome != STORE_RD_CONFLICT)
		rc = all_named(r);
	return rc;
}

static int
mark(struct rd *r)
{
	struct pgp p;

	pgp_init(&p);
	pgp_i64(&p, r->mid);
	pgp_i64(&p, r->now_ms);
	return pgq_run(r->s, &st_mark, &p);
}

int
store_pg_rederive(struct store_rederive *pub, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out)
{
	struct pg_rederive *job = (struct pg_rederive *)pub;
	struct store_pgsql *s = job->s;
	struct rd r = { s, message_id, now_ms, local_offset_min, 0, out, { 0 },
		0 };
	size_t i;
	int changed = 0;

	memset(out, 0, sizeof(*out));
	/* All of the message or nothing: its changes are undone on a
	 * conflict found after some of them. */
	if (pgq_run(s, &st_savepoint, NULL) == -1)
		return -1;
	if (rederive_events(&r, evs, n) == -1)
		return -1; /* the caller rolls the transaction back */
	for (i = 0; i < STORE_RD_TABLES; i++)
		changed |= out->changed[i] > 0;
	if (out->outcome == STORE_RD_CONFLICT) {
		memset(out->changed, 0, sizeof(out->changed));
		if (pgq_run(s, &st_rollback_to, NULL) == -1)
			return -1;
	} else if (changed) {
		out->outcome = STORE_RD_CHANGED;
		if (mark(&r) == -1)
			return -1;
	}
	return pgq_run(s, &st_release, NULL);
}
