/*
 * store_read: the report reads, on the read-only connection, so that a
 * report never waits for the writer nor holds it up.
 */
#include "store_int.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

int
store_sqlite_read_begin(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	return store_db_exec(s->ro, "BEGIN");
}

void
store_sqlite_read_end(struct store *pub)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	/* A read transaction has nothing to lose: a failed end has been
	 * logged, and the next store_read_begin() reports the state. */
	if (store_db_exec(s->ro, "COMMIT") == -1)
		log_debug("store: end of a read failed");
}

int
store_sqlite_data_version(struct store *pub, int64_t *v)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	return store_pragma_int(s->ro, "PRAGMA data_version", v);
}

static int
ro_query(struct store_sqlite *s, const char *sql, const char *arg1,
    int64_t arg2, store_row_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(s->ro));
		return -1;
	}
	if (arg1 != NULL)
		sqlite3_bind_text(st, 1, arg1, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, arg2);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_double(st, 2));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(s->ro));
		return -1;
	}
	return 0;
}

int
store_sqlite_day_tonnage(struct store *pub, const char *day, store_row_fn fn,
    void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	/* Transfer stations pass waste on: counting them would count twice. */
	return ro_query(s,
	    "SELECT coalesce(district, 'unknown'), waste,"
	    " sum(kg) FROM daily_tonnage WHERE day = ?1 AND"
	    " coalesce(facility_kind, '') <> 'transfer_station'"
	    " GROUP BY 1, 2 ORDER BY 1, 2",
	    day, 0, fn, arg);
}

static void
take_count(void *arg, const char *a, const char *b, double v)
{
	(void)a;
	(void)b;
	*(int64_t *)arg = (int64_t)v;
}

int
store_sqlite_manifest_counts(struct store *pub, struct store_manifest_counts *c)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	memset(c, 0, sizeof(*c));
	if (ro_query(s,
		"SELECT NULL, NULL, count(*) FROM manifests WHERE"
		" status IN ('created', 'in_transit', 'arrived') AND ?1 = ?1",
		NULL, 0, take_count, &c->open) == -1 ||
	    ro_query(s,
		"SELECT NULL, NULL, count(*) FROM reconciliations"
		" WHERE verdict = 'overdue' AND ?1 = ?1",
		NULL, 0, take_count, &c->overdue) == -1 ||
	    ro_query(s,
		"SELECT NULL, NULL, count(*) FROM reconciliations"
		" WHERE verdict = 'discrepancy' AND ?1 = ?1",
		NULL, 0, take_count, &c->discrepancies) == -1)
		return -1;
	return 0;
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(out, n, "%s", v ? (const char *)v : "unknown");
}

int
store_sqlite_day_indicators(struct store *pub, const char *day,
    store_indicators_fn fn, void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	struct store_indicators r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro,
		"SELECT district, collected_kg,"
		" recycling_rate, harmless_rate, cw_utilisation_rate,"
		" clearance_rate, manifest_closure_rate, discrepancy_rate,"
		" authorised_unload_share, manifests, overdue_manifests"
		" FROM daily_indicators WHERE day = ?1 ORDER BY district",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, r.district, sizeof(r.district));
		r.collected_kg = store_db_real(st, 1);
		r.recycling_rate = store_db_real(st, 2);
		r.harmless_rate = store_db_real(st, 3);
		r.cw_rate = store_db_real(st, 4);
		r.clearance_rate = store_db_real(st, 5);
		r.closure_rate = store_db_real(st, 6);
		r.discrepancy_rate = store_db_real(st, 7);
		r.authorised_share = store_db_real(st, 8);
		r.manifests = sqlite3_column_int64(st, 9);
		r.overdue = sqlite3_column_int64(st, 10);
		fn(arg, &r);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_warnx("store: indicators: %s", sqlite3_errmsg(s->ro));
	return -1;
}

/* The tables by day, not the view: its GROUP BY over a UNION would
 * read every day for one. */
int
store_sqlite_day_muck(struct store *pub, const char *day,
    struct store_muck_day *out)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(s->ro,
		"SELECT count(*), coalesce(sum(authorised), 0),"
		" (SELECT count(*) FROM muck_violations WHERE day = ?1"
		" AND kind = 'night_window'), (SELECT count(*) FROM"
		" muck_violations WHERE day = ?1 AND kind = 'permit')"
		" FROM unloads WHERE day = ?1 AND state = 'unload'"
		" AND muck = 1",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->trips = sqlite3_column_int64(st, 0);
		out->authorised = sqlite3_column_int64(st, 1);
		out->unauthorised = out->trips - out->authorised;
		out->night_window = sqlite3_column_int64(st, 2);
		out->permit = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
fail:
	log_warnx("store: muck figures: %s", sqlite3_errmsg(s->ro));
	return -1;
}

int
store_sqlite_manifest_items(struct store *pub, const char *verdict, int limit,
    store_item_fn fn, void *arg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	struct store_manifest_item it;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro,
		"SELECT r.scheme, r.manifest_no,"
		" r.verdict, r.declared_kg, r.received_kg, r.diff_pct,"
		" m.departed_ms FROM reconciliations r JOIN manifests m"
		" USING (scheme, manifest_no) WHERE r.verdict = ?1"
		" ORDER BY m.departed_ms DESC LIMIT ?2",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, it.scheme, sizeof(it.scheme));
		col_text(st, 1, it.manifest_no, sizeof(it.manifest_no));
		col_text(st, 2, it.verdict, sizeof(it.verdict));
		it.declared_kg = store_db_real(st, 3);
		it.received_kg = store_db_real(st, 4);
		it.diff_pct = store_db_real(st, 5);
		it.departed_ms = sqlite3_column_type(st, 6) == SQLITE_NULL
		    ? WT_NOTIME
		    : sqlite3_column_int64(st, 6);
		fn(arg, &it);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_warnx("store: manifest items: %s", sqlite3_errmsg(s->ro));
	return -1;
}
