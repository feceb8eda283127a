/*
 * store_muck_sql: the muck trucks' schema (v13) and alert rules
 * (docs/geofence.md, docs/indicators.md, docs/alerts.md). Text only; the
 * writes are store_muck.c's. Sits beside store_streams_sql.c in the stack
 * of store_int.h.
 */
#include "store_int.h"

/* Event-like alerts hold for a day after the event (event time). */
#define RECENT(col) " " col " >= ?1 - 86400000 AND " col " <= ?1 + 86400000"

/* clang-format off */
const char store_muck_v13[] =
    /* Every unload, explicit (a vehicle `unload` event) or inferred from
     * a track (lib/unload.h): where, when, how, the site it fell in and
     * whether that site accepts the truck's waste. One row per
     * (vehicle, ts_ms, how): a replay of the same positions or events
     * finds its rows already there. A dwell is a candidate until the
     * plate's next weighing settles it (store_unload_weighed). The rows
     * are small and kept (retention does not prune them): the daily
     * views read them for every day. district is the origin district
     * (the construction site loaded at, else the vehicle's, else the
     * site's), as for every indicator. */
    "CREATE TABLE unloads(id INTEGER PRIMARY KEY, vehicle TEXT NOT NULL,"
    " plate TEXT, ts_ms INTEGER NOT NULL, since_ms INTEGER,"
    " day TEXT NOT NULL, lat REAL, lon REAL, how TEXT NOT NULL,"
    " state TEXT NOT NULL, site TEXT, site_kind TEXT, district TEXT,"
    " waste TEXT, origin TEXT, muck INTEGER NOT NULL DEFAULT 0,"
    " authorised INTEGER NOT NULL DEFAULT 0, message_id INTEGER,"
    " UNIQUE(vehicle, ts_ms, how));"
    "CREATE INDEX unloads_day ON unloads(day);"
    "CREATE INDEX unloads_unauthorised ON unloads(ts_ms)"
    " WHERE authorised = 0 AND state = 'unload';"
    "CREATE INDEX unloads_candidates ON unloads(plate, since_ms)"
    " WHERE state = 'candidate';"
    /* Night-window and permit violations: one row per subject, local
     * day and reason (the first sighting), so a truck seen all night
     * is one row, and a replay adds none. */
    "CREATE TABLE muck_violations(kind TEXT NOT NULL,"
    " subject TEXT NOT NULL, day TEXT NOT NULL, reason TEXT NOT NULL,"
    " vehicle TEXT, plate TEXT, ts_ms INTEGER NOT NULL, lat REAL, lon REAL,"
    " district TEXT, waste TEXT, site TEXT,"
    " PRIMARY KEY(kind, subject, day, reason)) WITHOUT ROWID;"
    "CREATE INDEX muck_violations_ts ON muck_violations(ts_ms);"
    /* An unload event stored by any path gets its row here, counted as
     * before v13 (authorised: the facility named is registered) until
     * the muck module, which knows the geofences, rewrites it. */
    "CREATE TRIGGER vehicle_events_unload AFTER INSERT ON vehicle_events"
    " WHEN NEW.type = 'unload' BEGIN"
    " INSERT OR IGNORE INTO unloads(vehicle, plate, ts_ms, since_ms, day,"
    " lat, lon, how, state, site, site_kind, district, waste, muck,"
    " authorised, message_id) VALUES(NEW.vehicle, NEW.plate, NEW.ts_ms,"
    " NEW.ts_ms, NEW.day, NEW.lat, NEW.lon, 'event', 'unload',"
    " NEW.facility, (SELECT kind FROM facilities WHERE id = NEW.facility),"
    " coalesce((SELECT district FROM vehicle_registry"
    " WHERE plate = NEW.plate), (SELECT district FROM facilities"
    " WHERE id = NEW.facility)), NEW.waste, NEW.waste LIKE 'cw.%'"
    " OR coalesce((SELECT kind FROM vehicle_registry"
    " WHERE plate = NEW.plate), '') = 'muck_truck',"
    " NEW.facility IS NOT NULL AND (NEW.dq_flags & 262144) = 0,"
    " NEW.message_id); END;"
    /* The unload events stored before v13, with the meaning they had. */
    "INSERT OR IGNORE INTO unloads(vehicle, plate, ts_ms, since_ms, day,"
    " lat, lon, how, state, site, site_kind, district, waste, muck,"
    " authorised, message_id) SELECT e.vehicle, e.plate, e.ts_ms, e.ts_ms,"
    " e.day, e.lat, e.lon, 'event', 'unload', e.facility, f.kind,"
    " coalesce(r.district, f.district), e.waste, e.waste LIKE 'cw.%'"
    " OR coalesce(r.kind, '') = 'muck_truck',"
    " e.facility IS NOT NULL AND (e.dq_flags & 262144) = 0, e.message_id"
    " FROM vehicle_events e LEFT JOIN facilities f ON f.id = e.facility"
    " LEFT JOIN vehicle_registry r ON r.plate = e.plate"
    " WHERE e.type = 'unload';"
    /* City-wide per day, as before; days whose events retention removed
     * before v13 stay in daily_unload_results. */
    "DROP VIEW daily_unloads;"
    "CREATE VIEW daily_unloads AS"
    " SELECT day, unloads, authorised FROM daily_unload_results r"
    " WHERE NOT EXISTS (SELECT 1 FROM unloads u WHERE u.day = r.day)"
    " UNION ALL SELECT day, count(*) AS unloads, sum(authorised)"
    " AS authorised FROM unloads WHERE state = 'unload' GROUP BY day;"
    /* Muck trucks per origin district and day, and the city (全市).
     * The keys are DISTINCT over a UNION ALL of plain rows and the
     * figures subqueries by day, as daily_indicators does: SQLite
     * pushes a filter on day into that (and so into the indexes), never
     * into an aggregate over a UNION. */
    "CREATE INDEX muck_violations_day ON muck_violations(day);"
    "CREATE VIEW daily_muck AS"
    " SELECT day, district, trips, authorised_unloads,"
    " trips - authorised_unloads AS unauthorised_unloads,"
    " night_window_violations, permit_violations FROM (SELECT k.day AS day,"
    " k.district AS district, (SELECT count(*) FROM unloads u"
    " WHERE u.day = k.day AND u.state = 'unload' AND u.muck = 1"
    " AND (u.district IS k.district OR k.district = '全市')) AS trips,"
    " (SELECT count(*) FROM unloads u WHERE u.day = k.day"
    " AND u.state = 'unload' AND u.muck = 1 AND u.authorised = 1"
    " AND (u.district IS k.district OR k.district = '全市'))"
    " AS authorised_unloads, (SELECT count(*) FROM muck_violations v"
    " WHERE v.day = k.day AND v.kind = 'night_window'"
    " AND (v.district IS k.district OR k.district = '全市'))"
    " AS night_window_violations, (SELECT count(*) FROM muck_violations v"
    " WHERE v.day = k.day AND v.kind = 'permit'"
    " AND (v.district IS k.district OR k.district = '全市'))"
    " AS permit_violations FROM (SELECT DISTINCT day, district FROM ("
    " SELECT day, district FROM unloads WHERE state = 'unload' AND muck = 1"
    " UNION ALL SELECT day, '全市' FROM unloads"
    " WHERE state = 'unload' AND muck = 1"
    " UNION ALL SELECT day, district FROM muck_violations"
    " UNION ALL SELECT day, '全市' FROM muck_violations)) k);"
    /* Construction waste received (counted inbound tickets) by the
     * construction site it came from: the ticket's origin when it names
     * a registered generator, else the plate's last load at one in the
     * 24 h before, else the site its track loaded at (the origin of
     * its last unload up to an hour after the ticket), else none (site
     * NULL). */
    "CREATE VIEW daily_cw_origins AS"
    " SELECT day, g.district AS district, site, sum(kg) AS kg,"
    " count(*) AS tickets FROM (SELECT w.day AS day, w.net_kg AS kg,"
    " coalesce((SELECT id FROM generators WHERE id = w.origin),"
    " (SELECT e.site FROM vehicle_events e JOIN generators g2"
    " ON g2.id = e.site WHERE e.type = 'load' AND e.plate = w.plate"
    " AND e.ts_ms <= w.first_ms AND e.ts_ms > w.first_ms - 86400000"
    " ORDER BY e.ts_ms DESC LIMIT 1),"
    " (SELECT u.origin FROM unloads u WHERE u.plate = w.plate"
    " AND u.origin IS NOT NULL AND u.ts_ms > w.first_ms - 86400000"
    " AND u.ts_ms <= coalesce(w.second_ms, w.first_ms) + 3600000"
    " ORDER BY u.ts_ms DESC LIMIT 1)) AS site"
    " FROM weighings w WHERE w.status = 'complete'"
    " AND w.net_kg IS NOT NULL AND (w.dq_flags & 3584) = 0"
    " AND w.direction = 'in' AND w.waste LIKE 'cw.%') c"
    " LEFT JOIN generators g ON g.id = c.site GROUP BY day, site;"
    /* Where the sites are, for readers of the registry. */
    "ALTER TABLE facilities ADD COLUMN lat REAL;"
    "ALTER TABLE facilities ADD COLUMN lon REAL;"
    "ALTER TABLE facilities ADD COLUMN accepts TEXT;"
    "ALTER TABLE generators ADD COLUMN permit_from TEXT;"
    "ALTER TABLE generators ADD COLUMN permit_to TEXT;";

/* Evidence of an unauthorised unload: the unload and its track, the
 * last 12 fixes up to it and 6 after (outliers left out), at most
 * about 1 KiB. */
#define TRACK(u)                                                               \
	" json((SELECT json_group_array(json_array(ts_ms, round(lat, 6),"      \
	" round(lon, 6))) FROM (SELECT * FROM (SELECT ts_ms, lat, lon"         \
	" FROM positions p WHERE p.vehicle = " u ".vehicle"                    \
	" AND p.ts_ms <= " u ".ts_ms AND (p.dq_flags & 256) = 0"               \
	" ORDER BY p.ts_ms DESC LIMIT 12) UNION ALL SELECT * FROM"             \
	" (SELECT ts_ms, lat, lon FROM positions p"                            \
	" WHERE p.vehicle = " u ".vehicle AND p.ts_ms > " u ".ts_ms"           \
	" AND (p.dq_flags & 256) = 0 ORDER BY p.ts_ms LIMIT 6)"                \
	" ORDER BY ts_ms)))"

const struct store_alert_rule store_alert_rules_muck[] = {
    /* An unload outside every site that accepts the truck's waste, for
     * a day after it (event time). */
	{ "unauthorised_unload", "critical",
    "SELECT coalesce(u.plate, u.vehicle) || '@' || u.ts_ms, u.district,"
    " json_object('vehicle', u.vehicle, 'plate', u.plate, 'ts_ms',"
    " u.ts_ms, 'how', u.how, 'lat', round(u.lat, 6), 'lon',"
    " round(u.lon, 6), 'site', u.site, 'waste', u.waste, 'origin',"
    " u.origin, 'track'," TRACK("u") ")"
    " FROM unloads u WHERE u.authorised = 0 AND u.state = 'unload' AND"
    RECENT("u.ts_ms") },
    /* A loaded muck truck moving outside supervision.muck_hours: one
     * subject per plate and local day. */
	{ "night_window", "warning",
    "SELECT v.subject, v.district, json_object('plate', v.plate,"
    " 'vehicle', v.vehicle, 'day', v.day, 'ts_ms', v.ts_ms, 'lat',"
    " round(v.lat, 6), 'lon', round(v.lon, 6), 'waste', v.waste)"
    " FROM muck_violations v WHERE v.kind = 'night_window' AND"
    RECENT("v.ts_ms") },
    /* A truck carrying construction waste without a valid permit, or a
     * load at a construction site outside its permit: one subject per
     * plate (or site), open while sightings go on, the latest wins. */
	{ "permit", "warning",
    "SELECT v.subject, v.district, json_object('reason', v.reason,"
    " 'plate', v.plate, 'vehicle', v.vehicle, 'site', v.site, 'waste',"
    " v.waste, 'day', v.day, 'ts_ms', v.ts_ms) FROM (SELECT * FROM"
    " muck_violations WHERE kind = 'permit' AND" RECENT("ts_ms")
    " ORDER BY ts_ms DESC) v" },
};
/* clang-format on */

const size_t store_alert_nrules_muck =
    sizeof(store_alert_rules_muck) / sizeof(store_alert_rules_muck[0]);
