/*
 * store_pg_recon: reconciliation on PostgreSQL, with the meaning of
 * SQLite's (store_reconcile.c, store_recon_inc.c, docs/reconciliation.md):
 * the same links, allocations and verdicts, the full rebuild as the
 * reference and passes that derive a bounded slice of what writes, the
 * clock or a settings change queued. The rules are SQLite's texts in
 * PostgreSQL's dialect (IS DISTINCT FROM, ON CONFLICT, greatest/least
 * where no argument can be NULL, named derived tables).
 *
 * Several daemons write one database while the leader alone reconciles,
 * so what SQLite's single writer made true needs saying here:
 *
 *  - A pass takes its ticket marks and its slice of the queue with
 *    DELETE ... RETURNING into temporary tables, and works from those:
 *    a mark or a queue row another instance commits meanwhile is not
 *    among them and stays for the next pass.
 *  - A manifest queued again while its row already waited in the queue
 *    adds no row (ON CONFLICT DO NOTHING): taking that row would lose the
 *    change if its transaction were still open. Every write of a
 *    manifest's inputs updates the manifest's row in the same
 *    transaction, so the pass locks the rows of its slice (FOR SHARE
 *    SKIP LOCKED): a manifest a writer holds goes back to the queue for
 *    the next pass, and one written after the lock waits for this pass
 *    and queues itself again behind it. (A manifest whose first row is
 *    not committed yet is not seen at all: the one case left, a queue
 *    row waiting already for a manifest that no row has, e.g. deleted
 *    and sent again before a pass, waits for the manifest's next write.)
 *  - The full rebuild locks manifests and manifest_tickets against
 *    writers (as SQLite's BEGIN IMMEDIATE did) and empties the queue
 *    first, so that nothing committed after its reads is dropped.
 */
#include "store_pg_rules.h"

#include "clock.h"
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds of one pass, SQLite's (store_reconcile.c): manifests derived,
 * ticket marks expanded, manifests queued again after a setting changed;
 * the slice halves after a slow pass and grows again after quick ones. */
#define RECON_SLICE	300
#define RECON_SLICE_MIN 25
#define RECON_SLOW_US	40000
#define RECON_QUICK_US	20000
#define RECON_MARKS	4000
#define RECON_REQUEUE	10000

struct recon_state {
	int slice, marks, requeue;    /* the tests' bounds, 0: default */
	int adapt;		      /* the slice the last passes suggest */
	int vacuum_pid, since_vacuum; /* see temp_vacuum() */
};

/* What a step binds, each named by a letter of its args, in order:
 * w window, n now, t tolerance, o overdue, l last pass, s slice,
 * m marks. */
struct rpg_args {
	int64_t window_ms, now_ms, overdue_ms, last_ms, slice, marks;
	double tol;
};

struct rstep {
	struct pg_stmt st;
	const char *args;
};

/* ---- the rules, SQLite's RECON_* of store_int.h ---- */

#define PR_RECEIPT                                                             \
	" w.status = 'complete' AND w.direction IS DISTINCT FROM 'out'"        \
	" AND (w.dq_flags & 3584) = 0"
#define PR_NEAREST_DAY                                                         \
	" AND NOT EXISTS (SELECT 1 FROM weighings w2"                          \
	" WHERE w2.facility = w.facility AND w2.ticket = w.ticket"             \
	" AND abs(w2.first_ms - coalesce(m.departed_ms, m.arrived_ms,"         \
	" w.first_ms)) < abs(w.first_ms - coalesce(m.departed_ms,"             \
	" m.arrived_ms, w.first_ms)))"
/* After the join on w; the window is $1. */
#define PR_PLATE_WINDOW                                                        \
	" w.plate = m.plate"                                                   \
	" AND w.facility = m.receiver_facility AND w.direction = 'in'"         \
	" AND w.status = 'complete' AND (w.dq_flags & 3584) = 0"               \
	" AND w.first_ms >= m.departed_ms"                                     \
	" AND w.first_ms <= m.departed_ms + $1::bigint"                        \
	" WHERE m.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM"         \
	" reconciliation_links l WHERE l.scheme = m.scheme"                    \
	" AND l.manifest_no = m.manifest_no)"                                  \
	" AND w.first_ms = (SELECT min(w2.first_ms) FROM weighings w2"         \
	" WHERE w2.plate = m.plate AND w2.facility = m.receiver_facility"      \
	" AND w2.direction = 'in' AND w2.status = 'complete'"                  \
	" AND (w2.dq_flags & 3584) = 0"                                        \
	" AND w2.first_ms >= m.departed_ms"                                    \
	" AND w2.first_ms <= m.departed_ms + $1::bigint"                       \
	" AND NOT EXISTS (SELECT 1 FROM reconciliation_links l3"               \
	" WHERE l3.facility = w2.facility AND l3.ticket = w2.ticket"           \
	" AND l3.day = w2.day AND l3.method = 'ticket_ref'))"
/* SQLite's allocation, written only where the share changes: each
 * link written runs the links' trigger (ticket origins derived again),
 * and a share unchanged would derive the same origins. where: the links
 * (l1) to allocate. */
#define PR_ALLOCATION(where)                                                   \
	"UPDATE reconciliation_links AS l SET allocated_kg = c.kg FROM"        \
	" (SELECT l1.scheme, l1.manifest_no, l1.facility, l1.ticket, l1.day,"  \
	" (SELECT w.net_kg *"                                                  \
	" CASE WHEN t.n = 1 THEN 1.0 WHEN t.undeclared > 0 OR t.decl <= 0"     \
	" THEN 1.0 / t.n ELSE m.declared_kg / t.decl END"                      \
	" FROM weighings w, manifests m,"                                      \
	" (SELECT count(*) AS n, sum(m2.declared_kg) AS decl,"                 \
	" sum((m2.declared_kg IS NULL)::int) AS undeclared FROM"               \
	" reconciliation_links l2"                                             \
	" JOIN manifests m2 USING (scheme, manifest_no)"                       \
	" WHERE l2.facility = l1.facility AND l2.ticket = l1.ticket"           \
	" AND l2.day = l1.day) t WHERE w.facility = l1.facility"               \
	" AND w.ticket = l1.ticket AND w.day = l1.day"                         \
	" AND m.scheme = l1.scheme AND m.manifest_no = l1.manifest_no) AS kg"  \
	" FROM reconciliation_links l1" where ") c"                            \
	" WHERE l.scheme = c.scheme AND l.manifest_no = c.manifest_no"         \
	" AND l.facility = c.facility AND l.ticket = c.ticket"                 \
	" AND l.day = c.day AND l.allocated_kg IS DISTINCT FROM c.kg"
/* $1 now, $2 tolerance, $3 overdue. */
#define PR_VERDICT                                                             \
	"INSERT INTO reconciliation_results(scheme, manifest_no,"              \
	" declared_kg, received_kg, diff_pct, method, verdict, derived_ms)"    \
	" SELECT scheme, manifest_no, declared_kg, received,"                  \
	" CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"             \
	" (received - declared_kg) * 100.0 / declared_kg END, method,"         \
	" CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"             \
	" CASE WHEN abs(received - declared_kg) * 100.0 / declared_kg"         \
	" > $2::double precision THEN 'discrepancy' ELSE 'ok' END"             \
	" WHEN status IN ('created', 'in_transit')"                            \
	" AND departed_ms < $1::bigint - $3::bigint"                           \
	" THEN 'overdue' ELSE 'pending' END, $1::bigint"                       \
	" FROM (SELECT m.scheme AS scheme, m.manifest_no AS manifest_no,"      \
	" m.status AS status, m.declared_kg AS declared_kg,"                   \
	" m.departed_ms AS departed_ms,"                                       \
	" coalesce(lk.kg, m.received_kg) AS received,"                         \
	" CASE WHEN lk.kg IS NOT NULL THEN lk.method"                          \
	" WHEN m.received_kg IS NOT NULL THEN 'receiver_reported' END"         \
	" AS method"
#define PR_LINK_METHOD                                                         \
	" CASE WHEN count(*) > 1 THEN min(l.method) || '+' || count(*)"        \
	" ELSE min(l.method) END AS method"
#define PR_UPSERT                                                              \
	" WHERE m.status <> 'cancelled') x"                                    \
	" ON CONFLICT(scheme, manifest_no) DO UPDATE SET"                      \
	" declared_kg = excluded.declared_kg,"                                 \
	" received_kg = excluded.received_kg,"                                 \
	" diff_pct = excluded.diff_pct, method = excluded.method,"             \
	" verdict = excluded.verdict, derived_ms = excluded.derived_ms"

/* ---- the full rebuild ---- */

/* Writers of manifests wait for the rebuild, and the ones in flight
 * are committed before it reads: nothing it empties can be lost. */
static const struct rstep full_steps[] = {
	{ { "rc_full_lock",
	      "LOCK TABLE manifests, manifest_tickets IN SHARE MODE" },
	    "" },
	{ { "rc_full_queue", "DELETE FROM reconcile_queue" }, "" },
	{ { "rc_full_marks", "DELETE FROM reconcile_tickets" }, "" },
	{ { "rc_full_requeue",
	      "DELETE FROM meta WHERE key IN ('reconcile_requeue',"
	      " 'reconcile_requeue_scheme', 'reconcile_requeue_no')" },
	    "" },
	{ { "rc_full_clear", "DELETE FROM reconciliation_links" }, "" },
	{ { "rc_full_names",
	      "INSERT INTO reconciliation_links(scheme, manifest_no,"
	      " facility, ticket, day, method) SELECT t.scheme, t.manifest_no,"
	      " w.facility, w.ticket, w.day, 'ticket_ref' FROM manifest_tickets"
	      " t JOIN manifests m USING (scheme, manifest_no)"
	      " JOIN weighings w ON w.facility = t.facility"
	      " AND w.ticket = t.ticket"
	      " WHERE" PR_RECEIPT PR_NEAREST_DAY " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_full_ticket_names",
	      "INSERT INTO reconciliation_links(scheme, manifest_no,"
	      " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	      " w.facility, w.ticket, w.day, 'ticket_ref' FROM weighings w"
	      " JOIN manifests m ON m.manifest_no = w.manifest_no"
	      " WHERE" PR_RECEIPT " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_full_window",
	      "INSERT INTO reconciliation_links(scheme, manifest_no,"
	      " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	      " w.facility, w.ticket, w.day, 'plate_window' FROM manifests m"
	      " JOIN weighings w ON" PR_PLATE_WINDOW
	      " ON CONFLICT DO NOTHING" },
	    "w" },
	{ { "rc_full_alloc", PR_ALLOCATION("") }, "" },
	{ { "rc_full_cancelled",
	      "DELETE FROM reconciliation_results WHERE (scheme, manifest_no)"
	      " IN (SELECT scheme, manifest_no FROM manifests"
	      " WHERE status = 'cancelled')" },
	    "" },
	{ { "rc_full_verdicts",
	      PR_VERDICT " FROM manifests m LEFT JOIN (SELECT l.scheme AS"
			 " scheme, l.manifest_no AS manifest_no,"
			 " sum(l.allocated_kg) AS kg," PR_LINK_METHOD
			 " FROM reconciliation_links l GROUP BY 1, 2) lk"
			 " USING (scheme, manifest_no)" PR_UPSERT },
	    "nto" },
};

/* ---- a pass: its temporary tables (store_recon_inc.c's, and recon_k:
 * the ticket marks it took) ---- */

static const struct rstep temp_steps[] = {
	{ { "rc_tmp_k",
	      "CREATE TEMP TABLE IF NOT EXISTS recon_k(facility text,"
	      " ticket text, day text, plate text, first_ms bigint,"
	      " manifest_no text)" },
	    "" },
	{ { "rc_tmp_s",
	      "CREATE TEMP TABLE IF NOT EXISTS recon_s(scheme text,"
	      " manifest_no text, PRIMARY KEY(scheme, manifest_no))" },
	    "" },
	{ { "rc_tmp_r",
	      "CREATE TEMP TABLE IF NOT EXISTS recon_r(scheme text,"
	      " manifest_no text, PRIMARY KEY(scheme, manifest_no))" },
	    "" },
	{ { "rc_tmp_v",
	      "CREATE TEMP TABLE IF NOT EXISTS recon_v(scheme text,"
	      " manifest_no text, PRIMARY KEY(scheme, manifest_no))" },
	    "" },
	{ { "rc_tmp_old",
	      "CREATE TEMP TABLE IF NOT EXISTS recon_old(scheme text,"
	      " manifest_no text, facility text, ticket text, day text,"
	      " method text)" },
	    "" },
	{ { "rc_tmp_tix",
	      "CREATE TEMP TABLE IF NOT EXISTS recon_tix(facility text,"
	      " ticket text, day text, PRIMARY KEY(facility, ticket, day))" },
	    "" },
	{ { "rc_tmp_empty_k", "DELETE FROM recon_k" }, "" },
	{ { "rc_tmp_empty_s", "DELETE FROM recon_s" }, "" },
	{ { "rc_tmp_empty_r", "DELETE FROM recon_r" }, "" },
	{ { "rc_tmp_empty_v", "DELETE FROM recon_v" }, "" },
	{ { "rc_tmp_empty_old", "DELETE FROM recon_old" }, "" },
	{ { "rc_tmp_empty_tix", "DELETE FROM recon_tix" }, "" },
};

/* The manifests whose overdue deadline fell between the last pass and
 * now (or back, when the clock stepped back). */
static const struct rstep time_step = {
	{ "rc_time",
	    "INSERT INTO reconcile_queue"
	    "(scheme, manifest_no) SELECT"
	    " scheme, manifest_no FROM manifests"
	    " WHERE departed_ms >= least($1::bigint,"
	    " $2::bigint) - $3::bigint"
	    " AND departed_ms < greatest($1::bigint,"
	    " $2::bigint) - $3::bigint"
	    " ON CONFLICT DO NOTHING" },
	"lno"
};

/* The oldest marks, taken: exactly the rows the next steps read. */
static const struct rstep marks_take = {
	{ "rc_marks_take",
	    "WITH d AS (DELETE FROM"
	    " reconcile_tickets WHERE id IN"
	    " (SELECT id FROM reconcile_tickets"
	    " ORDER BY id LIMIT $1::bigint)"
	    " RETURNING facility, ticket, day,"
	    " plate, first_ms, manifest_no)"
	    " INSERT INTO recon_k SELECT * FROM d" },
	"m"
};

static const struct rstep mark_steps[] = {
	{ { "rc_mark_naming",
	      "INSERT INTO reconcile_queue(scheme, manifest_no)"
	      " SELECT t.scheme, t.manifest_no FROM recon_k k"
	      " JOIN manifest_tickets t ON t.facility = k.facility"
	      " AND t.ticket = k.ticket ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_mark_named",
	      "INSERT INTO reconcile_queue(scheme, manifest_no)"
	      " SELECT m.scheme, m.manifest_no FROM recon_k k"
	      " JOIN manifests m ON m.manifest_no = k.manifest_no"
	      " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_mark_window",
	      "INSERT INTO reconcile_queue(scheme, manifest_no)"
	      " SELECT m.scheme, m.manifest_no FROM recon_k k"
	      " JOIN manifests m ON m.plate = k.plate"
	      " AND m.receiver_facility = k.facility"
	      " AND m.departed_ms BETWEEN k.first_ms - $1::bigint"
	      " AND k.first_ms ON CONFLICT DO NOTHING" },
	    "w" },
	{ { "rc_mark_linked",
	      "INSERT INTO reconcile_queue(scheme, manifest_no)"
	      " SELECT l.scheme, l.manifest_no FROM recon_k k"
	      " JOIN reconciliation_links l ON l.facility = k.facility"
	      " AND l.ticket = k.ticket AND l.day = k.day"
	      " ON CONFLICT DO NOTHING" },
	    "" },
};

/* The slice, taken from the queue in SQLite's order. */
static const struct rstep slice_take = {
	{ "rc_slice_take",
	    "WITH d AS (DELETE FROM"
	    " reconcile_queue WHERE (scheme,"
	    " manifest_no) IN (SELECT scheme,"
	    " manifest_no FROM reconcile_queue"
	    " ORDER BY scheme DESC,"
	    " manifest_no DESC"
	    " LIMIT $1::bigint) RETURNING"
	    " scheme, manifest_no)"
	    " INSERT INTO recon_s SELECT * FROM d" },
	"s"
};

/* Tickets whose "referenced by a manifest" state the slice may have
 * changed: in its links by reference before XOR after. */
#define PR_TAKEN_CHANGED                                                       \
	"((SELECT facility, ticket, day FROM recon_old"                        \
	" WHERE method = 'ticket_ref' EXCEPT SELECT l.facility, l.ticket,"     \
	" l.day FROM recon_s s JOIN reconciliation_links l"                    \
	" ON l.scheme = s.scheme AND l.manifest_no = s.manifest_no)"           \
	" UNION (SELECT l.facility, l.ticket, l.day FROM"                      \
	" recon_s s JOIN reconciliation_links l ON l.scheme = s.scheme"        \
	" AND l.manifest_no = s.manifest_no EXCEPT SELECT facility, ticket,"   \
	" day FROM recon_old WHERE method = 'ticket_ref'))"

/* One slice, in order: store_recon_inc.c's steps after the dequeue,
 * preceded by the lock of the slice's manifests (see the top). */
static const struct rstep slice_steps[] = {
	{ { "rc_busy",
	      "WITH ok AS (SELECT m.scheme, m.manifest_no FROM recon_s s"
	      " JOIN manifests m ON m.scheme = s.scheme"
	      " AND m.manifest_no = s.manifest_no"
	      " FOR SHARE OF m SKIP LOCKED),"
	      " busy AS (DELETE FROM recon_s s WHERE EXISTS (SELECT 1"
	      " FROM manifests m WHERE m.scheme = s.scheme"
	      " AND m.manifest_no = s.manifest_no) AND NOT EXISTS (SELECT 1"
	      " FROM ok WHERE ok.scheme = s.scheme"
	      " AND ok.manifest_no = s.manifest_no)"
	      " RETURNING s.scheme, s.manifest_no)"
	      " INSERT INTO reconcile_queue SELECT * FROM busy"
	      " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_slice_r", "INSERT INTO recon_r SELECT * FROM recon_s" }, "" },
	{ { "rc_old",
	      "INSERT INTO recon_old SELECT l.scheme, l.manifest_no,"
	      " l.facility, l.ticket, l.day, l.method FROM recon_s s"
	      " JOIN reconciliation_links l ON l.scheme = s.scheme"
	      " AND l.manifest_no = s.manifest_no" },
	    "" },
	{ { "rc_clear",
	      "DELETE FROM reconciliation_links WHERE (scheme, manifest_no)"
	      " IN (SELECT scheme, manifest_no FROM recon_s)" },
	    "" },
	{ { "rc_names",
	      "INSERT INTO reconciliation_links(scheme, manifest_no,"
	      " facility, ticket, day, method) SELECT t.scheme, t.manifest_no,"
	      " w.facility, w.ticket, w.day, 'ticket_ref' FROM recon_s s"
	      " JOIN manifest_tickets t ON t.scheme = s.scheme"
	      " AND t.manifest_no = s.manifest_no"
	      " JOIN manifests m ON m.scheme = t.scheme"
	      " AND m.manifest_no = t.manifest_no"
	      " JOIN weighings w ON w.facility = t.facility"
	      " AND w.ticket = t.ticket"
	      " WHERE" PR_RECEIPT PR_NEAREST_DAY " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_ticket_names",
	      "INSERT INTO reconciliation_links(scheme, manifest_no,"
	      " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	      " w.facility, w.ticket, w.day, 'ticket_ref' FROM recon_s s"
	      " JOIN manifests m ON m.scheme = s.scheme"
	      " AND m.manifest_no = s.manifest_no"
	      " JOIN weighings w ON w.manifest_no = m.manifest_no"
	      " WHERE" PR_RECEIPT " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_taken",
	      "INSERT INTO recon_r(scheme, manifest_no)"
	      " SELECT m.scheme, m.manifest_no FROM " PR_TAKEN_CHANGED " c"
	      " JOIN weighings w ON w.facility = c.facility"
	      " AND w.ticket = c.ticket AND w.day = c.day"
	      " JOIN manifests m ON m.plate = w.plate"
	      " AND m.receiver_facility = w.facility"
	      " AND m.departed_ms BETWEEN w.first_ms - $1::bigint"
	      " AND w.first_ms ON CONFLICT DO NOTHING" },
	    "w" },
	{ { "rc_old_window",
	      "INSERT INTO recon_old SELECT l.scheme, l.manifest_no,"
	      " l.facility, l.ticket, l.day, l.method FROM recon_r r"
	      " JOIN reconciliation_links l ON l.scheme = r.scheme"
	      " AND l.manifest_no = r.manifest_no"
	      " WHERE l.method = 'plate_window'" },
	    "" },
	{ { "rc_clear_window",
	      "DELETE FROM reconciliation_links WHERE method = 'plate_window'"
	      " AND (scheme, manifest_no) IN"
	      " (SELECT scheme, manifest_no FROM recon_r)" },
	    "" },
	{ { "rc_window",
	      "INSERT INTO reconciliation_links(scheme, manifest_no,"
	      " facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	      " w.facility, w.ticket, w.day, 'plate_window' FROM recon_r r"
	      " JOIN manifests m ON m.scheme = r.scheme"
	      " AND m.manifest_no = r.manifest_no"
	      " JOIN weighings w ON" PR_PLATE_WINDOW
	      " ON CONFLICT DO NOTHING" },
	    "w" },
	{ { "rc_tix",
	      "INSERT INTO recon_tix(facility, ticket, day)"
	      " SELECT facility, ticket, day FROM recon_old"
	      " UNION SELECT l.facility, l.ticket, l.day FROM recon_r r"
	      " JOIN reconciliation_links l ON l.scheme = r.scheme"
	      " AND l.manifest_no = r.manifest_no ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_alloc",
	      PR_ALLOCATION(" WHERE (l1.facility, l1.ticket, l1.day) IN"
			    " (SELECT facility, ticket, day FROM recon_tix)") },
	    "" },
	{ { "rc_v",
	      "INSERT INTO recon_v(scheme, manifest_no)"
	      " SELECT scheme, manifest_no FROM recon_r"
	      " UNION SELECT l.scheme, l.manifest_no FROM recon_tix t"
	      " JOIN reconciliation_links l ON l.facility = t.facility"
	      " AND l.ticket = t.ticket AND l.day = t.day"
	      " ON CONFLICT DO NOTHING" },
	    "" },
	{ { "rc_cancelled",
	      "DELETE FROM reconciliation_results r USING recon_v v, manifests"
	      " m WHERE m.scheme = v.scheme AND m.manifest_no = v.manifest_no"
	      " AND r.scheme = m.scheme AND r.manifest_no = m.manifest_no"
	      " AND m.status = 'cancelled'" },
	    "" },
	{ { "rc_verdicts",
	      PR_VERDICT " FROM recon_v v JOIN manifests m ON m.scheme ="
			 " v.scheme AND m.manifest_no = v.manifest_no"
			 " LEFT JOIN (SELECT l.scheme AS scheme,"
			 " l.manifest_no AS manifest_no,"
			 " sum(l.allocated_kg) AS kg," PR_LINK_METHOD
			 " FROM recon_v v2 JOIN reconciliation_links l"
			 " ON l.scheme = v2.scheme"
			 " AND l.manifest_no = v2.manifest_no GROUP BY 1, 2) lk"
			 " ON lk.scheme = m.scheme"
			 " AND lk.manifest_no = m.manifest_no" PR_UPSERT },
	    "nto" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- meta and small statements ---- */

static const struct pg_stmt st_meta = { "rc_meta",
	"SELECT key, value FROM meta WHERE key IN ('reconcile_params',"
	" 'reconcile_requeue', 'reconcile_requeue_scheme',"
	" 'reconcile_requeue_no', 'reconcile_pass_ms')" };
static const struct pg_stmt st_meta_set = { "rc_meta_set",
	"INSERT INTO meta(key, value) VALUES($1, $2)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value" };
static const struct pg_stmt st_requeue_off = { "rc_requeue_off",
	"DELETE FROM meta WHERE key IN ('reconcile_requeue',"
	" 'reconcile_requeue_scheme', 'reconcile_requeue_no')" };
static const struct pg_stmt st_requeue = { "rc_requeue",
	"INSERT INTO reconcile_queue(scheme, manifest_no)"
	" SELECT scheme, manifest_no FROM manifests"
	" WHERE (scheme, manifest_no) >= ($1, $2)"
	" ORDER BY scheme, manifest_no LIMIT $3::bigint"
	" ON CONFLICT DO NOTHING" };
static const struct pg_stmt st_requeue_next = { "rc_requeue_next",
	"SELECT scheme, manifest_no FROM manifests"
	" WHERE (scheme, manifest_no) >= ($1, $2)"
	" ORDER BY scheme, manifest_no LIMIT 1 OFFSET $3::bigint" };
static const struct pg_stmt st_left = { "rc_left",
	"SELECT (EXISTS (SELECT 1 FROM reconcile_queue)"
	" OR EXISTS (SELECT 1 FROM reconcile_tickets)"
	" OR EXISTS (SELECT 1 FROM meta"
	" WHERE key = 'reconcile_requeue'))::int" };

/* What a pass reads of meta. */
struct recon_meta {
	char params[96], cs[128], cn[128];
	int has_params, requeue, has_last;
	int64_t last_ms;
};

static void *
state_make(void)
{
	return calloc(1, sizeof(struct recon_state));
}

static struct recon_state *
state_of(struct store_pgsql *s)
{
	return store_pgsql_area(s, PGA_RECON, state_make, free);
}

void
store_pg_recon_bounds(struct store *pub, int slice, int marks, int requeue)
{
	struct recon_state *st = state_of(store_pgsql_of(pub));

	if (st == NULL)
		return;
	st->slice = slice;
	st->marks = marks;
	st->requeue = requeue;
}

static void
args_of(struct rpg_args *a, int64_t now_ms, const struct config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->window_ms = (int64_t)cfg->reconcile.window_h * 3600000;
	a->now_ms = now_ms;
	a->overdue_ms = (int64_t)cfg->reconcile.overdue_h * 3600000;
	a->tol = cfg->reconcile.tolerance_pct;
	a->last_ms = -1;
}

static void
bind(struct pgp *p, const char *args, const struct rpg_args *a)
{
	pgp_init(p);
	for (; *args != '\0'; args++)
		switch (*args) {
		case 'w':
			pgp_i64(p, a->window_ms);
			break;
		case 'n':
			pgp_i64(p, a->now_ms);
			break;
		case 't':
			pgp_real(p, a->tol);
			break;
		case 'o':
			pgp_i64(p, a->overdue_ms);
			break;
		case 'l':
			pgp_i64(p, a->last_ms);
			break;
		case 's':
			pgp_i64(p, a->slice);
			break;
		case 'm':
			pgp_i64(p, a->marks);
			break;
		}
}

/* Queue a step in the pipeline (its failure fails the commit). */
static int
step_send(struct store_pgsql *s, const struct rstep *r,
    const struct rpg_args *a)
{
	struct pgp p;

	bind(&p, r->args, a);
	return pgq_send(s, &r->st, &p, NULL, 0);
}

static int
steps_send(struct store_pgsql *s, const struct rstep *r, size_t n,
    const struct rpg_args *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (step_send(s, &r[i], a) == -1)
			return -1;
	return 0;
}

/* Run a step now; *rows: the rows it wrote. */
static int
step_rows(struct store_pgsql *s, const struct rstep *r,
    const struct rpg_args *a, int64_t *rows)
{
	struct pgp p;
	PGresult *res;

	bind(&p, r->args, a);
	if ((res = pgq_query(s, &r->st, &p)) == NULL)
		return -1;
	*rows = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

static int
meta_put(struct store_pgsql *s, const char *key, const char *v)
{
	struct pgp p;

	pgp_init(&p);
	pgp_text(&p, key);
	pgp_text(&p, v);
	return pgq_send(s, &st_meta_set, &p, NULL, 0);
}

static int
meta_put_i64(struct store_pgsql *s, const char *key, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", (long long)v);
	return meta_put(s, key, b);
}

static int
meta_read(struct store_pgsql *s, struct recon_meta *m)
{
	PGresult *r;
	const char *k, *v;
	int i;

	memset(m, 0, sizeof(*m));
	if ((r = pgq_query(s, &st_meta, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		k = pgr_text(r, i, 0);
		v = pgr_text(r, i, 1) != NULL ? pgr_text(r, i, 1) : "";
		if (strcmp(k, "reconcile_params") == 0) {
			m->has_params = 1;
			snprintf(m->params, sizeof(m->params), "%s", v);
		} else if (strcmp(k, "reconcile_requeue") == 0)
			m->requeue = 1;
		else if (strcmp(k, "reconcile_requeue_scheme") == 0)
			snprintf(m->cs, sizeof(m->cs), "%s", v);
		else if (strcmp(k, "reconcile_requeue_no") == 0)
			snprintf(m->cn, sizeof(m->cn), "%s", v);
		else if (strcmp(k, "reconcile_pass_ms") == 0) {
			m->has_last = 1;
			m->last_ms = strtoll(v, NULL, 10);
		}
	}
	PQclear(r);
	return 0;
}

/* The settings every verdict depends on; when they change, every
 * manifest is derived again (queued in slices, unless the caller
 * derives them all itself: requeue 0). */
static int
recon_params(struct store_pgsql *s, const struct rpg_args *a,
    struct recon_meta *m, int requeue)
{
	char now[96];

	snprintf(now, sizeof(now), "window_ms=%lld overdue_ms=%lld tol=%.17g",
	    (long long)a->window_ms, (long long)a->overdue_ms, a->tol);
	if (m->has_params && strcmp(m->params, now) == 0)
		return 0;
	if (!requeue)
		return meta_put(s, "reconcile_params", now);
	if (m->has_params)
		log_notice("store: reconciliation settings changed: every "
			   "manifest is reconciled again, in slices");
	m->requeue = 1;
	m->cs[0] = m->cn[0] = '\0';
	if (pgq_send(s, &st_requeue_off, NULL, NULL, 0) == -1 ||
	    meta_put(s, "reconcile_requeue", "1") == -1)
		return -1;
	return meta_put(s, "reconcile_params", now);
}

/* Queue the next chunk of every manifest, in key order from a cursor
 * kept in meta, until all are queued. */
static int
recon_requeue(struct store_pgsql *s, const struct recon_meta *m, int limit)
{
	struct pgp p;
	PGresult *r;
	int rc;

	if (!m->requeue)
		return 0;
	pgp_init(&p);
	pgp_text(&p, m->cs);
	pgp_text(&p, m->cn);
	pgp_i64(&p, limit);
	if (pgq_send(s, &st_requeue, &p, NULL, 0) == -1 ||
	    (r = pgq_query(s, &st_requeue_next, &p)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		rc = meta_put(s, "reconcile_requeue_scheme",
			 pgr_text(r, 0, 0)) == -1 ||
			meta_put(s, "reconcile_requeue_no",
			    pgr_text(r, 0, 1)) == -1
		    ? -1
		    : 0;
	else
		rc = pgq_send(s, &st_requeue_off, NULL, NULL, 0);
	PQclear(r);
	return rc;
}

/* Whether work is left for the next pass. */
static int
recon_left(struct store_pgsql *s, int *more)
{
	PGresult *r;

	if ((r = pgq_query(s, &st_left, NULL)) == NULL)
		return -1;
	*more = pgr_i64(r, 0, 0, 0) != 0;
	PQclear(r);
	return 0;
}

/* Expand the oldest ticket marks, then derive one slice. */
static int
recon_slice(struct store_pgsql *s, const struct rpg_args *a)
{
	int64_t n;

	if (step_rows(s, &marks_take, a, &n) == -1)
		return -1;
	if (n > 0 && steps_send(s, mark_steps, NELEM(mark_steps), a) == -1)
		return -1;
	if (step_rows(s, &slice_take, a, &n) == -1)
		return -1;
	/* An empty slice: nothing to derive. */
	if (n > 0 && steps_send(s, slice_steps, NELEM(slice_steps), a) == -1)
		return -1;
	return 0;
}

static int
recon_pass(struct store_pgsql *s, struct recon_state *st, struct rpg_args *a,
    int *more)
{
	struct recon_meta m;

	if (steps_send(s, temp_steps, NELEM(temp_steps), a) == -1 ||
	    meta_read(s, &m) == -1 || recon_params(s, a, &m, 1) == -1 ||
	    recon_requeue(s, &m,
		st->requeue > 0 ? st->requeue : RECON_REQUEUE) == -1)
		return -1;
	if (m.has_last) {
		a->last_ms = m.last_ms;
		if (step_send(s, &time_step, a) == -1)
			return -1;
	}
	a->slice = st->slice > 0 ? st->slice
	    : st->adapt > 0	 ? st->adapt
				 : RECON_SLICE;
	a->marks = st->marks > 0 ? st->marks : RECON_MARKS;
	if (recon_slice(s, a) == -1 ||
	    meta_put_i64(s, "reconcile_pass_ms", a->now_ms) == -1 ||
	    recon_left(s, more) == -1)
		return -1;
	/* The rows not waiting are now current (the reconciliations
	 * view's updated_ms). */
	if (!*more && meta_put_i64(s, "reconcile_current_ms", a->now_ms) == -1)
		return -1;
	return 0;
}

/*
 * Autovacuum never reaches temporary tables: emptied and filled again
 * each pass, they would only grow, and the planner, with no figures for
 * them, takes them for thousands of rows and plans hash joins over the
 * big tables instead of index lookups from a slice. Vacuumed and
 * analyzed on each new connection after its first pass and every
 * RECON_VACUUM passes, they stay small and known small. Outside the
 * transaction; a failure costs only time (logged).
 */
#define RECON_VACUUM 500

static void
temp_vacuum(struct store_pgsql *s, struct recon_state *st)
{
	int pid = PQbackendPID(s->conn);

	if (pid == st->vacuum_pid && ++st->since_vacuum < RECON_VACUUM)
		return;
	st->vacuum_pid = pid;
	st->since_vacuum = 0;
	if (pgq_exec(s,
		"VACUUM (ANALYZE) recon_k, recon_s, recon_r, recon_v, recon_old,"
		" recon_tix") == -1)
		log_debug("store: reconcile: vacuum failed");
}

/* Commit when ok, else roll back: 0 only when committed. */
static int
txn_end(struct store_pgsql *s, int ok)
{
	if (ok && store_pg_commit(&s->pub) == 0)
		return 0;
	log_warnx("store: reconcile: %s", s->err);
	store_pg_rollback(&s->pub);
	return -1;
}

int
store_pg_reconcile_pass(struct store *pub, int64_t now_ms,
    const struct config *cfg, int *more)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct recon_state *st = state_of(s);
	struct rpg_args a;
	int64_t t0 = clock_mono_us(), took;
	int rc;

	*more = 0;
	if (st == NULL)
		return -1;
	args_of(&a, now_ms, cfg);
	if (store_pg_begin(pub) == -1)
		return -1;
	rc = txn_end(s, recon_pass(s, st, &a, more) == 0);
	if (rc == 0)
		temp_vacuum(s, st);
	took = clock_mono_us() - t0;
	if (rc == 0 && took > RECON_SLOW_US && a.slice > RECON_SLICE_MIN)
		st->adapt = (int)a.slice / 2 > RECON_SLICE_MIN
		    ? (int)a.slice / 2
		    : RECON_SLICE_MIN;
	else if (rc == 0 && *more && took < RECON_QUICK_US &&
	    a.slice < RECON_SLICE)
		st->adapt = (int)a.slice * 3 / 2 < RECON_SLICE
		    ? (int)a.slice * 3 / 2
		    : RECON_SLICE;
	return rc;
}

int
store_pg_reconcile_full(struct store *pub, int64_t now_ms,
    const struct config *cfg)
{
	struct store_pgsql *s = store_pgsql_of(pub);
	struct recon_meta m;
	struct rpg_args a;
	int ok;

	args_of(&a, now_ms, cfg);
	if (store_pg_begin(pub) == -1)
		return -1;
	ok = steps_send(s, full_steps, NELEM(full_steps), &a) == 0 &&
	    meta_read(s, &m) == 0 && recon_params(s, &a, &m, 0) == 0 &&
	    meta_put_i64(s, "reconcile_pass_ms", now_ms) == 0 &&
	    meta_put_i64(s, "reconcile_current_ms", now_ms) == 0;
	return txn_end(s, ok);
}

int
store_pg_reconcile_behind(struct store *pub, int *behind)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	*behind = 0;
	return recon_left(s, behind);
}
