/*
 * store_streams: the registries of the streams written to the database
 * (generators, vehicles, the facilities' alarm settings), and running the
 * alert rules of store_streams_sql.c. The SQL is there; here only binds.
 */
#include "store_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

static int
prepare(struct store_sqlite *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int
step_done(struct store_sqlite *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* Generators keep registered_ms across syncs: a clinic never picked up
 * is overdue counted from when it first appeared in the registry. */
static int
sync_generators(struct store_sqlite *s, const struct config *cfg)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (store_db_exec(s->db,
		"CREATE TEMP TABLE IF NOT EXISTS sync_ids(id TEXT PRIMARY KEY);"
		"DELETE FROM temp.sync_ids") == -1 ||
	    prepare(s,
		"INSERT INTO generators(id, name, kind, district, lat, lon,"
		" max_pickup_interval_h, registered_ms, permit_from,"
		" permit_to) VALUES(?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, CAST(1000 * (julianday('now') - 2440587.5) *"
		" 86400 AS INTEGER), ?8, ?9) ON CONFLICT(id) DO UPDATE SET"
		" name = excluded.name, kind = excluded.kind,"
		" district = excluded.district, lat = excluded.lat,"
		" lon = excluded.lon, max_pickup_interval_h ="
		" excluded.max_pickup_interval_h, permit_from ="
		" excluded.permit_from, permit_to = excluded.permit_to",
		&st) == -1)
		goto done;
	for (i = 0; i < cfg->ngenerators; i++) {
		const struct cfg_generator *g = &cfg->generators[i];

		store_bind_text(st, 1, g->id);
		store_bind_text(st, 2, g->name);
		store_bind_text(st, 3, g->kind);
		store_bind_text(st, 4, g->district);
		store_bind_real(st, 5, g->lat);
		store_bind_real(st, 6, g->lon);
		if (g->max_pickup_interval_h > 0)
			sqlite3_bind_int(st, 7, g->max_pickup_interval_h);
		else
			sqlite3_bind_null(st, 7);
		store_bind_text(st, 8, g->permit_from);
		store_bind_text(st, 9, g->permit_to);
		if (step_done(s, st, g->id) == -1)
			goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (prepare(s, "INSERT INTO temp.sync_ids VALUES(?1)", &st) == -1)
		goto done;
	for (i = 0; i < cfg->ngenerators; i++) {
		store_bind_text(st, 1, cfg->generators[i].id);
		if (step_done(s, st, cfg->generators[i].id) == -1)
			goto done;
	}
	rc = store_db_exec(s->db,
	    "DELETE FROM generators WHERE id NOT IN (SELECT id FROM"
	    " temp.sync_ids)");
done:
	sqlite3_finalize(st);
	return rc;
}

/* The permitted categories as a JSON array, for outside readers. */
static void
waste_json(const struct cfg_vehicle *v, char *out, size_t n)
{
	size_t i, len;

	len = (size_t)snprintf(out, n, "[");
	for (i = 0; i < v->nwaste && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s\"%s\"",
		    i ? "," : "", v->waste[i]);
	if (len < n)
		snprintf(out + len, n - len, "]");
}

static int
sync_vehicles(struct store_sqlite *s, const struct config *cfg)
{
	sqlite3_stmt *st = NULL;
	char waste[1024];
	size_t i;
	int rc = -1;

	if (store_db_exec(s->db, "DELETE FROM vehicle_registry") == -1 ||
	    prepare(s,
		"INSERT INTO vehicle_registry(plate, fleet, kind, district,"
		" waste, permit_from, permit_to) VALUES(?1, ?2, ?3, ?4,"
		" json(?5), ?6, ?7)",
		&st) == -1)
		goto done;
	for (i = 0; i < cfg->nvehicles; i++) {
		const struct cfg_vehicle *v = &cfg->vehicles[i];

		waste_json(v, waste, sizeof(waste));
		store_bind_text(st, 1, v->plate);
		store_bind_text(st, 2, v->fleet);
		store_bind_text(st, 3, v->kind);
		store_bind_text(st, 4, v->district);
		if (v->waste != NULL)
			store_bind_text(st, 5, waste);
		else
			sqlite3_bind_null(st, 5);
		store_bind_text(st, 6, v->permit_from);
		store_bind_text(st, 7, v->permit_to);
		if (step_done(s, st, v->plate) == -1)
			goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}

static int
sync_alarms(struct store_sqlite *s, const struct cfg_facility *f,
    sqlite3_stmt *upd, sqlite3_stmt *ins)
{
	size_t j;

	sqlite3_bind_int(upd, 1, f->alarm_after_s);
	sqlite3_bind_int(upd, 2, f->silent_after_s);
	if (strcmp(f->kind, "transfer_station") == 0)
		sqlite3_bind_double(upd, 3, f->clear_threshold_kg);
	else
		sqlite3_bind_null(upd, 3);
	store_bind_text(upd, 4, f->id);
	if (step_done(s, upd, f->id) == -1)
		return -1;
	for (j = 0; j < f->nalarms; j++) {
		const struct cfg_alarm *a = &f->alarms[j];

		store_bind_text(ins, 1, f->id);
		store_bind_text(ins, 2, a->value);
		store_bind_real(ins, 3, a->min);
		store_bind_real(ins, 4, a->max);
		store_bind_text(ins, 5, a->critical ? "critical" : "warning");
		if (step_done(s, ins, a->value) == -1)
			return -1;
	}
	return 0;
}

int
store_streams_sync(struct store_sqlite *s, const struct config *cfg)
{
	sqlite3_stmt *upd = NULL, *ins = NULL;
	size_t i;
	int rc = -1;

	if (sync_generators(s, cfg) == -1 || sync_vehicles(s, cfg) == -1 ||
	    store_db_exec(s->db, "DELETE FROM facility_alarms") == -1 ||
	    prepare(s,
		"UPDATE facilities SET alarm_after_s = ?1,"
		" silent_after_s = ?2, clear_threshold_kg = ?3 WHERE id = ?4",
		&upd) == -1 ||
	    prepare(s,
		"INSERT INTO facility_alarms(facility, value, min, max,"
		" severity) VALUES(?1, ?2, ?3, ?4, ?5)",
		&ins) == -1)
		goto done;
	for (i = 0; i < cfg->nfacilities; i++)
		if (sync_alarms(s, &cfg->facilities[i], upd, ins) == -1)
			goto done;
	rc = 0;
done:
	sqlite3_finalize(upd);
	sqlite3_finalize(ins);
	return rc;
}

int
store_alert_rule_eval(struct store_sqlite *s,
    const struct store_alert_rule *rule, int64_t now_ms, store_condition_fn fn,
    void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (prepare(s, rule->sql, &st) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue; /* a rule's subject is NOT NULL */
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
	}
	/* The message before finalize, which resets it. */
	if (rc != SQLITE_DONE)
		log_warnx("store: alert rule %s: %s", rule->kind,
		    sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
