/*
 * store_rederive: the SQL of re-deriving accepted messages (store.h,
 * docs/replay.md). A message's rows are corrected in place, never
 * deleted and written again: a row keeps its id (ticket_origins and the
 * history rows name it), its key and its message, so a replay stopped at
 * any point has changed each row once or not at all, and a second replay
 * finds nothing to change. The triggers on weighings keep station days,
 * ticket origins and the reconciliation queue in step as they do for
 * fresh rows; a load's mass is re-attributed here, since vehicle_events
 * has an insert trigger only.
 */
#include "store_int.h"

#include "norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order of receipt (messages_received, whose entries are ordered
 * by time and id), after the last one done and before the period's end
 * (INT64_MAX: none): each chunk reads its own rows and no more, however
 * large the table. The profile is checked by the caller (a filter here
 * would read on until enough rows match). The payload of a position, or
 * of a message of another profile, is not read. */
static const char next_sql[] =
    "SELECT id, received_ms, topic, profile, coalesce(kind, ''),"
    " CASE WHEN kind IS 'position' OR profile IS NOT coalesce(?4, profile)"
    " THEN NULL ELSE payload END"
    " FROM messages WHERE received_ms >= ?2"
    " AND (received_ms > ?2 OR id > ?1) AND received_ms < ?3"
    " ORDER BY received_ms, id LIMIT ?5";

static const char ve_find_sql[] =
    "SELECT id, message_id, plate, ts_ms FROM vehicle_events"
    " WHERE vehicle = ?1 AND type = ?2 AND ts_ms = ?3";
/* The message's events, to pair those whose key changed. */
static const char ve_rows_sql[] =
    "SELECT id, vehicle, type, ts_ms, plate FROM vehicle_events"
    " WHERE message_id = ?1 ORDER BY id";
/* The site's district is stamped again only when the site changed, the
 * day only when the time did. */
static const char ve_update_sql[] =
    "UPDATE vehicle_events SET type = ?13, vehicle = ?14, ts_ms = ?15,"
    " day = CASE WHEN ts_ms = ?15 THEN day ELSE ?16 END,"
    " plate = ?2, site = ?3, facility = ?4,"
    " waste = ?5, mass_kg = ?6, manifest_no = ?7, lat = ?8, lon = ?9,"
    " dq_flags = ?10, count = ?11, count_unit = ?12,"
    " site_district = CASE WHEN site IS ?3 THEN site_district"
    " ELSE (SELECT district FROM generators WHERE id = ?3) END"
    " WHERE id = ?1 AND (type IS NOT ?13 OR vehicle IS NOT ?14"
    " OR ts_ms IS NOT ?15 OR plate IS NOT ?2 OR site IS NOT ?3"
    " OR facility IS NOT ?4 OR waste IS NOT ?5 OR mass_kg IS NOT ?6"
    " OR manifest_no IS NOT ?7 OR lat IS NOT ?8 OR lon IS NOT ?9"
    " OR dq_flags IS NOT ?10 OR count IS NOT ?11"
    " OR count_unit IS NOT ?12)";
/* A load's tickets: those of its plate (before and after the change)
 * in the 24 h after it (its time before and after the change), as the
 * insert trigger vehicle_events_origin. */
#define LOAD_TICKETS                                                           \
	"(SELECT w.id FROM weighings w WHERE w.plate IN (?1, ?2)"              \
	" AND ((w.first_ms >= ?3 AND w.first_ms <= ?3 + 86400000)"             \
	" OR (w.first_ms >= ?4 AND w.first_ms <= ?4 + 86400000)))"
static const char origin_del_sql[] =
    "DELETE FROM ticket_origins WHERE ticket_id IN " LOAD_TICKETS;
static const char origin_ins_sql[] =
    "INSERT INTO ticket_origins SELECT * FROM ticket_origins_calc"
    " WHERE ticket_id IN " LOAD_TICKETS;

static const char fs_find_sql[] = "SELECT id, message_id FROM facility_status"
				  " WHERE facility = ?1 AND ts_ms = ?2";
static const char fs_rows_sql[] = "SELECT id, facility, ts_ms"
				  " FROM facility_status WHERE message_id = ?1"
				  " ORDER BY id";
static const char fs_update_sql[] =
    "UPDATE facility_status SET state = ?2, inventory_kg = ?3,"
    " throughput_kg = ?4, extra = ?5, dq_flags = ?6, facility = ?7,"
    " ts_ms = ?8 WHERE id = ?1"
    " AND (state IS NOT ?2 OR inventory_kg IS NOT ?3"
    " OR throughput_kg IS NOT ?4 OR extra IS NOT ?5 OR dq_flags IS NOT ?6"
    " OR facility IS NOT ?7 OR ts_ms IS NOT ?8)";

/* The message's version of the ticket, current (0) or in history (1),
 * the one weighed nearest the event's first weighing first. */
static const char wb_find_sql[] =
    "SELECT 0, id, version, first_ms, day, dq_flags,"
    " abs(first_ms - ?4) AS dist FROM weighings"
    " WHERE facility = ?1 AND ticket = ?2 AND message_id = ?3"
    " UNION ALL SELECT 1, id, version, first_ms, day, dq_flags,"
    " abs(first_ms - ?4) AS dist FROM weighings_history"
    " WHERE facility = ?1 AND ticket = ?2 AND message_id = ?3"
    " ORDER BY dist LIMIT 1";
static const char wb_other_sql[] =
    "SELECT 1 FROM weighings WHERE facility = ?1 AND ticket = ?2"
    " UNION ALL SELECT 1 FROM weighings_history"
    " WHERE facility = ?1 AND ticket = ?2 LIMIT 1";
/* The plate's service district is read again only when the plate
 * changed, as a new version would. */
#define WB_SET                                                                 \
	" SET day = ?2, plate = ?3, direction = ?4, gross_kg = ?5,"            \
	" tare_kg = ?6, net_kg = ?7, first_ms = ?8, second_ms = ?9,"           \
	" waste = ?10, origin = ?11, status = ?12, manifest_no = ?13,"         \
	" dq_flags = ?14, fingerprint = ?15"
#define WB_WHERE                                                               \
	" WHERE id = ?1 AND (fingerprint IS NOT ?15 OR dq_flags IS NOT ?14"    \
	" OR day IS NOT ?2)"
static const char wb_update_sql[] =
    "UPDATE weighings" WB_SET
    ", vehicle_district = CASE WHEN plate IS ?3 THEN vehicle_district"
    " ELSE (SELECT district FROM vehicle_registry WHERE plate = ?3) END" WB_WHERE;
static const char wbh_update_sql[] = "UPDATE weighings_history" WB_SET WB_WHERE;

static const char rows_of_sql[] =
    "SELECT (SELECT count(*) FROM weighings WHERE message_id = ?1)"
    " + (SELECT count(*) FROM weighings_history WHERE message_id = ?1)"
    " + (SELECT count(*) FROM vehicle_events WHERE message_id = ?1)"
    " + (SELECT count(*) FROM facility_status WHERE message_id = ?1)";
static const char mark_sql[] =
    "UPDATE messages SET rederived_ms = ?2 WHERE id = ?1";

/* ---- reading the messages ---- */

static int
row_copy(sqlite3_stmt *st, struct store_rederive_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->received_ms = sqlite3_column_int64(st, 1);
	r->topic = store_db_text_dup(st, 2);
	r->profile = store_db_text_dup(st, 3);
	r->kind = store_db_text_dup(st, 4);
	if (r->topic == NULL || r->profile == NULL || r->kind == NULL)
		return -1;
	if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		return 0;
	r->payload = store_db_blob_dup(st, 5, &r->payload_len);
	return r->payload != NULL ? 0 : -1;
}

int
store_sqlite_rederive_next(struct store *pub,
    const struct store_rederive_filter *f, int64_t after_ms, int64_t after_id,
    size_t n, struct store_rederive_row *rows, size_t *got)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	size_t k = 0;
	int rc = -1, step = SQLITE_DONE;

	*got = 0;
	if (sqlite3_prepare_v2(s->db, next_sql, -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2,
	    after_ms > f->since_ms ? after_ms : f->since_ms);
	sqlite3_bind_int64(st, 3, f->until_ms > 0 ? f->until_ms : INT64_MAX);
	store_bind_text(st, 4, f->profile);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)n);
	while (k < n && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_copy(st, &rows[k]) == -1) {
			store_rederive_rows_free(rows, k + 1);
			goto done;
		}
		k++;
	}
	if (k < n && step != SQLITE_DONE) {
		store_rederive_rows_free(rows, k);
		goto done;
	}
	*got = k;
	rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}

/* ---- one message ---- */

/* A job's statements, prepared once: an UPDATE of weighings compiles
 * every trigger on the table, which costs more than the re-derivation
 * of a message itself. */
#define RD_STMTS 20
struct sqlite_rederive {
	struct store_rederive pub; /* first: see store_backend.h */
	struct store_sqlite *s;
	struct {
		const char *sql; /* one of the texts above */
		sqlite3_stmt *st;
	} cache[RD_STMTS];
};

/* Events of one message whose key moved, at most. */
#define RD_PENDING 64

/* One message's re-derivation. */
struct rd {
	struct sqlite_rederive *job;
	struct store_sqlite *s;
	int64_t mid, now_ms;
	int off_min;
	size_t matched; /* rows of the message the events named */
	struct store_rd_result *out;
	/* Events whose key names no row: paired in order with the
	 * message's rows no event names (the fix moved their key). */
	size_t pending[RD_PENDING], npending;
};

int
store_sqlite_rederive_open(struct store *pub, struct store_rederive **out)
{
	struct sqlite_rederive *job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->s = store_sqlite_of(pub);
	*out = &job->pub;
	return 0;
}

void
store_sqlite_rederive_close(struct store_rederive *pub)
{
	struct sqlite_rederive *job = (struct sqlite_rederive *)pub;
	size_t i;

	if (job == NULL)
		return;
	for (i = 0; i < RD_STMTS; i++)
		sqlite3_finalize(job->cache[i].st);
	free(job);
}

/* The statement of sql, prepared on first use; release() it after. */
static int
prepare(struct rd *r, const char *sql, sqlite3_stmt **st)
{
	struct sqlite_rederive *job = r->job;
	size_t i;

	for (i = 0; i < RD_STMTS && job->cache[i].sql != NULL; i++)
		if (job->cache[i].sql == sql) {
			*st = job->cache[i].st;
			return 0;
		}
	if (i == RD_STMTS ||
	    sqlite3_prepare_v3(r->s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
		NULL) != SQLITE_OK)
		return -1;
	job->cache[i].sql = sql;
	job->cache[i].st = *st;
	return 0;
}

/* Done with a cached statement (NULL: none). */
static void
release(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
conflict(struct rd *r, const char *what, const char *key)
{
	r->out->outcome = STORE_RD_CONFLICT;
	snprintf(r->out->detail, sizeof(r->out->detail), "%s %.100s", what,
	    key != NULL ? key : "?");
}

/* Step st once: 1 a row, 0 none (or a write done), -2 a constraint
 * refused the write (a moved key is another row's), -1 error. */
static int
step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -2 : -1;
}

/* A write st: 1 a row changed, 0 none, -1 error; a constraint is a
 * conflict (0). */
static int
write_step(struct rd *r, sqlite3_stmt *st, const char *key)
{
	int rc = step(st);

	if (rc == -2) {
		conflict(r, "its corrected key is another row's:", key);
		return 0;
	}
	if (rc == -1)
		return -1;
	return sqlite3_changes(r->s->db) > 0;
}

/*
 * The row of the key: 1 the message's (*id), 0 another message's (or
 * none: the event is left for pairing, or a conflict when too many),
 * -1 error.
 */
static int
owned(struct rd *r, sqlite3_stmt *find, size_t ev, int64_t *id)
{
	int rc = step(find);

	if (rc == 0) {
		if (r->npending == RD_PENDING)
			conflict(r, "too many events with a new key:", "64");
		else
			r->pending[r->npending++] = ev;
	}
	if (rc != 1)
		return rc;
	*id = sqlite3_column_int64(find, 0);
	if (sqlite3_column_int64(find, 1) != r->mid)
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
	const char *sql[] = { origin_del_sql, origin_ins_sql };
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < 2 && rc == 0; i++) {
		if (prepare(r, sql[i], &st) == -1)
			return -1;
		store_bind_text(st, 1, old_plate);
		store_bind_text(st, 2, plate);
		sqlite3_bind_int64(st, 3, ts_ms);
		sqlite3_bind_int64(st, 4, old_ts);
		rc = step(st) < 0 ? -1 : 0;
		release(st);
	}
	return rc;
}

static void
bind_count(sqlite3_stmt *st, int i, int64_t count)
{
	if (count >= 0)
		sqlite3_bind_int64(st, i, count);
	else
		sqlite3_bind_null(st, i);
}

/* The row as it was: what a changed load attributed. */
struct ve_old {
	int64_t id, ts_ms;
	const char *plate;
	int load;
};

/* Row old.id made what event e says; a load re-attributes its tickets. */
static int
update_ve(struct rd *r, const struct ev *e, const struct ve_old *old)
{
	const struct ev_vehicle_event *v = &e->u.vev;
	sqlite3_stmt *up = NULL;
	char day[16];
	int rc;

	if (prepare(r, ve_update_sql, &up) == -1)
		return -1;
	norm_local_day(v->ts_ms, r->off_min, day);
	sqlite3_bind_int64(up, 1, old->id);
	store_bind_text(up, 2, v->plate);
	store_bind_text(up, 3, v->site);
	store_bind_text(up, 4, v->facility);
	store_bind_text(up, 5, v->waste);
	store_bind_real(up, 6, v->mass_kg);
	store_bind_text(up, 7, v->manifest_no);
	store_bind_real(up, 8, v->lat);
	store_bind_real(up, 9, v->lon);
	sqlite3_bind_int64(up, 10,
	    e->dq | store_facility_flag(r->s, v->facility));
	bind_count(up, 11, v->count);
	store_bind_text(up, 12, v->count_unit);
	store_bind_text(up, 13, v->type);
	store_bind_text(up, 14, v->vehicle);
	sqlite3_bind_int64(up, 15, v->ts_ms);
	store_bind_text(up, 16, day);
	rc = write_step(r, up, v->vehicle);
	release(up);
	if (rc != 1)
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
	sqlite3_stmt *find = NULL;
	struct ve_old old = { 0 };
	char *plate = NULL;
	int rc = -1;

	if (prepare(r, ve_find_sql, &find) == -1)
		return -1;
	store_bind_text(find, 1, v->vehicle);
	store_bind_text(find, 2, v->type);
	sqlite3_bind_int64(find, 3, v->ts_ms);
	if ((rc = owned(r, find, ev, &old.id)) != 1)
		goto done;
	old.ts_ms = sqlite3_column_int64(find, 3);
	old.load = strcmp(v->type, "load") == 0;
	rc = -1;
	/* The plate before the change: the tickets it attributed. */
	if (sqlite3_column_text(find, 2) != NULL &&
	    (plate = strdup((const char *)sqlite3_column_text(find, 2))) ==
		NULL)
		goto done;
	old.plate = plate;
	rc = update_ve(r, e, &old) == -1 ? -1 : 0;
done:
	free(plate);
	release(find);
	return rc;
}

static int
update_fs(struct rd *r, const struct ev *e, int64_t id)
{
	const struct ev_facility_status *f = &e->u.fst;
	sqlite3_stmt *up = NULL;
	int rc;

	if (prepare(r, fs_update_sql, &up) == -1)
		return -1;
	sqlite3_bind_int64(up, 1, id);
	store_bind_text(up, 2, f->state);
	store_bind_real(up, 3, f->inventory_kg);
	store_bind_real(up, 4, f->throughput_kg);
	store_bind_text(up, 5, f->extra_json);
	sqlite3_bind_int64(up, 6,
	    e->dq | store_facility_flag(r->s, f->facility));
	store_bind_text(up, 7, f->facility);
	sqlite3_bind_int64(up, 8, f->ts_ms);
	rc = write_step(r, up, f->facility);
	release(up);
	if (rc == 1)
		r->out->changed[STORE_RD_FACILITY_STATUS]++;
	return rc == -1 ? -1 : 0;
}

static int
facility_status(struct rd *r, const struct ev *e, size_t ev)
{
	const struct ev_facility_status *f = &e->u.fst;
	sqlite3_stmt *find = NULL;
	int64_t id;
	int rc;

	if (prepare(r, fs_find_sql, &find) == -1)
		return -1;
	store_bind_text(find, 1, f->facility);
	sqlite3_bind_int64(find, 2, f->ts_ms);
	rc = owned(r, find, ev, &id);
	release(find);
	if (rc != 1)
		return rc;
	return update_fs(r, e, id);
}

/* Whether an event of kind k in evs has the key of the current row of
 * st (a vehicle event's or a status report's). */
static int
key_named(sqlite3_stmt *st, enum ev_kind k, const struct ev *evs, size_t n)
{
	const char *a = (const char *)sqlite3_column_text(st, 1);
	const char *t = (const char *)sqlite3_column_text(st, 2);
	size_t i;

	for (i = 0; i < n; i++) {
		if (evs[i].kind != k)
			continue;
		if (k == EV_VEHICLE_EVENT &&
		    strcmp(evs[i].u.vev.vehicle, a) == 0 &&
		    strcmp(evs[i].u.vev.type, t) == 0 &&
		    evs[i].u.vev.ts_ms == sqlite3_column_int64(st, 3))
			return 1;
		if (k == EV_FACILITY_STATUS &&
		    strcmp(evs[i].u.fst.facility, a) == 0 &&
		    evs[i].u.fst.ts_ms == sqlite3_column_int64(st, 2))
			return 1;
	}
	return 0;
}

/* One pending event of kind k and the message's row it pairs with. */
static int
move_one(struct rd *r, sqlite3_stmt *rows, const struct ev *e)
{
	struct ve_old old = { sqlite3_column_int64(rows, 0), 0, NULL, 0 };
	char *plate = NULL;
	int rc;

	r->matched++;
	if (e->kind == EV_FACILITY_STATUS)
		return update_fs(r, e, old.id);
	old.ts_ms = sqlite3_column_int64(rows, 3);
	old.load =
	    strcmp((const char *)sqlite3_column_text(rows, 2), "load") == 0;
	if (sqlite3_column_text(rows, 4) != NULL &&
	    (plate = strdup((const char *)sqlite3_column_text(rows, 4))) ==
		NULL)
		return -1;
	old.plate = plate;
	rc = update_ve(r, e, &old);
	free(plate);
	return rc;
}

/*
 * The events of kind k whose key names no row, paired in order with the
 * message's rows of that kind no event names: the same number of each,
 * else a conflict (the fix would add or remove rows).
 */
static int
move_keys(struct rd *r, enum ev_kind k, const struct ev *evs, size_t n)
{
	sqlite3_stmt *rows = NULL;
	size_t i = 0, want = 0, j;
	int rc = 0, more;

	for (j = 0; j < r->npending; j++)
		want += evs[r->pending[j]].kind == k;
	if (want == 0)
		return 0;
	if (prepare(r, k == EV_VEHICLE_EVENT ? ve_rows_sql : fs_rows_sql,
		&rows) == -1)
		return -1;
	sqlite3_bind_int64(rows, 1, r->mid);
	j = 0;
	while (rc == 0 && r->out->outcome != STORE_RD_CONFLICT &&
	    (more = step(rows)) == 1) {
		if (key_named(rows, k, evs, n))
			continue;
		while (j < r->npending && evs[r->pending[j]].kind != k)
			j++;
		if (j == r->npending)
			break; /* more rows than events: counted below */
		rc = move_one(r, rows, &evs[r->pending[j++]]);
		i++;
	}
	release(rows);
	if (rc == 0 && more < 0)
		rc = -1;
	if (rc == 0 && i < want)
		conflict(r,
		    "an event names no row of the message:", ev_kind_name(k));
	return rc;
}

/* The event's ticket is no row of the message: another message's (a
 * re-send that wrote nothing), else a conflict. */
static int
weighing_other(struct rd *r, const struct ev_weighing *w)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prepare(r, wb_other_sql, &st) == -1)
		return -1;
	store_bind_text(st, 1, w->facility);
	store_bind_text(st, 2, w->ticket);
	if ((rc = step(st)) == 0)
		conflict(r, "no stored ticket", w->ticket);
	release(st);
	return rc == -1 ? -1 : 0;
}

static void
wb_bind_update(sqlite3_stmt *up, const struct ev *e, int64_t id,
    const char *day, uint32_t dq, const char *fp)
{
	const struct ev_weighing *w = &e->u.wb;

	sqlite3_bind_int64(up, 1, id);
	store_bind_text(up, 2, day);
	store_bind_text(up, 3, w->plate);
	store_bind_text(up, 4, w->direction);
	store_bind_real(up, 5, w->gross_kg);
	store_bind_real(up, 6, w->tare_kg);
	store_bind_real(up, 7, w->net_kg);
	sqlite3_bind_int64(up, 8, w->first_ms);
	store_bind_time(up, 9, w->second_ms);
	store_bind_text(up, 10, w->waste);
	store_bind_text(up, 11, w->origin);
	store_bind_text(up, 12, w->status);
	store_bind_text(up, 13, w->manifest_no);
	sqlite3_bind_int64(up, 14, dq);
	store_bind_text(up, 15, fp);
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
	sqlite3_stmt *find = NULL, *up = NULL;
	char fp[65], day[16];
	int64_t id;
	uint32_t dq;
	int rc = -1, hist, found;

	if (store_wb_fingerprint(w, fp) == -1 ||
	    prepare(r, wb_find_sql, &find) == -1)
		goto done;
	store_bind_text(find, 1, w->facility);
	store_bind_text(find, 2, w->ticket);
	sqlite3_bind_int64(find, 3, r->mid);
	sqlite3_bind_int64(find, 4, w->first_ms);
	if ((found = step(find)) != 1) {
		rc = found == 0 ? weighing_other(r, w) : -1;
		goto done;
	}
	r->matched++;
	hist = sqlite3_column_int(find, 0);
	id = sqlite3_column_int64(find, 1);
	if (w->version > 0 && w->version != sqlite3_column_int64(find, 2)) {
		conflict(r, "another version of ticket", w->ticket);
		rc = 0;
		goto done;
	}
	if (w->first_ms == sqlite3_column_int64(find, 3))
		snprintf(day, sizeof(day), "%s",
		    (const char *)sqlite3_column_text(find, 4));
	else
		norm_local_day(w->first_ms, r->off_min, day);
	/* A late version stays marked late. */
	dq = e->dq | store_facility_flag(r->s, w->facility) |
	    ((uint32_t)sqlite3_column_int64(find, 5) & DQ_LATE);
	if (prepare(r, hist ? wbh_update_sql : wb_update_sql, &up) == -1)
		goto done;
	wb_bind_update(up, e, id, day, dq, fp);
	if ((found = write_step(r, up, w->ticket)) == -1)
		goto done;
	if (found == 1)
		r->out->changed[hist ? STORE_RD_WEIGHINGS_HISTORY
				     : STORE_RD_WEIGHINGS]++;
	rc = 0;
done:
	release(find);
	release(up);
	return rc;
}

/* Every row of the message named by an event; else a conflict. */
static int
all_named(struct rd *r)
{
	sqlite3_stmt *st = NULL;
	int64_t rows = 0;
	int rc;

	if (prepare(r, rows_of_sql, &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, r->mid);
	if ((rc = step(st)) == 1)
		rows = sqlite3_column_int64(st, 0);
	release(st);
	if (rc != 1)
		return -1;
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
	sqlite3_stmt *st = NULL;
	int rc;

	if (prepare(r, mark_sql, &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, r->mid);
	sqlite3_bind_int64(st, 2, r->now_ms);
	rc = step(st) < 0 ? -1 : 0;
	release(st);
	return rc;
}

int
store_sqlite_rederive(struct store_rederive *pub, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out)
{
	struct sqlite_rederive *job = (struct sqlite_rederive *)pub;
	struct store_sqlite *s = job->s;
	struct rd r = { job, s, message_id, now_ms, local_offset_min, 0, out };
	size_t i;
	int changed = 0;

	memset(out, 0, sizeof(*out));
	/* All of the message or nothing: its changes are undone on a
	 * conflict found after some of them. */
	if (store_db_exec(s->db, "SAVEPOINT rederive") == -1)
		return -1;
	if (rederive_events(&r, evs, n) == -1)
		goto fail;
	for (i = 0; i < STORE_RD_TABLES; i++)
		changed |= out->changed[i] > 0;
	if (out->outcome == STORE_RD_CONFLICT) {
		memset(out->changed, 0, sizeof(out->changed));
		if (store_db_exec(s->db, "ROLLBACK TO rederive") == -1)
			goto fail;
	} else if (changed) {
		out->outcome = STORE_RD_CHANGED;
		if (mark(&r) == -1)
			goto fail;
	}
	return store_db_exec(s->db, "RELEASE rederive");
fail:
	/* The caller rolls the transaction back. */
	return -1;
}
