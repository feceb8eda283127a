/*
 * store_streams_sql: the SQL of the streams (docs/indicators.md):
 * schema v11 — the registries, origin attribution, clinics' pickups,
 * agricultural collection, transfer-station stock —, v12 — containers
 * counted besides the mass — and the alert rules
 * of their kinds. Text only; store_schema.c runs the migration,
 * store_streams.c the registry sync and the rules.
 */
#include "store_int.h"

/* A weighing (alias t) that indicators may count: complete, with a net
 * weight no data-quality flag distrusts (512 | 1024 | 2048). */
#define COUNTED(t)                                                             \
	" " t ".status = 'complete' AND " t ".net_kg IS NOT NULL"              \
	" AND (" t ".dq_flags & 3584) = 0"

/* The links of ticket t to manifests that name their generator's
 * district (after FROM). */
#define MAN_LINKS                                                              \
	" reconciliation_links l2 JOIN manifests m2 ON m2.scheme = l2.scheme"  \
	" AND m2.manifest_no = l2.manifest_no WHERE l2.facility = t.facility"  \
	" AND l2.ticket = t.ticket AND l2.day = t.day"                         \
	" AND m2.generator_district IS NOT NULL"

/* A trip ends at a ticket and starts after the plate's previous complete
 * inbound ticket, 24 h back at most: the loads in between are its. */
#define TRIP_LO                                                                \
	" max(t.first_ms - 86400000, coalesce((SELECT max(p.first_ms)"         \
	" FROM weighings p WHERE p.plate = t.plate AND p.direction = 'in'"     \
	" AND p.status = 'complete' AND p.first_ms < t.first_ms"               \
	" AND p.first_ms >= t.first_ms - 86400000), 0))"

/* The loads of ticket t's trip at registered generators (after FROM). */
#define TRIP_LOADS                                                             \
	" vehicle_events e2 WHERE e2.type = 'load' AND e2.plate = t.plate"     \
	" AND e2.site_district IS NOT NULL AND e2.ts_ms <= t.first_ms"         \
	" AND e2.ts_ms >" TRIP_LO

#define TICKET_COLS                                                            \
	" SELECT t.id AS ticket_id, t.day AS day, t.facility AS facility,"     \
	" t.facility_kind AS facility_kind, t.district AS facility_district,"  \
	" coalesce(t.harmless, 0) AS harmless, t.waste AS waste,"              \
	" t.direction AS direction,"

/* Household waste received by final facilities, by origin district. */
#define COLLECTED_SUMS                                                          \
	" sum(kg) AS collected_kg,"                                             \
	" sum(CASE WHEN (facility_kind = 'recycling_center'"                    \
	" AND waste = 'msw.recyclable') OR (facility_kind = 'food_waste_plant'" \
	" AND waste = 'msw.food') THEN kg ELSE 0.0 END) AS recycled_kg,"        \
	" sum(CASE WHEN harmless = 1 THEN kg ELSE 0.0 END) AS harmless_kg,"     \
	" sum(CASE WHEN origin_source = 'facility' THEN kg ELSE 0.0 END)"       \
	" AS fallback_kg FROM ticket_origins CROSS JOIN" CITY_TOO               \
	" WHERE direction = 'in'"                                               \
	" AND waste LIKE 'msw.%' AND facility_kind IN ('incinerator',"          \
	" 'sanitary_landfill', 'food_waste_plant', 'recycling_center')"

/* Derive again the origins of the tickets ids (an id, or a subquery in
 * parentheses): statements of a trigger's body. */
#define REORIGIN(ids)                                                          \
	" DELETE FROM ticket_origins WHERE ticket_id IN (" ids ");"            \
	" INSERT INTO ticket_origins SELECT * FROM ticket_origins_calc"        \
	" WHERE ticket_id IN (" ids ");"

/* The ticket a link row (NEW or OLD) names. */
#define LINKED(r)                                                              \
	"(SELECT w.id FROM weighings w WHERE w.facility = " r ".facility"      \
	" AND w.ticket = " r ".ticket AND w.day = " r ".day)"

/* Household waste received inbound by final facilities (of ticket
 * origins), and recycled there. */
#define COLLECTED_WHERE                                                        \
	" direction = 'in' AND waste LIKE 'msw.%' AND facility_kind IN"        \
	" ('incinerator', 'sanitary_landfill', 'food_waste_plant',"            \
	" 'recycling_center')"
#define RECYCLED_KG                                                             \
	"CASE WHEN (facility_kind = 'recycling_center'"                         \
	" AND waste = 'msw.recyclable') OR (facility_kind = 'food_waste_plant'" \
	" AND waste = 'msw.food') THEN kg ELSE 0 END"
/* A sum over the origins of row k's day and district (or city). */
#define ORIGIN_SUM(e)                                                          \
	"(SELECT sum(" e ") FROM ticket_origins o WHERE o.day = k.day"         \
	" AND (k.district = '全市' OR o.origin_district IS k.district)"      \
	" AND" COLLECTED_WHERE ")"
#define CW_WHERE                                                               \
	" direction = 'in' AND waste LIKE 'cw.%'"                              \
	" AND facility_kind IN ('cw_recycling', 'cw_disposal_site')"
#define CW_SUM(kind)                                                           \
	"(SELECT total(t.kg) FROM tickets_counted t WHERE t.day = k.day"       \
	" AND (k.district = '全市' OR t.district IS k.district)"             \
	" AND t.facility_kind = '" kind "' AND" CW_WHERE ")"

/* Each row twice: for its district, and for the city (c.city = 1). */
#define CITY_TOO " (SELECT 0 AS city UNION ALL SELECT 1 AS city) c"

/* The last local day whose detail retention has reached (meta). */
#define FROZEN " (SELECT value FROM meta WHERE key = 'streams_frozen_day')"

/* End of local day d in UTC ms, at the stored offset. */
#define DAY_END_MS(d)                                                          \
	" CAST((julianday(" d ", '+1 day') - 2440587.5) * 86400000"            \
	" - 60000 * coalesce((SELECT value FROM meta WHERE key ="              \
	" 'local_offset_min'), 480) AS INTEGER)"

/* Days on which some clinic was picked up (or registered, below). */
#define CLINIC_PICKUP_DAYS                                                     \
	" SELECT e.day AS day FROM vehicle_events e JOIN generators g"         \
	" ON g.id = e.site AND g.kind = 'clinic' WHERE e.type = 'load'"        \
	" UNION SELECT date((m.departed_ms + 60000 *"                          \
	" coalesce(m.local_offset_min, 480)) / 1000, 'unixepoch')"             \
	" FROM manifests m JOIN generators g ON g.id = m.generator_code"       \
	" AND g.kind = 'clinic' WHERE m.departed_ms IS NOT NULL"

/* The last pickup of clinic g at or before time ms: a load at it or a
 * manifest from it. Both through an index. */
#define LAST_PICKUP(ms)                                                        \
	" max(coalesce((SELECT max(e.ts_ms) FROM vehicle_events e"             \
	" WHERE e.type = 'load' AND e.site = g.id AND e.ts_ms <= " ms "), 0)," \
	" coalesce((SELECT max(m.departed_ms) FROM manifests m"                \
	" WHERE m.generator_code = g.id AND m.departed_ms <= " ms "), 0))"

/* Clinics registered and served per day and district, and for the city
 * (v11's daily_clinic_live; v12 adds the containers to it). */
#define CLINIC_LIVE                                                                                       \
	" SELECT day, district, count(*) AS clinics, sum(served) AS served"                               \
	" FROM (SELECT d.day AS day, g.district AS district," LAST_PICKUP(                                \
	    "d.end_ms") " > d.end_ms - 3600000 *"                                                         \
			" g.max_pickup_interval_h AS served"                                              \
			" FROM (SELECT day," DAY_END_MS(                                                  \
			    "day") " AS end_ms FROM (" CLINIC_PICKUP_DAYS                                 \
				   ")) d CROSS JOIN generators g"                                         \
				   " WHERE g.kind = 'clinic')"                                            \
				   " GROUP BY 1, 2 UNION ALL SELECT day, '全市', count(*), sum(served)" \
				   " FROM (SELECT d.day AS day," LAST_PICKUP(                             \
				       "d.end_ms") " > d.end_ms - 3600000 * g.max_pickup_interval_h"      \
						   " AS served FROM (SELECT day," DAY_END_MS(             \
						       "day") " AS end_ms FROM (" CLINIC_PICKUP_DAYS      \
							      ")) d CROSS JOIN generators g"              \
							      " WHERE g.kind = 'clinic') GROUP BY 1"

/* Containers summed over counted rows (alias e) when they share one
 * unit, and that unit; both NULL when no row has a count or the units
 * differ (bags and boxes make no sum). count_unit is set exactly when
 * count is (ev_check_count()). */
#define SAME_UNIT(e) " count(DISTINCT " e "count_unit) = 1"
#define CONTAINERS(e)                                                          \
	" CASE WHEN" SAME_UNIT(e) " THEN sum(" e "count) END AS containers,"   \
				  " CASE WHEN" SAME_UNIT(                      \
				      e) " THEN max(" e "count_unit) END"      \
					 " AS container_unit"

/* The counted loads at registered clinics (of row x's district, or of
 * the city) on x's day, through vehicle_events_day. */
#define CLINIC_COUNT(what)                                                         \
	"(SELECT CASE WHEN" SAME_UNIT(                                             \
	    "e.") " THEN " what " END"                                             \
		  " FROM vehicle_events e JOIN generators g ON g.id = e.site"      \
		  " AND g.kind = 'clinic' WHERE e.day = x.day AND e.type = 'load'" \
		  " AND e.count IS NOT NULL AND (x.district = '全市'"            \
		  " OR g.district = x.district))"

/* The SQL reads as one text, macros and all: clang-format would
 * indent each piece after a macro further than the last. */
/* The bodies of the station_days triggers: a counted ticket's net
 * added to its station and day (insert, and the new row of an update),
 * or taken away (delete, and the old row of an update). */
#define STATION_ADD_NEW                                                        \
	" BEGIN INSERT INTO station_days VALUES(NEW.facility, NEW.day,"        \
	" NEW.district, CASE WHEN NEW.direction = 'in' THEN NEW.net_kg"        \
	" ELSE 0 END, CASE WHEN NEW.direction = 'out' THEN NEW.net_kg"         \
	" ELSE 0 END) ON CONFLICT(facility, day) DO UPDATE SET"                \
	" in_kg = in_kg + excluded.in_kg, out_kg = out_kg + excluded.out_kg;"  \
	" END;"
#define STATION_SUB_OLD                                                        \
	" BEGIN UPDATE station_days SET in_kg = in_kg - CASE WHEN"             \
	" OLD.direction = 'in' THEN OLD.net_kg ELSE 0 END, out_kg = out_kg -"  \
	" CASE WHEN OLD.direction = 'out' THEN OLD.net_kg ELSE 0 END"          \
	" WHERE facility = OLD.facility AND day = OLD.day; END;"

/* clang-format off */
const char store_streams_v11[] =
    /* The registries (store_streams_sync() replaces them). Generators
     * keep the time they were first registered: a clinic never picked
     * up is overdue counted from then. */
    "CREATE TABLE generators(id TEXT PRIMARY KEY, name TEXT,"
    " kind TEXT NOT NULL, district TEXT NOT NULL, lat REAL, lon REAL,"
    " max_pickup_interval_h INTEGER, registered_ms INTEGER NOT NULL);"
    "CREATE TABLE vehicle_registry(plate TEXT PRIMARY KEY, fleet TEXT,"
    " kind TEXT, district TEXT, waste TEXT, permit_from TEXT,"
    " permit_to TEXT);"
    "ALTER TABLE facilities ADD COLUMN alarm_after_s INTEGER;"
    "ALTER TABLE facilities ADD COLUMN silent_after_s INTEGER;"
    "ALTER TABLE facilities ADD COLUMN clear_threshold_kg REAL;"
    "CREATE TABLE facility_alarms(facility TEXT NOT NULL,"
    " value TEXT NOT NULL, min REAL, max REAL, severity TEXT NOT NULL,"
    " PRIMARY KEY(facility, value)) WITHOUT ROWID;"
    /* Stamped when stored, like a ticket's district: the generator's
     * district of a load's site, the plate's service district of a
     * ticket. A later registry change moves no past tonne. */
    "ALTER TABLE vehicle_events ADD COLUMN site_district TEXT;"
    "ALTER TABLE weighings ADD COLUMN vehicle_district TEXT;"
    "ALTER TABLE weighings_history ADD COLUMN vehicle_district TEXT;"
    "CREATE INDEX vehicle_events_load ON vehicle_events(plate, ts_ms)"
    " WHERE type = 'load';"
    "CREATE INDEX vehicle_events_site ON vehicle_events(site, ts_ms)"
    " WHERE type = 'load';"
    "CREATE INDEX weighings_plate_first ON weighings(plate, first_ms);"
    "CREATE INDEX manifests_generator ON manifests(generator_code,"
    " departed_ms);"
    /* Transfer stations' counted in/out per day, kept by triggers so
     * that the carried-over stock reads one row per station and day,
     * not every ticket since the station opened. */
    "CREATE TABLE station_days(facility TEXT NOT NULL, day TEXT NOT NULL,"
    " district TEXT, in_kg REAL NOT NULL, out_kg REAL NOT NULL,"
    " PRIMARY KEY(facility, day)) WITHOUT ROWID;"
    "INSERT INTO station_days SELECT facility, day, max(district),"
    " total(CASE WHEN direction = 'in' THEN net_kg END),"
    " total(CASE WHEN direction = 'out' THEN net_kg END)"
    " FROM weighings t WHERE t.facility_kind = 'transfer_station'"
    " AND" COUNTED(
    "t") " GROUP BY 1, 2;"
    "CREATE TRIGGER weighings_station_add AFTER INSERT ON weighings"
    " WHEN NEW.facility_kind = 'transfer_station' AND" COUNTED(
    "NEW") STATION_ADD_NEW
    "CREATE TRIGGER weighings_station_del AFTER DELETE ON weighings"
    " WHEN OLD.facility_kind = 'transfer_station' AND" COUNTED(
    "OLD") STATION_SUB_OLD
    "CREATE TRIGGER weighings_station_upd_old AFTER UPDATE ON weighings"
    " WHEN OLD.facility_kind = 'transfer_station' AND" COUNTED(
    "OLD") STATION_SUB_OLD
    "CREATE TRIGGER weighings_station_upd_new AFTER UPDATE ON weighings"
    " WHEN NEW.facility_kind = 'transfer_station' AND" COUNTED(
    "NEW") STATION_ADD_NEW
    /* Stock carried over: y is the running sum of in - out; the stock
     * cannot go below zero (more shipped than weighed in means stock
     * from before the records), so closing = y - min(0, min y so far). */
    "CREATE VIEW daily_station_clearance AS"
    " SELECT day, district, facility,"
    " coalesce(lag(closing_kg) OVER w, 0) AS opening_kg, in_kg, out_kg,"
    " closing_kg, threshold_kg, closing_kg <= threshold_kg AS cleared"
    " FROM (SELECT day, district, facility, in_kg, out_kg, threshold_kg,"
    " y - min(0, min(y) OVER w) AS closing_kg FROM (SELECT s.day AS day,"
    " s.district AS district, s.facility AS facility, s.in_kg AS in_kg,"
    " s.out_kg AS out_kg,"
    " coalesce(f.clear_threshold_kg, 1000) AS threshold_kg,"
    " sum(s.in_kg - s.out_kg) OVER w AS y FROM station_days s"
    " LEFT JOIN facilities f ON f.id = s.facility"
    " WINDOW w AS (PARTITION BY s.facility ORDER BY s.day))"
    " WINDOW w AS (PARTITION BY facility ORDER BY day))"
    " WINDOW w AS (PARTITION BY facility ORDER BY day);"
    /* Origin attribution, one level per ticket: the generator district
     * of its manifests (shared by allocated mass), else the districts
     * of the registered generators its vehicle loaded at on the trip
     * (shared by loaded mass, or equally), else the vehicle's service
     * district, else the facility's (origin_source 'facility': the
     * flag). Each level's rows add up to the ticket's net weight. */
    /* One SELECT of outer joins, not a UNION of the levels: SQLite
     * pushes a filter on day into such a view (and into an aggregate
     * over it), never into an aggregate over a UNION, which would then
     * attribute every ticket ever weighed for one day's figures. */
    "CREATE VIEW ticket_origins_calc AS" TICKET_COLS
    " coalesce(m.generator_district, e.site_district, t.vehicle_district,"
    " t.district) AS origin_district,"
    " CASE WHEN m.generator_district IS NOT NULL THEN 'manifest'"
    " WHEN e.site_district IS NOT NULL THEN 'generator'"
    " WHEN t.vehicle_district IS NOT NULL THEN 'vehicle'"
    " ELSE 'facility' END AS origin_source,"
    " t.net_kg * CASE WHEN m.generator_district IS NOT NULL THEN"
    " CASE WHEN (SELECT sum(l2.allocated_kg) FROM" MAN_LINKS
    ") > 0"
    " THEN coalesce(l.allocated_kg, 0) / (SELECT sum(l2.allocated_kg)"
    " FROM" MAN_LINKS
    ") ELSE 1.0 / (SELECT count(*) FROM" MAN_LINKS
    ")"
    " END WHEN e.site_district IS NOT NULL THEN"
    " CASE WHEN (SELECT count(*) = count(e2.mass_kg) AND sum(e2.mass_kg) > 0"
    " FROM" TRIP_LOADS
    ") THEN e.mass_kg / (SELECT sum(e2.mass_kg) FROM" TRIP_LOADS
    ") ELSE 1.0 / (SELECT count(*) FROM" TRIP_LOADS
    ") END"
    " ELSE 1 END AS kg"
    " FROM weighings t"
    /* Only links to manifests that name a district: a ticket linked to
     * none of them has one row with l NULL and goes on to the loads. */
    " LEFT JOIN reconciliation_links l ON l.facility = t.facility"
    " AND l.ticket = t.ticket AND l.day = t.day AND EXISTS (SELECT 1"
    " FROM manifests m3 WHERE m3.scheme = l.scheme"
    " AND m3.manifest_no = l.manifest_no"
    " AND m3.generator_district IS NOT NULL)"
    " LEFT JOIN manifests m ON m.scheme = l.scheme"
    " AND m.manifest_no = l.manifest_no"
    " LEFT JOIN vehicle_events e ON l.ticket IS NULL AND e.type = 'load'"
    " AND e.plate = t.plate AND e.site_district IS NOT NULL"
    " AND e.ts_ms <= t.first_ms AND e.ts_ms >" TRIP_LO
    " WHERE" COUNTED(
    "t") ";"
    /* The attribution of every counted ticket, kept by triggers as
     * tickets, loads, links and manifests' districts arrive (in any
     * order): the daily views then add up stored rows instead of
     * attributing every ticket ever weighed at each read (17 s for a
     * year of a 100-truck city, against milliseconds). Retention of
     * load events leaves the rows as they are. */
    "CREATE TABLE ticket_origins(ticket_id INTEGER NOT NULL, day TEXT,"
    " facility TEXT, facility_kind TEXT, facility_district TEXT,"
    " harmless INTEGER, waste TEXT, direction TEXT, origin_district TEXT,"
    " origin_source TEXT NOT NULL, kg REAL);"
    "CREATE INDEX ticket_origins_ticket ON ticket_origins(ticket_id);"
    "CREATE INDEX ticket_origins_day ON ticket_origins(day);"
    "INSERT INTO ticket_origins SELECT * FROM ticket_origins_calc;"
    "CREATE TRIGGER weighings_origin_ins AFTER INSERT ON weighings"
    " BEGIN" REORIGIN("NEW.id") " END;"
    "CREATE TRIGGER weighings_origin_del AFTER DELETE ON weighings"
    " BEGIN DELETE FROM ticket_origins WHERE ticket_id = OLD.id; END;"
    "CREATE TRIGGER weighings_origin_upd AFTER UPDATE ON weighings"
    " BEGIN DELETE FROM ticket_origins WHERE ticket_id = OLD.id;"
    REORIGIN("NEW.id") " END;"
    /* A load reaches the tickets of its plate in the next 24 h. */
    "CREATE TRIGGER vehicle_events_origin AFTER INSERT ON vehicle_events"
    " WHEN NEW.type = 'load' AND NEW.site_district IS NOT NULL BEGIN"
    REORIGIN("(SELECT w.id FROM weighings w WHERE w.plate = NEW.plate"
             " AND w.first_ms >= NEW.ts_ms"
             " AND w.first_ms <= NEW.ts_ms + 86400000)") " END;"
    "CREATE TRIGGER links_origin_ins AFTER INSERT ON reconciliation_links"
    " BEGIN" REORIGIN(LINKED("NEW")) " END;"
    "CREATE TRIGGER links_origin_del AFTER DELETE ON reconciliation_links"
    " BEGIN" REORIGIN(LINKED(
    "OLD")) " END;"
    "CREATE TRIGGER links_origin_upd AFTER UPDATE ON reconciliation_links"
    " BEGIN" REORIGIN(
    LINKED("OLD"))
    REORIGIN(
    LINKED(
    "NEW")) " END;"
    "CREATE TRIGGER manifests_origin AFTER UPDATE OF generator_district"
    " ON manifests WHEN OLD.generator_district IS NOT"
    " NEW.generator_district BEGIN" REORIGIN(
    "(SELECT w.id FROM reconciliation_links l JOIN weighings w"
    " ON w.facility = l.facility AND w.ticket = l.ticket AND w.day = l.day"
    " WHERE l.scheme = NEW.scheme AND l.manifest_no = NEW.manifest_no)") " END;"
    /* Stored rows, which retention never removes: a day's figures
     * stay as they were when its load events go. */
    "DROP VIEW daily_indicators;"
    "DROP VIEW daily_collected;"
    "CREATE VIEW daily_collected AS"
    " SELECT day, CASE WHEN c.city THEN '全市' ELSE origin_district END"
    " AS district," COLLECTED_SUMS
    " GROUP BY 1, 2;"
    /* Agricultural collection: loads of agri.* waste, by the district
     * of the point (stamped) and the point. */
    "CREATE TABLE daily_agri_results(day TEXT NOT NULL, district TEXT,"
    " point TEXT, category TEXT, kg REAL, loads INTEGER);"
    "CREATE INDEX daily_agri_results_day ON daily_agri_results(day);"
    "CREATE VIEW daily_agri_live AS"
    " SELECT day, site_district AS district, site AS point,"
    " waste AS category, total(mass_kg) AS kg, count(*) AS loads"
    " FROM vehicle_events WHERE type = 'load' AND waste LIKE 'agri.%'"
    " GROUP BY 1, 2, 3, 4;"
    "CREATE VIEW daily_agri AS"
    " SELECT day, district, point, category, kg, loads"
    " FROM daily_agri_results UNION ALL"
    " SELECT day, district, point, category, kg, loads"
    " FROM daily_agri_live WHERE day > coalesce(" FROZEN
    ", '');"
    /* Points registered against points with a load in the 30 days up
     * to the day (the registry as it is now). */
    "CREATE VIEW daily_agri_points AS"
    " SELECT d.day AS day, g.district AS district, count(*) AS points,"
    " sum(EXISTS (SELECT 1 FROM vehicle_events e WHERE e.type = 'load'"
    " AND e.site = g.id AND e.day > date(d.day, '-30 days')"
    " AND e.day <= d.day)) AS active_points"
    " FROM (SELECT DISTINCT day FROM daily_agri) d CROSS JOIN generators g"
    " WHERE g.kind IN ('farm_film_point', 'pesticide_pack_point',"
    " 'manure_plant', 'straw_point') GROUP BY 1, 2;"
    /* Clinics: registered (the registry as it is now) and served, i.e.
     * picked up within their interval before the end of the day. */
    "CREATE TABLE daily_clinic_results(day TEXT NOT NULL,"
    " district TEXT, clinics INTEGER, served INTEGER);"
    "CREATE INDEX daily_clinic_results_day ON daily_clinic_results(day);"
    "CREATE VIEW daily_clinic_live AS" CLINIC_LIVE ";"
    "CREATE VIEW daily_clinic_pickups AS"
    " SELECT day, district, clinics, served FROM daily_clinic_results"
    " UNION ALL SELECT day, district, clinics, served"
    " FROM daily_clinic_live WHERE day > coalesce(" FROZEN
    ", '');"
    /* Before retention deletes the first load event of a day, the days
     * whose figures read it — agri, clinics (up to their longest
     * interval later) — are
     * computed whole and kept, and the views read them from there. */
    "CREATE TRIGGER vehicle_events_freeze BEFORE DELETE ON vehicle_events"
    " WHEN OLD.type = 'load' AND date(OLD.day, '+' || (2 + coalesce("
    "(SELECT max(max_pickup_interval_h) FROM generators), 0) / 24)"
    " || ' days') > coalesce(" FROZEN
    ", '')"
    " BEGIN"
    " INSERT INTO daily_agri_results SELECT * FROM daily_agri_live"
    " WHERE day > coalesce(" FROZEN
    ", '') AND day <= date(OLD.day, '+'"
    " || (2 + coalesce((SELECT max(max_pickup_interval_h) FROM"
    " generators), 0) / 24) || ' days');"
    " INSERT INTO daily_clinic_results SELECT * FROM daily_clinic_live"
    " WHERE day > coalesce(" FROZEN ", '') AND day <= date(OLD.day, '+'"
    " || (2 + coalesce((SELECT max(max_pickup_interval_h) FROM"
    " generators), 0) / 24) || ' days');"
    " INSERT INTO meta(key, value) VALUES('streams_frozen_day',"
    " date(OLD.day, '+' || (2 + coalesce((SELECT"
    " max(max_pickup_interval_h) FROM generators), 0) / 24) || ' days'))"
    " ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
    " END;"
    /* Indicators by origin district and for the whole city (全市):
     * construction, manifests and clearance are summed or averaged over
     * the city for that row. Clearance is now the carried-over stock's
     * (daily_station_clearance). The keys are a UNION of plain rows
     * and the figures subqueries on tables by day, so that a filter on
     * day reaches the indexes: SQLite pushes none into an aggregate
     * over a UNION, nor into a UNION without ALL (DISTINCT over a
     * UNION ALL it does), and would compute every day for one. */
    "CREATE VIEW daily_indicators AS"
    " SELECT k.day AS day, k.district AS district,"
    " coalesce(" ORIGIN_SUM("kg") ", 0) AS collected_kg,"
    " " ORIGIN_SUM(RECYCLED_KG) " / nullif(" ORIGIN_SUM("kg") ", 0)"
    " AS recycling_rate,"
    " " ORIGIN_SUM("CASE WHEN harmless = 1 THEN kg ELSE 0 END")
    " / nullif(" ORIGIN_SUM("kg") ", 0) AS harmless_rate,"
    " " CW_SUM("cw_recycling") " / nullif(" CW_SUM("cw_recycling") " + "
    CW_SUM("cw_disposal_site") ", 0) AS cw_utilisation_rate,"
    " (SELECT avg(cleared) FROM daily_station_clearance b"
    " WHERE b.day = k.day AND (b.district IS k.district"
    " OR k.district = '全市')) AS clearance_rate,"
    " coalesce(mf.manifests, 0) AS manifests,"
    " mf.closed * 1.0 / nullif(mf.manifests, 0) AS manifest_closure_rate,"
    " mf.discrepancies * 1.0 / nullif(mf.reconciled, 0)"
    " AS discrepancy_rate,"
    " coalesce(mf.overdue, 0) AS overdue_manifests,"
    " (SELECT u.authorised * 1.0 / nullif(u.unloads, 0) FROM daily_unloads u"
    " WHERE u.day = k.day) AS authorised_unload_share,"
    " " ORIGIN_SUM("CASE WHEN origin_source = 'facility' THEN kg ELSE 0 END")
    " AS fallback_kg"
    " FROM (SELECT DISTINCT day, district FROM ("
    " SELECT day, origin_district AS district FROM ticket_origins"
    " WHERE" COLLECTED_WHERE
    " UNION ALL SELECT day, '全市' FROM ticket_origins WHERE" COLLECTED_WHERE
    " UNION ALL SELECT day, district FROM tickets_counted WHERE" CW_WHERE
    " UNION ALL SELECT day, '全市' FROM tickets_counted WHERE" CW_WHERE
    " UNION ALL SELECT day, district FROM station_days"
    " UNION ALL SELECT day, '全市' FROM station_days"
    " UNION ALL SELECT day, district FROM manifest_days"
    " UNION ALL SELECT day, '全市' FROM manifest_days)) k"
    " LEFT JOIN (SELECT day, district, manifests, closed, reconciled,"
    " discrepancies, overdue FROM daily_manifests UNION ALL"
    " SELECT day, '全市', sum(manifests), sum(closed), sum(reconciled),"
    " sum(discrepancies), sum(overdue) FROM daily_manifests GROUP BY 1) mf"
    " ON mf.day = k.day AND mf.district IS k.district;";
/* clang-format on */

/* clang-format off */
const char store_streams_v12[] =
    "ALTER TABLE vehicle_events ADD COLUMN count INTEGER;"
    "ALTER TABLE vehicle_events ADD COLUMN count_unit TEXT;"
    /* Days frozen before v12 had no counts: NULL is their truth. */
    "ALTER TABLE daily_agri_results ADD COLUMN containers INTEGER;"
    "ALTER TABLE daily_agri_results ADD COLUMN container_unit TEXT;"
    "ALTER TABLE daily_clinic_results ADD COLUMN containers INTEGER;"
    "ALTER TABLE daily_clinic_results ADD COLUMN container_unit TEXT;"
    /* The columns go at the end of each view: readers select by name,
     * and the freeze trigger's SELECT * matches the results tables. */
    "DROP VIEW daily_agri;"
    "DROP VIEW daily_agri_live;"
    "CREATE VIEW daily_agri_live AS"
    " SELECT day, site_district AS district, site AS point,"
    " waste AS category, total(mass_kg) AS kg, count(*) AS loads,"
    CONTAINERS("")
    " FROM vehicle_events WHERE type = 'load' AND waste LIKE 'agri.%'"
    " GROUP BY 1, 2, 3, 4;"
    "CREATE VIEW daily_agri AS"
    " SELECT day, district, point, category, kg, loads, containers,"
    " container_unit FROM daily_agri_results UNION ALL"
    " SELECT day, district, point, category, kg, loads, containers,"
    " container_unit FROM daily_agri_live WHERE day > coalesce(" FROZEN
    ", '');"
    "DROP VIEW daily_clinic_pickups;"
    "DROP VIEW daily_clinic_live;"
    "CREATE VIEW daily_clinic_live AS"
    " SELECT x.day AS day, x.district AS district, x.clinics AS clinics,"
    " x.served AS served, " CLINIC_COUNT("sum(e.count)") " AS containers, "
    CLINIC_COUNT("max(e.count_unit)") " AS container_unit"
    " FROM (" CLINIC_LIVE ") x;"
    "CREATE VIEW daily_clinic_pickups AS"
    " SELECT day, district, clinics, served, containers, container_unit"
    " FROM daily_clinic_results UNION ALL SELECT day, district, clinics,"
    " served, containers, container_unit FROM daily_clinic_live"
    " WHERE day > coalesce(" FROZEN ", '');";
/* clang-format on */

/* The local day that ended last before ?1 (now, UTC ms). */
#define YESTERDAY                                                              \
	" date((?1 + 60000 * coalesce((SELECT value FROM meta WHERE key ="     \
	" 'local_offset_min'), 480)) / 1000, 'unixepoch', '-1 day')"

/* A status value of report s for alarm a: a column or an extra member. */
#define STATUS_VALUE                                                           \
	" CASE a.value WHEN 'inventory_kg' THEN s.inventory_kg"                \
	" WHEN 'throughput_kg' THEN s.throughput_kg"                           \
	" ELSE json_extract(s.extra, '$.' || a.value) END"

#define OUT_OF_BOUNDS(v) " ((" v ") < a.min OR (" v ") > a.max)"

/* The value of the last report at or before the window's start (within
 * a day before it) that carries it. */
#define VALUE_AT_START                                                         \
	"(SELECT" STATUS_VALUE " FROM facility_status s"                       \
	" WHERE s.facility = a.facility"                                       \
	" AND s.ts_ms <= ?1 - 1000 * f.alarm_after_s"                          \
	" AND s.ts_ms > ?1 - 1000 * f.alarm_after_s - 86400000"                \
	" AND" STATUS_VALUE " IS NOT NULL ORDER BY s.ts_ms DESC LIMIT 1)"

/* A report of the window that carries the value within bounds. */
#define WITHIN_IN_WINDOW                                                       \
	" EXISTS (SELECT 1 FROM facility_status s"                             \
	" WHERE s.facility = a.facility"                                       \
	" AND s.ts_ms > ?1 - 1000 * f.alarm_after_s AND s.ts_ms <= ?1"         \
	" AND" STATUS_VALUE " IS NOT NULL"                                     \
	" AND NOT coalesce(" OUT_OF_BOUNDS(STATUS_VALUE) ", 0))"

/* Every report of the last alarm_after_s seconds that carries the
 * value is out of bounds, and so was the last one before them (within
 * a day): the crossing has lasted that long. */
#define FACILITY_ALARM(sev)                                                    \
	"SELECT a.facility || '/' || a.value, f.district,"                     \
	" json_object('facility', a.facility, 'value', a.value,"               \
	" 'min', a.min, 'max', a.max, 'after_s', f.alarm_after_s,"             \
	" 'reading', (SELECT" STATUS_VALUE " FROM facility_status s"           \
	" WHERE s.facility = a.facility AND s.ts_ms <= ?1"                     \
	" AND s.ts_ms > ?1 - 86400000 AND" STATUS_VALUE " IS NOT NULL"         \
	" ORDER BY s.ts_ms DESC LIMIT 1))"                                     \
	" FROM facility_alarms a JOIN facilities f ON f.id = a.facility"       \
	" WHERE a.severity = '" sev "'"                                        \
	" AND coalesce(" OUT_OF_BOUNDS(                                        \
	    VALUE_AT_START) ", 0)"                                             \
			    " AND NOT" WITHIN_IN_WINDOW

/* The SQL reads as one text, macros and all: clang-format would
 * indent each piece after a macro further than the last. */
/* clang-format off */
const struct store_alert_rule store_alert_rules_streams[] = {
    /* A registered clinic whose last pickup (or, never picked up, its
     * registration) is older than its interval. One row per clinic,
     * two index seeks each. */
	{ "clinic_pickup_overdue", "warning",
    "SELECT g.id, g.district, json_object('name', g.name,"
    " 'last_pickup_ms', nullif(lp, 0), 'max_pickup_interval_h',"
    " g.max_pickup_interval_h) FROM (SELECT g.*," LAST_PICKUP(
    "?1") " AS lp FROM generators g WHERE g.kind = 'clinic') g"
    " WHERE max(lp, CASE WHEN lp = 0 THEN g.registered_ms ELSE 0 END)"
    " < ?1 - 3600000 * g.max_pickup_interval_h" },
    /* A transfer station whose stock at the end of its last day up to
     * yesterday is above its threshold (station_days: one row per
     * station and day). */
	{ "station_not_cleared", "warning",
    "SELECT c.facility, c.district, json_object('day', c.day,"
    " 'closing_kg', c.closing_kg, 'threshold_kg', c.threshold_kg)"
    " FROM daily_station_clearance c WHERE c.day = (SELECT max(day)"
    " FROM station_days s WHERE s.facility = c.facility"
    " AND s.day <=" YESTERDAY ") AND c.cleared = 0"
    " AND c.facility IN (SELECT id FROM facilities)" },
	{ "facility_alarm", "critical", FACILITY_ALARM("critical") },
	{ "facility_alarm", "warning", FACILITY_ALARM("warning") },
    /* Watched facilities (silent_after_s > 0) without a status report
     * for more than that: one index seek each. */
	{ "facility_silent", "warning",
    "SELECT f.id, f.district, json_object('silent_after_s',"
    " f.silent_after_s, 'last_status_ms', (SELECT max(s.ts_ms)"
    " FROM facility_status s WHERE s.facility = f.id))"
    " FROM facilities f WHERE f.silent_after_s > 0"
    " AND NOT EXISTS (SELECT 1 FROM facility_status s"
    " WHERE s.facility = f.id AND s.ts_ms >= ?1 - 1000 *"
    " f.silent_after_s AND s.ts_ms <= ?1)" },
};
/* clang-format on */

const size_t store_alert_nrules_streams =
    sizeof(store_alert_rules_streams) / sizeof(store_alert_rules_streams[0]);
