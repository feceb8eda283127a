/*
 * store_sqlite_ops: the SQLite backend's table of operations
 * (store_backend.h), the last of its files (store_int.h): every entry
 * point the dispatcher in store.c reaches, SQLite having all of them,
 * the optional ones included.
 */
#include "store_int.h"

/* The openers take a store_where; SQLite needs only its path (a file has
 * no password, and one daemon only writes it). */
static int
sq_open(const struct store_where *w, int full_sync, struct store **out)
{
	return store_sqlite_open(w->path, full_sync, out);
}

static int
sq_open_reader(const struct store_where *w, struct store **out)
{
	return store_sqlite_open_reader(w->path, out);
}

static int
sq_maint_open(const struct store_where *w, struct store_maint **out)
{
	return store_sqlite_maint_open(w->path, out);
}

static int
sq_backup(const struct store_where *w, const char *dest,
    struct store_backup_info *info)
{
	return store_sqlite_backup(w->path, dest, info);
}

static int
sq_query_open(const struct store_where *w, struct store_query **out)
{
	return store_sqlite_query_open(w->path, out);
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = store_sqlite_close,
	.path = store_sqlite_path,
	.errmsg = store_sqlite_errmsg,
	.info = store_sqlite_info,
	.begin = store_sqlite_begin,
	.commit = store_sqlite_commit,
	.rollback = store_sqlite_rollback,
	.spool_pos = store_sqlite_spool_pos,
	.set_spool_pos = store_sqlite_set_spool_pos,
	.db_id = store_sqlite_db_id,
	.message_find = store_sqlite_message_find,
	.message_add = store_sqlite_message_add,
	.event = store_sqlite_event,
	.reject = store_sqlite_reject,
	.sync_config = store_sqlite_sync_config,
	.reconcile_pass = store_sqlite_reconcile_pass,
	.reconcile_full = store_sqlite_reconcile_full,
	.reconcile_behind = store_sqlite_reconcile_behind,
	.prune_payloads = store_sqlite_prune_payloads,
	.prune_slice = store_sqlite_prune_slice,
	.reclaim_slice = store_sqlite_reclaim_slice,
	.hold_payloads = store_sqlite_hold_payloads,
	.clock_state = store_sqlite_clock_state,
	.unload_add = store_sqlite_unload_add,
	.unload_weighed = store_sqlite_unload_weighed,
	.unload_event_near = store_sqlite_unload_event_near,
	.unload_absorb = store_sqlite_unload_absorb,
	.vehicle_recent = store_sqlite_vehicle_recent,
	.vehicle_load = store_sqlite_vehicle_load,
	.violation_add = store_sqlite_violation_add,
	.alerts_sync = store_sqlite_alerts_sync,
	.alerts_pending = store_sqlite_alerts_pending,
	.alerts_acked = store_sqlite_alerts_acked,
	.replay_next = store_sqlite_replay_next,
	.replay_mark = store_sqlite_replay_mark,
	.rederive_next = store_sqlite_rederive_next,
	.rederive_open = store_sqlite_rederive_open,
	.rederive = store_sqlite_rederive,
	.rederive_close = store_sqlite_rederive_close,
	.open_reader = sq_open_reader,
	.read_begin = store_sqlite_read_begin,
	.read_end = store_sqlite_read_end,
	.data_version = store_sqlite_data_version,
	.day_tonnage = store_sqlite_day_tonnage,
	.manifest_counts = store_sqlite_manifest_counts,
	.day_indicators = store_sqlite_day_indicators,
	.day_muck = store_sqlite_day_muck,
	.manifest_items = store_sqlite_manifest_items,
	.alert_open_by_kind = store_sqlite_alert_open_by_kind,
	.alert_counts = store_sqlite_alert_counts,
	.alert_items = store_sqlite_alert_items,
	.on_commit_pressure = store_sqlite_on_commit_pressure,
	.maint_catch_up = store_sqlite_maint_catch_up,
	.maint_open = sq_maint_open,
	.maint_step = store_sqlite_maint_step,
	.maint_truncate = store_sqlite_maint_truncate,
	.maint_log_bytes = store_sqlite_maint_log_bytes,
	.maint_errmsg = store_sqlite_maint_errmsg,
	.maint_close = store_sqlite_maint_close,
	.backup = sq_backup,
	.query_open = sq_query_open,
	.query_close = store_sqlite_query_close,
	.query_run = store_sqlite_query_run,
	.query_budget = store_sqlite_query_budget,
	.query_timed_out = store_sqlite_query_timed_out,
	.query_prune_due = store_sqlite_query_prune_due,
	.query_plan = store_sqlite_query_plan,
};
