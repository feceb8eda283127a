/*
 * store_schema: the SQLite schema (migrations, one per version) and the
 * text of the writer's prepared statements.
 */
#include "store_int.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/*
 * Migrations, in order: migrations[i] takes user_version i to i+1. Never
 * edit a shipped one; add the next. Columns are added, never renamed:
 * reports, the views and outside readers of the file select them by name.
 */
static const char *const migrations[] = {
	/* v1: the ingest core. */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE messages(id INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
	" profile TEXT NOT NULL, received_ms INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL, outcome TEXT NOT NULL, kind TEXT,"
	" payload BLOB);"
	"CREATE UNIQUE INDEX messages_dedupe ON messages(topic, sha256);"
	"CREATE INDEX messages_received ON messages(received_ms);"
	"CREATE TABLE rejects(id INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
	" profile TEXT, received_ms INTEGER NOT NULL, payload BLOB,"
	" reason TEXT NOT NULL, detail TEXT);"
	"CREATE INDEX rejects_reason ON rejects(reason, received_ms);"
	"CREATE TABLE positions(id INTEGER PRIMARY KEY, vehicle TEXT NOT NULL,"
	" device TEXT, plate TEXT, ts_ms INTEGER NOT NULL, lat REAL, lon REAL,"
	" speed_kmh REAL, heading_deg REAL, alt_m REAL, load_state TEXT,"
	" dq_flags INTEGER NOT NULL DEFAULT 0, message_id INTEGER,"
	" UNIQUE(vehicle, ts_ms));"
	"CREATE TABLE vehicle_events(id INTEGER PRIMARY KEY,"
	" type TEXT NOT NULL,"
	" vehicle TEXT NOT NULL, plate TEXT, ts_ms INTEGER NOT NULL, site TEXT,"
	" facility TEXT, waste TEXT NOT NULL, mass_kg REAL, manifest_no TEXT,"
	" lat REAL, lon REAL, dq_flags INTEGER NOT NULL DEFAULT 0,"
	" message_id INTEGER, UNIQUE(vehicle, type, ts_ms));"
	"CREATE TABLE weighings(id INTEGER PRIMARY KEY, facility TEXT NOT NULL,"
	" ticket TEXT NOT NULL, day TEXT NOT NULL, version INTEGER NOT NULL,"
	" plate TEXT, direction TEXT, gross_kg REAL, tare_kg REAL, net_kg REAL,"
	" first_ms INTEGER NOT NULL, second_ms INTEGER, waste TEXT,"
	" origin TEXT, status TEXT NOT NULL, manifest_no TEXT,"
	" dq_flags INTEGER NOT NULL DEFAULT 0, message_id INTEGER,"
	" fingerprint TEXT NOT NULL, UNIQUE(facility, ticket, day));"
	"CREATE INDEX weighings_day ON weighings(day);"
	"CREATE TABLE weighings_history(id INTEGER PRIMARY KEY,"
	" facility TEXT NOT NULL, ticket TEXT NOT NULL, day TEXT NOT NULL,"
	" version INTEGER NOT NULL, plate TEXT, direction TEXT, gross_kg REAL,"
	" tare_kg REAL, net_kg REAL, first_ms INTEGER NOT NULL,"
	" second_ms INTEGER, waste TEXT, origin TEXT, status TEXT NOT NULL,"
	" manifest_no TEXT, dq_flags INTEGER NOT NULL DEFAULT 0,"
	" message_id INTEGER, fingerprint TEXT NOT NULL,"
	" superseded_by INTEGER);"
	"CREATE INDEX weighings_history_key ON weighings_history(facility,"
	" ticket, day);"
	"CREATE TABLE facility_status(id INTEGER PRIMARY KEY,"
	" facility TEXT NOT NULL, ts_ms INTEGER NOT NULL, state TEXT NOT NULL,"
	" inventory_kg REAL, throughput_kg REAL, extra TEXT,"
	" dq_flags INTEGER NOT NULL DEFAULT 0, message_id INTEGER,"
	" UNIQUE(facility, ts_ms));"
	"CREATE TABLE manifests(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL,"
	" version INTEGER NOT NULL, status TEXT NOT NULL, plate TEXT,"
	" generator_code TEXT, generator_name TEXT, generator_district TEXT,"
	" carrier_name TEXT, receiver_facility TEXT, receiver_name TEXT,"
	" departed_ms INTEGER, received_ms INTEGER, closed_ms INTEGER,"
	" declared_kg REAL, received_kg REAL, updated_ms INTEGER NOT NULL,"
	" dq_flags INTEGER NOT NULL DEFAULT 0, message_id INTEGER,"
	" PRIMARY KEY(scheme, manifest_no));"
	"CREATE TABLE manifest_lines(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL, line INTEGER NOT NULL, waste_code TEXT,"
	" hw_category TEXT, waste TEXT NOT NULL, qty REAL, unit TEXT,"
	" qty_kg REAL, PRIMARY KEY(scheme, manifest_no, line));"
	"CREATE TABLE manifest_tickets(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL, facility TEXT NOT NULL,"
	" ticket TEXT NOT NULL,"
	" PRIMARY KEY(scheme, manifest_no, facility, ticket));"
	"CREATE TABLE manifest_events(id INTEGER PRIMARY KEY,"
	" scheme TEXT NOT NULL, manifest_no TEXT NOT NULL,"
	" version INTEGER NOT NULL, status TEXT NOT NULL,"
	" ts_ms INTEGER NOT NULL, applied INTEGER NOT NULL,"
	" dq_flags INTEGER NOT NULL DEFAULT 0, message_id INTEGER,"
	" UNIQUE(scheme, manifest_no, version, status, ts_ms));"
	"CREATE TABLE reconciliations(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL, declared_kg REAL, received_kg REAL,"
	" diff_pct REAL, method TEXT, verdict TEXT NOT NULL,"
	" updated_ms INTEGER, PRIMARY KEY(scheme, manifest_no));"
	"CREATE TABLE facilities(id TEXT PRIMARY KEY, name TEXT, kind TEXT,"
	" district TEXT, harmless INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE vehicles(vehicle TEXT PRIMARY KEY, plate TEXT,"
	" device TEXT, first_seen_ms INTEGER, last_seen_ms INTEGER);"
	/* Complete inbound tickets, without the weights a flag distrusts. */
	"CREATE VIEW daily_tonnage AS"
	" SELECT w.day AS day, f.district AS district,"
	" f.kind AS facility_kind, w.waste AS waste, SUM(w.net_kg) AS kg"
	" FROM weighings w LEFT JOIN facilities f ON f.id = w.facility"
	" WHERE w.status = 'complete' AND w.direction = 'in'"
	" AND w.net_kg IS NOT NULL AND (w.dq_flags & 3584) = 0"
	" GROUP BY 1, 2, 3, 4;",
	/* v2: vendor dialects. Terminals bound to plates (JT/T 808
	 * registration), and the manifest milestones vendors send. */
	"CREATE TABLE device_bindings(device TEXT NOT NULL,"
	" valid_from_ms INTEGER NOT NULL, plate TEXT, plate_color TEXT,"
	" message_id INTEGER, PRIMARY KEY(device, valid_from_ms));"
	"ALTER TABLE manifests ADD COLUMN arrived_ms INTEGER;",
	/* v3: reconciliation links and the daily indicators. Definitions
	 * are documented in docs/indicators.md, view by view. */
	"CREATE TABLE reconciliation_links(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL, facility TEXT NOT NULL,"
	" ticket TEXT NOT NULL, day TEXT NOT NULL, method TEXT NOT NULL,"
	" allocated_kg REAL,"
	" PRIMARY KEY(scheme, manifest_no, facility, ticket, day));"
	"CREATE INDEX weighings_plate ON weighings(plate, facility, first_ms);"
	"CREATE INDEX weighings_manifest ON weighings(manifest_no);"
	"CREATE INDEX vehicle_events_ts ON vehicle_events(ts_ms);"
	"DROP VIEW daily_tonnage;"
	/* Complete tickets that indicators may count: not void, not open,
	 * no weight a data-quality flag distrusts (512|1024|2048). */
	"CREATE VIEW tickets_counted AS"
	" SELECT w.day AS day, w.facility AS facility, f.kind AS facility_kind,"
	" f.district AS district, coalesce(f.harmless, 0) AS harmless,"
	" w.waste AS waste, w.direction AS direction, w.net_kg AS kg"
	" FROM weighings w LEFT JOIN facilities f ON f.id = w.facility"
	" WHERE w.status = 'complete' AND w.net_kg IS NOT NULL"
	" AND (w.dq_flags & 3584) = 0;"
	"CREATE VIEW daily_tonnage AS"
	" SELECT day, district, facility_kind, waste, sum(kg) AS kg"
	" FROM tickets_counted WHERE direction = 'in' GROUP BY 1, 2, 3, 4;"
	/* Household waste received by final facilities: transfer stations
	 * pass it on, so counting them would count it twice. */
	"CREATE VIEW daily_collected AS"
	" SELECT day, district, sum(kg) AS collected_kg,"
	" sum(CASE WHEN (facility_kind = 'recycling_center'"
	" AND waste = 'msw.recyclable') OR (facility_kind = 'food_waste_plant'"
	" AND waste = 'msw.food') THEN kg ELSE 0 END) AS recycled_kg,"
	" sum(CASE WHEN harmless = 1 THEN kg ELSE 0 END) AS harmless_kg"
	" FROM tickets_counted WHERE direction = 'in' AND waste LIKE 'msw.%'"
	" AND facility_kind IN ('incinerator', 'sanitary_landfill',"
	" 'food_waste_plant', 'recycling_center') GROUP BY 1, 2;"
	"CREATE VIEW daily_construction AS"
	" SELECT day, district,"
	" sum(CASE WHEN facility_kind = 'cw_recycling' THEN kg ELSE 0 END)"
	" AS recycled_kg,"
	" sum(CASE WHEN facility_kind = 'cw_disposal_site' THEN kg ELSE 0 END)"
	" AS disposed_kg"
	" FROM tickets_counted WHERE direction = 'in' AND waste LIKE 'cw.%'"
	" AND facility_kind IN ('cw_recycling', 'cw_disposal_site')"
	" GROUP BY 1, 2;"
	"CREATE VIEW daily_station_balance AS"
	" SELECT day, district, facility,"
	" sum(CASE WHEN direction = 'in' THEN kg ELSE 0 END) AS in_kg,"
	" sum(CASE WHEN direction = 'out' THEN kg ELSE 0 END) AS out_kg,"
	" CASE WHEN sum(CASE WHEN direction = 'in' THEN kg ELSE -kg END) <="
	" (SELECT coalesce(value, 5) FROM meta WHERE key ="
	" 'clearance_tolerance_pct') / 100.0 *"
	" sum(CASE WHEN direction = 'in' THEN kg ELSE 0 END)"
	" THEN 1 ELSE 0 END AS cleared"
	" FROM tickets_counted WHERE facility_kind = 'transfer_station'"
	" GROUP BY 1, 2, 3;"
	"CREATE VIEW manifest_days AS"
	" SELECT m.scheme, m.manifest_no, m.status,"
	" date((coalesce(m.departed_ms, (SELECT min(e.ts_ms) FROM"
	" manifest_events e WHERE e.scheme = m.scheme"
	" AND e.manifest_no = m.manifest_no)) + 60000 *"
	" (SELECT coalesce(value, 480) FROM meta WHERE key ="
	" 'local_offset_min')) / 1000, 'unixepoch') AS day,"
	" coalesce(m.generator_district, f.district) AS district,"
	" r.verdict AS verdict"
	" FROM manifests m LEFT JOIN facilities f ON f.id = m.receiver_facility"
	" LEFT JOIN reconciliations r USING (scheme, manifest_no);"
	"CREATE VIEW daily_manifests AS"
	" SELECT day, district, count(*) AS manifests,"
	" sum(status = 'closed') AS closed,"
	" sum(verdict IN ('ok', 'discrepancy')) AS reconciled,"
	" sum(verdict = 'discrepancy') AS discrepancies,"
	" sum(verdict = 'overdue') AS overdue"
	" FROM manifest_days GROUP BY 1, 2;"
	/* City-wide: an unregistered facility has no district to count
	 * an unauthorised unload against. */
	"CREATE VIEW daily_unloads AS"
	" SELECT date((e.ts_ms + 60000 * (SELECT coalesce(value, 480) FROM meta"
	" WHERE key = 'local_offset_min')) / 1000, 'unixepoch') AS day,"
	" count(*) AS unloads, sum(f.id IS NOT NULL) AS authorised"
	" FROM vehicle_events e LEFT JOIN facilities f ON f.id = e.facility"
	" WHERE e.type = 'unload' GROUP BY 1;"
	"CREATE VIEW daily_indicators AS"
	" WITH k AS (SELECT day, district FROM daily_collected"
	" UNION SELECT day, district FROM daily_construction"
	" UNION SELECT day, district FROM daily_station_balance"
	" UNION SELECT day, district FROM daily_manifests)"
	" SELECT k.day AS day, k.district AS district,"
	" coalesce(c.collected_kg, 0) AS collected_kg,"
	" c.recycled_kg / nullif(c.collected_kg, 0) AS recycling_rate,"
	" c.harmless_kg / nullif(c.collected_kg, 0) AS harmless_rate,"
	" cw.recycled_kg / nullif(cw.recycled_kg + cw.disposed_kg, 0)"
	" AS cw_utilisation_rate,"
	" (SELECT avg(cleared) FROM daily_station_balance b WHERE b.day = k.day"
	" AND b.district IS k.district) AS clearance_rate,"
	" coalesce(m.manifests, 0) AS manifests,"
	" m.closed * 1.0 / nullif(m.manifests, 0) AS manifest_closure_rate,"
	" m.discrepancies * 1.0 / nullif(m.reconciled, 0) AS discrepancy_rate,"
	" coalesce(m.overdue, 0) AS overdue_manifests,"
	" u.authorised * 1.0 / nullif(u.unloads, 0) AS authorised_unload_share"
	" FROM k LEFT JOIN daily_collected c ON c.day = k.day"
	" AND c.district IS k.district"
	" LEFT JOIN daily_construction cw ON cw.day = k.day"
	" AND cw.district IS k.district"
	" LEFT JOIN daily_manifests m ON m.day = k.day"
	" AND m.district IS k.district"
	" LEFT JOIN daily_unloads u ON u.day = k.day;",
	/* v4: a compact dedupe index. The unique (topic, sha256) index
	 * took ~110 bytes per message at random places: once it outgrew
	 * the page cache every insert read and rewrote a page. 16 hex
	 * digits (64 bits) find the candidates; the writer then compares
	 * topic and the whole digest (store_message_find). */
	"CREATE INDEX messages_digest ON messages(substr(sha256, 1, 16));"
	"DROP INDEX messages_dedupe;",
	/* v5: reconciliation looks links up by ticket (is it taken? who
	 * shares it?); without this index each lookup scanned every link,
	 * 0.6 s a run for 1 300 manifests, and growing with their square. */
	"CREATE INDEX reconciliation_links_ticket ON reconciliation_links("
	"facility, ticket, day);",
	/* v6: the past stays as it was counted. Rows carry what the views
	 * need from the configuration as it was when they were written —
	 * the local day, the facility's district, kind and harmlessness —
	 * so a new offset or a facility moved to another district changes
	 * no earlier day. Existing rows get today's values. A ticket keeps
	 * the day it was first recorded under as its identity (key_day),
	 * so a correction that moves its first weighing across midnight
	 * moves the counted day without making a second ticket. The views
	 * keep their names and columns. */
	"DROP VIEW daily_indicators; DROP VIEW daily_unloads;"
	" DROP VIEW daily_manifests; DROP VIEW manifest_days;"
	" DROP VIEW daily_station_balance; DROP VIEW daily_construction;"
	" DROP VIEW daily_collected; DROP VIEW daily_tonnage;"
	" DROP VIEW tickets_counted;"
	"CREATE TABLE weighings_v6(id INTEGER PRIMARY KEY,"
	" facility TEXT NOT NULL, ticket TEXT NOT NULL, day TEXT NOT NULL,"
	" version INTEGER NOT NULL, plate TEXT, direction TEXT, gross_kg REAL,"
	" tare_kg REAL, net_kg REAL, first_ms INTEGER NOT NULL,"
	" second_ms INTEGER, waste TEXT, origin TEXT, status TEXT NOT NULL,"
	" manifest_no TEXT, dq_flags INTEGER NOT NULL DEFAULT 0,"
	" message_id INTEGER, fingerprint TEXT NOT NULL,"
	" key_day TEXT NOT NULL, district TEXT, facility_kind TEXT,"
	" harmless INTEGER, UNIQUE(facility, ticket, key_day));"
	"INSERT INTO weighings_v6 SELECT w.id, w.facility, w.ticket, w.day,"
	" w.version, w.plate, w.direction, w.gross_kg, w.tare_kg, w.net_kg,"
	" w.first_ms, w.second_ms, w.waste, w.origin, w.status,"
	" w.manifest_no, w.dq_flags, w.message_id, w.fingerprint, w.day,"
	" f.district, f.kind, f.harmless"
	" FROM weighings w LEFT JOIN facilities f ON f.id = w.facility;"
	"DROP TABLE weighings;"
	"ALTER TABLE weighings_v6 RENAME TO weighings;"
	"CREATE INDEX weighings_day ON weighings(day);"
	"CREATE INDEX weighings_plate ON weighings(plate, facility, first_ms);"
	"CREATE INDEX weighings_manifest ON weighings(manifest_no);"
	/* A correction finds its ticket by number near its time. */
	"CREATE INDEX weighings_ticket ON weighings(facility, ticket,"
	" first_ms);"
	"ALTER TABLE weighings_history ADD COLUMN key_day TEXT;"
	"ALTER TABLE weighings_history ADD COLUMN district TEXT;"
	"ALTER TABLE weighings_history ADD COLUMN facility_kind TEXT;"
	"ALTER TABLE weighings_history ADD COLUMN harmless INTEGER;"
	"UPDATE weighings_history SET key_day = day;"
	"ALTER TABLE vehicle_events ADD COLUMN day TEXT;"
	"UPDATE vehicle_events SET day = date((ts_ms + 60000 *"
	" coalesce((SELECT value FROM meta WHERE key = 'local_offset_min'),"
	" 480)) / 1000, 'unixepoch');"
	"UPDATE vehicle_events SET dq_flags = dq_flags | 262144"
	" WHERE facility IS NOT NULL"
	" AND facility NOT IN (SELECT id FROM facilities);"
	"ALTER TABLE manifests ADD COLUMN local_offset_min INTEGER;"
	"ALTER TABLE manifests ADD COLUMN receiver_district TEXT;"
	"UPDATE manifests SET local_offset_min = coalesce((SELECT value"
	" FROM meta WHERE key = 'local_offset_min'), 480),"
	" receiver_district = (SELECT district FROM facilities"
	" WHERE id = receiver_facility);"
	"CREATE VIEW tickets_counted AS"
	" SELECT day, facility, facility_kind, district,"
	" coalesce(harmless, 0) AS harmless, waste, direction, net_kg AS kg"
	" FROM weighings WHERE status = 'complete' AND net_kg IS NOT NULL"
	" AND (dq_flags & 3584) = 0;"
	"CREATE VIEW daily_tonnage AS"
	" SELECT day, district, facility_kind, waste, sum(kg) AS kg"
	" FROM tickets_counted WHERE direction = 'in' GROUP BY 1, 2, 3, 4;"
	"CREATE VIEW daily_collected AS"
	" SELECT day, district, sum(kg) AS collected_kg,"
	" sum(CASE WHEN (facility_kind = 'recycling_center'"
	" AND waste = 'msw.recyclable') OR (facility_kind = 'food_waste_plant'"
	" AND waste = 'msw.food') THEN kg ELSE 0 END) AS recycled_kg,"
	" sum(CASE WHEN harmless = 1 THEN kg ELSE 0 END) AS harmless_kg"
	" FROM tickets_counted WHERE direction = 'in' AND waste LIKE 'msw.%'"
	" AND facility_kind IN ('incinerator', 'sanitary_landfill',"
	" 'food_waste_plant', 'recycling_center') GROUP BY 1, 2;"
	"CREATE VIEW daily_construction AS"
	" SELECT day, district,"
	" sum(CASE WHEN facility_kind = 'cw_recycling' THEN kg ELSE 0 END)"
	" AS recycled_kg,"
	" sum(CASE WHEN facility_kind = 'cw_disposal_site' THEN kg ELSE 0 END)"
	" AS disposed_kg"
	" FROM tickets_counted WHERE direction = 'in' AND waste LIKE 'cw.%'"
	" AND facility_kind IN ('cw_recycling', 'cw_disposal_site')"
	" GROUP BY 1, 2;"
	"CREATE VIEW daily_station_balance AS"
	" SELECT day, district, facility,"
	" sum(CASE WHEN direction = 'in' THEN kg ELSE 0 END) AS in_kg,"
	" sum(CASE WHEN direction = 'out' THEN kg ELSE 0 END) AS out_kg,"
	" CASE WHEN sum(CASE WHEN direction = 'in' THEN kg ELSE -kg END) <="
	" coalesce((SELECT value FROM meta WHERE key ="
	" 'clearance_tolerance_pct'), 5) / 100.0 *"
	" sum(CASE WHEN direction = 'in' THEN kg ELSE 0 END)"
	" THEN 1 ELSE 0 END AS cleared"
	" FROM tickets_counted WHERE facility_kind = 'transfer_station'"
	" GROUP BY 1, 2, 3;"
	"CREATE VIEW manifest_days AS"
	" SELECT m.scheme, m.manifest_no, m.status,"
	" date((coalesce(m.departed_ms, (SELECT min(e.ts_ms) FROM"
	" manifest_events e WHERE e.scheme = m.scheme"
	" AND e.manifest_no = m.manifest_no)) + 60000 *"
	" coalesce(m.local_offset_min, (SELECT value FROM meta WHERE key ="
	" 'local_offset_min'), 480)) / 1000, 'unixepoch') AS day,"
	" coalesce(m.generator_district, m.receiver_district) AS district,"
	" r.verdict AS verdict"
	" FROM manifests m"
	" LEFT JOIN reconciliations r USING (scheme, manifest_no);"
	"CREATE VIEW daily_manifests AS"
	" SELECT day, district, count(*) AS manifests,"
	" sum(status = 'closed') AS closed,"
	" sum(verdict IN ('ok', 'discrepancy')) AS reconciled,"
	" sum(verdict = 'discrepancy') AS discrepancies,"
	" sum(verdict = 'overdue') AS overdue"
	" FROM manifest_days GROUP BY 1, 2;"
	/* Authorised: the facility was in the registry when the unload
	 * was stored (the writer flags it otherwise). */
	"CREATE VIEW daily_unloads AS"
	" SELECT day, count(*) AS unloads,"
	" sum(facility IS NOT NULL AND (dq_flags & 262144) = 0)"
	" AS authorised"
	" FROM vehicle_events WHERE type = 'unload' GROUP BY 1;"
	"CREATE VIEW daily_indicators AS"
	" WITH k AS (SELECT day, district FROM daily_collected"
	" UNION SELECT day, district FROM daily_construction"
	" UNION SELECT day, district FROM daily_station_balance"
	" UNION SELECT day, district FROM daily_manifests)"
	" SELECT k.day AS day, k.district AS district,"
	" coalesce(c.collected_kg, 0) AS collected_kg,"
	" c.recycled_kg / nullif(c.collected_kg, 0) AS recycling_rate,"
	" c.harmless_kg / nullif(c.collected_kg, 0) AS harmless_rate,"
	" cw.recycled_kg / nullif(cw.recycled_kg + cw.disposed_kg, 0)"
	" AS cw_utilisation_rate,"
	" (SELECT avg(cleared) FROM daily_station_balance b WHERE b.day = k.day"
	" AND b.district IS k.district) AS clearance_rate,"
	" coalesce(m.manifests, 0) AS manifests,"
	" m.closed * 1.0 / nullif(m.manifests, 0) AS manifest_closure_rate,"
	" m.discrepancies * 1.0 / nullif(m.reconciled, 0) AS discrepancy_rate,"
	" coalesce(m.overdue, 0) AS overdue_manifests,"
	" u.authorised * 1.0 / nullif(u.unloads, 0) AS authorised_unload_share"
	" FROM k LEFT JOIN daily_collected c ON c.day = k.day"
	" AND c.district IS k.district"
	" LEFT JOIN daily_construction cw ON cw.day = k.day"
	" AND cw.district IS k.district"
	" LEFT JOIN daily_manifests m ON m.day = k.day"
	" AND m.district IS k.district"
	" LEFT JOIN daily_unloads u ON u.day = k.day;",
	/* v7: incremental reconciliation (docs/reconciliation.md). Writes
	 * mark what they change (triggers: a manifest by its key, a ticket
	 * by what identifies and places it, before and after), and a pass
	 * re-derives only the manifests those marks reach, in slices.
	 * reconciliations becomes a view with the same columns over
	 * reconciliation_results: updated_ms is the time of the last pass
	 * that left the row current (the row's own derivation while it
	 * waits in the queue). The migration queues every manifest once
	 * (meta reconcile_requeue), in slices too. The triggers say ON
	 * CONFLICT DO NOTHING, not OR IGNORE: an outer UPSERT's policy would
	 * override the latter. Indexes: the ways back
	 * from a ticket to the manifests it may concern, and the overdue
	 * deadline by departure. */
	"CREATE TABLE reconciliation_results(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL, declared_kg REAL, received_kg REAL,"
	" diff_pct REAL, method TEXT, verdict TEXT NOT NULL,"
	" derived_ms INTEGER, PRIMARY KEY(scheme, manifest_no));"
	"INSERT INTO reconciliation_results SELECT scheme, manifest_no,"
	" declared_kg, received_kg, diff_pct, method, verdict, updated_ms"
	" FROM reconciliations;"
	"DROP TABLE reconciliations;"
	"CREATE TABLE reconcile_queue(scheme TEXT NOT NULL,"
	" manifest_no TEXT NOT NULL, PRIMARY KEY(scheme, manifest_no))"
	" WITHOUT ROWID;"
	"CREATE TABLE reconcile_tickets(id INTEGER PRIMARY KEY,"
	" facility TEXT NOT NULL, ticket TEXT NOT NULL, day TEXT NOT NULL,"
	" plate TEXT, first_ms INTEGER, manifest_no TEXT);"
	"CREATE VIEW reconciliations AS"
	" SELECT r.scheme AS scheme, r.manifest_no AS manifest_no,"
	" r.declared_kg AS declared_kg, r.received_kg AS received_kg,"
	" r.diff_pct AS diff_pct, r.method AS method, r.verdict AS verdict,"
	" CASE WHEN EXISTS (SELECT 1 FROM reconcile_queue q"
	" WHERE q.scheme = r.scheme AND q.manifest_no = r.manifest_no)"
	" THEN r.derived_ms ELSE max(r.derived_ms, coalesce((SELECT value"
	" FROM meta WHERE key = 'reconcile_current_ms'), r.derived_ms)) END"
	" AS updated_ms FROM reconciliation_results r;"
	"CREATE TRIGGER manifests_reconcile_ins AFTER INSERT ON manifests"
	" BEGIN INSERT INTO reconcile_queue VALUES(NEW.scheme,"
	" NEW.manifest_no) ON CONFLICT DO NOTHING; END;"
	"CREATE TRIGGER manifests_reconcile_upd AFTER UPDATE ON manifests"
	" BEGIN INSERT INTO reconcile_queue VALUES(NEW.scheme,"
	" NEW.manifest_no) ON CONFLICT DO NOTHING; END;"
	"CREATE TRIGGER manifests_reconcile_del AFTER DELETE ON manifests"
	" BEGIN INSERT INTO reconcile_queue VALUES(OLD.scheme,"
	" OLD.manifest_no) ON CONFLICT DO NOTHING; END;"
	"CREATE TRIGGER manifest_tickets_reconcile_ins AFTER INSERT ON"
	" manifest_tickets BEGIN INSERT INTO reconcile_queue"
	" VALUES(NEW.scheme, NEW.manifest_no) ON CONFLICT DO NOTHING; END;"
	"CREATE TRIGGER manifest_tickets_reconcile_del AFTER DELETE ON"
	" manifest_tickets BEGIN INSERT INTO reconcile_queue"
	" VALUES(OLD.scheme, OLD.manifest_no) ON CONFLICT DO NOTHING; END;"
	"CREATE TRIGGER weighings_reconcile_ins AFTER INSERT ON weighings"
	" BEGIN INSERT INTO reconcile_tickets(facility, ticket, day, plate,"
	" first_ms, manifest_no) VALUES(NEW.facility, NEW.ticket, NEW.day,"
	" NEW.plate, NEW.first_ms, NEW.manifest_no); END;"
	"CREATE TRIGGER weighings_reconcile_del AFTER DELETE ON weighings"
	" BEGIN INSERT INTO reconcile_tickets(facility, ticket, day, plate,"
	" first_ms, manifest_no) VALUES(OLD.facility, OLD.ticket, OLD.day,"
	" OLD.plate, OLD.first_ms, OLD.manifest_no); END;"
	"CREATE TRIGGER weighings_reconcile_upd AFTER UPDATE ON weighings"
	" BEGIN INSERT INTO reconcile_tickets(facility, ticket, day, plate,"
	" first_ms, manifest_no) VALUES(OLD.facility, OLD.ticket, OLD.day,"
	" OLD.plate, OLD.first_ms, OLD.manifest_no), (NEW.facility,"
	" NEW.ticket, NEW.day, NEW.plate, NEW.first_ms, NEW.manifest_no);"
	" END;"
	"CREATE INDEX manifests_number ON manifests(manifest_no);"
	"CREATE INDEX manifests_plate ON manifests(plate, receiver_facility,"
	" departed_ms);"
	"CREATE INDEX manifests_departed ON manifests(departed_ms);"
	"CREATE INDEX manifest_tickets_ticket ON manifest_tickets(facility,"
	" ticket);"
	"INSERT INTO meta(key, value) VALUES('reconcile_requeue', 1)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value;",
	/* v8: retention per kind of record (docs/database.md, Retention).
	 * Unloads are the only daily view read from detail retention
	 * removes: a day's counts go to daily_unload_results before the
	 * first of its events does, and daily_unloads reads them there for
	 * those days, so pruning changes no past day. The indexes let each
	 * slice find the oldest rows of its kind without a scan; the
	 * partial ones skip rows whose payload is already gone. Positions
	 * have none: their (vehicle, ts_ms) key serves, and every position
	 * written would pay for one. Converting
	 * the file to incremental auto-vacuum needs a VACUUM outside any
	 * transaction: store_migrate() does it after the steps. */
	"CREATE TABLE daily_unload_results(day TEXT PRIMARY KEY,"
	" unloads INTEGER NOT NULL, authorised INTEGER NOT NULL);"
	"DROP VIEW daily_unloads;"
	"CREATE VIEW daily_unloads AS"
	" SELECT day, unloads, authorised FROM daily_unload_results"
	" UNION ALL"
	" SELECT day, count(*) AS unloads,"
	" sum(facility IS NOT NULL AND (dq_flags & 262144) = 0)"
	" AS authorised"
	" FROM vehicle_events e WHERE type = 'unload' AND NOT EXISTS"
	" (SELECT 1 FROM daily_unload_results r WHERE r.day = e.day)"
	" GROUP BY 1;"
	"CREATE INDEX messages_payload ON messages(received_ms)"
	" WHERE payload IS NOT NULL;"
	"CREATE INDEX rejects_received ON rejects(received_ms);"
	"CREATE INDEX rejects_payload ON rejects(received_ms)"
	" WHERE payload IS NOT NULL;"
	"CREATE INDEX vehicle_events_day ON vehicle_events(day);"
	"CREATE INDEX weighings_history_first ON weighings_history(first_ms);"
	"CREATE INDEX facility_status_ts ON facility_status(ts_ms);",
	/* v9: replay of stored rejects (store_replay.c). A reject records
	 * what replaying it gave; a message replayed from a reject names
	 * it. Adding a column rewrites no row. */
	"ALTER TABLE rejects ADD COLUMN replayed_ms INTEGER;"
	"ALTER TABLE rejects ADD COLUMN replay_outcome TEXT;"
	"ALTER TABLE rejects ADD COLUMN replay_detail TEXT;"
	"ALTER TABLE messages ADD COLUMN replay_of INTEGER;"
	/* And the file says what it is: "WTRK" (file(1), other tools). */
	"PRAGMA application_id = 1465143883;",
	/* v10: alerts (docs/alerts.md). One row per time a condition held:
	 * at most one open row per (kind, subject), which the unique
	 * partial index enforces, so a re-evaluation, a redelivery or a
	 * restart can never open a second. published is the last step the
	 * broker acknowledged (0 none, 1 the retained alert, 2 the
	 * resolution notice, 3 the cleared retained message); the partial
	 * index finds what is still to send without reading history. The
	 * other indexes let the core rules read only what they need: the
	 * manifests needing attention, and rows flagged UNKNOWN_FACILITY
	 * (262144). */
	"CREATE TABLE alerts(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	" severity TEXT NOT NULL, subject TEXT NOT NULL, district TEXT,"
	" opened_ms INTEGER NOT NULL, resolved_ms INTEGER, evidence TEXT,"
	" published INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX alerts_open ON alerts(kind, subject)"
	" WHERE resolved_ms IS NULL;"
	"CREATE INDEX alerts_unpublished ON alerts(id) WHERE " STORE_ALERT_PENDING
	";"
	"CREATE INDEX reconciliation_results_verdict ON"
	" reconciliation_results(verdict);"
	"CREATE INDEX weighings_unknown_facility ON weighings(first_ms)"
	" WHERE (dq_flags & 262144) <> 0;"
	"CREATE INDEX vehicle_events_unknown_facility ON vehicle_events(ts_ms)"
	" WHERE (dq_flags & 262144) <> 0;",
	/* v11: the streams — registries of generators and vehicles, origin
	 * attribution, clinics' pickups, agricultural collection, stock
	 * carried over at transfer stations (store_streams_sql.c,
	 * docs/indicators.md). */
	store_streams_v11,
	/* v12: containers counted besides the mass (count_unit set exactly
	 * when count is), summed in the clinics' and agricultural views
	 * (store_streams_sql.c). */
	store_streams_v12,
	/* v13: muck trucks — every unload with where it fell and whether a
	 * site there accepts the waste, night-window and permit violations,
	 * their daily views (store_muck_sql.c, docs/geofence.md). */
	store_muck_v13,
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
    "STORE_SCHEMA_VERSION names the last migration");

const char *const store_stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* The expression must be messages_digest's for the index to serve;
	 * the unary + stops SQLite from propagating ?2 into it. */
	[S_MSG_FIND] =
	    "SELECT id FROM messages WHERE substr(sha256, 1, 16) ="
	    " substr(?2, 1, 16) AND +sha256 = ?2 AND +topic = ?1 LIMIT 1",
	[S_MSG_INSERT] = "INSERT INTO messages(id, topic, profile, received_ms,"
			 " sha256, outcome, kind, payload, replay_of)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_MSG_MAX] = "SELECT coalesce(max(id), 0) FROM messages",
	[S_REJECT] = "INSERT INTO rejects(topic, profile, received_ms, payload,"
		     " reason, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_POSITION] =
	    "INSERT INTO positions(vehicle, device, plate, ts_ms,"
	    " lat, lon, speed_kmh, heading_deg, alt_m, load_state, dq_flags,"
	    " message_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12) ON CONFLICT(vehicle, ts_ms) DO NOTHING",
	[S_VEHICLE_SEEN] =
	    "INSERT INTO vehicles(vehicle, plate, device,"
	    " first_seen_ms, last_seen_ms) VALUES(?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT(vehicle) DO UPDATE SET"
	    " plate = coalesce(excluded.plate, plate),"
	    " device = coalesce(excluded.device, device),"
	    " first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),"
	    " last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
	[S_VEVENT] =
	    "INSERT INTO vehicle_events(type, vehicle, plate, ts_ms,"
	    " site, facility, waste, mass_kg, manifest_no, lat, lon, dq_flags,"
	    " message_id, day, site_district, count, count_unit) VALUES(?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	    " (SELECT district FROM generators WHERE id = ?5), ?15, ?16)"
	    " ON CONFLICT(vehicle, type, ts_ms) DO NOTHING",
	/* The rows that may be the ticket a weighing speaks of: the one
	 * recorded under its day, and those weighed within 36 h of it,
	 * nearest first (store_version.c decides). */
	[S_WB_GET] =
	    "SELECT id, version, status, fingerprint, first_ms, key_day,"
	    " district, facility_kind, harmless, abs(first_ms - ?4) AS dist,"
	    " day"
	    " FROM weighings WHERE facility = ?1 AND ticket = ?2"
	    " AND first_ms BETWEEN ?4 - 129600000 AND ?4 + 129600000"
	    " UNION ALL"
	    " SELECT id, version, status, fingerprint, first_ms, key_day,"
	    " district, facility_kind, harmless, abs(first_ms - ?4) AS dist,"
	    " day"
	    " FROM weighings WHERE facility = ?1 AND ticket = ?2"
	    " AND key_day = ?3"
	    " AND first_ms NOT BETWEEN ?4 - 129600000 AND ?4 + 129600000"
	    " ORDER BY dist",
	[S_WB_INSERT] =
	    "INSERT INTO weighings(facility, ticket, day, version,"
	    " plate, direction, gross_kg, tare_kg, net_kg, first_ms, second_ms,"
	    " waste, origin, status, manifest_no, dq_flags, message_id,"
	    " fingerprint, key_day, district, facility_kind, harmless,"
	    " vehicle_district)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
	    " (SELECT district FROM vehicle_registry WHERE plate = ?5))",
	[S_WB_TO_HISTORY] =
	    "INSERT INTO weighings_history(facility, ticket,"
	    " day, version, plate, direction, gross_kg, tare_kg, net_kg,"
	    " first_ms, second_ms, waste, origin, status, manifest_no,"
	    " dq_flags, message_id, fingerprint, superseded_by, key_day,"
	    " district, facility_kind, harmless, vehicle_district)"
	    " SELECT facility, ticket, day, version, plate, direction,"
	    " gross_kg,"
	    " tare_kg, net_kg, first_ms, second_ms, waste, origin, status,"
	    " manifest_no, dq_flags, message_id, fingerprint, ?2, key_day,"
	    " district, facility_kind, harmless, vehicle_district"
	    " FROM weighings WHERE id = ?1",
	[S_WB_DELETE] = "DELETE FROM weighings WHERE id = ?1",
	[S_WB_HISTORY] =
	    "INSERT INTO weighings_history(facility, ticket, day,"
	    " version, plate, direction, gross_kg, tare_kg, net_kg, first_ms,"
	    " second_ms, waste, origin, status, manifest_no, dq_flags,"
	    " message_id, fingerprint, key_day, district, facility_kind,"
	    " harmless) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
	    " ?22)",
	[S_FSTATUS] =
	    "INSERT INTO facility_status(facility, ts_ms, state,"
	    " inventory_kg, throughput_kg, extra, dq_flags, message_id)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT(facility, ts_ms) DO NOTHING",
	[S_MAN_EVENT] =
	    "INSERT INTO manifest_events(scheme, manifest_no,"
	    " version, status, ts_ms, applied, dq_flags, message_id)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6, ?7) ON CONFLICT(scheme,"
	    " manifest_no, version, status, ts_ms) DO NOTHING",
	[S_MAN_EVENT_APPLIED] = "UPDATE manifest_events SET applied = ?2,"
				" dq_flags = ?3 WHERE id = ?1",
	[S_MAN_GET] = "SELECT version, status FROM manifests"
		      " WHERE scheme = ?1 AND manifest_no = ?2",
	[S_MAN_UPSERT] =
	    "INSERT INTO manifests(scheme, manifest_no, version,"
	    " status, plate, generator_code, generator_name,"
	    " generator_district,"
	    " carrier_name, receiver_facility, receiver_name, departed_ms,"
	    " received_ms, closed_ms, declared_kg, updated_ms, dq_flags,"
	    " message_id, arrived_ms, received_kg, local_offset_min,"
	    " receiver_district) VALUES(?1, ?2, ?3, ?4, ?5,"
	    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	    " ?20, ?21, ?22)"
	    " ON CONFLICT(scheme, manifest_no) DO UPDATE SET"
	    " version = excluded.version, status = excluded.status,"
	    " plate = coalesce(excluded.plate, plate),"
	    " generator_code = coalesce(excluded.generator_code,"
	    " generator_code),"
	    " generator_name = coalesce(excluded.generator_name,"
	    " generator_name),"
	    " generator_district = coalesce(excluded.generator_district,"
	    " generator_district),"
	    " carrier_name = coalesce(excluded.carrier_name, carrier_name),"
	    " receiver_facility = coalesce(excluded.receiver_facility,"
	    " receiver_facility),"
	    " receiver_name = coalesce(excluded.receiver_name, receiver_name),"
	    " departed_ms = coalesce(departed_ms, excluded.departed_ms),"
	    " received_ms = coalesce(received_ms, excluded.received_ms),"
	    " closed_ms = coalesce(closed_ms, excluded.closed_ms),"
	    " declared_kg = coalesce(excluded.declared_kg, declared_kg),"
	    " arrived_ms = coalesce(arrived_ms, excluded.arrived_ms),"
	    " received_kg = coalesce(excluded.received_kg, received_kg),"
	    " local_offset_min = coalesce(local_offset_min,"
	    " excluded.local_offset_min),"
	    " receiver_district = CASE WHEN excluded.receiver_facility"
	    " IS NULL THEN receiver_district ELSE excluded.receiver_district"
	    " END,"
	    " updated_ms = excluded.updated_ms, dq_flags = excluded.dq_flags,"
	    " message_id = excluded.message_id",
	[S_MAN_LINES_DEL] = "DELETE FROM manifest_lines"
			    " WHERE scheme = ?1 AND manifest_no = ?2",
	[S_MAN_LINE] = "INSERT INTO manifest_lines(scheme, manifest_no, line,"
		       " waste_code, hw_category, waste, qty, unit, qty_kg)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_MAN_TICKET] =
	    "INSERT INTO manifest_tickets(scheme, manifest_no,"
	    " facility, ticket) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	/* Held rows (store_hold_payloads) count as received at the hold. */
	[S_PRUNE] = "UPDATE messages SET payload = NULL"
		    " WHERE received_ms < ?1 AND payload IS NOT NULL AND (id >="
		    " coalesce((SELECT value FROM meta WHERE key ="
		    " 'payload_hold_mid'), 0) OR ?1 > coalesce((SELECT value"
		    " FROM meta WHERE key = 'payload_hold_ms'), 0))",
	[S_CLOCK_STATE] =
	    "SELECT coalesce(max(received_ms), 0), coalesce((SELECT"
	    " value FROM meta WHERE key = 'clock_behind'), 0)"
	    " FROM messages",
	[S_BIND_LATEST] =
	    "SELECT plate, plate_color FROM device_bindings"
	    " WHERE device = ?1 ORDER BY valid_from_ms DESC LIMIT 1",
	[S_BIND_UPSERT] =
	    "INSERT INTO device_bindings(device, valid_from_ms,"
	    " plate, plate_color, message_id) VALUES(?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT(device, valid_from_ms) DO UPDATE SET"
	    " plate = excluded.plate, plate_color = excluded.plate_color,"
	    " message_id = excluded.message_id",
	[S_BIND_AT] =
	    "SELECT plate FROM device_bindings WHERE device = ?1"
	    " AND valid_from_ms <= ?2 ORDER BY valid_from_ms DESC LIMIT 1",
	[S_FACILITY_KNOWN] = "SELECT district, kind, harmless FROM facilities"
			     " WHERE id = ?1",
	/* Unloads and violations (store_muck.c). */
	[S_UNLOAD_UPSERT] =
	    "INSERT INTO unloads(vehicle, plate, ts_ms, since_ms, day, lat,"
	    " lon, how, state, site, site_kind, district, waste, origin, muck,"
	    " authorised, message_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
	    " ON CONFLICT(vehicle, ts_ms, how) DO UPDATE SET"
	    " plate = coalesce(excluded.plate, plate),"
	    " lat = excluded.lat, lon = excluded.lon, site = excluded.site,"
	    " site_kind = excluded.site_kind, district = excluded.district,"
	    " waste = excluded.waste, origin = excluded.origin,"
	    " muck = excluded.muck, authorised = excluded.authorised",
	[S_UNLOAD_CONFIRM] =
	    "UPDATE unloads SET state = 'unload', muck = max(muck, ?4)"
	    " WHERE id = (SELECT id"
	    " FROM unloads WHERE state = 'candidate' AND plate = ?1"
	    " AND since_ms >= ?2 AND since_ms < ?3"
	    " ORDER BY since_ms DESC LIMIT 1)",
	[S_UNLOAD_DROP] =
	    "UPDATE unloads SET state = 'dropped' WHERE state = 'candidate'"
	    " AND plate = ?1 AND since_ms < ?2",
	[S_VIOLATION_ADD] =
	    "INSERT OR IGNORE INTO muck_violations(kind, subject, day, reason,"
	    " vehicle, plate, ts_ms, lat, lon, district, waste, site)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	/* Through the (vehicle, ts_ms) key of positions, and the (vehicle,
	 * type, ts_ms) one of vehicle_events. */
	[S_VEHICLE_RECENT] =
	    "SELECT ts_ms, lat, lon, speed_kmh, load_state FROM positions"
	    " WHERE vehicle = ?1 AND ts_ms < ?2 AND (dq_flags & 256) = 0"
	    " AND lat IS NOT NULL ORDER BY ts_ms DESC LIMIT ?3",
	[S_VEHICLE_LOAD] =
	    "SELECT ts_ms, waste, site FROM vehicle_events"
	    " WHERE vehicle = ?1 AND type = 'load' AND ts_ms > coalesce("
	    "(SELECT max(ts_ms) FROM unloads WHERE vehicle = ?1"
	    " AND state = 'unload'), -1) ORDER BY ts_ms DESC LIMIT 1",
};

/* One version: its statements and the user_version bump in one
 * transaction, so a crash mid-migration leaves the previous version. */
static int
migrate_step(sqlite3 *db, const char *path, size_t i)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
	if (store_db_exec(db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (store_db_exec(db, migrations[i]) == -1 ||
	    store_db_exec(db, sql) == -1) {
		/* Already failing: the rollback's own error adds nothing. */
		if (store_db_exec(db, "ROLLBACK") == -1)
			log_debug("store: %s: rollback failed too", path);
		return -1;
	}
	if (store_db_exec(db, "COMMIT") == -1)
		return -1;
	log_notice("store: %s migrated to schema version %zu", path, i + 1);
	return 0;
}

/*
 * Freed pages go back to the file system only in incremental auto-vacuum
 * mode, which a file gets from a VACUUM (it cannot be set once tables
 * exist, and journal_mode = WAL already wrote the header of a new file).
 * A new file takes milliseconds; an existing one is rewritten whole,
 * which needs its size again in free space and time: 527 MiB took 5 to
 * 12 s on the test machine. Up to AUTOVACUUM_MAX_MB that fits well within
 * the start-up step the daemon announces to systemd (120 s); a larger
 * file is left for the operator to convert with the daemon stopped
 * (docs/database.md, Retention), instead of a start killed mid-VACUUM
 * again and again. A failure (a full disk) leaves the file as it was and
 * is tried again at the next start. Either way retention still deletes;
 * the pages are then reused instead of given back.
 */
#define AUTOVACUUM_MAX_MB 2048

/* Test hook: WT_TEST_AUTOVACUUM_MAX_MB lowers the bound. */
static int64_t
autovacuum_max_mb(void)
{
	const char *v = getenv("WT_TEST_AUTOVACUUM_MAX_MB");

	return v != NULL && atoll(v) > 0 ? atoll(v) : AUTOVACUUM_MAX_MB;
}

static void
convert_auto_vacuum(sqlite3 *db, const char *path, int fresh)
{
	int64_t mode, pages, psize, mb;
	struct timespec t0, t1;

	if (store_pragma_int(db, "PRAGMA auto_vacuum", &mode) == -1 ||
	    mode == 2 ||
	    store_pragma_int(db, "PRAGMA page_count", &pages) == -1 ||
	    store_pragma_int(db, "PRAGMA page_size", &psize) == -1)
		return;
	mb = pages * psize >> 20;
	if (mb > autovacuum_max_mb()) {
		log_notice("store: %s: %lld MiB, too large to convert to "
			   "incremental auto-vacuum at start: pruned pages are "
			   "reused, not given back (docs/database.md, "
			   "Retention, says how to convert it)",
		    path, (long long)mb);
		return;
	}
	if (!fresh)
		log_notice("store: %s: converting to incremental auto-vacuum "
			   "(a VACUUM of %lld MiB, once; it needs as much "
			   "free disk space)",
		    path, (long long)mb);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_db_exec(db, "PRAGMA auto_vacuum = INCREMENTAL") == -1 ||
	    store_db_exec(db, "VACUUM") == -1) {
		log_warnx("store: %s: not converted to incremental "
			  "auto-vacuum; tried again at the next start",
		    path);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!fresh)
		log_notice("store: %s: converted to incremental auto-vacuum "
			   "in %.1f s",
		    path,
		    (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

int
store_migrate(sqlite3 *db, const char *path, int upto)
{
	int64_t v;
	size_t i;

	if (upto < 1 || upto > (int)NMIGRATIONS ||
	    store_pragma_int(db, "PRAGMA user_version", &v) == -1)
		return -1;
	if (v > (int64_t)NMIGRATIONS) {
		log_warnx("store: %s has schema version %d, newer than this "
			  "wastetrackd (%d): refusing to touch it",
		    path, (int)v, (int)NMIGRATIONS);
		return -1;
	}
	for (i = (size_t)v; i < (size_t)upto; i++)
		if (migrate_step(db, path, i) == -1)
			return -1;
	/* Only at the current version: the unit test builds the files of
	 * earlier versions as they were, without it. */
	if (upto == (int)NMIGRATIONS)
		convert_auto_vacuum(db, path, v == 0);
	return 0;
}
