/*
 * store_pg_version: the PostgreSQL backend's rows that keep versions,
 * with the meaning of store_version.c's for SQLite. Weighbridge tickets
 * have one current row each and their older versions in
 * weighings_history; manifests have a current row that only moves
 * forward and every update in manifest_events. Each decision reads the
 * current row first, so these answer at once (pgq_query); a message
 * another writer stored first is then known, and nothing of it written.
 */
#include "store_pg_write.h"

#include "log.h"
#include "norm.h"
#include "sha256.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int
wb_status_rank(const char *status)
{
	if (strcmp(status, "open") == 0)
		return 0;
	if (strcmp(status, "complete") == 0)
		return 1;
	return 2; /* void: final */
}

/* The sender's figures of a ticket, in the order every statement of a
 * weighing row takes them (plate to manifest_no); store_pg_rederive.c
 * binds the same. */
void
store_pgv_wb_figures(struct pgp *p, const struct ev_weighing *w)
{
	pgp_text(p, w->plate);
	pgp_text(p, w->direction);
	pgp_real(p, w->gross_kg);
	pgp_real(p, w->tare_kg);
	pgp_real(p, w->net_kg);
	pgp_i64(p, w->first_ms);
	pgp_time(p, w->second_ms);
	pgp_text(p, w->waste);
	pgp_text(p, w->origin);
	pgp_text(p, w->status);
	pgp_text(p, w->manifest_no);
}

/* What a row of a ticket carries besides the sender's figures (as in
 * store_version.c). */
struct wb_stamp {
	const char *day, *key_day;
	const char *district, *kind;
	int harmless; /* -1: unknown */
};

#define WB_COLS                                                                \
	"facility, ticket, day, version, plate, direction, gross_kg,"          \
	" tare_kg, net_kg, first_ms, second_ms, waste, origin, status,"        \
	" manifest_no, dq_flags, message_id, fingerprint, key_day, district,"  \
	" facility_kind, harmless"
#define WB_VALUES                                                              \
	"$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"    \
	" $16, $17, $18, $19, $20, $21, $22"

/* The rows that may be the ticket a weighing speaks of: the one recorded
 * under its day, and those weighed within 36 h of it, nearest first. */
static const struct pg_stmt st_wb_get = { "v_wb_get",
	"SELECT id, version, status, fingerprint, first_ms, key_day,"
	" district, facility_kind, harmless, abs(first_ms - $4) AS dist, day"
	" FROM weighings WHERE facility = $1 AND ticket = $2"
	" AND first_ms BETWEEN $4 - 129600000 AND $4 + 129600000"
	" UNION ALL"
	" SELECT id, version, status, fingerprint, first_ms, key_day,"
	" district, facility_kind, harmless, abs(first_ms - $4) AS dist, day"
	" FROM weighings WHERE facility = $1 AND ticket = $2"
	" AND key_day = $3"
	" AND first_ms NOT BETWEEN $4 - 129600000 AND $4 + 129600000"
	" ORDER BY dist" };
static const struct pg_stmt st_wb_insert = { "v_wb_insert",
	"INSERT INTO weighings(" WB_COLS ", vehicle_district)"
	" VALUES(" WB_VALUES ", (SELECT district FROM vehicle_registry"
	" WHERE plate = $5))" };
static const struct pg_stmt st_wb_to_history = { "v_wb_to_history",
	"INSERT INTO weighings_history(facility, ticket,"
	" day, version, plate, direction, gross_kg, tare_kg, net_kg,"
	" first_ms, second_ms, waste, origin, status, manifest_no,"
	" dq_flags, message_id, fingerprint, superseded_by, key_day,"
	" district, facility_kind, harmless, vehicle_district)"
	" SELECT facility, ticket, day, version, plate, direction,"
	" gross_kg, tare_kg, net_kg, first_ms, second_ms, waste, origin,"
	" status, manifest_no, dq_flags, message_id, fingerprint, $2,"
	" key_day, district, facility_kind, harmless, vehicle_district"
	" FROM weighings WHERE id = $1" };
static const struct pg_stmt st_wb_delete = { "v_wb_delete",
	"DELETE FROM weighings WHERE id = $1" };
static const struct pg_stmt st_wb_history = { "v_wb_history",
	"INSERT INTO weighings_history(" WB_COLS ") VALUES(" WB_VALUES ")" };

static void
wb_params(struct pgp *p, const struct ev *e, const struct wb_stamp *k,
    int64_t ver, int64_t dq, int64_t mid, const char *fp)
{
	const struct ev_weighing *w = &e->u.wb;

	pgp_init(p);
	pgp_text(p, w->facility);
	pgp_text(p, w->ticket);
	pgp_text(p, k->day);
	pgp_i64(p, ver);
	store_pgv_wb_figures(p, w);
	pgp_i64(p, dq);
	pgp_i64(p, mid);
	pgp_text(p, fp);
	pgp_text(p, k->key_day);
	pgp_text(p, k->district);
	pgp_text(p, k->kind);
	if (k->harmless >= 0)
		pgp_i64(p, k->harmless);
	else
		pgp_null(p);
}

struct wb_current {
	int64_t id, version, first_ms;
	int rank;
	char fp[65];
	char day[16], key_day[16], district[64], kind[32];
	int has_district, has_kind, harmless;
};

static const char *
text_or(const PGresult *r, int row, int col, const char *dflt)
{
	const char *v = pgr_text(r, row, col);

	return v != NULL ? v : dflt;
}

/* Whether row i is the ticket this weighing speaks of (store_version.c's
 * wb_same_ticket()). */
static int
wb_same_ticket(const PGresult *r, int i, const struct ev_weighing *w,
    const char *day)
{
	const char *key = pgr_text(r, i, 5);

	if (pgr_i64(r, i, 4, 0) == w->first_ms)
		return 1;
	if (key != NULL && strcmp(key, day) == 0)
		return 1;
	if (w->version > 0)
		return w->version > pgr_i64(r, i, 1, 0);
	return strcmp(w->status, "void") == 0;
}

static void
wb_copy_current(const PGresult *r, int i, struct wb_current *cur)
{
	const char *v;

	cur->id = pgr_i64(r, i, 0, 0);
	cur->version = pgr_i64(r, i, 1, 0);
	cur->rank = wb_status_rank(text_or(r, i, 2, ""));
	snprintf(cur->fp, sizeof(cur->fp), "%s", text_or(r, i, 3, ""));
	cur->first_ms = pgr_i64(r, i, 4, 0);
	snprintf(cur->key_day, sizeof(cur->key_day), "%s",
	    text_or(r, i, 5, ""));
	snprintf(cur->day, sizeof(cur->day), "%s", text_or(r, i, 10, ""));
	v = pgr_text(r, i, 6);
	cur->has_district = v != NULL;
	snprintf(cur->district, sizeof(cur->district), "%s", v ? v : "");
	v = pgr_text(r, i, 7);
	cur->has_kind = v != NULL;
	snprintf(cur->kind, sizeof(cur->kind), "%s", v ? v : "");
	cur->harmless = (int)pgr_i64(r, i, 8, -1);
}

/* The current row of the ticket: 1 found, 0 none, -1 error; *late when
 * the message turned out to be another writer's. */
static int
wb_current(struct store_pgsql *s, const struct ev_weighing *w, const char *day,
    int64_t mid, struct wb_current *cur, int *late)
{
	struct pgp p;
	PGresult *r;
	int i, n, found = 0;

	pgp_init(&p);
	pgp_text(&p, w->facility);
	pgp_text(&p, w->ticket);
	pgp_text(&p, day);
	pgp_i64(&p, w->first_ms);
	if ((r = pgq_query(s, &st_wb_get, &p)) == NULL)
		return -1;
	*late = store_pgw_message_late(s, mid);
	n = PQntuples(r);
	for (i = 0; i < n && !found; i++)
		if (wb_same_ticket(r, i, w, day)) {
			wb_copy_current(r, i, cur);
			found = 1;
		}
	PQclear(r);
	return found;
}

/* A new ticket is stamped with the registry of now; a later version
 * keeps the stamps of the ticket it corrects (store_version.c). */
static int
wb_stamp(struct store_pgsql *s, const struct ev_weighing *w,
    const struct wb_current *cur, int found, struct pgw_facility *f,
    struct wb_stamp *k)
{
	if (found) {
		if (w->first_ms == cur->first_ms)
			k->day = cur->day;
		k->key_day = cur->key_day;
		k->district = cur->has_district ? cur->district : NULL;
		k->kind = cur->has_kind ? cur->kind : NULL;
		k->harmless = cur->harmless;
		return 0;
	}
	if (store_pgw_facility_get(s, w->facility, f) == -1)
		return -1;
	k->key_day = k->day;
	k->district = f->has_district ? f->district : NULL;
	k->kind = f->has_kind ? f->kind : NULL;
	k->harmless = f->harmless;
	return 0;
}

static int
wb_replace(struct store_pgsql *s, const struct ev *e,
    const struct wb_current *cur, const struct wb_stamp *k, int64_t ver,
    int64_t dq, int64_t mid, const char *fp)
{
	struct pgp p;

	pgp_init(&p);
	pgp_i64(&p, cur->id);
	pgp_i64(&p, mid);
	if (pgq_send(s, &st_wb_to_history, &p, NULL, 0) == -1)
		return -1;
	pgp_init(&p);
	pgp_i64(&p, cur->id);
	if (pgq_send(s, &st_wb_delete, &p, NULL, 0) == -1)
		return -1;
	wb_params(&p, e, k, ver, dq, mid, fp);
	return pgq_send(s, &st_wb_insert, &p, NULL, 0);
}

/* The version rule of store_version.c's store_put_weighing(). */
int
store_pgv_weighing(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, enum store_result *res)
{
	const struct ev_weighing *w = &e->u.wb;
	struct wb_current cur = { 0 };
	struct pgw_facility f;
	struct wb_stamp k = { 0 };
	char day[16], fp[65];
	struct pgp p;
	int64_t ver, dq, flag;
	int found, late = 0, rank = wb_status_rank(w->status);

	norm_local_day(w->first_ms, local_offset_min, day);
	k.day = day;
	if (store_wb_fingerprint(w, fp) == -1)
		return -1;
	if ((found = wb_current(s, w, day, message_id, &cur, &late)) == -1)
		return -1;
	if (late) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if ((flag = store_pgw_facility_flag(s, w->facility)) < 0 ||
	    wb_stamp(s, w, &cur, found, &f, &k) == -1)
		return -1;
	dq = (int64_t)e->dq | flag;
	if (!found) {
		wb_params(&p, e, &k, w->version > 0 ? w->version : 1, dq,
		    message_id, fp);
		*res = STORE_NEW;
		return pgq_send(s, &st_wb_insert, &p, NULL, 0);
	}
	if (strcmp(fp, cur.fp) == 0 &&
	    (w->version <= 0 || w->version == cur.version)) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if (w->version > 0)
		ver = w->version;
	else
		ver = cur.rank == 0 && rank > 0 ? cur.version : cur.version + 1;
	if (ver < cur.version || (ver == cur.version && rank < cur.rank)) {
		wb_params(&p, e, &k, ver, dq | DQ_LATE, message_id, fp);
		*res = STORE_HISTORY;
		return pgq_send(s, &st_wb_history, &p, NULL, 0);
	}
	*res = STORE_NEW;
	return wb_replace(s, e, &cur, &k, ver, dq, message_id, fp);
}

/* ---- manifests: forward-only current state, every update an event ---- */

static const struct pg_stmt st_man_event = { "v_man_event",
	"INSERT INTO manifest_events(scheme, manifest_no,"
	" version, status, ts_ms, applied, dq_flags, message_id)"
	" SELECT $1::text, $2::text, $3::bigint, $4::text, $5::bigint, 0,"
	" $6::bigint, $7::bigint"
	" WHERE EXISTS (SELECT 1 FROM messages WHERE id = $7)"
	" ON CONFLICT(scheme, manifest_no, version, status, ts_ms)"
	" DO NOTHING RETURNING id" };
static const struct pg_stmt st_man_applied = {
	"v_man_applied",
	"UPDATE manifest_events SET applied = $2, dq_flags = $3 WHERE id = $1"
};
static const struct pg_stmt st_man_get = { "v_man_get",
	"SELECT version, status FROM manifests"
	" WHERE scheme = $1 AND manifest_no = $2" };
static const struct pg_stmt st_man_upsert = { "v_man_upsert",
	"INSERT INTO manifests AS m(scheme, manifest_no, version,"
	" status, plate, generator_code, generator_name, generator_district,"
	" carrier_name, receiver_facility, receiver_name, departed_ms,"
	" received_ms, closed_ms, declared_kg, updated_ms, dq_flags,"
	" message_id, arrived_ms, received_kg, local_offset_min,"
	" receiver_district) VALUES($1, $2, $3, $4, $5,"
	" $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
	" $20, $21, $22)"
	" ON CONFLICT(scheme, manifest_no) DO UPDATE SET"
	" version = excluded.version, status = excluded.status,"
	" plate = coalesce(excluded.plate, m.plate),"
	" generator_code = coalesce(excluded.generator_code,"
	" m.generator_code),"
	" generator_name = coalesce(excluded.generator_name,"
	" m.generator_name),"
	" generator_district = coalesce(excluded.generator_district,"
	" m.generator_district),"
	" carrier_name = coalesce(excluded.carrier_name, m.carrier_name),"
	" receiver_facility = coalesce(excluded.receiver_facility,"
	" m.receiver_facility),"
	" receiver_name = coalesce(excluded.receiver_name, m.receiver_name),"
	" departed_ms = coalesce(m.departed_ms, excluded.departed_ms),"
	" received_ms = coalesce(m.received_ms, excluded.received_ms),"
	" closed_ms = coalesce(m.closed_ms, excluded.closed_ms),"
	" declared_kg = coalesce(excluded.declared_kg, m.declared_kg),"
	" arrived_ms = coalesce(m.arrived_ms, excluded.arrived_ms),"
	" received_kg = coalesce(excluded.received_kg, m.received_kg),"
	" local_offset_min = coalesce(m.local_offset_min,"
	" excluded.local_offset_min),"
	" receiver_district = CASE WHEN excluded.receiver_facility"
	" IS NULL THEN m.receiver_district ELSE excluded.receiver_district"
	" END,"
	" updated_ms = excluded.updated_ms, dq_flags = excluded.dq_flags,"
	" message_id = excluded.message_id" };
static const struct pg_stmt st_man_lines_del = { "v_man_lines_del",
	"DELETE FROM manifest_lines WHERE scheme = $1 AND manifest_no = $2" };
static const struct pg_stmt st_man_line = { "v_man_line",
	"INSERT INTO manifest_lines(scheme, manifest_no, line,"
	" waste_code, hw_category, waste, qty, unit, qty_kg)"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)" };
static const struct pg_stmt st_man_ticket = { "v_man_ticket",
	"INSERT INTO manifest_tickets(scheme, manifest_no,"
	" facility, ticket) VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING" };

/* Sum of line masses, NaN when any line has no mass (volume units); a
 * manifest without lines may state its mass directly. */
static double
man_declared_kg(const struct ev_manifest *m)
{
	double sum = 0;
	size_t i;

	if (m->nlines == 0)
		return m->declared_kg;
	for (i = 0; i < m->nlines; i++) {
		if (isnan(m->lines[i].qty_kg))
			return NAN;
		sum += m->lines[i].qty_kg;
	}
	return sum;
}

/* A manifest with an implausible mass has none for reconciliation; its
 * lines and payload keep what was sent (store_version.c). */
static void
man_masses(const struct ev *e, double *declared, double *received)
{
	int bad = (e->dq & DQ_IMPLAUSIBLE_WEIGHT) != 0;

	*declared = bad ? NAN : man_declared_kg(&e->u.man);
	*received = bad ? NAN : e->u.man.received_kg;
}

/* Milestones keep the first time the manifest reached them; an explicit
 * time from the sender wins over the update's own. */
static void
man_times(struct pgp *p, const struct ev_manifest *m, int rank)
{
	pgp_time(p,
	    m->departed_ms != WT_NOTIME ? m->departed_ms
		: rank >= 2		? m->ts_ms
					: WT_NOTIME);
	pgp_time(p,
	    rank >= 4 && strcmp(m->status, "received") == 0 ? m->ts_ms
							    : WT_NOTIME);
	pgp_time(p, strcmp(m->status, "closed") == 0 ? m->ts_ms : WT_NOTIME);
}

static int
man_upsert(struct store_pgsql *s, const struct ev *e, int64_t mid, int off_min,
    int64_t now_ms)
{
	const struct ev_manifest *m = &e->u.man;
	int rank = norm_manifest_status_rank(m->status);
	struct pgw_facility f;
	double declared, received;
	int64_t flag;
	struct pgp p;

	if (store_pgw_facility_get(s, m->receiver_facility, &f) == -1 ||
	    (flag = store_pgw_facility_flag(s, m->receiver_facility)) < 0)
		return -1;
	man_masses(e, &declared, &received);
	pgp_init(&p);
	pgp_text(&p, m->scheme);
	pgp_text(&p, m->manifest_no);
	pgp_i64(&p, m->version);
	pgp_text(&p, m->status);
	pgp_text(&p, m->plate);
	pgp_text(&p, m->generator_code);
	pgp_text(&p, m->generator_name);
	pgp_text(&p, m->generator_district);
	pgp_text(&p, m->carrier_name);
	pgp_text(&p, m->receiver_facility);
	pgp_text(&p, m->receiver_name);
	man_times(&p, m, rank);
	pgp_real(&p, declared);
	pgp_i64(&p, now_ms);
	pgp_i64(&p, (int64_t)e->dq | flag);
	pgp_i64(&p, mid);
	pgp_time(&p,
	    m->arrived_ms != WT_NOTIME		    ? m->arrived_ms
		: strcmp(m->status, "arrived") == 0 ? m->ts_ms
						    : WT_NOTIME);
	pgp_real(&p, received);
	/* The day the views give it is counted in the offset of now, and
	 * its district is the receiver's of now, for good. */
	pgp_i64(&p, off_min);
	pgp_text(&p, f.has_district ? f.district : NULL);
	return pgq_send(s, &st_man_upsert, &p, NULL, 0);
}

/* The lines replace the previous ones when an update has any; tickets
 * only accumulate. */
static int
man_lines_tickets(struct store_pgsql *s, const struct ev_manifest *m)
{
	struct pgp p;
	size_t i;

	pgp_init(&p);
	pgp_text(&p, m->scheme);
	pgp_text(&p, m->manifest_no);
	if (m->nlines > 0 && pgq_send(s, &st_man_lines_del, &p, NULL, 0) == -1)
		return -1;
	for (i = 0; i < m->nlines; i++) {
		const struct ev_manifest_line *l = &m->lines[i];

		pgp_init(&p);
		pgp_text(&p, m->scheme);
		pgp_text(&p, m->manifest_no);
		pgp_i64(&p, l->line);
		pgp_text(&p, l->waste_code);
		pgp_text(&p, l->hw_category);
		pgp_text(&p, l->waste);
		pgp_real(&p, l->qty);
		pgp_text(&p, l->unit);
		pgp_real(&p, l->qty_kg);
		if (pgq_send(s, &st_man_line, &p, NULL, 0) == -1)
			return -1;
	}
	for (i = 0; i < m->ntickets; i++) {
		pgp_init(&p);
		pgp_text(&p, m->scheme);
		pgp_text(&p, m->manifest_no);
		pgp_text(&p, m->tickets[i].facility);
		pgp_text(&p, m->tickets[i].ticket);
		if (pgq_send(s, &st_man_ticket, &p, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

/* The update recorded in manifest_events: 1 new (its id in *event_id),
 * 0 already there or its message another writer's, -1 error. */
static int
man_event(struct store_pgsql *s, const struct ev *e, int64_t mid,
    int64_t *event_id)
{
	const struct ev_manifest *m = &e->u.man;
	struct pgp p;
	PGresult *r;
	int isnew;

	pgp_init(&p);
	pgp_text(&p, m->scheme);
	pgp_text(&p, m->manifest_no);
	pgp_i64(&p, m->version);
	pgp_text(&p, m->status);
	pgp_i64(&p, m->ts_ms);
	pgp_i64(&p, e->dq);
	pgp_i64(&p, mid);
	if ((r = pgq_query(s, &st_man_event, &p)) == NULL)
		return -1;
	isnew = PQntuples(r) > 0 && !store_pgw_message_late(s, mid);
	*event_id = pgr_i64(r, 0, 0, 0);
	PQclear(r);
	return isnew;
}

/* 1 found (version, rank), 0 none, -1 error. */
static int
man_current(struct store_pgsql *s, const struct ev_manifest *m,
    int64_t *version, int *rank)
{
	struct pgp p;
	PGresult *r;
	int found;

	pgp_init(&p);
	pgp_text(&p, m->scheme);
	pgp_text(&p, m->manifest_no);
	if ((r = pgq_query(s, &st_man_get, &p)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0)) {
		*version = pgr_i64(r, 0, 0, 0);
		*rank = norm_manifest_status_rank(text_or(r, 0, 1, ""));
	}
	PQclear(r);
	return found;
}

/*
 * Every update is kept in manifest_events; the current row only moves
 * forward (store_version.c's store_put_manifest()).
 */
int
store_pgv_manifest_at(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, int64_t now_ms,
    enum store_result *res)
{
	const struct ev_manifest *m = &e->u.man;
	int64_t event_id, cur_version = 0, dq = e->dq;
	int found, cur_rank = 0, rank = norm_manifest_status_rank(m->status);
	int apply, isnew;
	struct pgp p;

	if ((isnew = man_event(s, e, message_id, &event_id)) == -1)
		return -1;
	if (!isnew) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if ((found = man_current(s, m, &cur_version, &cur_rank)) == -1)
		return -1;
	apply = !found || m->version > cur_version ||
	    (m->version == cur_version && rank > cur_rank);
	if (apply && found && rank < cur_rank) {
		apply = 0;
		dq |= DQ_STATUS_REGRESSION_IGNORED;
	} else if (!apply)
		dq |= DQ_LATE;
	if (apply &&
	    (man_upsert(s, e, message_id, local_offset_min, now_ms) == -1 ||
		man_lines_tickets(s, m) == -1))
		return -1;
	pgp_init(&p);
	pgp_i64(&p, event_id);
	pgp_i64(&p, apply);
	pgp_i64(&p, dq);
	*res = apply ? STORE_NEW : STORE_HISTORY;
	return pgq_send(s, &st_man_applied, &p, NULL, 0);
}
