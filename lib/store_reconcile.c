/*
 * store_reconcile: links manifests to weighbridge tickets and gives each
 * manifest a verdict. Plain SQL over the current rows, rebuilt on every
 * run, so late and corrected data simply change the next result.
 */
#include "store_int.h"

#include "config.h"
#include "log.h"

/*
 * The steps of one run, in order and in one transaction: rebuild the
 * links between manifests and weighbridge tickets, allocate each ticket's
 * net weight among the manifests on it in proportion to their declared
 * mass, and give every manifest a verdict. Parameters: ?1 the match
 * window, ?2 now, ?3 the tolerance in percent, ?4 the age at which a
 * manifest in transit is overdue (times in ms).
 */
struct recon_step {
	const char *name, *sql;
};

/*
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
	    "DELETE FROM reconciliations WHERE (scheme, manifest_no) IN (SELECT"
	    " scheme, manifest_no FROM manifests WHERE status = 'cancelled')" },
	/* The weighbridge is the truth; a receiver's own figure stands in
	 * only when no ticket is linked. */
	{ "verdicts",
	    "INSERT INTO reconciliations(scheme, manifest_no, declared_kg,"
	    " received_kg, diff_pct, method, verdict, updated_ms)"
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
	    " verdict = excluded.verdict, updated_ms = excluded.updated_ms" },
};

#define NRECON_STEPS (sizeof(recon_steps) / sizeof(recon_steps[0]))

struct recon_args {
	int64_t window_ms, now_ms, overdue_ms;
	double tolerance_pct;
};

/* Bind what the step's SQL refers to: each step uses a prefix of
 * ?1..?4. */
static void
recon_bind(sqlite3_stmt *st, const struct recon_args *a)
{
	int n = sqlite3_bind_parameter_count(st);

	if (n >= 1)
		sqlite3_bind_int64(st, 1, a->window_ms);
	if (n >= 2) {
		sqlite3_bind_int64(st, 2, a->now_ms);
		sqlite3_bind_double(st, 3, a->tolerance_pct);
		sqlite3_bind_int64(st, 4, a->overdue_ms);
	}
}

static int
recon_run(struct store *s, const struct recon_step *step,
    const struct recon_args *a)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, step->sql, -1, &st, NULL) != SQLITE_OK)
		goto done;
	recon_bind(st, a);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
done:
	if (rc == -1)
		log_warnx("store: reconcile: %s: %s", step->name,
		    sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

int
store_reconcile(struct store *s, int64_t now_ms, const struct config *cfg)
{
	struct recon_args a;
	size_t i;

	a.window_ms = (int64_t)cfg->reconcile.window_h * 3600000;
	a.now_ms = now_ms;
	a.overdue_ms = (int64_t)cfg->reconcile.overdue_h * 3600000;
	a.tolerance_pct = cfg->reconcile.tolerance_pct;
	if (store_db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	for (i = 0; i < NRECON_STEPS; i++)
		if (recon_run(s, &recon_steps[i], &a) == -1)
			goto fail;
	if (store_db_exec(s->db, "COMMIT") == 0)
		return 0;
fail:
	/* Already failing: a failed rollback has logged, nothing to add. */
	if (store_db_exec(s->db, "ROLLBACK") == -1)
		log_debug("store: reconcile: rollback failed");
	return -1;
}
