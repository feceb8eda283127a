/*
 * store_muck: the muck trucks' writes (store.h, docs/geofence.md):
 * unloads, their settling by weighings, night-window and permit
 * violations. Every write is keyed so that writing it again changes
 * nothing but what a reload of the registry may change (where an unload
 * fell, whether it is authorised). Calls store_stmt.c only.
 */
#include "store_int.h"

#include "norm.h"

int
store_unload_add(struct store *s, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added)
{
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
store_unload_weighed(struct store *s, const char *plate, int64_t first_ms,
    int64_t second_ms, int loaded, int muck, int *changed)
{
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
store_violation_add(struct store *s, const struct store_violation *v,
    int local_offset_min, int *added)
{
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
