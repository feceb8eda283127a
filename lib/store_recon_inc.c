/*
 * store_recon_inc: the SQL of an incremental reconciliation pass, and the
 * runner every reconciliation step goes through. The rules are those of
 * the full rebuild (store_reconcile.c), applied to a set of manifests
 * instead of all of them; docs/reconciliation.md says why each set is
 * enough. The temporary tables live on the writer's connection only:
 *
 *	recon_s		the slice taken from reconcile_queue
 *	recon_r		the slice, and the manifests whose plate-window
 *			match may change because the slice took or freed a
 *			ticket by reference
 *	recon_old	the links of recon_r before the pass
 *	recon_tix	every ticket those links touched, before or after
 *	recon_v		the manifests whose verdict is written again
 */
#include "store_int.h"

#include "log.h"

#include <string.h>

const char store_recon_temp_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS recon_s(scheme TEXT, manifest_no TEXT,"
    " PRIMARY KEY(scheme, manifest_no)) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS recon_r(scheme TEXT, manifest_no TEXT,"
    " PRIMARY KEY(scheme, manifest_no)) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS recon_v(scheme TEXT, manifest_no TEXT,"
    " PRIMARY KEY(scheme, manifest_no)) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS recon_old(scheme TEXT,"
    " manifest_no TEXT, facility TEXT, ticket TEXT, day TEXT,"
    " method TEXT);"
    "CREATE TEMP TABLE IF NOT EXISTS recon_tix(facility TEXT, ticket TEXT,"
    " day TEXT, PRIMARY KEY(facility, ticket, day)) WITHOUT ROWID;"
    "DELETE FROM recon_s; DELETE FROM recon_r; DELETE FROM recon_v;"
    "DELETE FROM recon_old; DELETE FROM recon_tix;";

/*
 * Marks of changed tickets (the old and the new row of each write) to
 * the manifests they may concern: those naming the ticket, those it
 * names, those whose plate window holds it, and those linked to it.
 * :upto bounds how many marks one pass expands.
 */
const struct recon_step store_recon_mark_steps[] = {
	{ "marks: manifests naming the ticket",
	    "INSERT OR IGNORE INTO reconcile_queue(scheme, manifest_no)"
	    " SELECT t.scheme, t.manifest_no FROM reconcile_tickets k"
	    " CROSS JOIN manifest_tickets t ON t.facility = k.facility"
	    " AND t.ticket = k.ticket WHERE k.id <= :upto" },
	{ "marks: manifests the ticket names",
	    "INSERT OR IGNORE INTO reconcile_queue(scheme, manifest_no)"
	    " SELECT m.scheme, m.manifest_no FROM reconcile_tickets k"
	    " CROSS JOIN manifests m ON m.manifest_no = k.manifest_no"
	    " WHERE k.id <= :upto" },
	{ "marks: plate windows holding the ticket",
	    "INSERT OR IGNORE INTO reconcile_queue(scheme, manifest_no)"
	    " SELECT m.scheme, m.manifest_no FROM reconcile_tickets k"
	    " CROSS JOIN manifests m ON m.plate = k.plate"
	    " AND m.receiver_facility = k.facility"
	    " AND m.departed_ms BETWEEN k.first_ms - :window AND k.first_ms"
	    " WHERE k.id <= :upto" },
	{ "marks: manifests linked to the ticket",
	    "INSERT OR IGNORE INTO reconcile_queue(scheme, manifest_no)"
	    " SELECT l.scheme, l.manifest_no FROM reconcile_tickets k"
	    " CROSS JOIN reconciliation_links l ON l.facility = k.facility"
	    " AND l.ticket = k.ticket AND l.day = k.day WHERE k.id <= :upto" },
	{ "marks: done", "DELETE FROM reconcile_tickets WHERE id <= :upto" },
};
const size_t store_recon_nmark_steps =
    sizeof(store_recon_mark_steps) / sizeof(store_recon_mark_steps[0]);

/* A verdict depends on the clock only through the overdue deadline:
 * the manifests whose deadline fell between the last pass and now (or
 * back, when the clock stepped back). */
const struct recon_step store_recon_time_step = { "overdue deadlines",
	"INSERT OR IGNORE INTO reconcile_queue(scheme, manifest_no)"
	" SELECT scheme, manifest_no FROM manifests"
	" WHERE departed_ms >= min(:last, :now) - :overdue"
	" AND departed_ms < max(:last, :now) - :overdue" };

/* Tickets whose "referenced by a manifest" state the slice may have
 * changed: in its links by reference before XOR after. */
#define RECON_TAKEN_CHANGED                                                    \
	"(SELECT * FROM (SELECT facility, ticket, day FROM recon_old"          \
	" WHERE method = 'ticket_ref' EXCEPT SELECT l.facility, l.ticket,"     \
	" l.day FROM recon_s s CROSS JOIN reconciliation_links l"              \
	" ON l.scheme = s.scheme AND l.manifest_no = s.manifest_no)"           \
	" UNION SELECT * FROM (SELECT l.facility, l.ticket, l.day FROM"        \
	" recon_s s CROSS JOIN reconciliation_links l ON l.scheme = s.scheme"  \
	" AND l.manifest_no = s.manifest_no EXCEPT SELECT facility, ticket,"   \
	" day FROM recon_old WHERE method = 'ticket_ref'))"

/*
 * One slice, in order. The link rules are the full rebuild's word for
 * word, restricted to recon_s (references) or recon_r (plate window);
 * "taken" counts references only, as it does in the full rebuild,
 * where the plate-window links do not exist yet at that step. CROSS
 * JOIN keeps SQLite's join order: the small temporary tables outside,
 * the big ones looked up by index (the planner has no figures for the
 * temporary tables and would otherwise scan a big one).
 */
const struct recon_step store_recon_slice_steps[] = {
	{ "slice",
	    "INSERT INTO recon_s(scheme, manifest_no) SELECT scheme,"
	    " manifest_no FROM reconcile_queue"
	    " ORDER BY scheme DESC, manifest_no DESC LIMIT :slice" },
	{ "dequeue",
	    "DELETE FROM reconcile_queue WHERE (scheme, manifest_no) IN"
	    " (SELECT scheme, manifest_no FROM recon_s)" },
	{ "slice to rederive",
	    "INSERT INTO recon_r SELECT scheme, manifest_no FROM recon_s" },
	{ "old links",
	    "INSERT INTO recon_old SELECT l.scheme, l.manifest_no, l.facility,"
	    " l.ticket, l.day, l.method FROM recon_s s"
	    " CROSS JOIN reconciliation_links l ON l.scheme = s.scheme"
	    " AND l.manifest_no = s.manifest_no" },
	{ "clear links",
	    "DELETE FROM reconciliation_links WHERE (scheme, manifest_no) IN"
	    " (SELECT scheme, manifest_no FROM recon_s)" },
	{ "links the manifest names",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT t.scheme, t.manifest_no,"
	    " w.facility, w.ticket, w.day, 'ticket_ref' FROM recon_s s"
	    " CROSS JOIN manifest_tickets t ON t.scheme = s.scheme"
	    " AND t.manifest_no = s.manifest_no"
	    " CROSS JOIN manifests m ON m.scheme = t.scheme"
	    " AND m.manifest_no = t.manifest_no"
	    " CROSS JOIN weighings w ON w.facility = t.facility"
	    " AND w.ticket = t.ticket"
	    " WHERE" RECON_RECEIPT RECON_NEAREST_DAY },
	{ "links the ticket names",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	    " w.facility, w.ticket, w.day, 'ticket_ref' FROM recon_s s"
	    " CROSS JOIN manifests m ON m.scheme = s.scheme"
	    " AND m.manifest_no = s.manifest_no"
	    " CROSS JOIN weighings w ON w.manifest_no = m.manifest_no"
	    " WHERE" RECON_RECEIPT },
	{ "plate windows of tickets taken or freed",
	    "INSERT OR IGNORE INTO recon_r(scheme, manifest_no)"
	    " SELECT m.scheme, m.manifest_no FROM " RECON_TAKEN_CHANGED " c"
	    " CROSS JOIN weighings w ON w.facility = c.facility"
	    " AND w.ticket = c.ticket AND w.day = c.day"
	    " CROSS JOIN manifests m ON m.plate = w.plate"
	    " AND m.receiver_facility = w.facility"
	    " AND m.departed_ms BETWEEN w.first_ms - :window AND w.first_ms" },
	{ "old plate-window links",
	    "INSERT INTO recon_old SELECT l.scheme, l.manifest_no, l.facility,"
	    " l.ticket, l.day, l.method FROM recon_r r"
	    " CROSS JOIN reconciliation_links l ON l.scheme = r.scheme"
	    " AND l.manifest_no = r.manifest_no"
	    " WHERE l.method = 'plate_window'" },
	{ "clear plate-window links",
	    "DELETE FROM reconciliation_links WHERE method = 'plate_window'"
	    " AND (scheme, manifest_no) IN"
	    " (SELECT scheme, manifest_no FROM recon_r)" },
	{ "links by plate and window",
	    "INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	    " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	    " w.facility, w.ticket, w.day, 'plate_window' FROM recon_r r"
	    " CROSS JOIN manifests m ON m.scheme = r.scheme"
	    " AND m.manifest_no = r.manifest_no"
	    " CROSS JOIN weighings w ON" RECON_PLATE_WINDOW },
	{ "tickets touched",
	    "INSERT OR IGNORE INTO recon_tix(facility, ticket, day)"
	    " SELECT facility, ticket, day FROM recon_old"
	    " UNION SELECT l.facility, l.ticket, l.day FROM recon_r r"
	    " CROSS JOIN reconciliation_links l ON l.scheme = r.scheme"
	    " AND l.manifest_no = r.manifest_no" },
	{ "allocation",
	    RECON_ALLOCATION " WHERE (l.facility, l.ticket, l.day) IN"
			     " (SELECT facility, ticket, day FROM recon_tix)" },
	{ "verdicts to write",
	    "INSERT OR IGNORE INTO recon_v(scheme, manifest_no)"
	    " SELECT scheme, manifest_no FROM recon_r"
	    " UNION SELECT l.scheme, l.manifest_no FROM recon_tix t"
	    " CROSS JOIN reconciliation_links l ON l.facility = t.facility"
	    " AND l.ticket = t.ticket AND l.day = t.day" },
	{ "cancelled manifests",
	    "DELETE FROM reconciliation_results WHERE rowid IN"
	    " (SELECT r.rowid FROM recon_v v CROSS JOIN manifests m"
	    " ON m.scheme = v.scheme AND m.manifest_no = v.manifest_no"
	    " CROSS JOIN reconciliation_results r ON r.scheme = m.scheme"
	    " AND r.manifest_no = m.manifest_no"
	    " WHERE m.status = 'cancelled')" },
	{ "verdicts",
	    RECON_VERDICT
	    " FROM recon_v v CROSS JOIN manifests m ON m.scheme = v.scheme"
	    " AND m.manifest_no = v.manifest_no"
	    " LEFT JOIN (SELECT l.scheme AS scheme,"
	    " l.manifest_no AS manifest_no, sum(l.allocated_kg) AS kg," RECON_LINK_METHOD
	    " FROM recon_v v2"
	    " CROSS JOIN reconciliation_links l ON l.scheme = v2.scheme"
	    " AND l.manifest_no = v2.manifest_no GROUP BY 1, 2) lk"
	    " ON lk.scheme = m.scheme AND lk.manifest_no = m.manifest_no" RECON_UPSERT },
};
const size_t store_recon_nslice_steps =
    sizeof(store_recon_slice_steps) / sizeof(store_recon_slice_steps[0]);

/*
 * Bind what a step refers to. The full rebuild's steps keep their
 * numbered parameters (?1 window, ?2 now, ?3 tolerance, ?4 overdue);
 * the incremental ones are named.
 */
static void
recon_bind(sqlite3_stmt *st, const struct recon_args *a)
{
	static const char *const numbered[] = { ":window", ":now", ":tol",
		":overdue" };
	int i, n = sqlite3_bind_parameter_count(st);
	const char *name;

	for (i = 1; i <= n; i++) {
		/* "?NNN" names the same as its place among the first four. */
		name = sqlite3_bind_parameter_name(st, i);
		if (name == NULL || name[0] == '?')
			name = i <= 4 ? numbered[i - 1] : "";
		if (strcmp(name, ":window") == 0)
			sqlite3_bind_int64(st, i, a->window_ms);
		else if (strcmp(name, ":now") == 0)
			sqlite3_bind_int64(st, i, a->now_ms);
		else if (strcmp(name, ":tol") == 0)
			sqlite3_bind_double(st, i, a->tolerance_pct);
		else if (strcmp(name, ":overdue") == 0)
			sqlite3_bind_int64(st, i, a->overdue_ms);
		else if (strcmp(name, ":last") == 0)
			sqlite3_bind_int64(st, i, a->last_ms);
		else if (strcmp(name, ":slice") == 0)
			sqlite3_bind_int64(st, i, a->slice);
		else if (strcmp(name, ":upto") == 0)
			sqlite3_bind_int64(st, i, a->upto);
	}
}

int
store_recon_run(struct store_sqlite *s, const struct recon_step *step,
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
store_recon_steps(struct store_sqlite *s, const struct recon_step *steps,
    size_t n, const struct recon_args *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (store_recon_run(s, &steps[i], a) == -1)
			return -1;
	return 0;
}
