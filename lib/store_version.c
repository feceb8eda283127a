/*
 * store_version: the rows that keep versions. Weighbridge tickets have one
 * current row each and their older versions in weighings_history;
 * manifests have a current row that only moves forward and every update
 * in manifest_events.
 */
#include "store_int.h"

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

/* What a row of a ticket carries besides the sender's figures: the day
 * it is counted on, the day it was first recorded under (its identity)
 * and the facility as the registry had it then. */
struct wb_stamp {
	const char *day, *key_day;
	const char *district, *kind;
	int harmless; /* -1: unknown */
};

static void
wb_bind(sqlite3_stmt *st, const struct ev *e, const struct wb_stamp *k,
    int64_t ver, uint32_t dq, int64_t mid, const char *fp)
{
	const struct ev_weighing *w = &e->u.wb;

	store_bind_text(st, 1, w->facility);
	store_bind_text(st, 2, w->ticket);
	store_bind_text(st, 3, k->day);
	sqlite3_bind_int64(st, 4, ver);
	store_bind_text(st, 5, w->plate);
	store_bind_text(st, 6, w->direction);
	store_bind_real(st, 7, w->gross_kg);
	store_bind_real(st, 8, w->tare_kg);
	store_bind_real(st, 9, w->net_kg);
	sqlite3_bind_int64(st, 10, w->first_ms);
	store_bind_time(st, 11, w->second_ms);
	store_bind_text(st, 12, w->waste);
	store_bind_text(st, 13, w->origin);
	store_bind_text(st, 14, w->status);
	store_bind_text(st, 15, w->manifest_no);
	sqlite3_bind_int64(st, 16, dq);
	sqlite3_bind_int64(st, 17, mid);
	store_bind_text(st, 18, fp);
	store_bind_text(st, 19, k->key_day);
	store_bind_text(st, 20, k->district);
	store_bind_text(st, 21, k->kind);
	if (k->harmless >= 0)
		sqlite3_bind_int(st, 22, k->harmless);
}

struct wb_current {
	int64_t id, version, first_ms;
	int rank;
	char fp[65];
	char day[16], key_day[16], district[64], kind[32];
	int has_district, has_kind, harmless;
};

/*
 * Whether the row is the ticket this weighing speaks of: the same first
 * weighing (only the day the configured offset gives it may differ), the
 * row recorded under the weighing's own day, or — for a row of another
 * day — a correction that says so: a higher explicit version, or a void
 * without a version. A ticket numbered like yesterday's is otherwise a
 * new ticket: numbers restart every day.
 */
static int
wb_same_ticket(sqlite3_stmt *st, const struct ev_weighing *w, const char *day)
{
	const char *key = (const char *)sqlite3_column_text(st, 5);

	if (sqlite3_column_int64(st, 4) == w->first_ms)
		return 1;
	if (key != NULL && strcmp(key, day) == 0)
		return 1;
	if (w->version > 0)
		return w->version > sqlite3_column_int64(st, 1);
	return strcmp(w->status, "void") == 0;
}

static void
wb_copy_current(sqlite3_stmt *st, struct wb_current *cur)
{
	const char *v;

	cur->id = sqlite3_column_int64(st, 0);
	cur->version = sqlite3_column_int64(st, 1);
	cur->rank = wb_status_rank((const char *)sqlite3_column_text(st, 2));
	snprintf(cur->fp, sizeof(cur->fp), "%s",
	    (const char *)sqlite3_column_text(st, 3));
	cur->first_ms = sqlite3_column_int64(st, 4);
	snprintf(cur->key_day, sizeof(cur->key_day), "%s",
	    (const char *)sqlite3_column_text(st, 5));
	snprintf(cur->day, sizeof(cur->day), "%s",
	    (const char *)sqlite3_column_text(st, 10));
	v = (const char *)sqlite3_column_text(st, 6);
	cur->has_district = v != NULL;
	snprintf(cur->district, sizeof(cur->district), "%s", v ? v : "");
	v = (const char *)sqlite3_column_text(st, 7);
	cur->has_kind = v != NULL;
	snprintf(cur->kind, sizeof(cur->kind), "%s", v ? v : "");
	cur->harmless = sqlite3_column_type(st, 8) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int(st, 8);
}

/*
 * Find the current row of the ticket, whatever day it now carries: the
 * nearest row in time that wb_same_ticket() accepts. 1 found, 0 none,
 * -1 error.
 */
static int
wb_current(struct store_sqlite *s, const struct ev_weighing *w, const char *day,
    struct wb_current *cur)
{
	sqlite3_stmt *st = s->st[S_WB_GET];
	int rc, found = 0;

	store_bind_text(st, 1, w->facility);
	store_bind_text(st, 2, w->ticket);
	store_bind_text(st, 3, day);
	sqlite3_bind_int64(st, 4, w->first_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (wb_same_ticket(st, w, day)) {
			wb_copy_current(st, cur);
			found = 1;
			break;
		}
	store_lookup_end(s, S_WB_GET);
	if (!found && rc != SQLITE_DONE) {
		log_warnx("store: weighing lookup: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return found;
}

/* A new ticket is stamped with the registry of now; a later version
 * keeps the stamps of the ticket it corrects, so that its tonnage stays
 * where it was first counted — and its day too, unless it moves the
 * first weighing (then the day is that time's in the offset of now). */
static int
wb_stamp(struct store_sqlite *s, const struct ev_weighing *w,
    const struct wb_current *cur, int found, struct store_facility *f,
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
	if (store_facility_get(s, w->facility, f) == -1)
		return -1;
	k->key_day = k->day;
	k->district = f->has_district ? f->district : NULL;
	k->kind = f->has_kind ? f->kind : NULL;
	k->harmless = f->harmless;
	return 0;
}

/*
 * The version rule: an explicit version orders updates; without one, a
 * completion of an open ticket keeps its version and any other change
 * is the next version. Older versions, and a lower status at the same
 * version, go to history only (late data never moves "current" back).
 * A correction may move the first weighing to another day: the current
 * row moves with it (day included) and keeps its identity (key_day).
 */
int
store_put_weighing(struct store_sqlite *s, const struct ev *e, int64_t mid,
    int off_min, enum store_result *res)
{
	const struct ev_weighing *w = &e->u.wb;
	struct wb_current cur = { 0 };
	struct store_facility f;
	struct wb_stamp k = { 0 };
	char day[16], fp[65];
	int64_t ver;
	uint32_t dq = e->dq | store_facility_flag(s, w->facility);
	int found, rank = wb_status_rank(w->status);

	norm_local_day(w->first_ms, off_min, day);
	k.day = day;
	if (store_wb_fingerprint(w, fp) == -1)
		return -1;
	if ((found = wb_current(s, w, day, &cur)) == -1 ||
	    wb_stamp(s, w, &cur, found, &f, &k) == -1)
		return -1;
	if (!found) {
		wb_bind(s->st[S_WB_INSERT], e, &k,
		    w->version > 0 ? w->version : 1, dq, mid, fp);
		*res = STORE_NEW;
		return store_run(s, S_WB_INSERT);
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
		wb_bind(s->st[S_WB_HISTORY], e, &k, ver, dq | DQ_LATE, mid, fp);
		*res = STORE_HISTORY;
		return store_run(s, S_WB_HISTORY);
	}
	sqlite3_bind_int64(s->st[S_WB_TO_HISTORY], 1, cur.id);
	sqlite3_bind_int64(s->st[S_WB_TO_HISTORY], 2, mid);
	sqlite3_bind_int64(s->st[S_WB_DELETE], 1, cur.id);
	if (store_run(s, S_WB_TO_HISTORY) == -1 ||
	    store_run(s, S_WB_DELETE) == -1)
		return -1;
	wb_bind(s->st[S_WB_INSERT], e, &k, ver, dq, mid, fp);
	*res = STORE_NEW;
	return store_run(s, S_WB_INSERT);
}

/* ---- manifests: forward-only current state, every update an event ---- */

struct man_current {
	int64_t version;
	int rank;
};

static int
man_current(struct store_sqlite *s, const struct ev_manifest *m,
    struct man_current *cur)
{
	sqlite3_stmt *st = s->st[S_MAN_GET];
	int found;

	store_bind_text(st, 1, m->scheme);
	store_bind_text(st, 2, m->manifest_no);
	if ((found = store_lookup(s, S_MAN_GET)) == 1) {
		cur->version = sqlite3_column_int64(st, 0);
		cur->rank = norm_manifest_status_rank(
		    (const char *)sqlite3_column_text(st, 1));
		store_lookup_end(s, S_MAN_GET);
	}
	return found;
}

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

/*
 * The manifest's masses as reconciliation may use them: a manifest with
 * an implausible mass (IMPLAUSIBLE_WEIGHT, on any line or total) has
 * none, so that it is judged on no absurd figure; its lines and its
 * payload keep what was sent.
 */
static void
man_masses(const struct ev *e, double *declared, double *received)
{
	int bad = (e->dq & DQ_IMPLAUSIBLE_WEIGHT) != 0;

	*declared = bad ? NAN : man_declared_kg(&e->u.man);
	*received = bad ? NAN : e->u.man.received_kg;
}

static int
man_upsert(struct store_sqlite *s, const struct ev *e, int64_t mid, int off_min,
    int64_t now_ms)
{
	const struct ev_manifest *m = &e->u.man;
	sqlite3_stmt *st = s->st[S_MAN_UPSERT];
	int rank = norm_manifest_status_rank(m->status);
	struct store_facility f;
	double declared, received;

	if (store_facility_get(s, m->receiver_facility, &f) == -1)
		return -1;
	man_masses(e, &declared, &received);

	store_bind_text(st, 1, m->scheme);
	store_bind_text(st, 2, m->manifest_no);
	sqlite3_bind_int64(st, 3, m->version);
	store_bind_text(st, 4, m->status);
	store_bind_text(st, 5, m->plate);
	store_bind_text(st, 6, m->generator_code);
	store_bind_text(st, 7, m->generator_name);
	store_bind_text(st, 8, m->generator_district);
	store_bind_text(st, 9, m->carrier_name);
	store_bind_text(st, 10, m->receiver_facility);
	store_bind_text(st, 11, m->receiver_name);
	/* Milestones keep the first time the manifest reached them; an
	 * explicit time from the sender wins over the update's own. */
	store_bind_time(st, 12,
	    m->departed_ms != WT_NOTIME ? m->departed_ms
		: rank >= 2		? m->ts_ms
					: WT_NOTIME);
	store_bind_time(st, 13,
	    rank >= 4 && strcmp(m->status, "received") == 0 ? m->ts_ms
							    : WT_NOTIME);
	store_bind_time(st, 14,
	    strcmp(m->status, "closed") == 0 ? m->ts_ms : WT_NOTIME);
	store_bind_real(st, 15, declared);
	sqlite3_bind_int64(st, 16, now_ms);
	sqlite3_bind_int64(st, 17,
	    e->dq | store_facility_flag(s, m->receiver_facility));
	sqlite3_bind_int64(st, 18, mid);
	store_bind_time(st, 19,
	    m->arrived_ms != WT_NOTIME		    ? m->arrived_ms
		: strcmp(m->status, "arrived") == 0 ? m->ts_ms
						    : WT_NOTIME);
	store_bind_real(st, 20, received);
	/* The day the views give it is counted in the offset of now, and
	 * its district is the receiver's of now, for good. */
	sqlite3_bind_int(st, 21, off_min);
	store_bind_text(st, 22, f.has_district ? f.district : NULL);
	return store_run(s, S_MAN_UPSERT);
}

/* The lines replace the previous ones when an update has any; tickets
 * only accumulate. */
static int
man_lines_tickets(struct store_sqlite *s, const struct ev_manifest *m)
{
	sqlite3_stmt *st;
	size_t i;

	if (m->nlines > 0) {
		store_bind_text(s->st[S_MAN_LINES_DEL], 1, m->scheme);
		store_bind_text(s->st[S_MAN_LINES_DEL], 2, m->manifest_no);
		if (store_run(s, S_MAN_LINES_DEL) == -1)
			return -1;
	}
	for (i = 0; i < m->nlines; i++) {
		const struct ev_manifest_line *l = &m->lines[i];

		st = s->st[S_MAN_LINE];
		store_bind_text(st, 1, m->scheme);
		store_bind_text(st, 2, m->manifest_no);
		sqlite3_bind_int64(st, 3, l->line);
		store_bind_text(st, 4, l->waste_code);
		store_bind_text(st, 5, l->hw_category);
		store_bind_text(st, 6, l->waste);
		store_bind_real(st, 7, l->qty);
		store_bind_text(st, 8, l->unit);
		store_bind_real(st, 9, l->qty_kg);
		if (store_run(s, S_MAN_LINE) == -1)
			return -1;
	}
	for (i = 0; i < m->ntickets; i++) {
		st = s->st[S_MAN_TICKET];
		store_bind_text(st, 1, m->scheme);
		store_bind_text(st, 2, m->manifest_no);
		store_bind_text(st, 3, m->tickets[i].facility);
		store_bind_text(st, 4, m->tickets[i].ticket);
		if (store_run(s, S_MAN_TICKET) == -1)
			return -1;
	}
	return 0;
}

static int
man_apply(struct store_sqlite *s, const struct ev *e, int64_t mid, int off_min,
    int64_t now_ms)
{
	if (man_upsert(s, e, mid, off_min, now_ms) == -1)
		return -1;
	return man_lines_tickets(s, &e->u.man);
}

/*
 * Every update is kept in manifest_events; the current row only moves
 * forward: a higher version, or the same version with a later status.
 * A newer version that names an earlier status is recorded but not
 * applied (STATUS_REGRESSION_IGNORED); an older one is LATE.
 */
int
store_put_manifest(struct store_sqlite *s, const struct ev *e, int64_t mid,
    int off_min, int64_t now_ms, enum store_result *res)
{
	const struct ev_manifest *m = &e->u.man;
	sqlite3_stmt *st = s->st[S_MAN_EVENT];
	struct man_current cur = { 0, 0 };
	int64_t event_id;
	uint32_t dq = e->dq;
	int found, rank = norm_manifest_status_rank(m->status), apply;

	store_bind_text(st, 1, m->scheme);
	store_bind_text(st, 2, m->manifest_no);
	sqlite3_bind_int64(st, 3, m->version);
	store_bind_text(st, 4, m->status);
	sqlite3_bind_int64(st, 5, m->ts_ms);
	sqlite3_bind_int64(st, 6, e->dq);
	sqlite3_bind_int64(st, 7, mid);
	if (store_run(s, S_MAN_EVENT) == -1)
		return -1;
	if (!store_changed(s)) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	event_id = sqlite3_last_insert_rowid(s->db);
	if ((found = man_current(s, m, &cur)) == -1)
		return -1;
	apply = !found || m->version > cur.version ||
	    (m->version == cur.version && rank > cur.rank);
	if (apply && found && rank < cur.rank) {
		apply = 0;
		dq |= DQ_STATUS_REGRESSION_IGNORED;
	} else if (!apply)
		dq |= DQ_LATE;
	if (apply && man_apply(s, e, mid, off_min, now_ms) == -1)
		return -1;
	st = s->st[S_MAN_EVENT_APPLIED];
	sqlite3_bind_int64(st, 1, event_id);
	sqlite3_bind_int(st, 2, apply);
	sqlite3_bind_int64(st, 3, dq);
	*res = apply ? STORE_NEW : STORE_HISTORY;
	return store_run(s, S_MAN_EVENT_APPLIED);
}
