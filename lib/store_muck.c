/*
 * store_muck: the muck trucks' writes (store.h, docs/geofence.md):
 * unloads, their settling by weighings, night-window and permit
 * violations. Every write is keyed so that writing it again changes
 * nothing but what a reload of the registry may change (where an unload
 * fell, whether it is authorised). Calls store_stmt.c only.
 */
#include "store_int.h"

#include "norm.h"

#include <stdio.h>
#include <string.h>

int
store_sqlite_unload_add(struct store *pub, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_UNLOAD_UPSERT];
	char day[16];

	norm_local_day(u->ts_ms, local_offset_min, day);
	store_bind_text(st, 1, u->vehicle);
	store_bind_text(st, 2, u->plate);
	sqlite3_bind_int64(st, 3, u->ts_ms);
	store_bind_time(st, 4, u->since_ms);
	store_bind_text(st, 5, day);
	store_bind_real(st, 6, u->lat);
	store_bind_real(st, 7, u->lon);
	store_bind_text(st, 8, u->how);
	store_bind_text(st, 9, u->candidate ? "candidate" : "unload");
	store_bind_text(st, 10, u->site);
	store_bind_text(st, 11, u->site_kind);
	store_bind_text(st, 12, u->district);
	store_bind_text(st, 13, u->waste);
	store_bind_text(st, 14, u->origin);
	sqlite3_bind_int(st, 15, u->muck != 0);
	sqlite3_bind_int(st, 16, u->authorised != 0);
	if (message_id > 0)
		sqlite3_bind_int64(st, 17, message_id);
	else
		sqlite3_bind_null(st, 17);
	if (store_run(s, S_UNLOAD_UPSERT) == -1)
		return -1;
	*added = store_changed(s);
	return 0;
}

int
store_sqlite_unload_weighed(struct store *pub, const char *plate,
    int64_t first_ms, int64_t second_ms, int loaded, int muck, int *changed)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *c = s->st[S_UNLOAD_CONFIRM], *d = s->st[S_UNLOAD_DROP];
	int64_t lo, hi;

	*changed = 0;
	if (plate == NULL || first_ms == WT_NOTIME)
		return 0;
	if (!loaded) {
		lo = INT64_MIN;
		hi = first_ms;
	} else {
		/* Weighed loaded: whatever stop came before was no unload;
		 * one between the two weighings was, at the weighbridge. */
		lo = first_ms;
		hi = second_ms != WT_NOTIME && second_ms >= first_ms
		    ? second_ms + 1
		    : first_ms;
	}
	if (hi > lo) {
		store_bind_text(c, 1, plate);
		sqlite3_bind_int64(c, 2, lo);
		sqlite3_bind_int64(c, 3, hi);
		sqlite3_bind_int(c, 4, muck != 0);
		if (store_run(s, S_UNLOAD_CONFIRM) == -1)
			return -1;
		*changed += store_changed(s);
	}
	store_bind_text(d, 1, plate);
	sqlite3_bind_int64(d, 2, hi);
	if (store_run(s, S_UNLOAD_DROP) == -1)
		return -1;
	*changed += store_changed(s);
	return 0;
}

int
store_sqlite_unload_event_near(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *found)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_UNLOAD_EVENT_NEAR];

	store_bind_text(st, 1, vehicle);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	if ((*found = store_lookup(s, S_UNLOAD_EVENT_NEAR)) == -1)
		return -1;
	store_lookup_end(s, S_UNLOAD_EVENT_NEAR);
	return 0;
}

int
store_sqlite_unload_absorb(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *removed)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_UNLOAD_ABSORB];

	store_bind_text(st, 1, vehicle);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	if (store_run(s, S_UNLOAD_ABSORB) == -1)
		return -1;
	*removed = store_changed(s);
	return 0;
}

int
store_sqlite_violation_add(struct store *pub, const struct store_violation *v,
    int local_offset_min, int *added)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_VIOLATION_ADD];
	char day[16];

	norm_local_day(v->ts_ms, local_offset_min, day);
	store_bind_text(st, 1, v->kind);
	store_bind_text(st, 2, v->subject);
	store_bind_text(st, 3, day);
	store_bind_text(st, 4, v->reason != NULL ? v->reason : "");
	store_bind_text(st, 5, v->vehicle);
	store_bind_text(st, 6, v->plate);
	sqlite3_bind_int64(st, 7, v->ts_ms);
	store_bind_real(st, 8, v->lat);
	store_bind_real(st, 9, v->lon);
	store_bind_text(st, 10, v->district);
	store_bind_text(st, 11, v->waste);
	store_bind_text(st, 12, v->site);
	if (store_run(s, S_VIOLATION_ADD) == -1)
		return -1;
	*added = store_changed(s);
	return 0;
}

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, n, "%s", t != NULL ? (const char *)t : "");
}

int
store_sqlite_vehicle_recent(struct store *pub, const char *vehicle,
    int64_t before_ms, struct store_fix *out, size_t n, size_t *got)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_VEHICLE_RECENT];
	struct store_fix t;
	size_t k = 0, i;
	int rc = 0;

	*got = 0;
	store_bind_text(st, 1, vehicle);
	sqlite3_bind_int64(st, 2, before_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
	while (k < n && (rc = store_lookup(s, S_VEHICLE_RECENT)) == 1) {
		out[k].ts_ms = sqlite3_column_int64(st, 0);
		out[k].lat = store_db_real(st, 1);
		out[k].lon = store_db_real(st, 2);
		out[k].speed_kmh = store_db_real(st, 3);
		col_text(st, 4, out[k].load_state, sizeof(out[k].load_state));
		k++;
	}
	store_lookup_end(s, S_VEHICLE_RECENT);
	if (k < n && rc == -1)
		return -1;
	/* Newest first from the index: the track wants them in order. */
	for (i = 0; i < k / 2; i++) {
		t = out[i];
		out[i] = out[k - 1 - i];
		out[k - 1 - i] = t;
	}
	*got = k;
	return 0;
}

int
store_sqlite_vehicle_load(struct store *pub, const char *vehicle,
    struct store_load *out, int *found)
{
	struct store_sqlite *s = store_sqlite_of(pub);
	sqlite3_stmt *st = s->st[S_VEHICLE_LOAD];

	store_bind_text(st, 1, vehicle);
	if ((*found = store_lookup(s, S_VEHICLE_LOAD)) == -1)
		return -1;
	if (*found) {
		out->ts_ms = sqlite3_column_int64(st, 0);
		col_text(st, 1, out->waste, sizeof(out->waste));
		col_text(st, 2, out->site, sizeof(out->site));
	}
	store_lookup_end(s, S_VEHICLE_LOAD);
	return 0;
}
