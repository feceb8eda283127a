/*
 * store_pg_qsql: the named queries (store.h, enum store_q) in
 * PostgreSQL's SQL, row for row and column for column those of SQLite
 * (store_query.c), whose comments say why each is written as it is.
 * What changes with the dialect (docs/postgresql.md):
 *  - parameters are $1..$8, typed by the preparation (store_pg_query.c);
 *  - text is sorted by bytes (COLLATE "C"), as SQLite compares it, and
 *    NULL first ascending, last descending, as SQLite sorts it;
 *  - a sum of integers is cast back to bigint, a rate is float8;
 *  - a negative LIMIT is none, as in SQLite (NULL is none here);
 *  - positions.id has no index: a vehicle's newest position is a
 *    LATERAL subquery down the (vehicle, ts_ms) key instead of a join on
 *    the id;
 *  - the report's kilograms are numbers as text where SQLite's sum() is
 *    an integer 0 (nothing of that class) or a real (store_pg_q.h).
 */
#include "store_pg_q.h"

/* The city-wide row's name (store_query.c). */
#define CITY "'全市'"

/* The base of a report: one row per source row of the daily views in
 * days $1..$2. The kilograms shown (msw..collected) are NULL where
 * SQLite's are the integer 0, so that their sums tell the two apart. */
#define REPORT_BASE                                                            \
	"b(day, district, msw, cw, hw, mw, other, collected, recycled,"        \
	" harmless, cw_rec, cw_disp, stations, cleared, manifests, closed,"    \
	" reconciled, disc, overdue) AS ("                                     \
	"SELECT day, district,"                                                \
	" CASE WHEN waste LIKE 'msw.%' THEN kg::float8 END,"                   \
	" CASE WHEN waste LIKE 'cw.%' THEN kg::float8 END,"                    \
	" CASE WHEN waste = 'hw' THEN kg::float8 END,"                         \
	" CASE WHEN waste = 'mw' THEN kg::float8 END,"                         \
	" CASE WHEN waste LIKE 'msw.%' OR waste LIKE 'cw.%'"                   \
	" OR waste IN ('hw', 'mw') THEN NULL ELSE kg::float8 END,"             \
	" NULL::float8, 0::float8, 0::float8, 0::float8, 0::float8,"           \
	" 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,"   \
	" 0::bigint FROM daily_tonnage WHERE day BETWEEN $1 AND $2"            \
	" AND facility_kind IS DISTINCT FROM 'transfer_station'"               \
	" AND district IS DISTINCT FROM " CITY " UNION ALL "                   \
	"SELECT day, district, NULL, NULL, NULL, NULL, NULL,"                  \
	" collected_kg::float8, recycled_kg::float8, harmless_kg::float8,"     \
	" 0, 0, 0, 0, 0, 0, 0, 0, 0"                                           \
	" FROM daily_collected WHERE day BETWEEN $1 AND $2"                    \
	" AND district IS DISTINCT FROM " CITY " UNION ALL "                   \
	"SELECT day, district, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0,"      \
	" recycled_kg::float8, disposed_kg::float8, 0, 0, 0, 0, 0, 0, 0"       \
	" FROM daily_construction WHERE day BETWEEN $1 AND $2"                 \
	" AND district IS DISTINCT FROM " CITY " UNION ALL "                   \
	"SELECT day, district, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0,"   \
	" 0, 1, cleared::bigint, 0, 0, 0, 0, 0"                                \
	" FROM daily_station_balance WHERE day BETWEEN $1 AND $2"              \
	" AND district IS DISTINCT FROM " CITY " UNION ALL "                   \
	"SELECT day, district, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0,"   \
	" 0, 0, 0, manifests::bigint, closed::bigint, reconciled::bigint,"     \
	" discrepancies::bigint, overdue::bigint"                              \
	" FROM daily_manifests WHERE day BETWEEN $1 AND $2"                    \
	" AND district IS DISTINCT FROM " CITY ")"

#define REPORT_SUMS                                                            \
	" sum(msw) AS msw, sum(cw) AS cw, sum(hw) AS hw, sum(mw) AS mw,"       \
	" sum(other) AS other, sum(collected) AS collected,"                   \
	" coalesce(sum(collected), 0) AS collected0,"                          \
	" sum(recycled) AS recycled, sum(harmless) AS harmless,"               \
	" sum(cw_rec) AS cw_rec, sum(cw_disp) AS cw_disp,"                     \
	" sum(stations)::bigint AS stations, sum(cleared)::bigint AS cleared," \
	" sum(manifests)::bigint AS manifests, sum(closed)::bigint AS closed," \
	" sum(reconciled)::bigint AS reconciled, sum(disc)::bigint AS disc,"   \
	" sum(overdue)::bigint AS overdue"

/* The kilograms shown, each as SQLite's sum: the integer 0 when nothing
 * was summed, else a real (store_pg_q.h: mixed). */
#define REPORT_KG                                                              \
	" CASE WHEN g.msw IS NULL THEN '0' ELSE 'r' || g.msw::text END"        \
	" AS msw_kg,"                                                          \
	" CASE WHEN g.cw IS NULL THEN '0' ELSE 'r' || g.cw::text END"          \
	" AS cw_kg,"                                                           \
	" CASE WHEN g.hw IS NULL THEN '0' ELSE 'r' || g.hw::text END"          \
	" AS hw_kg,"                                                           \
	" CASE WHEN g.mw IS NULL THEN '0' ELSE 'r' || g.mw::text END"          \
	" AS mw_kg,"                                                           \
	" CASE WHEN g.other IS NULL THEN '0' ELSE 'r' || g.other::text END"    \
	" AS other_kg,"                                                        \
	" CASE WHEN g.collected IS NULL THEN '0'"                              \
	" ELSE 'r' || g.collected::text END AS collected_kg,"

static const char report_sql[] =
    "WITH " REPORT_BASE ","
    " g AS (SELECT 0 AS total, day, district, 0 AS city," REPORT_SUMS
    " FROM b GROUP BY day, district"
    " UNION ALL SELECT 0, day, " CITY ", 1," REPORT_SUMS " FROM b GROUP BY day"
    " UNION ALL SELECT 1, $3, district, 0," REPORT_SUMS
    " FROM b WHERE $3 IS NOT NULL GROUP BY district"
    " UNION ALL SELECT * FROM (SELECT 1 AS total, $3 AS day,"
    " " CITY " AS district, 1 AS city," REPORT_SUMS
    " FROM b WHERE $3 IS NOT NULL) t WHERE day IS NOT NULL"
    " AND EXISTS (SELECT 1 FROM b)),"
    " u AS (SELECT day, sum(unloads) AS unloads,"
    " sum(authorised) AS authorised FROM daily_unloads"
    " WHERE day BETWEEN $1 AND $2 GROUP BY day)"
    " SELECT g.day AS day, g.district AS district," REPORT_KG
    " g.recycled / nullif(g.collected0, 0) AS recycling_rate,"
    " g.harmless / nullif(g.collected0, 0) AS harmless_rate,"
    " g.cw_rec / nullif(g.cw_rec + g.cw_disp, 0) AS cw_utilisation_rate,"
    " g.cleared::float8 / nullif(g.stations, 0) AS clearance_rate,"
    " g.manifests AS manifests, g.closed AS closed_manifests,"
    " g.closed::float8 / nullif(g.manifests, 0) AS manifest_closure_rate,"
    " g.disc AS discrepancies,"
    " g.disc::float8 / nullif(g.reconciled, 0) AS discrepancy_rate,"
    " g.overdue AS overdue_manifests,"
    " (SELECT sum(authorised)::float8 / nullif(sum(unloads), 0)::float8"
    " FROM u WHERE g.total = 1 OR u.day = g.day) AS authorised_unload_share"
    " FROM g ORDER BY g.total, g.day COLLATE \"C\", g.city,"
    " g.district COLLATE \"C\" NULLS FIRST";

/* The report's kilograms: columns 2 to 7. */
#define REPORT_MIXED 0xfcu

/* The vehicles plate $1 names, or vehicle id $4. */
#define VEHICLE_IDS                                                            \
	"SELECT vehicle FROM vehicles WHERE plate = $1 OR vehicle = $4"

/* LIMIT $6, none when negative (SQLite's reading). */
#define LIMIT6 " LIMIT CASE WHEN $6 < 0 THEN NULL ELSE $6 END"

/* Meta values SQLite keeps as integers, here text: as bigint. */
#define META_INT_OF(key)                                                       \
	" (SELECT CASE WHEN value ~ '^-?[0-9]{1,18}$' THEN value::bigint END"  \
	" FROM meta WHERE key = '" key "')"
#define HOLD_MS	   META_INT_OF("payload_hold_ms")
#define THINNED_MS META_INT_OF("positions_thinned_ms")

/* This instance's spool position, "SEG:OFF" under spool:$1, each part
 * as bigint. */
#define SPOOL_OF(part)                                                         \
	" (SELECT CASE WHEN value ~ '^[0-9]{1,18}:[0-9]{1,18}$' THEN"          \
	" split_part(value, ':', " part ")::bigint END FROM meta"              \
	" WHERE key = 'spool:' || $1)"
#define SPOOL_SEG SPOOL_OF("1")
#define SPOOL_OFF SPOOL_OF("2")

/* What the catalog tells: indexes left invalid (a failed build), the
 * schema's version table gone. */
#define CATALOG_PROBLEMS                                                       \
	"SELECT 'index ' || c.relname || ' is not valid' FROM pg_index i"      \
	" JOIN pg_class c ON c.oid = i.indexrelid"                             \
	" JOIN pg_namespace n ON n.oid = c.relnamespace"                       \
	" WHERE n.nspname = current_schema()"                                  \
	" AND NOT (i.indisvalid AND i.indisready)"                             \
	" UNION ALL SELECT 'no table schema_version'"                          \
	" WHERE to_regclass('schema_version') IS NULL"

/* Every table read whole, as SQLite's integrity_check reads every page
 * (a page that fails its checks raises data_corrupted: the runner makes
 * it a row), and, where the amcheck extension is installed and its
 * bt_index_check() granted to this role, every valid btree index
 * checked against itself (index_corrupted). query_to_xml()
 * runs text made per table: SQL has no other way without a function of
 * the schema's. */
#define READ_PROBLEMS                                                          \
	" UNION ALL SELECT 'table ' || c.relname || ' cannot be read'"         \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"       \
	" WHERE n.nspname = current_schema() AND c.relkind = 'r'"              \
	" AND query_to_xml(format('SELECT count(*) FROM %I.%I"                 \
	" WHERE ctid IS NOT NULL', n.nspname, c.relname), false, true, '')"    \
	" IS NULL UNION ALL SELECT 'index ' || c.relname || ' is damaged'"     \
	" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"             \
	" JOIN pg_namespace n ON n.oid = c.relnamespace"                       \
	" JOIN pg_am am ON am.oid = c.relam"                                   \
	" JOIN pg_extension e ON e.extname = 'amcheck'"                        \
	" WHERE n.nspname = current_schema() AND am.amname = 'btree'"          \
	" AND c.relkind = 'i' AND CASE WHEN i.indisvalid AND i.indisready"     \
	" AND has_function_privilege(format("                                  \
	"'%s.bt_index_check(regclass)', e.extnamespace::regnamespace),"        \
	" 'EXECUTE') THEN query_to_xml(format("                                \
	"'SELECT %s.bt_index_check(%s::regclass)',"                            \
	" e.extnamespace::regnamespace, c.oid), false, true, '') IS NULL"      \
	" ELSE false END"

/* One row per problem, "ok" when none (SQLite's PRAGMAs). */
#define CHECK_SQL(problems, name)                                              \
	"WITH p(problem) AS (" problems ") SELECT problem AS " name            \
	" FROM p UNION ALL SELECT 'ok' WHERE NOT EXISTS (SELECT 1 FROM p)"

static const char q_integrity[] =
    CHECK_SQL(CATALOG_PROBLEMS READ_PROBLEMS, "integrity_check");
static const char q_quick_check[] = CHECK_SQL(CATALOG_PROBLEMS, "quick_check");

static const char q_manifest[] = "SELECT scheme, manifest_no, status, version,"
				 " plate, generator_code, generator_name,"
				 " generator_district, carrier_name,"
				 " receiver_facility, receiver_name,"
				 " receiver_district, departed_ms, arrived_ms,"
				 " received_ms, closed_ms, declared_kg,"
				 " received_kg AS reported_received_kg,"
				 " updated_ms, dq_flags FROM manifests"
				 " WHERE manifest_no = $1"
				 " ORDER BY scheme COLLATE \"C\"";

static const char q_manifest_lines[] = "SELECT scheme, line, waste_code,"
				       " hw_category, waste, qty, unit, qty_kg"
				       " FROM manifest_lines"
				       " WHERE manifest_no = $1"
				       " ORDER BY scheme COLLATE \"C\", line";

static const char q_manifest_versions[] =
    "SELECT e.scheme AS scheme,"
    " e.version AS version,"
    " e.status AS status, e.ts_ms AS ts_ms,"
    " e.applied AS applied,"
    " e.dq_flags AS dq_flags,"
    " m.received_ms AS received_ms,"
    " m.topic AS topic,"
    " e.message_id AS message_id"
    " FROM manifest_events e"
    " LEFT JOIN messages m"
    " ON m.id = e.message_id"
    " WHERE e.manifest_no = $1"
    " ORDER BY e.scheme COLLATE \"C\","
    " e.ts_ms, e.version, e.id";

static const char q_manifest_links[] =
    "SELECT * FROM (SELECT l.scheme AS scheme, l.facility AS facility,"
    " l.ticket AS ticket, l.day AS day, l.method AS method,"
    " l.allocated_kg AS allocated_kg, w.net_kg AS net_kg,"
    " w.plate AS plate, w.first_ms AS first_ms, w.status AS status,"
    " w.dq_flags AS dq_flags FROM reconciliation_links l"
    " LEFT JOIN weighings w ON w.facility = l.facility"
    " AND w.ticket = l.ticket AND w.day = l.day"
    " WHERE l.manifest_no = $1"
    " UNION ALL SELECT t.scheme, t.facility, t.ticket, NULL, NULL,"
    " NULL, NULL, NULL, NULL, NULL, NULL FROM manifest_tickets t"
    " WHERE t.manifest_no = $1 AND NOT EXISTS (SELECT 1 FROM"
    " reconciliation_links l WHERE l.scheme = t.scheme"
    " AND l.manifest_no = t.manifest_no AND l.facility = t.facility"
    " AND l.ticket = t.ticket)) x ORDER BY scheme COLLATE \"C\","
    " first_ms NULLS FIRST, facility COLLATE \"C\","
    " ticket COLLATE \"C\"";

static const char q_manifest_verdict[] =
    "SELECT r.scheme AS scheme, r.declared_kg AS declared_kg,"
    " r.received_kg AS received_kg, r.diff_pct AS diff_pct,"
    " r.method AS method, r.verdict AS verdict,"
    " r.updated_ms AS updated_ms, (EXISTS (SELECT 1 FROM"
    " reconcile_queue q WHERE q.scheme = r.scheme"
    " AND q.manifest_no = r.manifest_no))::int AS queued,"
    " (SELECT value FROM meta WHERE key = 'reconcile_params')"
    " AS settings FROM reconciliations r WHERE r.manifest_no = $1"
    " ORDER BY r.scheme COLLATE \"C\"";

static const char q_vehicles[] =
    "SELECT * FROM (SELECT vehicle, plate, device, first_seen_ms,"
    " last_seen_ms FROM vehicles WHERE plate = $1 OR vehicle = $4"
    " UNION SELECT NULL, $1, NULL, NULL, NULL WHERE NOT EXISTS"
    " (" VEHICLE_IDS ") AND EXISTS (SELECT 1 FROM weighings"
    " WHERE plate = $1)) x ORDER BY vehicle COLLATE \"C\" NULLS FIRST";

static const char q_vehicle_events[] =
    "SELECT ts_ms, type, vehicle, site, facility, waste, mass_kg,"
    " manifest_no, dq_flags FROM vehicle_events WHERE day = $2"
    " AND (plate = $1 OR vehicle IN (" VEHICLE_IDS "))"
    " ORDER BY ts_ms, id";

static const char q_vehicle_trips[] =
    "WITH e AS (SELECT id, vehicle, type, ts_ms, site, facility,"
    " waste, mass_kg FROM vehicle_events WHERE day = $2"
    " AND (plate = $1 OR vehicle IN (" VEHICLE_IDS "))),"
    " u AS (SELECT e.*, (SELECT max(p.ts_ms) FROM e p"
    " WHERE p.vehicle = e.vehicle AND p.type = 'unload'"
    " AND p.ts_ms < e.ts_ms) AS prev FROM e WHERE type = 'unload')"
    " SELECT u.vehicle AS vehicle, l.ts_ms AS loaded_ms,"
    " l.site AS site, u.ts_ms AS unloaded_ms, u.facility AS facility,"
    " u.waste AS waste, u.mass_kg AS mass_kg FROM u LEFT JOIN e l"
    " ON l.id = (SELECT x.id FROM e x WHERE x.vehicle = u.vehicle"
    " AND x.type = 'load' AND x.ts_ms <= u.ts_ms"
    " AND x.ts_ms > coalesce(u.prev, -1) ORDER BY x.ts_ms DESC"
    " LIMIT 1) ORDER BY u.ts_ms, u.id";

static const char q_vehicle_weighings[] =
    "SELECT first_ms, second_ms, facility, ticket, direction, status,"
    " gross_kg, tare_kg, net_kg, waste, manifest_no, dq_flags"
    " FROM weighings WHERE plate = $1 AND day = $2"
    " ORDER BY first_ms, facility COLLATE \"C\", ticket COLLATE \"C\"";

/* sum(p.lat IS NULL) is 1 for a vehicle without positions (the
 * row the LEFT JOIN adds), as in SQLite. */
static const char q_vehicle_positions[] =
    "SELECT v.vehicle AS vehicle, count(p.id) AS positions,"
    " min(p.ts_ms) AS first_ms, max(p.ts_ms) AS last_ms,"
    " min(p.lat) AS lat_min, max(p.lat) AS lat_max,"
    " min(p.lon) AS lon_min, max(p.lon) AS lon_max,"
    " sum((p.lat IS NULL)::int)::bigint AS without_coords"
    " FROM (" VEHICLE_IDS ") v LEFT JOIN positions p"
    " ON p.vehicle = v.vehicle AND p.ts_ms >= $5 AND p.ts_ms < $6"
    " GROUP BY v.vehicle ORDER BY v.vehicle COLLATE \"C\"";

static const char q_reject_reasons[] =
    "SELECT reason, count(*) AS rejects, min(received_ms) AS first_ms,"
    " max(received_ms) AS last_ms,"
    " count(CASE WHEN replay_outcome IN ('stored', 'duplicate',"
    " 'history') THEN 1 END) AS replayed,"
    " count(CASE WHEN replay_outcome = 'rejected' THEN 1 END)"
    " AS rejected_again"
    " FROM rejects WHERE received_ms >= $5"
    " AND ($1 IS NULL OR reason = $1) GROUP BY reason"
    " ORDER BY count(*) DESC, reason COLLATE \"C\"";

static const char q_reject_topics[] =
    "SELECT topic, reason, count(*) AS rejects FROM rejects"
    " WHERE received_ms >= $5 AND ($1 IS NULL OR reason = $1)"
    " GROUP BY topic, reason ORDER BY count(*) DESC,"
    " topic COLLATE \"C\", reason COLLATE \"C\"";

static const char q_reject_profiles[] =
    "SELECT profile, reason, count(*) AS rejects FROM rejects"
    " WHERE received_ms >= $5 AND ($1 IS NULL OR reason = $1)"
    " GROUP BY profile, reason ORDER BY count(*) DESC,"
    " profile COLLATE \"C\" NULLS FIRST, reason COLLATE \"C\"";

/* The payload's first bytes, cut to 160 characters by the runner
 * (SQLite's substr() of the bytes read as text, which PostgreSQL
 * refuses when they are not UTF-8). */
static const char q_reject_samples[] =
    "SELECT id, received_ms, reason, topic, profile, detail,"
    " payload_bytes, payload, replay_outcome, replay_detail FROM"
    " (SELECT id, received_ms, reason, topic, profile, detail,"
    " replay_outcome, replay_detail, octet_length(payload)::bigint"
    " AS payload_bytes, substring(payload FROM 1 FOR 8192) AS payload,"
    " row_number() OVER (PARTITION BY reason ORDER BY id DESC) AS k"
    " FROM rejects WHERE received_ms >= $5"
    " AND ($1 IS NULL OR reason = $1)) x WHERE k <= $6"
    " ORDER BY reason COLLATE \"C\", id DESC";

/* PostgreSQL has no application id: a database whose schema our
 * migrations made is wastetrack's (STORE_APPLICATION_ID,
 * 0x5754524B). The spool position is this instance's. */
static const char q_meta[] =
    "SELECT (SELECT max(version) FROM schema_version)::bigint"
    " AS schema_version, 1465143883::bigint AS application_id,"
    " (SELECT value FROM meta WHERE key = 'db_id') AS db_id," SPOOL_SEG
    " AS spool_seg," SPOOL_OFF " AS spool_off,"
    " (SELECT count(*) FROM reconcile_queue) AS reconcile_queued," HOLD_MS
    " AS payload_hold_ms," THINNED_MS " AS positions_thinned_ms";

static const char q_activity[] =
    "SELECT (SELECT count(*) FROM messages WHERE received_ms >= $5)"
    " AS messages, (SELECT count(*) FROM rejects"
    " WHERE received_ms >= $5) AS rejects,"
    " (SELECT max(received_ms) FROM messages) AS last_message_ms,"
    " (SELECT count(*) FROM manifests WHERE status IN ('created',"
    " 'in_transit', 'arrived')) AS open_manifests,"
    " (SELECT count(*) FROM reconciliations WHERE verdict ="
    " 'overdue') AS overdue_manifests,"
    " (SELECT count(*) FROM reconciliations WHERE verdict ="
    " 'discrepancy') AS discrepancies";

static const char q_api_vehicles[] =
    "SELECT v.vehicle AS vehicle, coalesce(p.plate, v.plate) AS plate,"
    " p.ts_ms AS ts_ms, p.lat AS lat, p.lon AS lon,"
    " p.load_state AS load_state, p.speed_kmh AS speed_kmh,"
    " p.heading_deg AS heading_deg FROM vehicles v CROSS JOIN LATERAL"
    " (SELECT q.plate, q.ts_ms, q.lat, q.lon, q.load_state,"
    " q.speed_kmh, q.heading_deg FROM positions q"
    " WHERE q.vehicle = v.vehicle AND q.ts_ms >= $5"
    " AND q.lat IS NOT NULL AND q.lon IS NOT NULL"
    " ORDER BY q.ts_ms DESC LIMIT 1) p"
    " WHERE v.last_seen_ms >= $5"
    " ORDER BY p.ts_ms DESC, v.vehicle COLLATE \"C\"" LIMIT6;

static const char q_api_positions[] =
    "SELECT * FROM (SELECT p.vehicle AS vehicle, p.ts_ms AS ts_ms,"
    " p.lat AS lat, p.lon AS lon, p.speed_kmh AS speed_kmh,"
    " p.heading_deg AS heading_deg, p.load_state AS load_state,"
    " p.dq_flags AS dq_flags FROM positions p"
    " WHERE p.vehicle IN (" VEHICLE_IDS ") AND p.ts_ms >= $5"
    " AND p.lat IS NOT NULL AND p.lon IS NOT NULL"
    " ORDER BY p.ts_ms DESC, p.vehicle COLLATE \"C\" DESC" LIMIT6
    ") x ORDER BY ts_ms, vehicle COLLATE \"C\"";

/* Evidence passed on as JSON, checked by the runner (column 6). */
static const char q_api_alerts[] =
    "SELECT id, kind, severity, subject, district, opened_ms,"
    " evidence FROM alerts WHERE resolved_ms IS NULL"
    " ORDER BY id DESC" LIMIT6;

static const char q_api_alerts_open[] =
    "SELECT count(*) AS open FROM alerts WHERE resolved_ms IS NULL";

const struct pg_named store_pg_named[STORE_Q_COUNT] = {
	[STORE_Q_REPORT] = { report_sql, REPORT_MIXED, 0, 0 },
	[STORE_Q_MANIFEST] = { q_manifest, 0, 0, 0 },
	[STORE_Q_MANIFEST_LINES] = { q_manifest_lines, 0, 0, 0 },
	[STORE_Q_MANIFEST_VERSIONS] = { q_manifest_versions, 0, 0, 0 },
	[STORE_Q_MANIFEST_LINKS] = { q_manifest_links, 0, 0, 0 },
	[STORE_Q_MANIFEST_VERDICT] = { q_manifest_verdict, 0, 0, 0 },
	[STORE_Q_VEHICLES] = { q_vehicles, 0, 0, 0 },
	[STORE_Q_VEHICLE_EVENTS] = { q_vehicle_events, 0, 0, 0 },
	[STORE_Q_VEHICLE_TRIPS] = { q_vehicle_trips, 0, 0, 0 },
	[STORE_Q_VEHICLE_WEIGHINGS] = { q_vehicle_weighings, 0, 0, 0 },
	[STORE_Q_VEHICLE_POSITIONS] = { q_vehicle_positions, 0, 0, 0 },
	[STORE_Q_REJECT_REASONS] = { q_reject_reasons, 0, 0, 0 },
	[STORE_Q_REJECT_TOPICS] = { q_reject_topics, 0, 0, 0 },
	[STORE_Q_REJECT_PROFILES] = { q_reject_profiles, 0, 0, 0 },
	[STORE_Q_REJECT_SAMPLES] = { q_reject_samples, 0, 0, 160 },
	[STORE_Q_META] = { q_meta, 0, 0, 0 },
	[STORE_Q_ACTIVITY] = { q_activity, 0, 0, 0 },
	[STORE_Q_INTEGRITY] = { q_integrity, 0, 0, 0 },
	[STORE_Q_QUICK_CHECK] = { q_quick_check, 0, 0, 0 },
	[STORE_Q_API_VEHICLES] = { q_api_vehicles, 0, 0, 0 },
	[STORE_Q_API_POSITIONS] = { q_api_positions, 0, 0, 0 },
	[STORE_Q_API_ALERTS] = { q_api_alerts, 0, 1u << 6, 0 },
	[STORE_Q_API_ALERTS_OPEN] = { q_api_alerts_open, 0, 0, 0 },
};
