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

#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The full rebuild, in order and in one transaction: rebuild the links
 * between manifests and weighbridge tickets, allocate each ticket's net
 * weight among the manifests on it in proportion to their declared
 * mass, and give every manifest a verdict. Parameters: ?1 the match
 * window, ?2 now, ?3 the tolerance in percent, ?4 the age at which a
 * manifest in transit is overdue (times in ms).
 *
 * A ticket flagged NET_MISMATCH, NET_NEGATIVE or IMPLAUSIBLE_WEIGHT
 * (512 | 1024 | 2048 = 3584) is never linked: its net cannot be trusted,
 * and every other indicator leaves it out too.
 */
static const struct recon_step recon_steps[] = {
	{ "clear links", "DELETE FROM reconciliation_links" },
	/* 1. The manifest names the ticket. Ticket numbers are unique per
	 * facility and day only: take the day nearest the manifest's trip.
	 * Outbound tickets are shipments, never receipts. */
	{ "links the manifest names",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT t.scheme, t.manifest_no,"
	    " w.facility, w.ticket, w.day, 'ticket_ref' FROM manifest_tickets t"
	    " JOIN manifests m USING (scheme, manifest_no)"
	    " JOIN weighings w ON w.facility = t.facility"
	    " AND w.ticket = t.ticket"
	    " WHERE w.status = 'complete' AND w.direction IS NOT 'out'"
	    " AND (w.dq_flags & 3584) = 0"
	    " AND NOT EXISTS (SELECT 1 FROM weighings w2"
	    " WHERE w2.facility = w.facility AND w2.ticket = w.ticket"
	    " AND abs(w2.first_ms - coalesce(m.departed_ms, m.arrived_ms,"
	    " w.first_ms)) < abs(w.first_ms - coalesce(m.departed_ms,"
	    " m.arrived_ms, w.first_ms)))" },
	/* 2. The ticket names the manifest. */
	{ "links the ticket names",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	    " w.facility, w.ticket, w.day, 'ticket_ref' FROM weighings w"
	    " JOIN manifests m ON m.manifest_no = w.manifest_no"
	    " WHERE w.status = 'complete' AND w.direction IS NOT 'out'"
	    " AND (w.dq_flags & 3584) = 0" },
	/* 3. Otherwise: the first complete inbound ticket of the plate at
	 * the receiving facility within the window after departure that no
	 * other manifest references explicitly. */
	{ "links by plate and window",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	    " w.facility, w.ticket, w.day, 'plate_window' FROM manifests m"
	    " JOIN weighings w ON w.plate = m.plate"
	    " AND w.facility = m.receiver_facility AND w.direction = 'in'"
	    " AND w.status = 'complete' AND (w.dq_flags & 3584) = 0"
	    " AND w.first_ms >= m.departed_ms"
	    " AND w.first_ms <= m.departed_ms + ?1"
	    " WHERE m.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM"
	    " reconciliation_links l WHERE l.scheme = m.scheme"
	    " AND l.manifest_no = m.manifest_no)"
	    " AND w.first_ms = (SELECT min(w2.first_ms) FROM weighings w2"
	    " WHERE w2.plate = m.plate AND w2.facility = m.receiver_facility"
	    " AND w2.direction = 'in' AND w2.status = 'complete'"
	    " AND (w2.dq_flags & 3584) = 0"
	    " AND w2.first_ms >= m.departed_ms"
	    " AND w2.first_ms <= m.departed_ms + ?1"
	    " AND NOT EXISTS (SELECT 1 FROM reconciliation_links l3"
	    " WHERE l3.facility = w2.facility AND l3.ticket = w2.ticket"
	    " AND l3.day = w2.day))" },
	/* Several manifests on one ticket share its net by declared mass
	 * (equally when any declaration is missing, so the shares always
	 * add up to the ticket). */
	{ "allocation",
	    "UPDATE reconciliation_links AS l SET allocated_kg ="
	    " (SELECT w.net_kg *"
	    " CASE WHEN t.n = 1 THEN 1.0 WHEN t.undeclared > 0 OR t.decl <= 0"
	    " THEN 1.0 / t.n ELSE m.declared_kg / t.decl END"
	    " FROM weighings w, manifests m,"
	    " (SELECT count(*) AS n, sum(m2.declared_kg) AS decl,"
	    " sum(m2.declared_kg IS NULL) AS undeclared FROM"
	    " reconciliation_links l2"
	    " JOIN manifests m2 USING (scheme, manifest_no)"
	    " WHERE l2.facility = l.facility AND l2.ticket = l.ticket"
	    " AND l2.day = l.day) t WHERE w.facility = l.facility"
	    " AND w.ticket = l.ticket AND w.day = l.day AND m.scheme = l.scheme"
	    " AND m.manifest_no = l.manifest_no)" },
	{ "cancelled manifests",
	    "DELETE FROM reconciliation_results WHERE (scheme, manifest_no) IN (SELECT"
	    " scheme, manifest_no FROM manifests WHERE status = 'cancelled')" },
	/* The weighbridge is the truth; a receiver's own figure stands in
	 * only when no ticket is linked. */
	{ "verdicts",
	    "INSERT INTO reconciliation_results(scheme, manifest_no,"
	    " declared_kg, received_kg, diff_pct, method, verdict, derived_ms)"
	    " SELECT scheme, manifest_no, declared_kg, received,"
	    " CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"
	    " (received - declared_kg) * 100.0 / declared_kg END, method,"
	    " CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"
	    " CASE WHEN abs(received - declared_kg) * 100.0 / declared_kg > ?3"
	    " THEN 'discrepancy' ELSE 'ok' END"
	    " WHEN status IN ('created', 'in_transit')"
	    " AND departed_ms < ?2 - ?4"
	    " THEN 'overdue' ELSE 'pending' END, ?2"
	    " FROM (SELECT m.scheme AS scheme, m.manifest_no AS manifest_no,"
	    " m.status AS status, m.declared_kg AS declared_kg,"
	    " m.departed_ms AS departed_ms,"
	    " coalesce(lk.kg, m.received_kg) AS received,"
	    " CASE WHEN lk.kg IS NOT NULL THEN lk.method"
	    " WHEN m.received_kg IS NOT NULL THEN 'receiver_reported' END"
	    " AS method"
	    " FROM manifests m LEFT JOIN (SELECT scheme, manifest_no,"
	    " sum(allocated_kg) AS kg, CASE WHEN count(*) > 1 THEN"
	    " min(method) || '+' || count(*) ELSE min(method) END AS method"
	    " FROM reconciliation_links GROUP BY 1, 2) lk"
	    " USING (scheme, manifest_no) WHERE m.status <> 'cancelled')"
	    " WHERE 1"
	    " ON CONFLICT(scheme, manifest_no) DO UPDATE SET"
	    " declared_kg = excluded.declared_kg,"
	    " received_kg = excluded.received_kg,"
	    " diff_pct = excluded.diff_pct, method = excluded.method,"
	    " verdict = excluded.verdict, derived_ms = excluded.derived_ms" },
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
 */
#define RECON_SLICE   400
#define RECON_MARKS   4000
#define RECON_REQUEUE 20000

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
meta_text(struct store *s, const char *key, char *out, size_t n)
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
meta_put_text(struct store *s, const char *key, const char *v)
{
	store_bind_text(s->st[S_META_SET], 1, key);
	store_bind_text(s->st[S_META_SET], 2, v);
	return store_run(s, S_META_SET);
}

static int
meta_put_i64(struct store *s, const char *key, int64_t v)
{
	store_bind_text(s->st[S_META_SET], 1, key);
	sqlite3_bind_int64(s->st[S_META_SET], 2, v);
	return store_run(s, S_META_SET);
}

/* One integer of a query without parameters: 1 found, 0 none or NULL. */
static int
query_i64(struct store *s, const char *sql, int64_t bind, int64_t *v)
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
 * manifest is derived again (queued in slices). */
static int
recon_params(struct store *s, const struct recon_args *a)
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
requeue_stmt(struct store *s, int c, const char *cs, const char *cn,
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
recon_requeue(struct store *s)
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
recon_marks(struct store *s, struct recon_args *a)
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
recon_left(struct store *s, int *more)
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
recon_pass(struct store *s, struct recon_args *a, int *more)
{
	char last[32];
	int found;

	if (recon_params(s, a) == -1 || recon_requeue(s) == -1 ||
	    (found = meta_text(s, "reconcile_pass_ms", last, sizeof(last))) ==
		-1)
		return -1;
	if (found) {
		a->last_ms = strtoll(last, NULL, 10);
		if (store_recon_run(s, &store_recon_time_step, a) == -1)
			return -1;
	}
	a->slice = s->recon_slice > 0 ? s->recon_slice : RECON_SLICE;
	if (recon_marks(s, a) == -1 ||
	    store_db_exec(s->db, store_recon_temp_sql) == -1 ||
	    store_recon_steps(s, store_recon_slice_steps,
		store_recon_nslice_steps, a) == -1 ||
	    meta_put_i64(s, "reconcile_pass_ms", a->now_ms) == -1 ||
	    recon_left(s, more) == -1)
		return -1;
	/* The rows not waiting are now current (the reconciliations
	 * view's updated_ms). */
	if (!*more &&
	    meta_put_i64(s, "reconcile_current_ms", a->now_ms) == -1)
		return -1;
	return 0;
}

static int
recon_txn_end(struct store *s, int ok)
{
	if (ok && store_db_exec(s->db, "COMMIT") == 0)
		return 0;
	/* Already failing: a failed rollback has logged, nothing to add. */
	if (store_db_exec(s->db, "ROLLBACK") == -1)
		log_debug("store: reconcile: rollback failed");
	return -1;
}

int
store_reconcile_pass(struct store *s, int64_t now_ms,
    const struct config *cfg, int *more)
{
	struct recon_args a;

	recon_args_of(&a, now_ms, cfg);
	*more = 0;
	if (store_db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	return recon_txn_end(s, recon_pass(s, &a, more) == 0);
}

int
store_reconcile(struct store *s, int64_t now_ms, const struct config *cfg)
{
	int more;

	return store_reconcile_pass(s, now_ms, cfg, &more);
}

int
store_reconcile_full(struct store *s, int64_t now_ms,
    const struct config *cfg)
{
	struct recon_args a;
	int ok;

	recon_args_of(&a, now_ms, cfg);
	if (store_db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	ok = store_recon_steps(s, recon_steps, NRECON_STEPS, &a) == 0 &&
	    recon_params(s, &a) == 0 &&
	    store_db_exec(s->db,
		"DELETE FROM meta WHERE key IN ('reconcile_requeue',"
		" 'reconcile_requeue_scheme', 'reconcile_requeue_no')") == 0 &&
	    meta_put_i64(s, "reconcile_pass_ms", now_ms) == 0 &&
	    meta_put_i64(s, "reconcile_current_ms", now_ms) == 0;
	return recon_txn_end(s, ok);
}

int
store_reconcile_behind(struct store *s, int *behind)
{
	return recon_left(s, behind);
}
