/*
 * store_pg_sync: store_sync_config() for the PostgreSQL backend, with the
 * meaning of store_write.c's and store_streams.c's for SQLite: the
 * settings the views read (meta), the facility registry replaced, the
 * generators kept (their registered_ms) and the others replaced, the
 * vehicles' registry and the facilities' alarm settings; and the notices
 * that a change does not rewrite past rows.
 *
 * Several daemons sync at start, each in one transaction: an advisory
 * lock makes them take turns, so one registry wins whole.
 */
#include "store_pg_write.h"

#include "config.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pg_stmt st_lock = { "y_lock",
	"SELECT pg_advisory_xact_lock(1465143883, 2)" };
static const struct pg_stmt st_meta_get = { "y_meta_get",
	"SELECT wt_meta_num($1)" };
static const struct pg_stmt st_meta_set = { "y_meta_set",
	"INSERT INTO meta(key, value) VALUES($1, $2)"
	" ON CONFLICT(key) DO UPDATE SET value = excluded.value" };
static const struct pg_stmt st_fac_list = { "y_fac_list",
	"SELECT id, district, kind, harmless FROM facilities" };
static const struct pg_stmt st_fac_clear = { "y_fac_clear",
	"DELETE FROM facilities" };
static const struct pg_stmt st_fac_insert = { "y_fac_insert",
	"INSERT INTO facilities(id, name, kind, district, harmless, lat, lon,"
	" accepts) VALUES($1, $2, $3, $4, $5, $6, $7, $8)" };
/* Generators keep registered_ms across syncs: a clinic never picked up
 * is overdue counted from when it first appeared in the registry. */
static const struct pg_stmt st_gen_upsert = { "y_gen_upsert",
	"INSERT INTO generators(id, name, kind, district, lat, lon,"
	" max_pickup_interval_h, registered_ms, permit_from, permit_to)"
	" VALUES($1, $2, $3, $4, $5, $6, $7,"
	" (extract(epoch FROM clock_timestamp()) * 1000)::bigint, $8, $9)"
	" ON CONFLICT(id) DO UPDATE SET"
	" name = excluded.name, kind = excluded.kind,"
	" district = excluded.district, lat = excluded.lat,"
	" lon = excluded.lon, max_pickup_interval_h ="
	" excluded.max_pickup_interval_h, permit_from ="
	" excluded.permit_from, permit_to = excluded.permit_to" };
static const struct pg_stmt st_gen_prune = { "y_gen_prune",
	"DELETE FROM generators WHERE NOT (id = ANY($1::text[]))" };
static const struct pg_stmt st_veh_clear = { "y_veh_clear",
	"DELETE FROM vehicle_registry" };
static const struct pg_stmt st_veh_insert = { "y_veh_insert",
	"INSERT INTO vehicle_registry(plate, fleet, kind, district,"
	" waste, permit_from, permit_to) VALUES($1, $2, $3, $4, $5, $6, $7)" };
static const struct pg_stmt st_alarm_clear = { "y_alarm_clear",
	"DELETE FROM facility_alarms" };
static const struct pg_stmt st_fac_alarm = { "y_fac_alarm",
	"UPDATE facilities SET alarm_after_s = $1, silent_after_s = $2,"
	" clear_threshold_kg = $3 WHERE id = $4" };
static const struct pg_stmt st_alarm_insert = { "y_alarm_insert",
	"INSERT INTO facility_alarms(facility, value, min, max, severity)"
	" VALUES($1, $2, $3, $4, $5)" };

/* ---- notices of changes that do not rewrite the past ---- */

static void
fmt_offset(int min, char out[8])
{
	int a = min < 0 ? -min : min;

	snprintf(out, 8, "%c%02d:%02d", min < 0 ? '-' : '+', (a / 60) % 100,
	    a % 60);
}

/* The setting the last start recorded: 1 with *v, 0 none, -1 error. */
static int
meta_double(struct store_pgsql *s, const char *key, double *v)
{
	struct pgp p;
	PGresult *r;

	pgp_init(&p);
	pgp_text(&p, key);
	if ((r = pgq_query(s, &st_meta_get, &p)) == NULL)
		return -1;
	*v = pgr_real(r, 0, 0);
	PQclear(r);
	return !isnan(*v);
}

static int
log_settings_changes(struct store_pgsql *s, const struct config *cfg)
{
	char was[8], now[8];
	double v;
	int rc;

	if ((rc = meta_double(s, "local_offset_min", &v)) == -1)
		return -1;
	if (rc == 1 && (int)v != cfg->time.local_offset_min) {
		fmt_offset((int)v, was);
		fmt_offset(cfg->time.local_offset_min, now);
		log_notice("store: time.local_offset changed from %s to %s: "
			   "rows stored before keep their day",
		    was, now);
	}
	if ((rc = meta_double(s, "clearance_tolerance_pct", &v)) == -1)
		return -1;
	if (rc == 1 && fabs(v - cfg->reconcile.clearance_tolerance_pct) > 1e-9)
		log_notice("store: reconcile.clearance_tolerance_pct changed "
			   "from %g to %g: past days' station clearance is "
			   "judged again with it",
		    v, cfg->reconcile.clearance_tolerance_pct);
	return 0;
}

static int
streq_null(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static const char *
or_none(const char *s)
{
	return s != NULL ? s : "(none)";
}

/* One facility of the stored registry (row i) against the new one. */
static void
log_facility_change(const PGresult *r, int i, const struct config *cfg)
{
	const char *id = pgr_text(r, i, 0);
	const char *district = pgr_text(r, i, 1);
	const char *kind = pgr_text(r, i, 2);
	const struct cfg_facility *f;

	if (id == NULL)
		return;
	if ((f = config_facility(cfg, id)) == NULL) {
		log_notice("store: facility %s left the registry: its past "
			   "rows stay in district %s; new ones are flagged "
			   "UNKNOWN_FACILITY",
		    id, or_none(district));
		return;
	}
	if (!streq_null(district, f->district))
		log_notice("store: facility %s moved from district %s to %s: "
			   "its past tonnage stays in %s",
		    id, or_none(district), or_none(f->district),
		    or_none(district));
	if (!streq_null(kind, f->kind))
		log_notice("store: facility %s changed kind from %s to %s: its "
			   "past tonnage keeps kind %s",
		    id, or_none(kind), or_none(f->kind), or_none(kind));
	if (pgr_i64(r, i, 3, 0) != f->harmless)
		log_notice("store: facility %s changed harmless to %s: its "
			   "past tonnage keeps the old value",
		    id, f->harmless ? "true" : "false");
}

static int
log_config_changes(struct store_pgsql *s, const struct config *cfg)
{
	PGresult *r;
	int i;

	if (log_settings_changes(s, cfg) == -1 ||
	    (r = pgq_query(s, &st_fac_list, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		log_facility_change(r, i, cfg);
	PQclear(r);
	return 0;
}

/* ---- the settings and the registries ---- */

static int
meta_set(struct store_pgsql *s, const char *key, const char *value)
{
	struct pgp p;

	pgp_init(&p);
	pgp_text(&p, key);
	pgp_text(&p, value);
	return pgq_send(s, &st_meta_set, &p, NULL, 0);
}

/* Settings the views read (they cannot see the configuration), written
 * as SQLite's are (the tolerances to six decimals). */
static int
sync_meta(struct store_pgsql *s, const struct config *cfg)
{
	char v[64];

	snprintf(v, sizeof(v), "%d", cfg->time.local_offset_min);
	if (meta_set(s, "local_offset_min", v) == -1)
		return -1;
	snprintf(v, sizeof(v), "%.6f", cfg->reconcile.clearance_tolerance_pct);
	if (meta_set(s, "clearance_tolerance_pct", v) == -1)
		return -1;
	snprintf(v, sizeof(v), "%.6f", cfg->reconcile.tolerance_pct);
	return meta_set(s, "tolerance_pct", v);
}

/* A list joined by sep into a new string (NULL: out of memory), each
 * item through quote when not NULL. */
static char *
join(char *const *items, size_t n, const char *open, const char *close,
    int quote)
{
	size_t i, len = strlen(open) + strlen(close) + 1;
	const char *c;
	char *out, *o;

	for (i = 0; i < n; i++)
		len += 2 * strlen(items[i]) + 3;
	if ((out = malloc(len)) == NULL)
		return NULL;
	o = out + strlen(strcpy(out, open));
	for (i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ',';
		if (quote)
			*o++ = '"';
		for (c = items[i]; *c != '\0'; c++) {
			if (quote && (*c == '"' || *c == '\\'))
				*o++ = '\\';
			*o++ = *c;
		}
		if (quote)
			*o++ = '"';
	}
	strcpy(o, close);
	return out;
}

static int
sync_facility(struct store_pgsql *s, const struct cfg_facility *f)
{
	char *accepts = NULL;
	struct pgp p;
	int rc;

	/* A facility's accepted categories as one text: "cw.*,msw.food";
	 * NULL when it has no list (it accepts any waste). */
	if (f->accepts != NULL &&
	    (accepts = join(f->accepts, f->naccepts, "", "", 0)) == NULL)
		return -1;
	pgp_init(&p);
	pgp_text(&p, f->id);
	pgp_text(&p, f->name);
	pgp_text(&p, f->kind);
	pgp_text(&p, f->district);
	pgp_i64(&p, f->harmless);
	pgp_real(&p, f->lat);
	pgp_real(&p, f->lon);
	pgp_text(&p, accepts);
	rc = pgq_send(s, &st_fac_insert, &p, NULL, 0);
	free(accepts);
	return rc;
}

static int
sync_generators(struct store_pgsql *s, const struct config *cfg)
{
	char **ids = NULL, *arr;
	struct pgp p;
	size_t i;
	int rc = -1;

	for (i = 0; i < cfg->ngenerators; i++) {
		const struct cfg_generator *g = &cfg->generators[i];

		pgp_init(&p);
		pgp_text(&p, g->id);
		pgp_text(&p, g->name);
		pgp_text(&p, g->kind);
		pgp_text(&p, g->district);
		pgp_real(&p, g->lat);
		pgp_real(&p, g->lon);
		if (g->max_pickup_interval_h > 0)
			pgp_i64(&p, g->max_pickup_interval_h);
		else
			pgp_null(&p);
		pgp_text(&p, g->permit_from);
		pgp_text(&p, g->permit_to);
		if (pgq_send(s, &st_gen_upsert, &p, NULL, 0) == -1)
			return -1;
	}
	if (cfg->ngenerators > 0 &&
	    (ids = calloc(cfg->ngenerators, sizeof(*ids))) == NULL)
		return -1;
	for (i = 0; i < cfg->ngenerators; i++)
		ids[i] = cfg->generators[i].id;
	if ((arr = join(ids, cfg->ngenerators, "{", "}", 1)) != NULL) {
		pgp_init(&p);
		pgp_text(&p, arr);
		rc = pgq_send(s, &st_gen_prune, &p, NULL, 0);
		free(arr);
	}
	free(ids);
	return rc;
}

static int
sync_vehicles(struct store_pgsql *s, const struct config *cfg)
{
	struct pgp p;
	char *waste;
	size_t i;
	int rc;

	if (pgq_send(s, &st_veh_clear, NULL, NULL, 0) == -1)
		return -1;
	for (i = 0; i < cfg->nvehicles; i++) {
		const struct cfg_vehicle *v = &cfg->vehicles[i];

		/* The permitted categories as a JSON array, for outside
		 * readers, as SQLite's json() writes it. */
		waste = NULL;
		if (v->waste != NULL &&
		    (waste = join(v->waste, v->nwaste, "[", "]", 1)) == NULL)
			return -1;
		pgp_init(&p);
		pgp_text(&p, v->plate);
		pgp_text(&p, v->fleet);
		pgp_text(&p, v->kind);
		pgp_text(&p, v->district);
		pgp_text(&p, waste);
		pgp_text(&p, v->permit_from);
		pgp_text(&p, v->permit_to);
		rc = pgq_send(s, &st_veh_insert, &p, NULL, 0);
		free(waste);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
sync_alarms(struct store_pgsql *s, const struct cfg_facility *f)
{
	struct pgp p;
	size_t j;

	pgp_init(&p);
	pgp_i64(&p, f->alarm_after_s);
	pgp_i64(&p, f->silent_after_s);
	if (f->kind != NULL && strcmp(f->kind, "transfer_station") == 0)
		pgp_real(&p, f->clear_threshold_kg);
	else
		pgp_null(&p);
	pgp_text(&p, f->id);
	if (pgq_send(s, &st_fac_alarm, &p, NULL, 0) == -1)
		return -1;
	for (j = 0; j < f->nalarms; j++) {
		const struct cfg_alarm *a = &f->alarms[j];

		pgp_init(&p);
		pgp_text(&p, f->id);
		pgp_text(&p, a->value);
		pgp_real(&p, a->min);
		pgp_real(&p, a->max);
		pgp_text(&p, a->critical ? "critical" : "warning");
		if (pgq_send(s, &st_alarm_insert, &p, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

static int
sync_all(struct store_pgsql *s, const struct config *cfg)
{
	size_t i;

	if (pgq_run(s, &st_lock, NULL) == -1 ||
	    log_config_changes(s, cfg) == -1 || sync_meta(s, cfg) == -1 ||
	    pgq_send(s, &st_fac_clear, NULL, NULL, 0) == -1)
		return -1;
	for (i = 0; i < cfg->nfacilities; i++)
		if (sync_facility(s, &cfg->facilities[i]) == -1)
			return -1;
	if (sync_generators(s, cfg) == -1 || sync_vehicles(s, cfg) == -1 ||
	    pgq_send(s, &st_alarm_clear, NULL, NULL, 0) == -1)
		return -1;
	for (i = 0; i < cfg->nfacilities; i++)
		if (sync_alarms(s, &cfg->facilities[i]) == -1)
			return -1;
	return 0;
}

int
store_pg_sync_config(struct store *pub, const struct config *cfg)
{
	struct store_pgsql *s = store_pgsql_of(pub);

	if (store_pg_begin(pub) == -1)
		return -1;
	if (sync_all(s, cfg) == -1 || store_pg_commit(pub) == -1) {
		log_warnx("store: postgresql: the registry was not written");
		store_pg_rollback(pub);
		return -1;
	}
	store_pgw_facility_forget(s);
	return 0;
}
