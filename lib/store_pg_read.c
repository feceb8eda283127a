/*
 * store_pg_read: the reports' reads on the reader's handle
 * (store_open_reader_at), each inside the snapshot store_pg_read_begin()
 * opened; the same rows as SQLite's (store_read.c, and the alert reads
 * of store_alert.c). Text is sorted by bytes (COLLATE "C"), as SQLite
 * compares it, whatever the database's collation.
 */
#include "store_pg_int.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

static const struct pg_stmt st_tonnage = { "r_tonnage",
	/* Transfer stations pass waste on: counting them would count
	 * twice. */
	"SELECT coalesce(district, 'unknown'), waste, sum(kg)"
	" FROM daily_tonnage WHERE day = $1"
	" AND coalesce(facility_kind, '') <> 'transfer_station'"
	" GROUP BY 1, 2 ORDER BY coalesce(district, 'unknown') COLLATE \"C\","
	" waste COLLATE \"C\" NULLS FIRST" };

static const struct pg_stmt st_manifest_counts = { "r_manifest_counts",
	"SELECT (SELECT count(*) FROM manifests WHERE status IN"
	" ('created', 'in_transit', 'arrived')),"
	" (SELECT count(*) FROM reconciliations WHERE verdict = 'overdue'),"
	" (SELECT count(*) FROM reconciliations"
	" WHERE verdict = 'discrepancy')" };

static const struct pg_stmt st_indicators = { "r_indicators",
	"SELECT district, collected_kg, recycling_rate, harmless_rate,"
	" cw_utilisation_rate, clearance_rate, manifest_closure_rate,"
	" discrepancy_rate, authorised_unload_share, manifests,"
	" overdue_manifests FROM daily_indicators WHERE day = $1"
	" ORDER BY district COLLATE \"C\" NULLS FIRST" };

/* The tables by day, not the view: its GROUP BY over a UNION would
 * read every day for one. */
static const struct pg_stmt st_muck = { "r_muck",
	"SELECT count(*), coalesce(sum(authorised), 0)::bigint,"
	" (SELECT count(*) FROM muck_violations WHERE day = $1"
	" AND kind = 'night_window'), (SELECT count(*) FROM"
	" muck_violations WHERE day = $1 AND kind = 'permit')"
	" FROM unloads WHERE day = $1 AND state = 'unload' AND muck = 1" };

static const struct pg_stmt st_items = { "r_items",
	"SELECT r.scheme, r.manifest_no, r.verdict, r.declared_kg,"
	" r.received_kg, r.diff_pct, m.departed_ms FROM reconciliations r"
	" JOIN manifests m USING (scheme, manifest_no) WHERE r.verdict = $1"
	" ORDER BY m.departed_ms DESC NULLS LAST LIMIT $2" };

static const struct pg_stmt st_alert_kinds = { "r_alert_kinds",
	"SELECT kind, count(*) FROM alerts WHERE resolved_ms IS NULL"
	" GROUP BY kind ORDER BY kind COLLATE \"C\"" };

static const struct pg_stmt st_alert_counts = { "r_alert_counts",
	"SELECT (SELECT coalesce(max(id), 0) FROM alerts),"
	" (SELECT count(*) FROM alerts WHERE resolved_ms IS NULL),"
	" (SELECT count(*) FROM alerts WHERE published < CASE WHEN"
	" resolved_ms IS NULL THEN 1 ELSE 3 END)" };

/* Open alerts through the partial index, newest first. */
static const struct pg_stmt st_alert_items = { "r_alert_items",
	"SELECT id, opened_ms, kind, severity, subject, district"
	" FROM alerts WHERE resolved_ms IS NULL ORDER BY id DESC LIMIT $1" };

/* A text column into out, `dflt` when NULL (as SQLite's reads do). */
static void
copy_text(const PGresult *r, int row, int col, char *out, size_t n,
    const char *dflt)
{
	const char *v = pgr_text(r, row, col);

	snprintf(out, n, "%s", v != NULL ? v : dflt);
}

/* Run st with one text parameter (NULL: none) and, when limit >= 0, an
 * integer after it. */
static PGresult *
run(struct store *pub, const struct pg_stmt *st, const char *text,
    int64_t limit)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct pgp p;

	pgp_init(&p);
	if (text != NULL)
		pgp_text(&p, text);
	if (limit >= 0)
		pgp_i64(&p, limit);
	return pgq_query(s, st, &p);
}

int
store_pg_day_tonnage(struct store *pub, const char *day, store_row_fn fn,
    void *arg)
{
	PGresult *r;
	int i;

	if ((r = run(pub, &st_tonnage, day, -1)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		fn(arg, pgr_text(r, i, 0), pgr_text(r, i, 1),
		    PQgetisnull(r, i, 2) ? 0.0 : pgr_real(r, i, 2));
	PQclear(r);
	return 0;
}

int
store_pg_manifest_counts(struct store *pub, struct store_manifest_counts *c)
{
	PGresult *r;

	memset(c, 0, sizeof(*c));
	if ((r = run(pub, &st_manifest_counts, NULL, -1)) == NULL)
		return -1;
	c->open = pgr_i64(r, 0, 0, 0);
	c->overdue = pgr_i64(r, 0, 1, 0);
	c->discrepancies = pgr_i64(r, 0, 2, 0);
	PQclear(r);
	return 0;
}

int
store_pg_day_indicators(struct store *pub, const char *day,
    store_indicators_fn fn, void *arg)
{
	struct store_indicators x;
	PGresult *r;
	int i;

	if ((r = run(pub, &st_indicators, day, -1)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		copy_text(r, i, 0, x.district, sizeof(x.district), "unknown");
		x.collected_kg = pgr_real(r, i, 1);
		x.recycling_rate = pgr_real(r, i, 2);
		x.harmless_rate = pgr_real(r, i, 3);
		x.cw_rate = pgr_real(r, i, 4);
		x.clearance_rate = pgr_real(r, i, 5);
		x.closure_rate = pgr_real(r, i, 6);
		x.discrepancy_rate = pgr_real(r, i, 7);
		x.authorised_share = pgr_real(r, i, 8);
		x.manifests = pgr_i64(r, i, 9, 0);
		x.overdue = pgr_i64(r, i, 10, 0);
		fn(arg, &x);
	}
	PQclear(r);
	return 0;
}

int
store_pg_day_muck(struct store *pub, const char *day,
    struct store_muck_day *out)
{
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if ((r = run(pub, &st_muck, day, -1)) == NULL)
		return -1;
	out->trips = pgr_i64(r, 0, 0, 0);
	out->authorised = pgr_i64(r, 0, 1, 0);
	out->unauthorised = out->trips - out->authorised;
	out->night_window = pgr_i64(r, 0, 2, 0);
	out->permit = pgr_i64(r, 0, 3, 0);
	PQclear(r);
	return 0;
}

int
store_pg_manifest_items(struct store *pub, const char *verdict, int limit,
    store_item_fn fn, void *arg)
{
	struct store_manifest_item it;
	PGresult *r;
	int i;

	/* SQLite reads a negative LIMIT as none. */
	if ((r = run(pub, &st_items, verdict, limit < 0 ? INT64_MAX : limit)) ==
	    NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		copy_text(r, i, 0, it.scheme, sizeof(it.scheme), "unknown");
		copy_text(r, i, 1, it.manifest_no, sizeof(it.manifest_no),
		    "unknown");
		copy_text(r, i, 2, it.verdict, sizeof(it.verdict), "unknown");
		it.declared_kg = pgr_real(r, i, 3);
		it.received_kg = pgr_real(r, i, 4);
		it.diff_pct = pgr_real(r, i, 5);
		it.departed_ms = pgr_time(r, i, 6);
		fn(arg, &it);
	}
	PQclear(r);
	return 0;
}

int
store_pg_alert_open_by_kind(struct store *pub, store_row_fn fn, void *arg)
{
	PGresult *r;
	int i;

	if ((r = run(pub, &st_alert_kinds, NULL, -1)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		fn(arg, pgr_text(r, i, 0), NULL, pgr_real(r, i, 1));
	PQclear(r);
	return 0;
}

int
store_pg_alert_counts(struct store *pub, struct store_alert_counts *c)
{
	PGresult *r;

	memset(c, 0, sizeof(*c));
	if ((r = run(pub, &st_alert_counts, NULL, -1)) == NULL)
		return -1;
	c->opened_total = pgr_i64(r, 0, 0, 0);
	c->open = pgr_i64(r, 0, 1, 0);
	c->unpublished = pgr_i64(r, 0, 2, 0);
	PQclear(r);
	return 0;
}

int
store_pg_alert_items(struct store *pub, int limit, store_alert_item_fn fn,
    void *arg)
{
	struct store_alert_item it;
	PGresult *r;
	int i;

	if ((r = run(pub, &st_alert_items, NULL,
		 limit < 0 ? INT64_MAX : limit)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		it.id = pgr_i64(r, i, 0, 0);
		it.opened_ms = pgr_i64(r, i, 1, 0);
		copy_text(r, i, 2, it.kind, sizeof(it.kind), "");
		copy_text(r, i, 3, it.severity, sizeof(it.severity), "");
		copy_text(r, i, 4, it.subject, sizeof(it.subject), "");
		copy_text(r, i, 5, it.district, sizeof(it.district), "");
		fn(arg, &it);
	}
	PQclear(r);
	return 0;
}
