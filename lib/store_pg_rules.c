/*
 * store_pg_rules: the alert rules of SQLite's store_alert.c,
 * store_streams_sql.c and store_muck_sql.c in PostgreSQL's SQL, in the
 * same order, with the same subjects, districts and conditions. Text
 * only; store_pg_alert.c runs them.
 *
 * The dialect: json_build_object for json_object (the same members in
 * the same order; PostgreSQL spaces its output differently and writes
 * 1000.0 as 1000, the same JSON values), json_agg for json_group_array,
 * round(x::numeric, n)::double precision for SQLite's round(x, n),
 * greatest for SQLite's scalar max where no argument can be NULL. Where
 * a rule can give one subject twice, SQLite keeps the first row it
 * meets; DISTINCT ON keeps the same one here.
 */
#include "store_pg_rules.h"

/* Now, UTC ms: every rule's $1. */
#define NOW "$1::bigint"

/* The rows of a rule into alert_now; the first row of a subject wins.
 * Every collect binds $1, used or not. */
#define COLLECT(sql)                                                           \
	"WITH rule(subject, district, evidence) AS (" sql ")"                  \
	" INSERT INTO alert_now(subject, district, evidence)"                  \
	" SELECT subject, district, evidence FROM rule"                        \
	" WHERE subject IS NOT NULL AND " NOW " IS NOT NULL"                   \
	" ON CONFLICT DO NOTHING"

#define ROUND(x, n) " round((" x ")::numeric, " #n ")::double precision"

/* ---- store_alert.c's: discrepancy, overdue_manifest,
 * unknown_facility ---- */

#define MANIFEST_DISTRICT " coalesce(m.generator_district, f.district)"
#define MANIFEST_JOIN                                                          \
	" FROM reconciliation_results r JOIN manifests m"                      \
	" ON m.scheme = r.scheme AND m.manifest_no = r.manifest_no"            \
	" LEFT JOIN facilities f ON f.id = m.receiver_facility"
#define UNKNOWN_FACILITY_WINDOW_MS "604800000" /* 7 days */

/* clang-format off */
#define RULE_DISCREPANCY                                                       \
	"SELECT r.scheme || '/' || r.manifest_no," MANIFEST_DISTRICT ","       \
	" json_build_object('scheme', r.scheme, 'manifest_no', r.manifest_no," \
	" 'declared_kg', r.declared_kg, 'received_kg', r.received_kg,"         \
	" 'diff_pct'," ROUND("r.diff_pct", 2) ", 'method', r.method,"          \
	" 'plate', m.plate, 'receiver', m.receiver_facility)::text"            \
	MANIFEST_JOIN " WHERE r.verdict = 'discrepancy'"

#define RULE_OVERDUE                                                           \
	"SELECT r.scheme || '/' || r.manifest_no," MANIFEST_DISTRICT ","       \
	" json_build_object('scheme', r.scheme, 'manifest_no', r.manifest_no," \
	" 'status', m.status, 'plate', m.plate, 'departed_ms',"                \
	" m.departed_ms, 'declared_kg', r.declared_kg, 'receiver',"            \
	" m.receiver_facility, 'overdue_for_s', (" NOW " - m.departed_ms)"     \
	" / 1000)::text" MANIFEST_JOIN " WHERE r.verdict = 'overdue'"

#define RULE_UNKNOWN_FACILITY                                                  \
	"SELECT facility, NULL::text, json_build_object('weighings', sum(w),"  \
	" 'unloads', count(*) - sum(w), 'first_ms', min(t),"                   \
	" 'last_ms', max(t))::text FROM"                                       \
	" (SELECT facility, 1 AS w, first_ms AS t FROM weighings"              \
	" WHERE (dq_flags & 262144) <> 0"                                      \
	" AND first_ms >= " NOW " - " UNKNOWN_FACILITY_WINDOW_MS               \
	" UNION ALL SELECT facility, 0, ts_ms FROM vehicle_events"             \
	" WHERE (dq_flags & 262144) <> 0"                                      \
	" AND ts_ms >= " NOW " - " UNKNOWN_FACILITY_WINDOW_MS                  \
	" AND type = 'unload' AND facility IS NOT NULL) x"                     \
	" WHERE facility NOT IN (SELECT id FROM facilities)"                   \
	" GROUP BY facility"

/* ---- store_streams_sql.c's: clinic_pickup_overdue,
 * station_not_cleared, facility_alarm (critical, warning),
 * facility_silent ---- */

/* The last pickup of clinic g at or before now. */
#define LAST_PICKUP                                                            \
	" greatest(coalesce((SELECT max(e.ts_ms) FROM vehicle_events e"        \
	" WHERE e.type = 'load' AND e.site = g.id AND e.ts_ms <= " NOW "), 0)," \
	" coalesce((SELECT max(m.departed_ms) FROM manifests m"                \
	" WHERE m.generator_code = g.id AND m.departed_ms <= " NOW "), 0))"

#define RULE_CLINIC                                                            \
	"SELECT g.id, g.district, json_build_object('name', g.name,"           \
	" 'last_pickup_ms', nullif(lp, 0), 'max_pickup_interval_h',"           \
	" g.max_pickup_interval_h)::text FROM (SELECT g.*," LAST_PICKUP        \
	" AS lp FROM generators g WHERE g.kind = 'clinic') g"                  \
	" WHERE greatest(lp, CASE WHEN lp = 0 THEN g.registered_ms ELSE 0"     \
	" END) < " NOW " - 3600000 * g.max_pickup_interval_h"

/* The local day that ended last before now. */
#define YESTERDAY                                                              \
	" wt_day_add(wt_ms_day(" NOW " + 60000 *"                              \
	" coalesce(wt_meta_num('local_offset_min')::bigint, 480)), -1)"

#define RULE_STATION                                                           \
	"SELECT c.facility, c.district, json_build_object('day', c.day,"       \
	" 'closing_kg', c.closing_kg, 'threshold_kg', c.threshold_kg)::text"   \
	" FROM daily_station_clearance c WHERE c.day = (SELECT max(day)"       \
	" FROM station_days s WHERE s.facility = c.facility"                   \
	" AND s.day <=" YESTERDAY ") AND c.cleared = 0"                        \
	" AND c.facility IN (SELECT id FROM facilities)"

/* A status value of report s for alarm a: a column, or a member of
 * extra as json_extract() gives it (a number; true 1, false 0). */
#define STATUS_VALUE                                                           \
	" CASE a.value WHEN 'inventory_kg' THEN s.inventory_kg"                \
	" WHEN 'throughput_kg' THEN s.throughput_kg"                           \
	" ELSE CASE json_typeof(s.extra::json -> a.value)"                     \
	" WHEN 'number' THEN (s.extra::json ->> a.value)::double precision"    \
	" WHEN 'boolean' THEN ((s.extra::json ->> a.value) = 'true')::int"     \
	" END END"

#define OUT_OF_BOUNDS(v) " ((" v ") < a.min OR (" v ") > a.max)"

#define VALUE_AT_START                                                         \
	"(SELECT" STATUS_VALUE " FROM facility_status s"                       \
	" WHERE s.facility = a.facility"                                       \
	" AND s.ts_ms <= " NOW " - 1000 * f.alarm_after_s"                     \
	" AND s.ts_ms > " NOW " - 1000 * f.alarm_after_s - 86400000"           \
	" AND" STATUS_VALUE " IS NOT NULL ORDER BY s.ts_ms DESC LIMIT 1)"

#define WITHIN_IN_WINDOW                                                       \
	" EXISTS (SELECT 1 FROM facility_status s"                             \
	" WHERE s.facility = a.facility"                                       \
	" AND s.ts_ms > " NOW " - 1000 * f.alarm_after_s"                      \
	" AND s.ts_ms <= " NOW " AND" STATUS_VALUE " IS NOT NULL"              \
	" AND NOT coalesce(" OUT_OF_BOUNDS(STATUS_VALUE) ", false))"

#define FACILITY_ALARM(sev)                                                    \
	"SELECT a.facility || '/' || a.value, f.district,"                     \
	" json_build_object('facility', a.facility, 'value', a.value,"         \
	" 'min', a.min, 'max', a.max, 'after_s', f.alarm_after_s,"             \
	" 'reading', (SELECT" STATUS_VALUE " FROM facility_status s"           \
	" WHERE s.facility = a.facility AND s.ts_ms <= " NOW                   \
	" AND s.ts_ms > " NOW " - 86400000 AND" STATUS_VALUE " IS NOT NULL"    \
	" ORDER BY s.ts_ms DESC LIMIT 1))::text"                               \
	" FROM facility_alarms a JOIN facilities f ON f.id = a.facility"       \
	" WHERE a.severity = '" sev "'"                                        \
	" AND coalesce(" OUT_OF_BOUNDS(VALUE_AT_START) ", false)"              \
	" AND NOT" WITHIN_IN_WINDOW

#define RULE_SILENT                                                            \
	"SELECT f.id, f.district, json_build_object('silent_after_s',"         \
	" f.silent_after_s, 'last_status_ms', (SELECT max(s.ts_ms)"            \
	" FROM facility_status s WHERE s.facility = f.id))::text"              \
	" FROM facilities f WHERE f.silent_after_s > 0"                        \
	" AND NOT EXISTS (SELECT 1 FROM facility_status s"                     \
	" WHERE s.facility = f.id AND s.ts_ms >= " NOW " - 1000 *"             \
	" f.silent_after_s AND s.ts_ms <= " NOW ")"

/* ---- store_muck_sql.c's: unauthorised_unload, night_window,
 * permit ---- */

/* Event-like alerts hold for a day after the event (event time). */
#define RECENT(col)                                                            \
	" " col " >= " NOW " - 86400000 AND " col " <= " NOW " + 86400000"

/* The unload's track: the last 12 fixes up to it and 6 after. */
#define TRACK(u)                                                               \
	" coalesce((SELECT json_agg(json_build_array(x.ts_ms,"                 \
	ROUND("x.lat", 6) "," ROUND("x.lon", 6) ") ORDER BY x.ts_ms) FROM"     \
	" ((SELECT ts_ms, lat, lon FROM positions p"                           \
	" WHERE p.vehicle = " u ".vehicle AND p.ts_ms <= " u ".ts_ms"          \
	" AND (p.dq_flags & 256) = 0 ORDER BY p.ts_ms DESC LIMIT 12)"          \
	" UNION ALL (SELECT ts_ms, lat, lon FROM positions p"                  \
	" WHERE p.vehicle = " u ".vehicle AND p.ts_ms > " u ".ts_ms"           \
	" AND (p.dq_flags & 256) = 0 ORDER BY p.ts_ms LIMIT 6)) x),"           \
	" '[]'::json)"

#define UNLOAD_SUBJECT " coalesce(u.plate, u.vehicle) || '@' || u.ts_ms"

/* SQLite meets an unload's rows by the index on ts_ms, then rowid. */
#define RULE_UNAUTHORISED                                                      \
	"SELECT DISTINCT ON (" UNLOAD_SUBJECT ")" UNLOAD_SUBJECT ","            \
	" u.district, json_build_object('vehicle', u.vehicle, 'plate',"        \
	" u.plate, 'ts_ms', u.ts_ms, 'how', u.how, 'lat'," ROUND("u.lat", 6)   \
	", 'lon'," ROUND("u.lon", 6) ", 'site', u.site, 'waste', u.waste,"     \
	" 'origin', u.origin, 'track'," TRACK("u") ")::text"                   \
	" FROM unloads u WHERE u.authorised = 0 AND u.state = 'unload' AND"    \
	RECENT("u.ts_ms") " ORDER BY" UNLOAD_SUBJECT ", u.id"

#define RULE_NIGHT                                                             \
	"SELECT v.subject, v.district, json_build_object('plate', v.plate,"    \
	" 'vehicle', v.vehicle, 'day', v.day, 'ts_ms', v.ts_ms, 'lat',"        \
	ROUND("v.lat", 6) ", 'lon'," ROUND("v.lon", 6) ", 'waste',"            \
	" v.waste)::text FROM muck_violations v"                               \
	" WHERE v.kind = 'night_window' AND" RECENT("v.ts_ms")

/* One subject per plate (or site): the latest sighting wins. */
#define RULE_PERMIT                                                            \
	"SELECT DISTINCT ON (v.subject) v.subject, v.district,"                \
	" json_build_object('reason', v.reason, 'plate', v.plate, 'vehicle',"  \
	" v.vehicle, 'site', v.site, 'waste', v.waste, 'day', v.day,"          \
	" 'ts_ms', v.ts_ms)::text FROM muck_violations v"                      \
	" WHERE v.kind = 'permit' AND" RECENT("v.ts_ms")                       \
	" ORDER BY v.subject, v.ts_ms DESC"

const struct pg_alert_rule store_pg_alert_rules[] = {
	{ "discrepancy", "warning",
	    { "al_discrepancy", COLLECT(RULE_DISCREPANCY) } },
	{ "overdue_manifest", "critical",
	    { "al_overdue", COLLECT(RULE_OVERDUE) } },
	{ "unknown_facility", "warning",
	    { "al_unknown_facility", COLLECT(RULE_UNKNOWN_FACILITY) } },
	{ "clinic_pickup_overdue", "warning",
	    { "al_clinic", COLLECT(RULE_CLINIC) } },
	{ "station_not_cleared", "warning",
	    { "al_station", COLLECT(RULE_STATION) } },
	{ "facility_alarm", "critical",
	    { "al_alarm_critical", COLLECT(FACILITY_ALARM("critical")) } },
	{ "facility_alarm", "warning",
	    { "al_alarm_warning", COLLECT(FACILITY_ALARM("warning")) } },
	{ "facility_silent", "warning",
	    { "al_silent", COLLECT(RULE_SILENT) } },
	{ "unauthorised_unload", "critical",
	    { "al_unauthorised", COLLECT(RULE_UNAUTHORISED) } },
	{ "night_window", "warning", { "al_night", COLLECT(RULE_NIGHT) } },
	{ "permit", "warning", { "al_permit", COLLECT(RULE_PERMIT) } },
};
/* clang-format on */

const size_t store_pg_nalert_rules =
    sizeof(store_pg_alert_rules) / sizeof(store_pg_alert_rules[0]);
