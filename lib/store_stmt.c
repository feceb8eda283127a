/*
 * store_stmt: the helpers every writer file uses on the writer's prepared
 * statements (store_int.h's enum stmt_id): bind with NULL for unknown,
 * run, look up, and the facility-registry lookup behind
 * DQ_UNKNOWN_FACILITY.
 */
#include "store_int.h"

#include "log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- binding helpers: NULL for unknown, never 0 ---- */

void
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

void
store_bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

void
store_bind_time(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == WT_NOTIME)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

int
store_run(struct store_sqlite *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_warnx("store: %.60s...: %s", store_stmt_sql[id],
		    sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
store_lookup(struct store_sqlite *s, enum stmt_id id)
{
	int rc = sqlite3_step(s->st[id]);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("store: %.60s...: %s", store_stmt_sql[id],
	    sqlite3_errmsg(s->db));
	return -1;
}

void
store_lookup_end(struct store_sqlite *s, enum stmt_id id)
{
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
}

int
store_changed(struct store_sqlite *s)
{
	return sqlite3_changes(s->db) > 0;
}

/* DQ_UNKNOWN_FACILITY when id names no facility of the registry. */
uint32_t
store_facility_flag(struct store_sqlite *s, const char *id)
{
	int found;

	if (id == NULL)
		return 0;
	store_bind_text(s->st[S_FACILITY_KNOWN], 1, id);
	if ((found = store_lookup(s, S_FACILITY_KNOWN)) == 1)
		store_lookup_end(s, S_FACILITY_KNOWN);
	return found == 0 ? DQ_UNKNOWN_FACILITY : 0;
}

/* What the registry says of facility id now; f->known 0 when it names
 * none (or id is NULL). Rows keep these values, so that a later change
 * of the registry does not move their past. */
int
store_facility_get(struct store_sqlite *s, const char *id,
    struct store_facility *f)
{
	sqlite3_stmt *st = s->st[S_FACILITY_KNOWN];
	const char *v;
	int found;

	memset(f, 0, sizeof(*f));
	f->harmless = -1;
	if (id == NULL)
		return 0;
	store_bind_text(st, 1, id);
	if ((found = store_lookup(s, S_FACILITY_KNOWN)) != 1)
		return found;
	f->known = 1;
	if ((v = (const char *)sqlite3_column_text(st, 0)) != NULL) {
		snprintf(f->district, sizeof(f->district), "%s", v);
		f->has_district = 1;
	}
	if ((v = (const char *)sqlite3_column_text(st, 1)) != NULL) {
		snprintf(f->kind, sizeof(f->kind), "%s", v);
		f->has_kind = 1;
	}
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		f->harmless = sqlite3_column_int(st, 2);
	store_lookup_end(s, S_FACILITY_KNOWN);
	return 0;
}
