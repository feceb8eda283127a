/*
 * store_write: the write path of the SQLite store — messages, rejects,
 * positions, vehicle and facility events, terminal bindings, the
 * facility registry and payload pruning. Weighings and manifests, which
 * keep versions, are store_version.c's; the vehicles-seen cache is
 * store_seen.c's.
 */
#include "store_int.h"

#include "config.h"
#include "log.h"
#include "norm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_sqlite_message_find(struct store *pub, const struct store_msg *m,
    int64_t *message_id, enum store_result *res)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_MSG_FIND];
	int found;

	store_bind_text(st, 1, m->topic);
	store_bind_text(st, 2, m->sha256);
	if ((found = store_lookup(s, S_MSG_FIND)) == -1)
		return -1;
	if (found)
		store_lookup_end(s, S_MSG_FIND);
	*res = found ? STORE_DUPLICATE : STORE_NEW;
	*message_id = found ? 0 : s->next_mid;
	return 0;
}

int
store_sqlite_message_add(struct store *pub, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_MSG_INSERT];

	sqlite3_bind_int64(st, 1, message_id);
	store_bind_text(st, 2, m->topic);
	store_bind_text(st, 3, m->profile);
	sqlite3_bind_int64(st, 4, m->received_ms);
	store_bind_text(st, 5, m->sha256);
	store_bind_text(st, 6, outcome);
	store_bind_text(st, 7, kind);
	if (m->keep_payload)
		sqlite3_bind_blob(st, 8, m->payload, (int)m->payload_len,
		    SQLITE_STATIC);
	if (m->replay_of > 0)
		sqlite3_bind_int64(st, 9, m->replay_of);
	if (store_run(s, S_MSG_INSERT) == -1)
		return -1;
	s->next_mid = message_id + 1;
	return 0;
}

int
store_sqlite_reject(struct store *pub, const struct store_msg *m,
    const char *reason, const char *detail)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_REJECT];

	store_bind_text(st, 1, m->topic);
	store_bind_text(st, 2, m->profile);
	sqlite3_bind_int64(st, 3, m->received_ms);
	sqlite3_bind_blob(st, 4, m->payload, (int)m->payload_len,
	    SQLITE_STATIC);
	store_bind_text(st, 5, reason);
	store_bind_text(st, 6, detail);
	return store_run(s, S_REJECT);
}

/* The plate a terminal was bound to at ts: positions from a terminal that
 * sends no plate of its own belong to the vehicle it was registered to
 * then, not to the one it is registered to now. */
static int
bound_plate(struct store_sqlite *s, const char *device, int64_t ts,
    const char **plate)
{
	sqlite3_stmt *st = s->st[S_BIND_AT];
	int found;

	store_bind_text(st, 1, device);
	sqlite3_bind_int64(st, 2, ts);
	if ((found = store_lookup(s, S_BIND_AT)) == 1) {
		/* Copied: the row's text dies at lookup_end(). */
		const char *v = (const char *)sqlite3_column_text(st, 0);

		snprintf(s->plate_buf, sizeof(s->plate_buf), "%s", v ? v : "");
		*plate = v ? s->plate_buf : NULL;
		store_lookup_end(s, S_BIND_AT);
	}
	return found == -1 ? -1 : 0;
}

static int
put_position(struct store_sqlite *s, const struct ev *e, int64_t mid,
    enum store_result *res)
{
	const struct ev_position *p = &e->u.pos;
	sqlite3_stmt *st = s->st[S_POSITION];
	const char *plate = p->plate;

	if (plate == NULL && p->device != NULL &&
	    bound_plate(s, p->device, p->ts_ms, &plate) == -1)
		return -1;

	store_bind_text(st, 1, p->vehicle);
	store_bind_text(st, 2, p->device);
	store_bind_text(st, 3, plate);
	sqlite3_bind_int64(st, 4, p->ts_ms);
	store_bind_real(st, 5, p->lat);
	store_bind_real(st, 6, p->lon);
	store_bind_real(st, 7, p->speed_kmh);
	store_bind_real(st, 8, p->heading_deg);
	store_bind_real(st, 9, p->alt_m);
	store_bind_text(st, 10, p->load_state);
	sqlite3_bind_int64(st, 11, e->dq);
	sqlite3_bind_int64(st, 12, mid);
	if (store_run(s, S_POSITION) == -1)
		return -1;
	*res = store_changed(s) ? STORE_NEW : STORE_DUPLICATE;
	if (*res == STORE_NEW)
		return store_vehicle_seen(s, p->vehicle, plate, p->device,
		    p->ts_ms);
	return 0;
}

/* The local day is stamped at write time, like a ticket's: a later
 * change of time.local_offset does not move past unloads. */
static int
put_vehicle_event(struct store_sqlite *s, const struct ev *e, int64_t mid,
    int off_min, enum store_result *res)
{
	const struct ev_vehicle_event *v = &e->u.vev;
	sqlite3_stmt *st = s->st[S_VEVENT];
	char day[16];

	norm_local_day(v->ts_ms, off_min, day);

	store_bind_text(st, 1, v->type);
	store_bind_text(st, 2, v->vehicle);
	store_bind_text(st, 3, v->plate);
	sqlite3_bind_int64(st, 4, v->ts_ms);
	store_bind_text(st, 5, v->site);
	store_bind_text(st, 6, v->facility);
	store_bind_text(st, 7, v->waste);
	store_bind_real(st, 8, v->mass_kg);
	store_bind_text(st, 9, v->manifest_no);
	store_bind_real(st, 10, v->lat);
	store_bind_real(st, 11, v->lon);
	sqlite3_bind_int64(st, 12, e->dq | store_facility_flag(s, v->facility));
	sqlite3_bind_int64(st, 13, mid);
	store_bind_text(st, 14, day);
	if (v->count >= 0)
		sqlite3_bind_int64(st, 15, v->count);
	else
		sqlite3_bind_null(st, 15);
	store_bind_text(st, 16, v->count_unit);
	if (store_run(s, S_VEVENT) == -1)
		return -1;
	*res = store_changed(s) ? STORE_NEW : STORE_DUPLICATE;
	if (*res == STORE_NEW)
		return store_vehicle_seen(s, v->vehicle, v->plate, NULL,
		    v->ts_ms);
	return 0;
}

static int
put_facility_status(struct store_sqlite *s, const struct ev *e, int64_t mid,
    enum store_result *res)
{
	const struct ev_facility_status *f = &e->u.fst;
	sqlite3_stmt *st = s->st[S_FSTATUS];

	store_bind_text(st, 1, f->facility);
	sqlite3_bind_int64(st, 2, f->ts_ms);
	store_bind_text(st, 3, f->state);
	store_bind_real(st, 4, f->inventory_kg);
	store_bind_real(st, 5, f->throughput_kg);
	store_bind_text(st, 6, f->extra_json);
	sqlite3_bind_int64(st, 7, e->dq | store_facility_flag(s, f->facility));
	sqlite3_bind_int64(st, 8, mid);
	if (store_run(s, S_FSTATUS) == -1)
		return -1;
	*res = store_changed(s) ? STORE_NEW : STORE_DUPLICATE;
	return 0;
}

/*
 * A binding without its own time holds from the beginning when it is the
 * device's first, so positions recorded before the registration reached
 * us still resolve; a later re-binding holds from when we learn it.
 */
static int
put_binding(struct store_sqlite *s, const struct ev *e, int64_t mid,
    int64_t now_ms, enum store_result *res)
{
	const struct ev_device_binding *b = &e->u.bind;
	sqlite3_stmt *st = s->st[S_BIND_LATEST];
	int64_t from = b->ts_ms;
	int found, same = 0;

	store_bind_text(st, 1, b->device);
	if ((found = store_lookup(s, S_BIND_LATEST)) == -1)
		return -1;
	if (found) {
		const char *plate = (const char *)sqlite3_column_text(st, 0);

		same = plate != NULL && b->plate != NULL &&
		    strcmp(plate, b->plate) == 0;
		store_lookup_end(s, S_BIND_LATEST);
	}
	if (same && from == WT_NOTIME) {
		*res = STORE_DUPLICATE;
		return 0;
	}
	if (from == WT_NOTIME)
		from = found ? now_ms : 0;
	st = s->st[S_BIND_UPSERT];
	store_bind_text(st, 1, b->device);
	sqlite3_bind_int64(st, 2, from);
	store_bind_text(st, 3, b->plate);
	store_bind_text(st, 4, b->plate_color);
	sqlite3_bind_int64(st, 5, mid);
	*res = STORE_NEW;
	return store_run(s, S_BIND_UPSERT);
}

int
store_sqlite_event(struct store *pub, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	switch (e->kind) {
	case EV_POSITION:
		return put_position(s, e, message_id, res);
	case EV_VEHICLE_EVENT:
		return put_vehicle_event(s, e, message_id, local_offset_min,
		    res);
	case EV_WEIGHING:
		return store_put_weighing(s, e, message_id, local_offset_min,
		    res);
	case EV_FACILITY_STATUS:
		return put_facility_status(s, e, message_id, res);
	case EV_MANIFEST:
		return store_put_manifest(s, e, message_id, local_offset_min,
		    now_ms, res);
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
sync_meta(struct store_sqlite *s, const struct config *cfg)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	    "INSERT OR REPLACE INTO meta(key, value)"
	    " VALUES('local_offset_min', %d),"
	    " ('clearance_tolerance_pct', %.6f),"
	    " ('tolerance_pct', %.6f)",
	    cfg->time.local_offset_min, cfg->reconcile.clearance_tolerance_pct,
	    cfg->reconcile.tolerance_pct);
	return store_db_exec(s->db, sql);
}

/* ---- configuration changes that would reinterpret stored rows ---- */

static void
fmt_offset(int min, char out[8])
{
	int a = min < 0 ? -min : min;

	snprintf(out, 8, "%c%02d:%02d", min < 0 ? '-' : '+', (a / 60) % 100,
	    a % 60);
}

/* The setting the last start (or reload) recorded; 0 when none. */
static int
meta_double(struct store_sqlite *s, const char *key, double *v)
{
	sqlite3_stmt *st = s->st[S_META_GET];
	int found;

	store_bind_text(st, 1, key);
	if ((found = store_lookup(s, S_META_GET)) == 1) {
		found = sqlite3_column_type(st, 0) != SQLITE_NULL;
		*v = sqlite3_column_double(st, 0);
		store_lookup_end(s, S_META_GET);
	}
	return found == 1;
}

static void
log_settings_changes(struct store_sqlite *s, const struct config *cfg)
{
	char was[8], now[8];
	double v;

	if (meta_double(s, "local_offset_min", &v) &&
	    (int)v != cfg->time.local_offset_min) {
		fmt_offset((int)v, was);
		fmt_offset(cfg->time.local_offset_min, now);
		log_notice("store: time.local_offset changed from %s to %s: "
			   "rows stored before keep their day",
		    was, now);
	}
	if (meta_double(s, "clearance_tolerance_pct", &v) &&
	    fabs(v - cfg->reconcile.clearance_tolerance_pct) > 1e-9)
		log_notice("store: reconcile.clearance_tolerance_pct changed "
			   "from %g to %g: past days' station clearance is "
			   "judged again with it",
		    v, cfg->reconcile.clearance_tolerance_pct);
}

static const struct cfg_facility *
cfg_facility_find(const struct config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->nfacilities; i++)
		if (strcmp(cfg->facilities[i].id, id) == 0)
			return &cfg->facilities[i];
	return NULL;
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

/* One facility of the stored registry against the new one. */
static void
log_facility_change(sqlite3_stmt *st, const struct config *cfg)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *district = (const char *)sqlite3_column_text(st, 1);
	const char *kind = (const char *)sqlite3_column_text(st, 2);
	const struct cfg_facility *f;

	if (id == NULL)
		return;
	if ((f = cfg_facility_find(cfg, id)) == NULL) {
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
	if (sqlite3_column_int(st, 3) != f->harmless)
		log_notice("store: facility %s changed harmless to %s: its "
			   "past tonnage keeps the old value",
		    id, f->harmless ? "true" : "false");
}

/*
 * Rows keep the offset and registry they were written with (the views
 * read the stored values), so a change does not rewrite the past; but an
 * operator changing them should read that it does not, at start and on
 * SIGHUP.
 */
static int
log_config_changes(struct store_sqlite *s, const struct config *cfg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	log_settings_changes(s, cfg);
	if (sqlite3_prepare_v2(s->db,
		"SELECT id, district, kind, harmless FROM facilities", -1, &st,
		NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		log_facility_change(st, cfg);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A facility's accepted categories as one text: "cw.*,msw.food"; NULL
 * when it has no list (it accepts any waste, docs/geofence.md). */
static int
bind_accepts(sqlite3_stmt *st, int i, const struct cfg_facility *f)
{
	char *buf;
	size_t k, len = 1, n;
	int rc;

	if (f->accepts == NULL) {
		sqlite3_bind_null(st, i);
		return 0;
	}
	/* As long as the list is: the configuration bounds it, not us. */
	for (k = 0; k < f->naccepts; k++)
		len += strlen(f->accepts[k]) + 1;
	if ((buf = malloc(len)) == NULL)
		return -1;
	for (k = 0, len = 0; k < f->naccepts; k++) {
		if (k > 0)
			buf[len++] = ',';
		n = strlen(f->accepts[k]);
		memcpy(buf + len, f->accepts[k], n);
		len += n;
	}
	buf[len] = '\0';
	rc = sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
	free(buf);
	return rc == SQLITE_OK ? 0 : -1;
}

int
store_sqlite_sync_config(struct store *pub, const struct config *cfg)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (store_db_exec(s->db, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (log_config_changes(s, cfg) == -1 || sync_meta(s, cfg) == -1 ||
	    store_db_exec(s->db, "DELETE FROM facilities") == -1 ||
	    sqlite3_prepare_v2(s->db,
		"INSERT INTO facilities(id, name, kind,"
		" district, harmless, lat, lon, accepts)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		-1, &st, NULL) != SQLITE_OK)
		goto done;
	for (i = 0; i < cfg->nfacilities; i++) {
		const struct cfg_facility *f = &cfg->facilities[i];

		store_bind_text(st, 1, f->id);
		store_bind_text(st, 2, f->name);
		store_bind_text(st, 3, f->kind);
		store_bind_text(st, 4, f->district);
		sqlite3_bind_int(st, 5, f->harmless);
		store_bind_real(st, 6, f->lat);
		store_bind_real(st, 7, f->lon);
		if (bind_accepts(st, 8, f) == -1)
			goto done;
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_warnx("store: facility %s: %s", f->id,
			    sqlite3_errmsg(s->db));
			goto done;
		}
		sqlite3_reset(st);
	}
	rc = store_streams_sync(s, cfg);
done:
	sqlite3_finalize(st);
	if (store_db_exec(s->db, rc == 0 ? "COMMIT" : "ROLLBACK") == -1)
		rc = -1;
	return rc;
}

int
store_sqlite_prune_payloads(struct store *pub, int64_t cutoff_ms,
    int64_t *pruned)
{
	struct store_sqlite *s = store_sqlite_of(pub);

	sqlite3_bind_int64(s->st[S_PRUNE], 1, cutoff_ms);
	if (store_run(s, S_PRUNE) == -1)
		return -1;
	*pruned = sqlite3_changes(s->db);
	return 0;
}

int
store_sqlite_hold_payloads(struct store *pub, int64_t hold_ms, int clock_behind)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	static const char *const keys[] = { "payload_hold_mid",
		"payload_hold_ms", "clock_behind" };
	int64_t values[] = { s->next_mid, hold_ms, clock_behind != 0 };
	sqlite3_stmt *st = s->st[S_META_SET];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		store_bind_text(st, 1, keys[i]);
		sqlite3_bind_int64(st, 2, values[i]);
		if (store_run(s, S_META_SET) == -1)
			return -1;
	}
	return 0;
}

int
store_sqlite_clock_state(struct store *pub, int64_t *newest_ms,
    int *clock_behind)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_CLOCK_STATE];
	int found;

	*newest_ms = 0;
	*clock_behind = 0;
	if ((found = store_lookup(s, S_CLOCK_STATE)) == 1) {
		*newest_ms = sqlite3_column_int64(st, 0);
		*clock_behind = sqlite3_column_int(st, 1) != 0;
		store_lookup_end(s, S_CLOCK_STATE);
	}
	return found == -1 ? -1 : 0;
}
