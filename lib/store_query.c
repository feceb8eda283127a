/*
 * store_query: the read-only queries of wastetrackctl (store.h). Every
 * query selects the views' and tables' columns by name, so a later
 * schema that adds columns, or redefines a view with the same columns,
 * keeps them working. The connection is opened read-only and told never
 * to checkpoint: the daemon stays the only process that changes the
 * file, the log included. Sits beside store_read.c in the stack of
 * store_int.h: it calls store_db.c only.
 */
#include "store_int.h"

#include "clock.h"
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sqlite_query {
	struct store_query pub; /* first: see store_backend.h */
	sqlite3 *db;
	char *path;
	int64_t deadline_us; /* monotonic; 0: none */
	int timed_out;
};

/* The city-wide row's name, as the views of schema v9 name it too: base
 * rows of that name are left out, and the row is computed here from the
 * districts' (the same sums whichever schema made the views). */
#define CITY "'全市'"

/* The base of a report: one row per source row of the daily views in
 * days ?1..?2, each contributing to its own columns (the others 0). */
#define REPORT_BASE                                                            \
	"b(day, district, msw, cw, hw, mw, other, collected, recycled,"        \
	" harmless, cw_rec, cw_disp, stations, cleared, manifests, closed,"    \
	" reconciled, disc, overdue) AS ("                                     \
	"SELECT day, district,"                                                \
	" CASE WHEN waste LIKE 'msw.%' THEN kg ELSE 0 END,"                    \
	" CASE WHEN waste LIKE 'cw.%' THEN kg ELSE 0 END,"                     \
	" CASE WHEN waste = 'hw' THEN kg ELSE 0 END,"                          \
	" CASE WHEN waste = 'mw' THEN kg ELSE 0 END,"                          \
	" CASE WHEN waste LIKE 'msw.%' OR waste LIKE 'cw.%'"                   \
	" OR waste IN ('hw', 'mw') THEN 0 ELSE kg END,"                        \
	" 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"                                  \
	" FROM daily_tonnage WHERE day BETWEEN ?1 AND ?2"                      \
	" AND facility_kind IS NOT 'transfer_station'"                         \
	" AND district IS NOT " CITY " UNION ALL "                             \
	"SELECT day, district, 0, 0, 0, 0, 0, collected_kg, recycled_kg,"      \
	" harmless_kg, 0, 0, 0, 0, 0, 0, 0, 0, 0"                              \
	" FROM daily_collected WHERE day BETWEEN ?1 AND ?2"                    \
	" AND district IS NOT " CITY " UNION ALL "                             \
	"SELECT day, district, 0, 0, 0, 0, 0, 0, 0, 0, recycled_kg,"           \
	" disposed_kg, 0, 0, 0, 0, 0, 0, 0"                                    \
	" FROM daily_construction WHERE day BETWEEN ?1 AND ?2"                 \
	" AND district IS NOT " CITY " UNION ALL "                             \
	"SELECT day, district, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, cleared,"      \
	" 0, 0, 0, 0, 0"                                                       \
	" FROM daily_station_balance WHERE day BETWEEN ?1 AND ?2"              \
	" AND district IS NOT " CITY " UNION ALL "                             \
	"SELECT day, district, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,"            \
	" manifests, closed, reconciled, discrepancies, overdue"               \
	" FROM daily_manifests WHERE day BETWEEN ?1 AND ?2"                    \
	" AND district IS NOT " CITY ")"

#define REPORT_SUMS                                                            \
	" sum(msw) AS msw, sum(cw) AS cw, sum(hw) AS hw, sum(mw) AS mw,"       \
	" sum(other) AS other, sum(collected) AS collected,"                   \
	" sum(recycled) AS recycled, sum(harmless) AS harmless,"               \
	" sum(cw_rec) AS cw_rec, sum(cw_disp) AS cw_disp,"                     \
	" sum(stations) AS stations, sum(cleared) AS cleared,"                 \
	" sum(manifests) AS manifests, sum(closed) AS closed,"                 \
	" sum(reconciled) AS reconciled, sum(disc) AS disc,"                   \
	" sum(overdue) AS overdue"

/* Rates from the sums, so that a city-wide row and a period's totals are
 * rates of totals, never averages of rates. */
static const char report_sql[] =
    "WITH " REPORT_BASE ","
    " g AS (SELECT 0 AS total, day, district, 0 AS city," REPORT_SUMS
    " FROM b GROUP BY day, district"
    " UNION ALL SELECT 0, day, " CITY ", 1," REPORT_SUMS " FROM b GROUP BY day"
    " UNION ALL SELECT 1, ?3, district, 0," REPORT_SUMS
    " FROM b WHERE ?3 IS NOT NULL GROUP BY district"
    " UNION ALL SELECT * FROM (SELECT 1 AS total, ?3 AS day,"
    " " CITY " AS district, 1 AS city," REPORT_SUMS
    " FROM b WHERE ?3 IS NOT NULL) WHERE day IS NOT NULL"
    " AND EXISTS (SELECT 1 FROM b)),"
    " u AS (SELECT day, sum(unloads) AS unloads,"
    " sum(authorised) AS authorised FROM daily_unloads"
    " WHERE day BETWEEN ?1 AND ?2 GROUP BY day)"
    " SELECT g.day AS day, g.district AS district,"
    " g.msw AS msw_kg, g.cw AS cw_kg, g.hw AS hw_kg, g.mw AS mw_kg,"
    " g.other AS other_kg, g.collected AS collected_kg,"
    " g.recycled / nullif(g.collected, 0) AS recycling_rate,"
    " g.harmless / nullif(g.collected, 0) AS harmless_rate,"
    " g.cw_rec / nullif(g.cw_rec + g.cw_disp, 0) AS cw_utilisation_rate,"
    " g.cleared * 1.0 / nullif(g.stations, 0) AS clearance_rate,"
    " g.manifests AS manifests, g.closed AS closed_manifests,"
    " g.closed * 1.0 / nullif(g.manifests, 0) AS manifest_closure_rate,"
    " g.disc AS discrepancies,"
    " g.disc * 1.0 / nullif(g.reconciled, 0) AS discrepancy_rate,"
    " g.overdue AS overdue_manifests,"
    " (SELECT sum(authorised) * 1.0 / nullif(sum(unloads), 0) FROM u"
    " WHERE g.total = 1 OR u.day = g.day) AS authorised_unload_share"
    " FROM g ORDER BY g.total, g.day, g.city, g.district";

/* The vehicles plate ?1 names, or vehicle id ?4. */
#define VEHICLE_IDS                                                            \
	"SELECT vehicle FROM vehicles WHERE plate = ?1 OR vehicle = ?4"

static const char *const query_sql[STORE_Q_COUNT] = {
	[STORE_Q_REPORT] = report_sql,
	[STORE_Q_MANIFEST] =
	    "SELECT scheme, manifest_no, status, version, plate,"
	    " generator_code, generator_name, generator_district,"
	    " carrier_name, receiver_facility, receiver_name,"
	    " receiver_district, departed_ms, arrived_ms, received_ms,"
	    " closed_ms, declared_kg, received_kg AS reported_received_kg,"
	    " updated_ms, dq_flags FROM manifests WHERE manifest_no = ?1"
	    " ORDER BY scheme",
	[STORE_Q_MANIFEST_LINES] =
	    "SELECT scheme, line, waste_code, hw_category, waste, qty, unit,"
	    " qty_kg FROM manifest_lines WHERE manifest_no = ?1"
	    " ORDER BY scheme, line",
	/* Every update received, applied or not, with the message it
	 * came in (gone once retention pruned it). */
	[STORE_Q_MANIFEST_VERSIONS] =
	    "SELECT e.scheme AS scheme, e.version AS version,"
	    " e.status AS status, e.ts_ms AS ts_ms, e.applied AS applied,"
	    " e.dq_flags AS dq_flags, m.received_ms AS received_ms,"
	    " m.topic AS topic, e.message_id AS message_id"
	    " FROM manifest_events e LEFT JOIN messages m ON m.id ="
	    " e.message_id WHERE e.manifest_no = ?1"
	    " ORDER BY e.scheme, e.ts_ms, e.version, e.id",
	/* The tickets linked, then those the manifest names but that no
	 * link took (method NULL): why a reference did not count. */
	[STORE_Q_MANIFEST_LINKS] =
	    "SELECT l.scheme AS scheme, l.facility AS facility,"
	    " l.ticket AS ticket, l.day AS day, l.method AS method,"
	    " l.allocated_kg AS allocated_kg, w.net_kg AS net_kg,"
	    " w.plate AS plate, w.first_ms AS first_ms, w.status AS status,"
	    " w.dq_flags AS dq_flags FROM reconciliation_links l"
	    " LEFT JOIN weighings w ON w.facility = l.facility"
	    " AND w.ticket = l.ticket AND w.day = l.day"
	    " WHERE l.manifest_no = ?1"
	    " UNION ALL SELECT t.scheme, t.facility, t.ticket, NULL, NULL,"
	    " NULL, NULL, NULL, NULL, NULL, NULL FROM manifest_tickets t"
	    " WHERE t.manifest_no = ?1 AND NOT EXISTS (SELECT 1 FROM"
	    " reconciliation_links l WHERE l.scheme = t.scheme"
	    " AND l.manifest_no = t.manifest_no AND l.facility = t.facility"
	    " AND l.ticket = t.ticket) ORDER BY 1, 9, 2, 3",
	[STORE_Q_MANIFEST_VERDICT] =
	    "SELECT r.scheme AS scheme, r.declared_kg AS declared_kg,"
	    " r.received_kg AS received_kg, r.diff_pct AS diff_pct,"
	    " r.method AS method, r.verdict AS verdict,"
	    " r.updated_ms AS updated_ms, EXISTS (SELECT 1 FROM"
	    " reconcile_queue q WHERE q.scheme = r.scheme"
	    " AND q.manifest_no = r.manifest_no) AS queued,"
	    " (SELECT value FROM meta WHERE key = 'reconcile_params')"
	    " AS settings FROM reconciliations r WHERE r.manifest_no = ?1"
	    " ORDER BY r.scheme",
	[STORE_Q_VEHICLES] =
	    "SELECT vehicle, plate, device, first_seen_ms, last_seen_ms"
	    " FROM vehicles WHERE plate = ?1 OR vehicle = ?4"
	    " UNION SELECT NULL, ?1, NULL, NULL, NULL WHERE NOT EXISTS (" VEHICLE_IDS
	    /* Only what an index answers: vehicle_events has none on plate
	     * (an unknown plate would read the whole table), and a plate
	     * that never sent a position has none to show. */
	    ") AND EXISTS (SELECT 1 FROM weighings WHERE plate = ?1)"
	    " ORDER BY 1",
	[STORE_Q_VEHICLE_EVENTS] =
	    "SELECT ts_ms, type, vehicle, site, facility, waste, mass_kg,"
	    " manifest_no, dq_flags FROM vehicle_events WHERE day = ?2"
	    " AND (plate = ?1 OR vehicle IN (" VEHICLE_IDS "))"
	    " ORDER BY ts_ms, id",
	/* A trip: an unload of the day and the last load of the same
	 * vehicle since its previous unload (NULL when it loaded the day
	 * before, or never said). */
	[STORE_Q_VEHICLE_TRIPS] =
	    "WITH e AS (SELECT id, vehicle, type, ts_ms, site, facility,"
	    " waste, mass_kg FROM vehicle_events WHERE day = ?2"
	    " AND (plate = ?1 OR vehicle IN (" VEHICLE_IDS "))),"
	    " u AS (SELECT e.*, (SELECT max(p.ts_ms) FROM e p"
	    " WHERE p.vehicle = e.vehicle AND p.type = 'unload'"
	    " AND p.ts_ms < e.ts_ms) AS prev FROM e WHERE type = 'unload')"
	    " SELECT u.vehicle AS vehicle, l.ts_ms AS loaded_ms,"
	    " l.site AS site, u.ts_ms AS unloaded_ms, u.facility AS facility,"
	    " u.waste AS waste, u.mass_kg AS mass_kg FROM u LEFT JOIN e l"
	    " ON l.id = (SELECT x.id FROM e x WHERE x.vehicle = u.vehicle"
	    " AND x.type = 'load' AND x.ts_ms <= u.ts_ms"
	    " AND x.ts_ms > coalesce(u.prev, -1) ORDER BY x.ts_ms DESC"
	    " LIMIT 1) ORDER BY u.ts_ms, u.id",
	[STORE_Q_VEHICLE_WEIGHINGS] =
	    "SELECT first_ms, second_ms, facility, ticket, direction, status,"
	    " gross_kg, tare_kg, net_kg, waste, manifest_no, dq_flags"
	    " FROM weighings WHERE plate = ?1 AND day = ?2"
	    " ORDER BY first_ms, facility, ticket",
	/* Through the (vehicle, ts_ms) key, vehicle by vehicle. */
	[STORE_Q_VEHICLE_POSITIONS] =
	    "SELECT v.vehicle AS vehicle, count(p.id) AS positions,"
	    " min(p.ts_ms) AS first_ms, max(p.ts_ms) AS last_ms,"
	    " min(p.lat) AS lat_min, max(p.lat) AS lat_max,"
	    " min(p.lon) AS lon_min, max(p.lon) AS lon_max,"
	    " sum(p.lat IS NULL) AS without_coords"
	    " FROM (" VEHICLE_IDS ") v LEFT JOIN positions p"
	    " ON p.vehicle = v.vehicle AND p.ts_ms >= ?5 AND p.ts_ms < ?6"
	    " GROUP BY v.vehicle ORDER BY v.vehicle",
	[STORE_Q_REJECT_REASONS] =
	    "SELECT reason, count(*) AS rejects, min(received_ms) AS first_ms,"
	    " max(received_ms) AS last_ms,"
	    " count(CASE WHEN replay_outcome IN ('stored', 'duplicate',"
	    " 'history') THEN 1 END) AS replayed,"
	    " count(CASE WHEN replay_outcome = 'rejected' THEN 1 END)"
	    " AS rejected_again"
	    " FROM rejects WHERE received_ms >= ?5"
	    " AND (?1 IS NULL OR reason = ?1) GROUP BY reason"
	    " ORDER BY count(*) DESC, reason",
	[STORE_Q_REJECT_TOPICS] =
	    "SELECT topic, reason, count(*) AS rejects FROM rejects"
	    " WHERE received_ms >= ?5 AND (?1 IS NULL OR reason = ?1)"
	    " GROUP BY topic, reason ORDER BY count(*) DESC, topic, reason",
	[STORE_Q_REJECT_PROFILES] =
	    "SELECT profile, reason, count(*) AS rejects FROM rejects"
	    " WHERE received_ms >= ?5 AND (?1 IS NULL OR reason = ?1)"
	    " GROUP BY profile, reason ORDER BY count(*) DESC, profile, reason",
	[STORE_Q_REJECT_SAMPLES] =
	    "SELECT id, received_ms, reason, topic, profile, detail,"
	    " payload_bytes, payload, replay_outcome, replay_detail FROM"
	    " (SELECT id, received_ms, reason, topic, profile, detail,"
	    " replay_outcome, replay_detail, length(payload) AS payload_bytes,"
	    " substr(CAST(payload AS TEXT), 1, 160) AS payload,"
	    " row_number() OVER (PARTITION BY reason ORDER BY id DESC) AS k"
	    " FROM rejects WHERE received_ms >= ?5"
	    " AND (?1 IS NULL OR reason = ?1)) WHERE k <= ?6"
	    " ORDER BY reason, id DESC",
	[STORE_Q_META] =
	    "SELECT (SELECT user_version FROM pragma_user_version)"
	    " AS schema_version,"
	    " (SELECT application_id FROM pragma_application_id)"
	    " AS application_id,"
	    " (SELECT value FROM meta WHERE key = 'db_id') AS db_id,"
	    " (SELECT value FROM meta WHERE key = 'spool_seg') AS spool_seg,"
	    " (SELECT value FROM meta WHERE key = 'spool_off') AS spool_off,"
	    " (SELECT count(*) FROM reconcile_queue) AS reconcile_queued,"
	    " (SELECT value FROM meta WHERE key = 'payload_hold_ms')"
	    " AS payload_hold_ms,"
	    " (SELECT value FROM meta WHERE key = 'positions_thinned_ms')"
	    " AS positions_thinned_ms",
	[STORE_Q_ACTIVITY] =
	    "SELECT (SELECT count(*) FROM messages WHERE received_ms >= ?5)"
	    " AS messages, (SELECT count(*) FROM rejects"
	    " WHERE received_ms >= ?5) AS rejects,"
	    " (SELECT max(received_ms) FROM messages) AS last_message_ms,"
	    " (SELECT count(*) FROM manifests WHERE status IN ('created',"
	    " 'in_transit', 'arrived')) AS open_manifests,"
	    " (SELECT count(*) FROM reconciliations WHERE verdict ="
	    " 'overdue') AS overdue_manifests,"
	    " (SELECT count(*) FROM reconciliations WHERE verdict ="
	    " 'discrepancy') AS discrepancies",
	[STORE_Q_INTEGRITY] = "PRAGMA integrity_check",
	[STORE_Q_QUICK_CHECK] = "PRAGMA quick_check",
	/* One step down the (vehicle, ts_ms) key per vehicle, so the cost
	 * follows the vehicles, not the positions kept. */
	[STORE_Q_API_VEHICLES] =
	    "SELECT v.vehicle AS vehicle, coalesce(p.plate, v.plate) AS plate,"
	    " p.ts_ms AS ts_ms, p.lat AS lat, p.lon AS lon,"
	    " p.load_state AS load_state, p.speed_kmh AS speed_kmh,"
	    " p.heading_deg AS heading_deg FROM vehicles v JOIN positions p"
	    " ON p.id = (SELECT q.id FROM positions q"
	    " WHERE q.vehicle = v.vehicle AND q.ts_ms >= ?5"
	    " AND q.lat IS NOT NULL AND q.lon IS NOT NULL"
	    " ORDER BY q.ts_ms DESC LIMIT 1)"
	    " WHERE v.last_seen_ms >= ?5"
	    " ORDER BY p.ts_ms DESC, v.vehicle LIMIT ?6",
	[STORE_Q_API_POSITIONS] =
	    "SELECT * FROM (SELECT p.vehicle AS vehicle, p.ts_ms AS ts_ms,"
	    " p.lat AS lat, p.lon AS lon, p.speed_kmh AS speed_kmh,"
	    " p.heading_deg AS heading_deg, p.load_state AS load_state,"
	    " p.dq_flags AS dq_flags FROM positions p"
	    " WHERE p.vehicle IN (" VEHICLE_IDS ") AND p.ts_ms >= ?5"
	    " AND p.lat IS NOT NULL AND p.lon IS NOT NULL"
	    " ORDER BY p.ts_ms DESC, p.vehicle DESC LIMIT ?6)"
	    " ORDER BY ts_ms, vehicle",
	/* Evidence is stored as JSON (store_alert.c): passed on as JSON.
	 * Through the index of open alerts: alerts are never deleted, and
	 * walking the table backwards by id would read every resolved one
	 * (and its evidence) whenever fewer than ?6 are open. */
	[STORE_Q_API_ALERTS] =
	    "SELECT id, kind, severity, subject, district, opened_ms,"
	    " CASE WHEN json_valid(evidence) THEN evidence END AS evidence"
	    " FROM alerts INDEXED BY alerts_open WHERE resolved_ms IS NULL"
	    " ORDER BY id DESC LIMIT ?6",
	[STORE_Q_API_ALERTS_OPEN] =
	    "SELECT count(*) AS open FROM alerts WHERE resolved_ms IS NULL",
};

/* "file:PATH?immutable=1", PATH %-escaped where a URI needs it. */
static char *
immutable_uri(const char *path)
{
	static const char tail[] = "?immutable=1";
	char *uri = malloc(strlen(path) * 3 + sizeof("file:") + sizeof(tail));
	char *p = uri;

	if (uri == NULL)
		return NULL;
	p += sprintf(p, "file:");
	for (; *path; path++)
		if (*path == '%' || *path == '?' || *path == '#')
			p += sprintf(p, "%%%02X", (unsigned char)*path);
		else
			*p++ = *path;
	strcpy(p, tail);
	return uri;
}

/*
 * Read-only, sharing the daemon's -wal and -shm while it runs. With no
 * daemon those files are gone: opening the file as usual would create
 * them, owned by whoever reads (root's would then lock the daemon out of
 * its own database), or be refused to a reader who may not create them
 * in the directory (the service group: docs/install.md). The file alone
 * then holds every commit (the daemon's last close checkpointed it and
 * removed the log), so it is read as immutable, creating nothing. A
 * daemon that starts meanwhile writes its log, not the file, until its
 * first checkpoint. A log left behind (a crash) holds commits: read
 * through it, as usual.
 */
static int
open_ro(struct sqlite_query *q)
{
	char wal[PATH_MAX];
	char *uri;
	int rc;

	snprintf(wal, sizeof(wal), "%s-wal", q->path);
	if (access(wal, F_OK) == 0 || errno != ENOENT) {
		if (store_open_conn(q->path, SQLITE_OPEN_READONLY, &q->db) ==
		    -1)
			return -1;
		rc = sqlite3_exec(q->db, "PRAGMA schema_version", NULL, NULL,
		    NULL);
		if (rc == SQLITE_OK)
			return 0;
		/* An empty log left by a reader holds no commit. */
		if ((rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) ||
		    store_file_size(q->path, "-wal") > 0) {
			log_warnx("store: %s: %s", q->path,
			    sqlite3_errmsg(q->db));
			return -1;
		}
		sqlite3_close(q->db);
		q->db = NULL;
	}
	if ((uri = immutable_uri(q->path)) == NULL)
		return -1;
	rc = store_open_conn(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    &q->db);
	free(uri);
	return rc;
}

int
store_sqlite_query_open(const char *path, struct store_query **out)
{
	struct sqlite_query *q;
	int on = 1;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->path = strdup(path)) == NULL) {
		free(q);
		log_warnx("store: out of memory");
		return -1;
	}
	/* A file that is not there is an error, never a new database. */
	if (open_ro(q) == -1)
		goto fail;
	/* Closing the last connection would otherwise checkpoint the WAL
	 * and remove it: the daemon's business, not a reader's. */
	if (sqlite3_db_config(q->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
		&on) != SQLITE_OK ||
	    store_db_exec(q->db, "PRAGMA query_only = 1") == -1)
		goto fail;
	*out = &q->pub;
	return 0;
fail:
	store_sqlite_query_close((struct store_query *)q);
	return -1;
}

void
store_sqlite_query_close(struct store_query *pub)
{
	struct sqlite_query *q = (struct sqlite_query *)pub;

	if (q == NULL)
		return;
	sqlite3_close(q->db);
	free(q->path);
	free(q);
}

static void
bind_args(sqlite3_stmt *st, const struct store_q_args *a)
{
	int i, n = sqlite3_bind_parameter_count(st);

	for (i = 1; i <= n && i <= 8; i++) {
		if (a == NULL)
			sqlite3_bind_null(st, i);
		else if (i <= 4 && a->text[i - 1] != NULL)
			sqlite3_bind_text(st, i, a->text[i - 1], -1,
			    SQLITE_STATIC);
		else if (i > 4)
			sqlite3_bind_int64(st, i, a->num[i - 5]);
	}
}

#define MAX_COLS 32

/* The row's values, typed as SQLite stored them. */
static int
emit_row(sqlite3_stmt *st, store_rows_fn fn, void *arg)
{
	const char *names[MAX_COLS];
	struct store_value v[MAX_COLS];
	int i, n = sqlite3_column_count(st);

	if (n > MAX_COLS)
		n = MAX_COLS;
	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		names[i] = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v[i].type = STORE_V_INT;
			v[i].i = sqlite3_column_int64(st, i);
			break;
		case SQLITE_FLOAT:
			v[i].type = STORE_V_REAL;
			v[i].r = sqlite3_column_double(st, i);
			break;
		case SQLITE_NULL:
			v[i].type = STORE_V_NULL;
			break;
		default: /* text, and a blob read as its bytes */
			v[i].type = STORE_V_TEXT;
			v[i].s = (const char *)sqlite3_column_text(st, i);
			if (v[i].s == NULL)
				v[i].type = STORE_V_NULL;
			break;
		}
	}
	return fn(arg, n, names, v);
}

/* The columns, before any row: a table without rows still has them. */
static int
emit_names(sqlite3_stmt *st, store_rows_fn fn, void *arg)
{
	const char *names[MAX_COLS];
	int i, n = sqlite3_column_count(st);

	if (n > MAX_COLS)
		n = MAX_COLS;
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	return fn(arg, n, names, NULL);
}

/* SQLite calls this every few thousand steps of a statement. */
static int
over_budget(void *arg)
{
	struct sqlite_query *q = arg;

	if (q->deadline_us == 0 || clock_mono_us() < q->deadline_us)
		return 0;
	q->timed_out = 1;
	return 1; /* the statement fails with SQLITE_INTERRUPT */
}

void
store_sqlite_query_budget(struct store_query *pub, int ms)
{
	struct sqlite_query *q = (struct sqlite_query *)pub;

	q->timed_out = 0;
	q->deadline_us = ms > 0 ? clock_mono_us() + (int64_t)ms * 1000 : 0;
	sqlite3_progress_handler(q->db, ms > 0 ? 4000 : 0,
	    ms > 0 ? over_budget : NULL, q);
}

int
store_sqlite_query_timed_out(const struct store_query *pub)
{
	return ((const struct sqlite_query *)pub)->timed_out;
}

int
store_sqlite_query_run(struct store_query *pub, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg)
{
	struct sqlite_query *q = (struct sqlite_query *)pub;
	sqlite3_stmt *st = NULL;
	int rc, stopped = 0;

	if ((unsigned)id >= STORE_Q_COUNT)
		return -1;
	if (sqlite3_prepare_v2(q->db, query_sql[id], -1, &st, NULL) !=
	    SQLITE_OK) {
		log_warnx("store: %s: %s", q->path, sqlite3_errmsg(q->db));
		return -1;
	}
	bind_args(st, a);
	if (emit_names(st, fn, arg) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (emit_row(st, fn, arg) == -1) {
			stopped = 1;
			break;
		}
	if (!stopped && rc != SQLITE_DONE && !q->timed_out)
		log_warnx("store: %s: %s", q->path, sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return stopped || rc != SQLITE_DONE ? -1 : 0;
}

int
store_sqlite_query_plan(struct store_query *pub, enum store_q id,
    store_rows_fn fn, void *arg)
{
	struct sqlite_query *q = (struct sqlite_query *)pub;
	sqlite3_stmt *st = NULL;
	char *sql;
	int rc = -1;

	if ((unsigned)id >= STORE_Q_COUNT ||
	    (sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", query_sql[id])) ==
		NULL)
		return -1;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", q->path, sqlite3_errmsg(q->db));
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (emit_row(st, fn, arg) == -1)
			break;
	rc = rc == SQLITE_DONE ? 0 : -1;
done:
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return rc;
}

/*
 * What each kind's chunks would take (store_prune.c), counted instead of
 * changed: rows past the cutoff, raw payloads under a hold by its rule,
 * the newest message kept; thinning counts every point but the first of
 * its vehicle and interval between the mark and the interval of the
 * cutoff, among those the positions' own cutoff leaves.
 */
static const char *const due_sql[STORE_PRUNE_KINDS] = {
	[STORE_PRUNE_PAYLOADS] =
	    "SELECT count(*) FROM messages WHERE received_ms < :cut"
	    " AND payload IS NOT NULL AND (:cut > coalesce((SELECT value"
	    " FROM meta WHERE key = 'payload_hold_ms'), 0) OR id >="
	    " coalesce((SELECT value FROM meta WHERE key ="
	    " 'payload_hold_mid'), 0))",
	[STORE_PRUNE_MESSAGES] =
	    "SELECT count(*) FROM messages WHERE received_ms < :cut"
	    " AND id < (SELECT max(id) FROM messages)",
	[STORE_PRUNE_REJECT_PAYLOADS] =
	    "SELECT count(*) FROM rejects WHERE received_ms < :cut"
	    " AND payload IS NOT NULL",
	[STORE_PRUNE_REJECTS] =
	    "SELECT count(*) FROM rejects WHERE received_ms < :cut",
	[STORE_PRUNE_POSITIONS] =
	    "SELECT count(*) FROM positions WHERE ts_ms < :cut",
	[STORE_PRUNE_POSITIONS_THIN] =
	    "SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY"
	    " vehicle, ts_ms / :iv ORDER BY ts_ms, id) AS k FROM positions"
	    " WHERE ts_ms >= max(:poscut, coalesce((SELECT value FROM meta"
	    " WHERE key = 'positions_thinned_ms'), 0))"
	    " AND ts_ms < :cut - :cut % :iv) WHERE k > 1",
	[STORE_PRUNE_VEHICLE_EVENTS] =
	    "SELECT count(*) FROM vehicle_events WHERE ts_ms < :cut",
	[STORE_PRUNE_WEIGHINGS_HISTORY] =
	    "SELECT count(*) FROM weighings_history WHERE first_ms < :cut",
	[STORE_PRUNE_FACILITY_STATUS] =
	    "SELECT count(*) FROM facility_status WHERE ts_ms < :cut",
};

static int
count_due(struct sqlite_query *q, const char *sql, int64_t cut, int64_t iv,
    int64_t poscut, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int i, rc;

	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", q->path, sqlite3_errmsg(q->db));
		return -1;
	}
	if ((i = sqlite3_bind_parameter_index(st, ":cut")) > 0)
		sqlite3_bind_int64(st, i, cut);
	if ((i = sqlite3_bind_parameter_index(st, ":iv")) > 0)
		sqlite3_bind_int64(st, i, iv);
	if ((i = sqlite3_bind_parameter_index(st, ":poscut")) > 0)
		sqlite3_bind_int64(st, i, poscut);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		log_warnx("store: %s: %s", q->path, sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_sqlite_query_prune_due(struct store_query *pub,
    const struct store_retention *r, int64_t due[STORE_PRUNE_KINDS])
{
	struct sqlite_query *q = (struct sqlite_query *)pub;
	int64_t hold = 0, poscut = r->cutoff[STORE_PRUNE_POSITIONS];
	int k, rc = -1;

	if (store_db_exec(q->db, "BEGIN") == -1)
		return -1;
	if (store_pragma_int(q->db,
		"SELECT coalesce((SELECT value FROM meta WHERE key ="
		" 'payload_hold_ms'), 0)",
		&hold) == -1)
		goto done;
	for (k = 0; k < STORE_PRUNE_KINDS; k++) {
		due[k] = 0;
		/* Kept whole; or, after a clock step, waiting for the cutoff
		 * to pass the hold (raw payloads have their own rule). */
		if (r->cutoff[k] <= 0 ||
		    (k != STORE_PRUNE_PAYLOADS && r->cutoff[k] <= hold))
			continue;
		if (k == STORE_PRUNE_POSITIONS_THIN && r->thin_ms <= 0)
			continue;
		if (count_due(q, due_sql[k], r->cutoff[k], r->thin_ms,
			poscut > 0 ? poscut : 0, &due[k]) == -1)
			goto done;
	}
	rc = 0;
done:
	if (store_db_exec(q->db, "COMMIT") == -1)
		rc = -1;
	return rc;
}
