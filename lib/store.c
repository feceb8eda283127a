/* store: see store.h. Schema v1 and its statements live here. */
#include "store.h"

#include "config.h"
#include "log.h"
#include "norm.h"
#include "sha256.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Migrations, in order: migrations[i] takes user_version i to i+1. Never
 * edit a shipped one; add the next. Columns are added, never renamed
 * (readers rely on them, DESIGN §6).
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
	"CREATE TABLE vehicle_events(id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
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
	"CREATE TABLE manifests(scheme TEXT NOT NULL, manifest_no TEXT NOT NULL,"
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
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
    "STORE_SCHEMA_VERSION names the last migration");

enum stmt_id {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_META_GET, S_META_SET,
	S_MSG_FIND, S_MSG_INSERT, S_MSG_MAX,
	S_REJECT,
	S_POSITION, S_VEHICLE_SEEN,
	S_VEVENT,
	S_WB_GET, S_WB_INSERT, S_WB_TO_HISTORY, S_WB_DELETE, S_WB_HISTORY,
	S_FSTATUS,
	S_MAN_EVENT, S_MAN_EVENT_APPLIED, S_MAN_GET, S_MAN_UPSERT,
	S_MAN_LINES_DEL, S_MAN_LINE, S_MAN_TICKET,
	S_PRUNE,
	S_BIND_LATEST, S_BIND_UPSERT, S_BIND_AT,
	S_FACILITY_KNOWN,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* The expression must be messages_digest's for the index to serve;
	 * the unary + stops SQLite from propagating ?2 into it. */
	[S_MSG_FIND] = "SELECT id FROM messages WHERE substr(sha256, 1, 16) ="
	    " substr(?2, 1, 16) AND +sha256 = ?2 AND +topic = ?1 LIMIT 1",
	[S_MSG_INSERT] = "INSERT INTO messages(id, topic, profile, received_ms,"
	    " sha256, outcome, kind, payload) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8)",
	[S_MSG_MAX] = "SELECT coalesce(max(id), 0) FROM messages",
	[S_REJECT] = "INSERT INTO rejects(topic, profile, received_ms, payload,"
	    " reason, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_POSITION] = "INSERT INTO positions(vehicle, device, plate, ts_ms,"
	    " lat, lon, speed_kmh, heading_deg, alt_m, load_state, dq_flags,"
	    " message_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12) ON CONFLICT(vehicle, ts_ms) DO NOTHING",
	[S_VEHICLE_SEEN] = "INSERT INTO vehicles(vehicle, plate, device,"
	    " first_seen_ms, last_seen_ms) VALUES(?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT(vehicle) DO UPDATE SET"
	    " plate = coalesce(excluded.plate, plate),"
	    " device = coalesce(excluded.device, device),"
	    " first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),"
	    " last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
	[S_VEVENT] = "INSERT INTO vehicle_events(type, vehicle, plate, ts_ms,"
	    " site, facility, waste, mass_kg, manifest_no, lat, lon, dq_flags,"
	    " message_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13) ON CONFLICT(vehicle, type, ts_ms) DO NOTHING",
	[S_WB_GET] = "SELECT id, version, status, fingerprint FROM weighings"
	    " WHERE facility = ?1 AND ticket = ?2 AND day = ?3",
	[S_WB_INSERT] = "INSERT INTO weighings(facility, ticket, day, version,"
	    " plate, direction, gross_kg, tare_kg, net_kg, first_ms, second_ms,"
	    " waste, origin, status, manifest_no, dq_flags, message_id,"
	    " fingerprint) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	[S_WB_TO_HISTORY] = "INSERT INTO weighings_history(facility, ticket,"
	    " day, version, plate, direction, gross_kg, tare_kg, net_kg,"
	    " first_ms, second_ms, waste, origin, status, manifest_no,"
	    " dq_flags, message_id, fingerprint, superseded_by)"
	    " SELECT facility, ticket, day, version, plate, direction, gross_kg,"
	    " tare_kg, net_kg, first_ms, second_ms, waste, origin, status,"
	    " manifest_no, dq_flags, message_id, fingerprint, ?2"
	    " FROM weighings WHERE id = ?1",
	[S_WB_DELETE] = "DELETE FROM weighings WHERE id = ?1",
	[S_WB_HISTORY] = "INSERT INTO weighings_history(facility, ticket, day,"
	    " version, plate, direction, gross_kg, tare_kg, net_kg, first_ms,"
	    " second_ms, waste, origin, status, manifest_no, dq_flags,"
	    " message_id, fingerprint) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	[S_FSTATUS] = "INSERT INTO facility_status(facility, ts_ms, state,"
	    " inventory_kg, throughput_kg, extra, dq_flags, message_id)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT(facility, ts_ms) DO NOTHING",
	[S_MAN_EVENT] = "INSERT INTO manifest_events(scheme, manifest_no,"
	    " version, status, ts_ms, applied, dq_flags, message_id)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6, ?7) ON CONFLICT(scheme,"
	    " manifest_no, version, status, ts_ms) DO NOTHING",
	[S_MAN_EVENT_APPLIED] = "UPDATE manifest_events SET applied = ?2,"
	    " dq_flags = ?3 WHERE id = ?1",
	[S_MAN_GET] = "SELECT version, status FROM manifests"
	    " WHERE scheme = ?1 AND manifest_no = ?2",
	[S_MAN_UPSERT] = "INSERT INTO manifests(scheme, manifest_no, version,"
	    " status, plate, generator_code, generator_name, generator_district,"
	    " carrier_name, receiver_facility, receiver_name, departed_ms,"
	    " received_ms, closed_ms, declared_kg, updated_ms, dq_flags,"
	    " message_id, arrived_ms, received_kg) VALUES(?1, ?2, ?3, ?4, ?5,"
	    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	    " ?20)"
	    " ON CONFLICT(scheme, manifest_no) DO UPDATE SET"
	    " version = excluded.version, status = excluded.status,"
	    " plate = coalesce(excluded.plate, plate),"
	    " generator_code = coalesce(excluded.generator_code, generator_code),"
	    " generator_name = coalesce(excluded.generator_name, generator_name),"
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
	    " updated_ms = excluded.updated_ms, dq_flags = excluded.dq_flags,"
	    " message_id = excluded.message_id",
	[S_MAN_LINES_DEL] = "DELETE FROM manifest_lines"
	    " WHERE scheme = ?1 AND manifest_no = ?2",
	[S_MAN_LINE] = "INSERT INTO manifest_lines(scheme, manifest_no, line,"
	    " waste_code, hw_category, waste, qty, unit, qty_kg)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_MAN_TICKET] = "INSERT INTO manifest_tickets(scheme, manifest_no,"
	    " facility, ticket) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[S_PRUNE] = "UPDATE messages SET payload = NULL"
	    " WHERE received_ms < ?1 AND payload IS NOT NULL",
	[S_BIND_LATEST] = "SELECT plate, plate_color FROM device_bindings"
	    " WHERE device = ?1 ORDER BY valid_from_ms DESC LIMIT 1",
	[S_BIND_UPSERT] = "INSERT INTO device_bindings(device, valid_from_ms,"
	    " plate, plate_color, message_id) VALUES(?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT(device, valid_from_ms) DO UPDATE SET"
	    " plate = excluded.plate, plate_color = excluded.plate_color,"
	    " message_id = excluded.message_id",
	[S_BIND_AT] = "SELECT plate FROM device_bindings WHERE device = ?1"
	    " AND valid_from_ms <= ?2 ORDER BY valid_from_ms DESC LIMIT 1",
	[S_FACILITY_KNOWN] = "SELECT 1 FROM facilities WHERE id = ?1",
};

struct store {
	char *path;
	sqlite3 *db;			/* writer, loop thread only */
	sqlite3 *ro;			/* reports */
	sqlite3_stmt *st[S_COUNT];
	int in_txn;
	char plate_buf[64];
	store_wal_fn wal_fn;
	void *wal_arg;
	int64_t next_mid;		/* see load_next_mid() */
	struct seen *seen;		/* SEEN_SLOTS, see vehicle_seen() */
	size_t nseen;
};

/* A vehicle seen in the open transaction: the row it will get. */
struct seen {
	char *vehicle, *plate, *device;	/* NULL vehicle: a free slot */
	int64_t first, last;
};

#define SEEN_SLOTS 1024			/* a power of two */

/* A connection that only checkpoints, for a thread of its own. */
struct store_ckpt {
	sqlite3 *db;
	char *path;
};

/* A long reader stops checkpoints from resetting the WAL; once it leaves,
 * the file shrinks back to this instead of staying at its high-water
 * mark. */
#define JOURNAL_SIZE_LIMIT 33554432	/* 32 MiB: the WAL after a restart */
#define STR_(x) #x
#define STR(x) STR_(x)
#define CKPT_WAIT_MS 100
#define BUSY_GIVE_UP_MS 5000
#define CACHE_KIB -12288		/* the writer's page cache: 12 MiB */

static int64_t file_size(const char *, const char *);
static int load_next_mid(struct store *);
static void seen_clear(struct store *);
static int seen_flush(struct store *);

static int
db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Each step runs in its own transaction with its user_version bump, so a
 * crash mid-migration leaves the previous version intact. */
static int
migrate(sqlite3 *db, const char *path)
{
	char sql[64];
	int v;
	size_t i;

	if (user_version(db, &v) == -1)
		return -1;
	if (v > (int)NMIGRATIONS) {
		log_warnx("store: %s has schema version %d, newer than this "
		    "wastetrackd (%d): refusing to touch it", path, v,
		    (int)NMIGRATIONS);
		return -1;
	}
	for (i = (size_t)v; i < NMIGRATIONS; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (db_exec(db, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (db_exec(db, migrations[i]) == -1 || db_exec(db, sql) == -1) {
			db_exec(db, "ROLLBACK");
			return -1;
		}
		if (db_exec(db, "COMMIT") == -1)
			return -1;
		log_notice("store: %s migrated to schema version %zu", path,
		    i + 1);
	}
	return 0;
}

static int
open_conn(const char *path, int flags, sqlite3 **out)
{
	if (sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_warnx("store: open %s: %s", path, *out ?
		    sqlite3_errmsg(*out) : "out of memory");
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	/* Readers (other tools, our report connection) may hold the WAL
	 * for a while; wait instead of failing a batch. */
	sqlite3_busy_timeout(*out, BUSY_GIVE_UP_MS);
	return 0;
}

/*
 * The writer's busy handler. SQLite's own (busy_timeout) sleeps 1, 2, 5,
 * 10, 15, 20... ms: a lock the checkpoint thread holds for 3 ms would cost
 * a batch 33 ms. Poll every 100 us for the first 10 ms instead, then every
 * millisecond, and give up after BUSY_GIVE_UP_MS like busy_timeout would.
 */
static int
writer_busy(void *arg, int count)
{
	struct timespec ts = { 0, count < 100 ? 100000 : 1000000 };
	int64_t waited_us = count < 100 ? (int64_t)count * 100 :
	    10000 + (int64_t)(count - 100) * 1000;

	(void)arg;
	if (waited_us >= (int64_t)BUSY_GIVE_UP_MS * 1000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

int
store_open(const char *path, int full_sync, struct store **out)
{
	struct store *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL)
		goto fail;
	if (open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    &s->db) == -1)
		goto fail;
	sqlite3_busy_handler(s->db, writer_busy, NULL);
	if (db_exec(s->db, "PRAGMA journal_mode = WAL") == -1 ||
	    db_exec(s->db, full_sync ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL") == -1 ||
	    db_exec(s->db, "PRAGMA foreign_keys = ON") == -1 ||
	    /* The random-key indexes (dedupe) stay in memory longer: the
	     * cost per message grows far slower with the database. */
	    db_exec(s->db, "PRAGMA cache_size = " STR(CACHE_KIB)) == -1 ||
	    db_exec(s->db, "PRAGMA journal_size_limit = "
	    STR(JOURNAL_SIZE_LIMIT)) == -1 ||
	    migrate(s->db, path) == -1)
		goto fail;
	for (i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			log_warnx("store: prepare %s: %s", stmt_sql[i],
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (load_next_mid(s) == -1 ||
	    open_conn(path, SQLITE_OPEN_READONLY, &s->ro) == -1)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

int
store_open_reader(const char *path, struct store **out)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    open_conn(path, SQLITE_OPEN_READONLY, &s->ro) == -1) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

int
store_read_begin(struct store *s)
{
	return db_exec(s->ro, "BEGIN");
}

void
store_read_end(struct store *s)
{
	(void)db_exec(s->ro, "COMMIT");
}

int
store_data_version(struct store *s, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro, "PRAGMA data_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	seen_clear(s);
	free(s->seen);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(s->db));
	sqlite3_close(s->ro);
	free(s->path);
	free(s);
}

/* ---- checkpoints ---- */

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	(void)db;
	(void)name;
	s->wal_fn(s->wal_arg, frames);
	return SQLITE_OK;
}

void
store_on_wal(struct store *s, store_wal_fn fn, void *arg)
{
	s->wal_fn = fn;
	s->wal_arg = arg;
	if (fn != NULL)
		sqlite3_wal_hook(s->db, wal_hook, s);	/* no autocheckpoint */
	else
		sqlite3_wal_autocheckpoint(s->db, 1000);
}

/*
 * BUSY is "not now", never a failure: the other connection's checkpoint
 * holds the lock, or (TRUNCATE) the writer or a reader is busy.
 */
static int
wal_checkpoint(sqlite3 *db, int mode, int *frames, int *copied)
{
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, mode, frames, copied);

	if (rc == SQLITE_BUSY && frames != NULL)
		*frames = *copied = 0;
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : -1;
}

/* The writer's own passive checkpoint: see store.h. */
int
store_wal_catch_up(struct store *s)
{
	return wal_checkpoint(s->db, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

int
store_ckpt_open(const char *path, struct store_ckpt **out)
{
	struct store_ckpt *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((c->path = strdup(path)) == NULL ||
	    open_conn(path, SQLITE_OPEN_READWRITE, &c->db) == -1) {
		free(c->path);
		free(c);
		return -1;
	}
	/* A fresh connection does not know the file is in WAL mode until
	 * it reads it; until then a checkpoint is a no-op. */
	if (db_exec(c->db, "PRAGMA journal_mode = WAL") == -1) {
		store_ckpt_close(c);
		return -1;
	}
	sqlite3_busy_timeout(c->db, CKPT_WAIT_MS);
	*out = c;
	return 0;
}

/*
 * PASSIVE: copy what no reader still needs and never wait, so neither the
 * writer nor a reader is ever blocked by it. The writer restarts the WAL
 * at its next transaction if everything had been copied by then.
 */
int
store_ckpt_passive(struct store_ckpt *c, int *wal_frames, int *copied)
{
	return wal_checkpoint(c->db, SQLITE_CHECKPOINT_PASSIVE, wal_frames,
	    copied);
}

/*
 * TRUNCATE: copy everything and empty the WAL file. It takes the write
 * lock and waits for readers (up to CKPT_WAIT_MS), so the writer waits
 * meanwhile: for quiet moments only. A busy database is not a failure,
 * just "not now".
 */
int
store_ckpt_truncate(struct store_ckpt *c)
{
	return wal_checkpoint(c->db, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int64_t
store_ckpt_wal_bytes(struct store_ckpt *c)
{
	return file_size(c->path, "-wal");
}

const char *
store_ckpt_errmsg(struct store_ckpt *c)
{
	return sqlite3_errmsg(c->db);
}

void
store_ckpt_close(struct store_ckpt *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

const char *
store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

/* ---- binding helpers: NULL for unknown, never 0 ---- */

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == WT_NOTIME)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Step a write statement to completion and reset it; 0 or -1. */
static int
run(struct store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_warnx("store: %.60s...: %s", stmt_sql[id],
		    sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/*
 * Step a lookup: 1 with the row's columns readable until lookup_end(),
 * 0 when there is no row, -1 on error (already reset).
 */
static int
lookup(struct store *s, enum stmt_id id)
{
	int rc = sqlite3_step(s->st[id]);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("store: %.60s...: %s", stmt_sql[id], sqlite3_errmsg(s->db));
	return -1;
}

static void
lookup_end(struct store *s, enum stmt_id id)
{
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
}

static int
changed(struct store *s)
{
	return sqlite3_changes(s->db) > 0;
}

int
store_begin(struct store *s)
{
	if (run(s, S_BEGIN) == -1)
		return -1;
	s->in_txn = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	if (seen_flush(s) == -1 || run(s, S_COMMIT) == -1)
		return -1;
	s->in_txn = 0;
	return 0;
}

void
store_rollback(struct store *s)
{
	/* A failed COMMIT may already have rolled back on its own. */
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)run(s, S_ROLLBACK);
	s->in_txn = 0;
	seen_clear(s);
	/* The rolled-back rows leave a gap; reading max(id) again also
	 * steps over a row some other writer may have added. */
	(void)load_next_mid(s);
}

static int
meta_get_i64(struct store *s, const char *key, int64_t *v)
{
	int found;

	bind_text(s->st[S_META_GET], 1, key);
	if ((found = lookup(s, S_META_GET)) == 1) {
		*v = sqlite3_column_int64(s->st[S_META_GET], 0);
		lookup_end(s, S_META_GET);
	}
	return found;
}

static int
meta_set_i64(struct store *s, const char *key, int64_t v)
{
	bind_text(s->st[S_META_SET], 1, key);
	sqlite3_bind_int64(s->st[S_META_SET], 2, v);
	return run(s, S_META_SET);
}

int
store_spool_pos(struct store *s, struct spool_pos *pos)
{
	int64_t seg = 1, off = 0;

	if (meta_get_i64(s, "spool_seg", &seg) == -1 ||
	    meta_get_i64(s, "spool_off", &off) == -1)
		return -1;
	pos->seg = (uint64_t)seg;
	pos->off = (uint64_t)off;
	return 0;
}

int
store_set_spool_pos(struct store *s, struct spool_pos pos)
{
	if (meta_set_i64(s, "spool_seg", (int64_t)pos.seg) == -1 ||
	    meta_set_i64(s, "spool_off", (int64_t)pos.off) == -1)
		return -1;
	return 0;
}

/* The id the next message row gets: rows are written after their events,
 * which refer to it. Read again after a rollback. */
static int
load_next_mid(struct store *s)
{
	int found = lookup(s, S_MSG_MAX);

	if (found == -1)
		return -1;
	s->next_mid = found ? sqlite3_column_int64(s->st[S_MSG_MAX], 0) + 1 : 1;
	if (found)
		lookup_end(s, S_MSG_MAX);
	return 0;
}

int
store_message_find(struct store *s, const struct store_msg *m,
    int64_t *message_id, enum store_result *res)
{
	sqlite3_stmt *st = s->st[S_MSG_FIND];
	int found;

	bind_text(st, 1, m->topic);
	bind_text(st, 2, m->sha256);
	if ((found = lookup(s, S_MSG_FIND)) == -1)
		return -1;
	if (found)
		lookup_end(s, S_MSG_FIND);
	*res = found ? STORE_DUPLICATE : STORE_NEW;
	*message_id = found ? 0 : s->next_mid;
	return 0;
}

int
store_message_add(struct store *s, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind)
{
	sqlite3_stmt *st = s->st[S_MSG_INSERT];

	sqlite3_bind_int64(st, 1, message_id);
	bind_text(st, 2, m->topic);
	bind_text(st, 3, m->profile);
	sqlite3_bind_int64(st, 4, m->received_ms);
	bind_text(st, 5, m->sha256);
	bind_text(st, 6, outcome);
	bind_text(st, 7, kind);
	if (m->keep_payload)
		sqlite3_bind_blob(st, 8, m->payload, (int)m->payload_len,
		    SQLITE_STATIC);
	if (run(s, S_MSG_INSERT) == -1)
		return -1;
	s->next_mid = message_id + 1;
	return 0;
}

int
store_reject(struct store *s, const struct store_msg *m, const char *reason,
    const char *detail)
{
	sqlite3_stmt *st = s->st[S_REJECT];

	bind_text(st, 1, m->topic);
	bind_text(st, 2, m->profile);
	sqlite3_bind_int64(st, 3, m->received_ms);
	sqlite3_bind_blob(st, 4, m->payload, (int)m->payload_len,
	    SQLITE_STATIC);
	bind_text(st, 5, reason);
	bind_text(st, 6, detail);
	return run(s, S_REJECT);
}

/*
 * `vehicles` is updated once per transaction and vehicle, not once per
 * position: nine messages in ten are positions of the same few hundred
 * vehicles. The latest plate and device in arrival order, the earliest
 * and latest time, as the upsert per message had them.
 */
static void
seen_clear(struct store *s)
{
	size_t i;

	for (i = 0; s->seen != NULL && i < SEEN_SLOTS; i++) {
		free(s->seen[i].vehicle);
		free(s->seen[i].plate);
		free(s->seen[i].device);
	}
	if (s->seen != NULL)
		memset(s->seen, 0, SEEN_SLOTS * sizeof(*s->seen));
	s->nseen = 0;
}

static int
seen_flush(struct store *s)
{
	sqlite3_stmt *st = s->st[S_VEHICLE_SEEN];
	size_t i;
	int rc = 0;

	for (i = 0; i < SEEN_SLOTS && s->nseen > 0 && rc == 0; i++) {
		struct seen *v = &s->seen[i];

		if (v->vehicle == NULL)
			continue;
		bind_text(st, 1, v->vehicle);
		bind_text(st, 2, v->plate);
		bind_text(st, 3, v->device);
		sqlite3_bind_int64(st, 4, v->first);
		sqlite3_bind_int64(st, 5, v->last);
		rc = run(s, S_VEHICLE_SEEN);
	}
	seen_clear(s);
	return rc;
}

/* Replace *dst with a copy of src unless src is NULL. */
static int
keep_latest(char **dst, const char *src)
{
	char *copy;

	if (src == NULL)
		return 0;
	if ((copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

static struct seen *
seen_slot(struct store *s, const char *vehicle)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)vehicle; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (i = h & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1))
		if (s->seen[i].vehicle == NULL ||
		    strcmp(s->seen[i].vehicle, vehicle) == 0)
			return &s->seen[i];
}

static int
vehicle_seen(struct store *s, const char *vehicle, const char *plate,
    const char *device, int64_t ts)
{
	struct seen *v;

	if (s->seen == NULL &&
	    (s->seen = calloc(SEEN_SLOTS, sizeof(*s->seen))) == NULL)
		return -1;
	/* Half full: write them out, so probes stay short. */
	if (s->nseen >= SEEN_SLOTS / 2 && seen_flush(s) == -1)
		return -1;
	v = seen_slot(s, vehicle);
	if (v->vehicle == NULL) {
		if ((v->vehicle = strdup(vehicle)) == NULL)
			return -1;
		v->first = v->last = ts;
		s->nseen++;
	}
	if (ts < v->first)
		v->first = ts;
	if (ts > v->last)
		v->last = ts;
	return keep_latest(&v->plate, plate) == -1 ||
	    keep_latest(&v->device, device) == -1 ? -1 : 0;
}

/* The plate a terminal was bound to at ts (domain.md §8 row 16). */
static int
bound_plate(struct store *s, const char *device, int64_t ts,
    const char **plate)
{
	sqlite3_stmt *st = s->st[S_BIND_AT];
	int found;

	bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, ts);
	if ((found = lookup(s, S_BIND_AT)) == 1) {
		/* Copied: the row's text dies at lookup_end(). */
		const char *v = (const char *)sqlite3_column_text(st, 0);

		snprintf(s->plate_buf, sizeof(s->plate_buf), "%s", v ? v : "");
		*plate = v ? s->plate_buf : NULL;
		lookup_end(s, S_BIND_AT);
	}
	return found == -1 ? -1 : 0;
}

/* DQ_UNKNOWN_FACILITY when id names no facility of the registry. */
static uint32_t
facility_flag(struct store *s, const char *id)
{
	int found;

	if (id == NULL)
		return 0;
	bind_text(s->st[S_FACILITY_KNOWN], 1, id);
	if ((found = lookup(s, S_FACILITY_KNOWN)) == 1)
		lookup_end(s, S_FACILITY_KNOWN);
	return found == 0 ? DQ_UNKNOWN_FACILITY : 0;
}

static int
put_position(struct store *s, const struct ev *e, int64_t mid,
    enum store_result *res)
{
	const struct ev_position *p = &e->u.pos;
	sqlite3_stmt *st = s->st[S_POSITION];
	const char *plate = p->plate;

	if (plate == NULL && p->device != NULL &&
	    bound_plate(s, p->device, p->ts_ms, &plate) == -1)
		return -1;

	bind_text(st, 1, p->vehicle);
	bind_text(st, 2, p->device);
	bind_text(st, 3, plate);
	sqlite3_bind_int64(st, 4, p->ts_ms);
	bind_real(st, 5, p->lat);
	bind_real(st, 6, p->lon);
	bind_real(st, 7, p->speed_kmh);
	bind_real(st, 8, p->heading_deg);
	bind_real(st, 9, p->alt_m);
	bind_text(st, 10, p->load_state);
	sqlite3_bind_int64(st, 11, e->dq);
	sqlite3_bind_int64(st, 12, mid);
	if (run(s, S_POSITION) == -1)
		return -1;
	*res = changed(s) ? STORE_NEW : STORE_DUPLICATE;
	if (*res == STORE_NEW)
		return vehicle_seen(s, p->vehicle, plate, p->device, p->ts_ms);
	return 0;
}

static int
put_vehicle_event(struct store *s, const struct ev *e, int64_t mid,
    enum store_result *res)
{
	const struct ev_vehicle_event *v = &e->u.vev;
	sqlite3_stmt *st = s->st[S_VEVENT];

	bind_text(st, 1, v->type);
	bind_text(st, 2, v->vehicle);
	bind_text(st, 3, v->plate);
	sqlite3_bind_int64(st, 4, v->ts_ms);
	bind_text(st, 5, v->site);
	bind_text(st, 6, v->facility);
	bind_text(st, 7, v->waste);
	bind_real(st, 8, v->mass_kg);
	bind_text(st, 9, v->manifest_no);
	bind_real(st, 10, v->lat);
	bind_real(st, 11, v->lon);
	sqlite3_bind_int64(st, 12, e->dq | facility_flag(s, v->facility));
	sqlite3_bind_int64(st, 13, mid);
	if (run(s, S_VEVENT) == -1)
		return -1;
	*res = changed(s) ? STORE_NEW : STORE_DUPLICATE;
	if (*res == STORE_NEW)
		return vehicle_seen(s, v->vehicle, v->plate, NULL, v->ts_ms);
	return 0;
}

static int
put_facility_status(struct store *s, const struct ev *e, int64_t mid,
    enum store_result *res)
{
	const struct ev_facility_status *f = &e->u.fst;
	sqlite3_stmt *st = s->st[S_FSTATUS];

	bind_text(st, 1, f->facility);
	sqlite3_bind_int64(st, 2, f->ts_ms);
	bind_text(st, 3, f->state);
	bind_real(st, 4, f->inventory_kg);
	bind_real(st, 5, f->throughput_kg);
	bind_text(st, 6, f->extra_json);
	sqlite3_bind_int64(st, 7, e->dq | facility_flag(s, f->facility));
	sqlite3_bind_int64(st, 8, mid);
	if (run(s, S_FSTATUS) == -1)
		return -1;
	*res = changed(s) ? STORE_NEW : STORE_DUPLICATE;
	return 0;
}

/* ---- weighings: one current row per ticket, older versions in history */

static int
wb_status_rank(const char *status)
{
	if (strcmp(status, "open") == 0)
		return 0;
	if (strcmp(status, "complete") == 0)
		return 1;
	return 2;			/* void: final */
}

static void
fp_add(struct sha256 *h, const char *s)
{
	sha256_update(h, s ? s : "\x01", s ? strlen(s) + 1 : 1);
}

static void
fp_num(struct sha256 *h, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.17g", v);
	fp_add(h, isnan(v) ? NULL : buf);
}

/* A digest of everything the sender said about a ticket except its
 * version: equal digests mean a re-send, not a correction. */
static void
wb_fingerprint(const struct ev_weighing *w, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256 h;
	uint8_t d[32];
	int i;

	sha256_init(&h);
	fp_add(&h, w->plate);
	fp_add(&h, w->direction);
	fp_num(&h, w->gross_kg);
	fp_num(&h, w->tare_kg);
	fp_num(&h, w->net_kg);
	fp_num(&h, (double)w->first_ms);
	fp_num(&h, w->second_ms == WT_NOTIME ? NAN : (double)w->second_ms);
	fp_add(&h, w->waste);
	fp_add(&h, w->origin);
	fp_add(&h, w->status);
	fp_add(&h, w->manifest_no);
	sha256_final(&h, d);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

static void
wb_bind(sqlite3_stmt *st, const struct ev *e, const char *day, int64_t ver,
    uint32_t dq, int64_t mid, const char *fp)
{
	const struct ev_weighing *w = &e->u.wb;

	bind_text(st, 1, w->facility);
	bind_text(st, 2, w->ticket);
	bind_text(st, 3, day);
	sqlite3_bind_int64(st, 4, ver);
	bind_text(st, 5, w->plate);
	bind_text(st, 6, w->direction);
	bind_real(st, 7, w->gross_kg);
	bind_real(st, 8, w->tare_kg);
	bind_real(st, 9, w->net_kg);
	sqlite3_bind_int64(st, 10, w->first_ms);
	bind_time(st, 11, w->second_ms);
	bind_text(st, 12, w->waste);
	bind_text(st, 13, w->origin);
	bind_text(st, 14, w->status);
	bind_text(st, 15, w->manifest_no);
	sqlite3_bind_int64(st, 16, dq);
	sqlite3_bind_int64(st, 17, mid);
	bind_text(st, 18, fp);
}

struct wb_current {
	int64_t id, version;
	int rank;
	char fp[65];
};

/* Fetch the current row of the ticket: 1 found, 0 none, -1 error. */
static int
wb_current(struct store *s, const struct ev_weighing *w, const char *day,
    struct wb_current *cur)
{
	sqlite3_stmt *st = s->st[S_WB_GET];
	int found;

	bind_text(st, 1, w->facility);
	bind_text(st, 2, w->ticket);
	bind_text(st, 3, day);
	if ((found = lookup(s, S_WB_GET)) == 1) {
		cur->id = sqlite3_column_int64(st, 0);
		cur->version = sqlite3_column_int64(st, 1);
		cur->rank = wb_status_rank(
		    (const char *)sqlite3_column_text(st, 2));
		snprintf(cur->fp, sizeof(cur->fp), "%s",
		    (const char *)sqlite3_column_text(st, 3));
		lookup_end(s, S_WB_GET);
	}
	return found;
}

/*
 * The version rule: an explicit version orders updates; without one, a
 * completion of an open ticket keeps its version and any other change
 * is the next version. Older versions, and a lower status at the same
 * version, go to history only (late data never moves "current" back).
 */
static int
put_weighing(struct store *s, const struct ev *e, int64_t mid, int off_min,
    enum store_result *res)
{
	const struct ev_weighing *w = &e->u.wb;
	struct wb_current cur = { 0 };
	char day[16], fp[65];
	int64_t ver;
	uint32_t dq = e->dq | facility_flag(s, w->facility);
	int found, rank = wb_status_rank(w->status);

	norm_local_day(w->first_ms, off_min, day);
	wb_fingerprint(w, fp);
	if ((found = wb_current(s, w, day, &cur)) == -1)
		return -1;
	if (!found) {
		wb_bind(s->st[S_WB_INSERT], e, day, w->version > 0 ?
		    w->version : 1, dq, mid, fp);
		*res = STORE_NEW;
		return run(s, S_WB_INSERT);
	}
	if (strcmp(fp, cur.fp) == 0 &&
	    (w->version <= 0 || w->version == cur.version)) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if (w->version > 0)
		ver = w->version;
	else
		ver = cur.rank == 0 && rank > 0 ? cur.version : cur.version + 1;
	if (ver < cur.version || (ver == cur.version && rank < cur.rank)) {
		wb_bind(s->st[S_WB_HISTORY], e, day, ver, dq | DQ_LATE, mid, fp);
		*res = STORE_HISTORY;
		return run(s, S_WB_HISTORY);
	}
	sqlite3_bind_int64(s->st[S_WB_TO_HISTORY], 1, cur.id);
	sqlite3_bind_int64(s->st[S_WB_TO_HISTORY], 2, mid);
	sqlite3_bind_int64(s->st[S_WB_DELETE], 1, cur.id);
	if (run(s, S_WB_TO_HISTORY) == -1 || run(s, S_WB_DELETE) == -1)
		return -1;
	wb_bind(s->st[S_WB_INSERT], e, day, ver, dq, mid, fp);
	*res = STORE_NEW;
	return run(s, S_WB_INSERT);
}

/* ---- manifests: forward-only current state, every update an event ---- */

struct man_current {
	int64_t version;
	int rank;
};

static int
man_current(struct store *s, const struct ev_manifest *m,
    struct man_current *cur)
{
	sqlite3_stmt *st = s->st[S_MAN_GET];
	int found;

	bind_text(st, 1, m->scheme);
	bind_text(st, 2, m->manifest_no);
	if ((found = lookup(s, S_MAN_GET)) == 1) {
		cur->version = sqlite3_column_int64(st, 0);
		cur->rank = norm_manifest_status_rank(
		    (const char *)sqlite3_column_text(st, 1));
		lookup_end(s, S_MAN_GET);
	}
	return found;
}

/* Sum of line masses, NaN when any line has no mass (volume units); a
 * manifest without lines may state its mass directly. */
static double
man_declared_kg(const struct ev_manifest *m)
{
	double sum = 0;
	size_t i;

	if (m->nlines == 0)
		return m->declared_kg;
	for (i = 0; i < m->nlines; i++) {
		if (isnan(m->lines[i].qty_kg))
			return NAN;
		sum += m->lines[i].qty_kg;
	}
	return sum;
}

static int
man_apply(struct store *s, const struct ev *e, int64_t mid, int64_t now_ms)
{
	const struct ev_manifest *m = &e->u.man;
	sqlite3_stmt *st = s->st[S_MAN_UPSERT];
	int rank = norm_manifest_status_rank(m->status);
	size_t i;

	bind_text(st, 1, m->scheme);
	bind_text(st, 2, m->manifest_no);
	sqlite3_bind_int64(st, 3, m->version);
	bind_text(st, 4, m->status);
	bind_text(st, 5, m->plate);
	bind_text(st, 6, m->generator_code);
	bind_text(st, 7, m->generator_name);
	bind_text(st, 8, m->generator_district);
	bind_text(st, 9, m->carrier_name);
	bind_text(st, 10, m->receiver_facility);
	bind_text(st, 11, m->receiver_name);
	/* Milestones keep the first time the manifest reached them; an
	 * explicit time from the sender wins over the update's own. */
	bind_time(st, 12, m->departed_ms != WT_NOTIME ? m->departed_ms :
	    rank >= 2 ? m->ts_ms : WT_NOTIME);
	bind_time(st, 13, rank >= 4 && strcmp(m->status, "received") == 0 ?
	    m->ts_ms : WT_NOTIME);
	bind_time(st, 14, strcmp(m->status, "closed") == 0 ? m->ts_ms :
	    WT_NOTIME);
	bind_real(st, 15, man_declared_kg(m));
	sqlite3_bind_int64(st, 16, now_ms);
	sqlite3_bind_int64(st, 17, e->dq | facility_flag(s,
	    m->receiver_facility));
	sqlite3_bind_int64(st, 18, mid);
	bind_time(st, 19, m->arrived_ms != WT_NOTIME ? m->arrived_ms :
	    strcmp(m->status, "arrived") == 0 ? m->ts_ms : WT_NOTIME);
	bind_real(st, 20, m->received_kg);
	if (run(s, S_MAN_UPSERT) == -1)
		return -1;
	if (m->nlines > 0) {
		bind_text(s->st[S_MAN_LINES_DEL], 1, m->scheme);
		bind_text(s->st[S_MAN_LINES_DEL], 2, m->manifest_no);
		if (run(s, S_MAN_LINES_DEL) == -1)
			return -1;
	}
	for (i = 0; i < m->nlines; i++) {
		const struct ev_manifest_line *l = &m->lines[i];

		st = s->st[S_MAN_LINE];
		bind_text(st, 1, m->scheme);
		bind_text(st, 2, m->manifest_no);
		sqlite3_bind_int64(st, 3, l->line);
		bind_text(st, 4, l->waste_code);
		bind_text(st, 5, l->hw_category);
		bind_text(st, 6, l->waste);
		bind_real(st, 7, l->qty);
		bind_text(st, 8, l->unit);
		bind_real(st, 9, l->qty_kg);
		if (run(s, S_MAN_LINE) == -1)
			return -1;
	}
	for (i = 0; i < m->ntickets; i++) {
		st = s->st[S_MAN_TICKET];
		bind_text(st, 1, m->scheme);
		bind_text(st, 2, m->manifest_no);
		bind_text(st, 3, m->tickets[i].facility);
		bind_text(st, 4, m->tickets[i].ticket);
		if (run(s, S_MAN_TICKET) == -1)
			return -1;
	}
	return 0;
}

/*
 * Every update is kept in manifest_events; the current row only moves
 * forward: a higher version, or the same version with a later status.
 * A newer version that names an earlier status is recorded but not
 * applied (STATUS_REGRESSION_IGNORED); an older one is LATE.
 */
static int
put_manifest(struct store *s, const struct ev *e, int64_t mid,
    int64_t now_ms, enum store_result *res)
{
	const struct ev_manifest *m = &e->u.man;
	sqlite3_stmt *st = s->st[S_MAN_EVENT];
	struct man_current cur = { 0, 0 };
	int64_t event_id;
	uint32_t dq = e->dq;
	int found, rank = norm_manifest_status_rank(m->status), apply;

	bind_text(st, 1, m->scheme);
	bind_text(st, 2, m->manifest_no);
	sqlite3_bind_int64(st, 3, m->version);
	bind_text(st, 4, m->status);
	sqlite3_bind_int64(st, 5, m->ts_ms);
	sqlite3_bind_int64(st, 6, e->dq);
	sqlite3_bind_int64(st, 7, mid);
	if (run(s, S_MAN_EVENT) == -1)
		return -1;
	if (!changed(s)) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	event_id = sqlite3_last_insert_rowid(s->db);
	if ((found = man_current(s, m, &cur)) == -1)
		return -1;
	apply = !found || m->version > cur.version ||
	    (m->version == cur.version && rank > cur.rank);
	if (apply && found && rank < cur.rank) {
		apply = 0;
		dq |= DQ_STATUS_REGRESSION_IGNORED;
	} else if (!apply)
		dq |= DQ_LATE;
	if (apply && man_apply(s, e, mid, now_ms) == -1)
		return -1;
	st = s->st[S_MAN_EVENT_APPLIED];
	sqlite3_bind_int64(st, 1, event_id);
	sqlite3_bind_int(st, 2, apply);
	sqlite3_bind_int64(st, 3, dq);
	*res = apply ? STORE_NEW : STORE_HISTORY;
	return run(s, S_MAN_EVENT_APPLIED);
}

/*
 * A binding without its own time holds from the beginning when it is the
 * device's first, so positions recorded before the registration reached
 * us still resolve; a later re-binding holds from when we learn it.
 */
static int
put_binding(struct store *s, const struct ev *e, int64_t mid, int64_t now_ms,
    enum store_result *res)
{
	const struct ev_device_binding *b = &e->u.bind;
	sqlite3_stmt *st = s->st[S_BIND_LATEST];
	int64_t from = b->ts_ms;
	int found, same = 0;

	bind_text(st, 1, b->device);
	if ((found = lookup(s, S_BIND_LATEST)) == -1)
		return -1;
	if (found) {
		const char *plate = (const char *)sqlite3_column_text(st, 0);

		same = plate != NULL && b->plate != NULL &&
		    strcmp(plate, b->plate) == 0;
		lookup_end(s, S_BIND_LATEST);
	}
	if (same && from == WT_NOTIME) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if (from == WT_NOTIME)
		from = found ? now_ms : 0;
	st = s->st[S_BIND_UPSERT];
	bind_text(st, 1, b->device);
	sqlite3_bind_int64(st, 2, from);
	bind_text(st, 3, b->plate);
	bind_text(st, 4, b->plate_color);
	sqlite3_bind_int64(st, 5, mid);
	*res = STORE_NEW;
	return run(s, S_BIND_UPSERT);
}

int
store_event(struct store *s, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res)
{
	switch (e->kind) {
	case EV_POSITION:
		return put_position(s, e, message_id, res);
	case EV_VEHICLE_EVENT:
		return put_vehicle_event(s, e, message_id, res);
	case EV_WEIGHING:
		return put_weighing(s, e, message_id, local_offset_min, res);
	case EV_FACILITY_STATUS:
		return put_facility_status(s, e, message_id, res);
	case EV_MANIFEST:
		return put_manifest(s, e, message_id, now_ms, res);
	case EV_DEVICE_BINDING:
		return put_binding(s, e, message_id, now_ms, res);
	case EV_NONE:
	case EV_KIND_COUNT:
		break;
	}
	log_warnx("store: event without a kind");
	return -1;
}

/* Settings the views read (they cannot see the configuration). */
static int
sync_meta(struct store *s, const struct config *cfg)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta(key, value)"
	    " VALUES('local_offset_min', %d), ('clearance_tolerance_pct', %.6f),"
	    " ('tolerance_pct', %.6f)", cfg->time.local_offset_min,
	    cfg->reconcile.clearance_tolerance_pct,
	    cfg->reconcile.tolerance_pct);
	return db_exec(s->db, sql);
}

int
store_sync_config(struct store *s, const struct config *cfg)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sync_meta(s, cfg) == -1 ||
	    db_exec(s->db, "DELETE FROM facilities") == -1 ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO facilities(id, name, kind,"
	    " district, harmless) VALUES(?1, ?2, ?3, ?4, ?5)", -1, &st,
	    NULL) != SQLITE_OK)
		goto done;
	for (i = 0; i < cfg->nfacilities; i++) {
		const struct cfg_facility *f = &cfg->facilities[i];

		bind_text(st, 1, f->id);
		bind_text(st, 2, f->name);
		bind_text(st, 3, f->kind);
		bind_text(st, 4, f->district);
		sqlite3_bind_int(st, 5, f->harmless);
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_warnx("store: facility %s: %s", f->id,
			    sqlite3_errmsg(s->db));
			goto done;
		}
		sqlite3_reset(st);
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	if (db_exec(s->db, rc == 0 ? "COMMIT" : "ROLLBACK") == -1)
		rc = -1;
	return rc;
}

int
store_prune_payloads(struct store *s, int64_t cutoff_ms, int64_t *pruned)
{
	sqlite3_bind_int64(s->st[S_PRUNE], 1, cutoff_ms);
	if (run(s, S_PRUNE) == -1)
		return -1;
	*pruned = sqlite3_changes(s->db);
	return 0;
}

/* ---- reconciliation ---- */

/*
 * Rebuild the links between manifests and weighbridge tickets, allocate
 * each ticket's net weight among the manifests on it in proportion to
 * their declared mass, and give every manifest a verdict. One transaction;
 * plain SQL over the current rows, so late and corrected data simply
 * change the next result.
 */
static const char *const recon_sql[] = {
	"DELETE FROM reconciliation_links",
	/* 1. The manifest names the ticket. Ticket numbers are unique per
	 * facility and day only: take the day nearest the manifest's trip.
	 * Outbound tickets are shipments, never receipts. */
	"INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	" facility, ticket, day, method) SELECT t.scheme, t.manifest_no,"
	" w.facility, w.ticket, w.day, 'ticket_ref' FROM manifest_tickets t"
	" JOIN manifests m USING (scheme, manifest_no)"
	" JOIN weighings w ON w.facility = t.facility AND w.ticket = t.ticket"
	" WHERE w.status = 'complete' AND w.direction IS NOT 'out'"
	" AND NOT EXISTS (SELECT 1 FROM weighings w2"
	" WHERE w2.facility = w.facility AND w2.ticket = w.ticket"
	" AND abs(w2.first_ms - coalesce(m.departed_ms, m.arrived_ms,"
	" w.first_ms)) < abs(w.first_ms - coalesce(m.departed_ms,"
	" m.arrived_ms, w.first_ms)))",
	/* 2. The ticket names the manifest. */
	"INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	" facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	" w.facility, w.ticket, w.day, 'ticket_ref' FROM weighings w"
	" JOIN manifests m ON m.manifest_no = w.manifest_no"
	" WHERE w.status = 'complete' AND w.direction IS NOT 'out'",
	/* 3. Otherwise: the first complete inbound ticket of the plate at
	 * the receiving facility within the window after departure that no
	 * other manifest references explicitly. */
	"INSERT OR IGNORE INTO reconciliation_links(scheme, manifest_no,"
	" facility, ticket, day, method) SELECT m.scheme, m.manifest_no,"
	" w.facility, w.ticket, w.day, 'plate_window' FROM manifests m"
	" JOIN weighings w ON w.plate = m.plate"
	" AND w.facility = m.receiver_facility AND w.direction = 'in'"
	" AND w.status = 'complete' AND w.first_ms >= m.departed_ms"
	" AND w.first_ms <= m.departed_ms + ?1"
	" WHERE m.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM"
	" reconciliation_links l WHERE l.scheme = m.scheme"
	" AND l.manifest_no = m.manifest_no)"
	" AND w.first_ms = (SELECT min(w2.first_ms) FROM weighings w2"
	" WHERE w2.plate = m.plate AND w2.facility = m.receiver_facility"
	" AND w2.direction = 'in' AND w2.status = 'complete'"
	" AND w2.first_ms >= m.departed_ms AND w2.first_ms <= m.departed_ms + ?1"
	" AND NOT EXISTS (SELECT 1 FROM reconciliation_links l3"
	" WHERE l3.facility = w2.facility AND l3.ticket = w2.ticket"
	" AND l3.day = w2.day))",
	/* Several manifests on one ticket share its net by declared mass
	 * (equally when any declaration is missing, so the shares always
	 * add up to the ticket). */
	"UPDATE reconciliation_links AS l SET allocated_kg = (SELECT w.net_kg *"
	" CASE WHEN t.n = 1 THEN 1.0 WHEN t.undeclared > 0 OR t.decl <= 0"
	" THEN 1.0 / t.n ELSE m.declared_kg / t.decl END"
	" FROM weighings w, manifests m,"
	" (SELECT count(*) AS n, sum(m2.declared_kg) AS decl,"
	" sum(m2.declared_kg IS NULL) AS undeclared FROM"
	" reconciliation_links l2 JOIN manifests m2 USING (scheme, manifest_no)"
	" WHERE l2.facility = l.facility AND l2.ticket = l.ticket"
	" AND l2.day = l.day) t WHERE w.facility = l.facility"
	" AND w.ticket = l.ticket AND w.day = l.day AND m.scheme = l.scheme"
	" AND m.manifest_no = l.manifest_no)",
	"DELETE FROM reconciliations WHERE (scheme, manifest_no) IN (SELECT"
	" scheme, manifest_no FROM manifests WHERE status = 'cancelled')",
	/* The weighbridge is the truth; a receiver's own figure stands in
	 * only when no ticket is linked. */
	"INSERT INTO reconciliations(scheme, manifest_no, declared_kg,"
	" received_kg, diff_pct, method, verdict, updated_ms)"
	" SELECT scheme, manifest_no, declared_kg, received,"
	" CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"
	" (received - declared_kg) * 100.0 / declared_kg END, method,"
	" CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"
	" CASE WHEN abs(received - declared_kg) * 100.0 / declared_kg > ?3"
	" THEN 'discrepancy' ELSE 'ok' END"
	" WHEN status IN ('created', 'in_transit') AND departed_ms < ?2 - ?4"
	" THEN 'overdue' ELSE 'pending' END, ?2"
	" FROM (SELECT m.scheme AS scheme, m.manifest_no AS manifest_no,"
	" m.status AS status, m.declared_kg AS declared_kg,"
	" m.departed_ms AS departed_ms,"
	" coalesce(lk.kg, m.received_kg) AS received,"
	" CASE WHEN lk.kg IS NOT NULL THEN lk.method"
	" WHEN m.received_kg IS NOT NULL THEN 'receiver_reported' END AS method"
	" FROM manifests m LEFT JOIN (SELECT scheme, manifest_no,"
	" sum(allocated_kg) AS kg, CASE WHEN count(*) > 1 THEN"
	" min(method) || '+' || count(*) ELSE min(method) END AS method"
	" FROM reconciliation_links GROUP BY 1, 2) lk"
	" USING (scheme, manifest_no) WHERE m.status <> 'cancelled') WHERE 1"
	" ON CONFLICT(scheme, manifest_no) DO UPDATE SET"
	" declared_kg = excluded.declared_kg, received_kg = excluded.received_kg,"
	" diff_pct = excluded.diff_pct, method = excluded.method,"
	" verdict = excluded.verdict, updated_ms = excluded.updated_ms",
};

int
store_reconcile(struct store *s, int64_t now_ms, const struct config *cfg)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	for (i = 0; i < sizeof(recon_sql) / sizeof(recon_sql[0]); i++) {
		if (sqlite3_prepare_v2(s->db, recon_sql[i], -1, &st, NULL) !=
		    SQLITE_OK)
			goto fail;
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_int64(st, 1, (int64_t)cfg->reconcile.window_h *
			    3600000);
		if (sqlite3_bind_parameter_count(st) >= 2) {
			sqlite3_bind_int64(st, 2, now_ms);
			sqlite3_bind_double(st, 3, cfg->reconcile.tolerance_pct);
			sqlite3_bind_int64(st, 4,
			    (int64_t)cfg->reconcile.overdue_h * 3600000);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(st);
		st = NULL;
	}
	rc = db_exec(s->db, "COMMIT");
	if (rc == 0)
		return 0;
fail:
	log_warnx("store: reconcile: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	db_exec(s->db, "ROLLBACK");
	return -1;
}

/* ---- reads, on the read-only connection ---- */

static int
ro_query(struct store *s, const char *sql, const char *arg1, int64_t arg2,
    store_row_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(s->ro));
		return -1;
	}
	if (arg1 != NULL)
		sqlite3_bind_text(st, 1, arg1, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, arg2);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    sqlite3_column_double(st, 2));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(s->ro));
		return -1;
	}
	return 0;
}

int
store_day_tonnage(struct store *s, const char *day, store_row_fn fn,
    void *arg)
{
	/* Transfer stations pass waste on: counting them would count twice. */
	return ro_query(s, "SELECT coalesce(district, 'unknown'), waste,"
	    " sum(kg) FROM daily_tonnage WHERE day = ?1 AND"
	    " coalesce(facility_kind, '') <> 'transfer_station'"
	    " GROUP BY 1, 2 ORDER BY 1, 2", day, 0, fn, arg);
}

static void
take_count(void *arg, const char *a, const char *b, double v)
{
	(void)a;
	(void)b;
	*(int64_t *)arg = (int64_t)v;
}

int
store_manifest_counts(struct store *s, struct store_manifest_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (ro_query(s, "SELECT NULL, NULL, count(*) FROM manifests WHERE"
	    " status IN ('created', 'in_transit', 'arrived') AND ?1 = ?1",
	    NULL, 0, take_count, &c->open) == -1 ||
	    ro_query(s, "SELECT NULL, NULL, count(*) FROM reconciliations"
	    " WHERE verdict = 'overdue' AND ?1 = ?1", NULL, 0, take_count,
	    &c->overdue) == -1 ||
	    ro_query(s, "SELECT NULL, NULL, count(*) FROM reconciliations"
	    " WHERE verdict = 'discrepancy' AND ?1 = ?1", NULL, 0, take_count,
	    &c->discrepancies) == -1)
		return -1;
	return 0;
}

static double
col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN :
	    sqlite3_column_double(st, i);
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(out, n, "%s", v ? (const char *)v : "unknown");
}

int
store_day_indicators(struct store *s, const char *day,
    store_indicators_fn fn, void *arg)
{
	struct store_indicators r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro, "SELECT district, collected_kg,"
	    " recycling_rate, harmless_rate, cw_utilisation_rate,"
	    " clearance_rate, manifest_closure_rate, discrepancy_rate,"
	    " authorised_unload_share, manifests, overdue_manifests"
	    " FROM daily_indicators WHERE day = ?1 ORDER BY district", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, r.district, sizeof(r.district));
		r.collected_kg = col_real(st, 1);
		r.recycling_rate = col_real(st, 2);
		r.harmless_rate = col_real(st, 3);
		r.cw_rate = col_real(st, 4);
		r.clearance_rate = col_real(st, 5);
		r.closure_rate = col_real(st, 6);
		r.discrepancy_rate = col_real(st, 7);
		r.authorised_share = col_real(st, 8);
		r.manifests = sqlite3_column_int64(st, 9);
		r.overdue = sqlite3_column_int64(st, 10);
		fn(arg, &r);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_warnx("store: indicators: %s", sqlite3_errmsg(s->ro));
	return -1;
}

int
store_manifest_items(struct store *s, const char *verdict, int limit,
    store_item_fn fn, void *arg)
{
	struct store_manifest_item it;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->ro, "SELECT r.scheme, r.manifest_no,"
	    " r.verdict, r.declared_kg, r.received_kg, r.diff_pct,"
	    " m.departed_ms FROM reconciliations r JOIN manifests m"
	    " USING (scheme, manifest_no) WHERE r.verdict = ?1"
	    " ORDER BY m.departed_ms DESC LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_text(st, 0, it.scheme, sizeof(it.scheme));
		col_text(st, 1, it.manifest_no, sizeof(it.manifest_no));
		col_text(st, 2, it.verdict, sizeof(it.verdict));
		it.declared_kg = col_real(st, 3);
		it.received_kg = col_real(st, 4);
		it.diff_pct = col_real(st, 5);
		it.departed_ms = sqlite3_column_type(st, 6) == SQLITE_NULL ?
		    WT_NOTIME : sqlite3_column_int64(st, 6);
		fn(arg, &it);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_warnx("store: manifest items: %s", sqlite3_errmsg(s->ro));
	return -1;
}

static int64_t
file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? (int64_t)st.st_size : 0;
}

int
store_info(struct store *s, struct store_info *info)
{
	info->wal_bytes = file_size(s->path, "-wal");
	info->size_bytes = file_size(s->path, "") + info->wal_bytes;
	info->schema_version = (int)NMIGRATIONS;	/* migrate() saw to it */
	return 0;
}
