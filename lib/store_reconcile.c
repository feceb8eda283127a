/*
 * store_reconcile: links manifests to weighbridge tickets and gives each
 * manifest a verdict. Plain SQL over the current rows. The full rebuild
 * derives every manifest at once and is the reference; a pass derives
 * only the manifests that writes, the clock or a new setting reached
 * (reconcile_queue, reconcile_tickets), a bounded slice at a time, with
 * the same rules (store_recon_inc.c), so that late and corrected data
 * change the next result without the rest being touched again.
 */
#include "store_int.h"

#include "clock.h"
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The full rebuild, in order and in one transaction: rebuild the links
 * between manifests and weighbridge tickets, allocate each ticket's net
 * weight among the manifests on it in proportion to their declared
 * mass, and give every manifest a verdict. The rules themselves are the
 * RECON_* texts of store_int.h, shared with the incremental passes.
 */
static const struct recon_step recon_steps[] = {
	{ "clear links", "DELETE FROM reconciliation_links" },
	/* 1. The manifest names the ticket (the nearest day of its number).
	 * Outbound tickets are shipments, never receipts. */
	{ "links the manifest names",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT t.scheme, t.manifest_no,"
	    " w.facility, w.ticket, w.day, 'ticket_ref' FROM manifest_tickets t"
	    " JOIN manifests m USING (scheme, manifest_no)"
	    " JOIN weighings w ON w.facility = t.facility"
	    " AND w.ticket = t.ticket"
	    " WHERE" RECON_RECEIPT RECON_NEAREST_DAY },
	/* 2. The ticket names the manifest. */
	{ "links the ticket names",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	    " w.facility, w.ticket, w.day, 'ticket_ref' FROM weighings w"
	    " JOIN manifests m ON m.manifest_no = w.manifest_no"
	    " WHERE" RECON_RECEIPT },
	/* 3. Otherwise the plate and the window. */
	{ "links by plate and window",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	    " w.facility, w.ticket, w.day, 'plate_window' FROM manifests m"
	    " JOIN weighings w ON" RECON_PLATE_WINDOW },
	{ "allocation", RECON_ALLOCATION },
	{ "cancelled manifests",
	    "DELETE FROM reconciliation_results WHERE (scheme, manifest_no) IN (SELECT"
	    " scheme, manifest_no FROM manifests WHERE status = 'cancelled')" },
	{ "verdicts",
	    RECON_VERDICT
	    " FROM manifests m LEFT JOIN (SELECT l.scheme AS scheme,"
	    " l.manifest_no AS manifest_no, sum(l.allocated_kg) AS kg," RECON_LINK_METHOD
	    " FROM reconciliation_links l GROUP BY 1, 2) lk"
	    " USING (scheme, manifest_no)" RECON_UPSERT },
	/* Nothing is left for the passes. */
	{ "empty the queue", "DELETE FROM reconcile_queue" },
	{ "empty the ticket marks", "DELETE FROM reconcile_tickets" },
	{ "no requeue",
	    "DELETE FROM meta WHERE key IN ('reconcile_requeue',"
	    " 'reconcile_requeue_scheme', 'reconcile_requeue_no')" },
};

#define NRECON_STEPS (sizeof(recon_steps) / sizeof(recon_steps[0]))

/*
 * Bounds of one pass, measured to keep its transaction near or under
 * 50 ms on a year of data (docs/reconciliation.md): manifests derived,
 * ticket marks expanded, manifests queued again after a setting changed.
 * The slice also follows the time passes take: halved after a pass over
 * RECON_SLOW_US, grown again after quick ones, so that a slower machine
 * or a larger history still keeps the write transaction short.
 */
#define RECON_SLICE	300
#define RECON_SLICE_MIN 25
#define RECON_SLOW_US	40000
#define RECON_QUICK_US	20000
#define RECON_MARKS	4000
#define RECON_REQUEUE	10000

static void
recon_args_of(struct recon_args *a, int64_t now_ms, const struct config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->window_ms = (int64_t)cfg->reconcile.window_h * 3600000;
	a->now_ms = now_ms;
	a->overdue_ms = (int64_t)cfg->reconcile.overdue_h * 3600000;
	a->tolerance_pct = cfg->reconcile.tolerance_pct;
	a->last_ms = -1;
}

/* ---- meta: the pass's own keys ---- */

/* 1 with the value as text in out, 0 when the key is absent, -1. */
static int
meta_text(struct store_sqlite *s, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = s->st[S_META_GET];
	const unsigned char *v;
	int found;

	store_bind_text(st, 1, key);
	if ((found = store_lookup(s, S_META_GET)) == 1) {
		v = sqlite3_column_text(st, 0);
		snprintf(out, n, "%s", v ? (const char *)v : "");
		store_lookup_end(s, S_META_GET);
	}
	return found;
}

static int
meta_put_text(struct store_sqlite *s, const char *key, const char *v)
{
	store_bind_text(s->st[S_META_SET], 1, key);
	store_bind_text(s->st[S_META_SET], 2, v);
	return store_run(s, S_META_SET);
}

static int
meta_put_i64(struct store_sqlite *s, const char *key, int64_t v)
{
	store_bind_text(s->st[S_META_SET], 1, key);
	sqlite3_bind_int64(s->st[S_META_SET], 2, v);
	return store_run(s, S_META_SET);
}

/* One integer of a query without parameters: 1 found, 0 none or NULL. */
static int
query_i64(struct store_sqlite *s, const char *sql, int64_t bind, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto done;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, bind);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = sqlite3_column_type(st, 0) != SQLITE_NULL;
		if (rc == 1)
			*v = sqlite3_column_int64(st, 0);
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	}
done:
	if (rc == -1)
		log_warnx("store: reconcile: %.40s: %s", sql,
		    sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

/* The settings every verdict depends on; when they change, every
 * manifest is derived again (queued in slices, unless the caller
 * derives them all itself: requeue 0). */
static int
recon_params(struct store_sqlite *s, const struct recon_args *a, int requeue)
{
	char now[96], was[96];
	int found;

	snprintf(now, sizeof(now), "window_ms=%lld overdue_ms=%lld tol=%.17g",
	    (long long)a->window_ms, (long long)a->overdue_ms,
	    a->tolerance_pct);
	if ((found = meta_text(s, "reconcile_params", was, sizeof(was))) == -1)
		return -1;
	if (found && strcmp(was, now) == 0)
		return 0;
	if (!requeue)
		return meta_put_text(s, "reconcile_params", now);
	if (found)
		log_notice("store: reconciliation settings changed: every "
			   "manifest is reconciled again, in slices");
	if (store_db_exec(s->db,
		"DELETE FROM meta WHERE key IN ('reconcile_requeue_scheme',"
		" 'reconcile_requeue_no')") == -1 ||
	    meta_put_i64(s, "reconcile_requeue", 1) == -1)
		return -1;
	return meta_put_text(s, "reconcile_params", now);
}

/* The keys >= cursor in key order: queue `limit` of them (c = 0), or
 * read the one after them as the next cursor (c = 1). */
static int
requeue_stmt(struct store_sqlite *s, int c, const char *cs, const char *cn,
    int limit, sqlite3_stmt **out)
{
	static const char *const sql[] = {
		"INSERT OR IGNORE INTO reconcile_queue(scheme, manifest_no)"
		" SELECT scheme, manifest_no FROM manifests"
		" WHERE (scheme, manifest_no) >= (?1, ?2)"
		" ORDER BY scheme, manifest_no LIMIT ?3",
		"SELECT scheme, manifest_no FROM manifests"
		" WHERE (scheme, manifest_no) >= (?1, ?2)"
		" ORDER BY scheme, manifest_no LIMIT 1 OFFSET ?3",
	};

	if (sqlite3_prepare_v2(s->db, sql[c], -1, out, NULL) != SQLITE_OK) {
		log_warnx("store: reconcile: requeue: %s",
		    sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(*out, 1, cs, -1, SQLITE_STATIC);
	sqlite3_bind_text(*out, 2, cn, -1, SQLITE_STATIC);
	sqlite3_bind_int(*out, 3, limit);
	return 0;
}

/* Queue the next chunk of every manifest, in key order from a cursor
 * kept in meta, until all are queued. */
static int
recon_requeue(struct store_sqlite *s)
{
	char cs[128] = "", cn[128] = "", flag[8];
	int limit = s->recon_requeue > 0 ? s->recon_requeue : RECON_REQUEUE;
	sqlite3_stmt *st = NULL;
	int rc = -1, found;

	if ((found = meta_text(s, "reconcile_requeue", flag, sizeof(flag))) !=
	    1)
		return found;
	if (meta_text(s, "reconcile_requeue_scheme", cs, sizeof(cs)) == -1 ||
	    meta_text(s, "reconcile_requeue_no", cn, sizeof(cn)) == -1 ||
	    requeue_stmt(s, 0, cs, cn, limit, &st) == -1)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (requeue_stmt(s, 1, cs, cn, limit, &st) == -1)
		return -1;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		snprintf(cs, sizeof(cs), "%s", sqlite3_column_text(st, 0));
		snprintf(cn, sizeof(cn), "%s", sqlite3_column_text(st, 1));
		rc = meta_put_text(s, "reconcile_requeue_scheme", cs) == -1 ||
			meta_put_text(s, "reconcile_requeue_no", cn) == -1
		    ? -1
		    : 0;
		break;
	case SQLITE_DONE:
		rc = store_db_exec(s->db,
		    "DELETE FROM meta WHERE key IN ('reconcile_requeue',"
		    " 'reconcile_requeue_scheme', 'reconcile_requeue_no')");
		break;
	default:
		goto fail;
	}
	sqlite3_finalize(st);
	return rc;
fail:
	log_warnx("store: reconcile: requeue: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -1;
}

/* Expand the oldest ticket marks into manifests to derive. */
static int
recon_marks(struct store_sqlite *s, struct recon_args *a)
{
	int limit = s->recon_marks > 0 ? s->recon_marks : RECON_MARKS;
	int found;

	found = query_i64(s,
	    "SELECT id FROM reconcile_tickets ORDER BY id LIMIT 1 OFFSET ?1",
	    limit - 1, &a->upto);
	if (found == 0)
		found = query_i64(s, "SELECT max(id) FROM reconcile_tickets", 0,
		    &a->upto);
	if (found != 1)
		return found;
	return store_recon_steps(s, store_recon_mark_steps,
	    store_recon_nmark_steps, a);
}

/* Whether work is left for the next pass. */
static int
recon_left(struct store_sqlite *s, int *more)
{
	int64_t v = 0;

	if (query_i64(s,
		"SELECT EXISTS (SELECT 1 FROM reconcile_queue)"
		" OR EXISTS (SELECT 1 FROM reconcile_tickets)"
		" OR EXISTS (SELECT 1 FROM meta"
		" WHERE key = 'reconcile_requeue')",
		0, &v) == -1)
		return -1;
	*more = v != 0;
	return 0;
}

static int
recon_pass(struct store_sqlite *s, struct recon_args *a, int *more)
{
	char last[32];
	int found;

	if (recon_params(s, a, 1) == -1 || recon_requeue(s) == -1 ||
	    (found = meta_text(s, "reconcile_pass_ms", last, sizeof(last))) ==
		-1)
		return -1;
	if (found) {
		a->last_ms = strtoll(last, NULL, 10);
		if (store_recon_run(s, &store_recon_time_step, a) == -1)
			return -1;
	}
	a->slice = s->recon_slice > 0 ? s->recon_slice
	    : s->recon_adapt > 0      ? s->recon_adapt
				      : RECON_SLICE;
	if (recon_marks(s, a) == -1 ||
	    store_db_exec(s->db, store_recon_temp_sql) == -1 ||
	    store_recon_run(s, &store_recon_slice_steps[0], a) == -1)
		return -1;
	/* An empty slice: nothing to derive. */
	if (sqlite3_changes(s->db) > 0 &&
	    store_recon_steps(s, store_recon_slice_steps + 1,
		store_recon_nslice_steps - 1, a) == -1)
		return -1;
	if (meta_put_i64(s, "reconcile_pass_ms", a->now_ms) == -1 ||
	    recon_left(s, more) == -1)
		return -1;
	/* The rows not waiting are now current (the reconciliations
	 * view's updated_ms). */
	if (!*more && meta_put_i64(s, "reconcile_current_ms", a->now_ms) == -1)
		return -1;
	return 0;
}

static int
recon_txn_end(struct store_sqlite *s, int ok)
{
	if (ok && store_db_exec(s->db, "COMMIT") == 0)
		return 0;
	/* Already failing: a failed rollback has logged, nothing to add. */
	if (store_db_exec(s->db, "ROLLBACK") == -1)
		log_debug("store: reconcile: rollback failed");
	return -1;
}

int
store_sqlite_reconcile_pass(struct store *pub, int64_t now_ms,
    const struct config *cfg, int *more)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	struct recon_args a;
	int64_t t0 = clock_mono_us(), took;
	int rc;

	recon_args_of(&a, now_ms, cfg);
	*more = 0;
	if (store_db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	rc = recon_txn_end(s, recon_pass(s, &a, more) == 0);
	took = clock_mono_us() - t0;
	if (rc == 0 && took > RECON_SLOW_US && a.slice > RECON_SLICE_MIN)
		s->recon_adapt = (int)a.slice / 2 > RECON_SLICE_MIN
		    ? (int)a.slice / 2
		    : RECON_SLICE_MIN;
	else if (rc == 0 && *more && took < RECON_QUICK_US &&
	    a.slice < RECON_SLICE)
		s->recon_adapt = (int)a.slice * 3 / 2 < RECON_SLICE
		    ? (int)a.slice * 3 / 2
		    : RECON_SLICE;
	return rc;
}

int
store_sqlite_reconcile_full(struct store *pub, int64_t now_ms,
    const struct config *cfg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	struct recon_args a;
	int ok;

	recon_args_of(&a, now_ms, cfg);
	if (store_db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	ok = store_recon_steps(s, recon_steps, NRECON_STEPS, &a) == 0 &&
	    recon_params(s, &a, 0) == 0 &&
	    meta_put_i64(s, "reconcile_pass_ms", now_ms) == 0 &&
	    meta_put_i64(s, "reconcile_current_ms", now_ms) == 0;
	return recon_txn_end(s, ok);
}

int
store_sqlite_reconcile_behind(struct store *pub, int *behind)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	return recon_left(s, behind);
}
