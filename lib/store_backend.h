/*
 * store_backend: what a store backend implements. store.c's functions
 * (store.h) dispatch through the table of the backend a handle was opened
 * with, one indirect call each, as OpenSMTPD's queue backends do; a
 * backend is a set of files of its own (lib/store_sqlite*.c and the files
 * of store_int.h for SQLite) that fill one `struct store_backend`, listed
 * in store.c's `backends[]`. Included by store.c, by the backends and by
 * the store's unit test only; the rest of the program sees store.h.
 *
 * Every handle a backend returns (store, store_maint, store_query,
 * store_rederive) begins with the generic header below, which the
 * dispatcher fills in after a successful open; the backend's own state
 * follows it in a larger struct of its own (for SQLite, struct
 * store_sqlite in store_int.h).
 *
 * Which operations are per backend and which are not is in
 * docs/architecture.md, "Store backends". An operation marked optional may
 * be NULL: the dispatcher then does the documented fallback; every other
 * one must be set (store_backend_check(), and test_store, say which is
 * missing).
 */
#ifndef WT_STORE_BACKEND_H
#define WT_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store {
	const struct store_backend *be;
};
struct store_maint {
	const struct store_backend *be;
};
struct store_query {
	const struct store_backend *be;
};
struct store_rederive {
	const struct store_backend *be;
};

/* The operations, each with the contract of the store.h function of the
 * same name (store_<op>); "optional" says what a NULL one means. */
struct store_backend {
	const char *name; /* database.backend: "sqlite" */

	/* ---- the writer ---- */
	int (*open)(const struct store_where *w, int full_sync,
	    struct store **out);
	void (*close)(struct store *s);
	const char *(*path)(const struct store *s);
	const char *(*errmsg)(struct store *s);
	int (*info)(struct store *s, struct store_info *info);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	int (*spool_pos)(struct store *s, struct spool_pos *pos);
	int (*set_spool_pos)(struct store *s, struct spool_pos pos);
	int (*db_id)(struct store *s, char *out, size_t n);
	int (*message_find)(struct store *s, const struct store_msg *m,
	    int64_t *message_id, enum store_result *res);
	int (*message_add)(struct store *s, const struct store_msg *m,
	    int64_t message_id, const char *outcome, const char *kind);
	int (*event)(struct store *s, const struct ev *e, int64_t message_id,
	    int local_offset_min, int64_t now_ms, enum store_result *res);
	int (*reject)(struct store *s, const struct store_msg *m,
	    const char *reason, const char *detail);
	int (*sync_config)(struct store *s, const struct config *cfg);
	int (*reconcile_pass)(struct store *s, int64_t now_ms,
	    const struct config *cfg, int *more);
	int (*reconcile_full)(struct store *s, int64_t now_ms,
	    const struct config *cfg);
	int (*reconcile_behind)(struct store *s, int *behind);
	int (*prune_payloads)(struct store *s, int64_t cutoff_ms,
	    int64_t *pruned);
	int (*prune_slice)(struct store *s, const struct store_retention *r,
	    struct store_prune *pr, int max_rows, int64_t budget_us);
	/* Optional: NULL gives nothing back (*freed = *left = 0), as for a
	 * database that returns free space by itself. */
	int (*reclaim_slice)(struct store *s, int pages, int64_t budget_us,
	    int64_t *freed, int64_t *left);
	int (
	    *hold_payloads)(struct store *s, int64_t hold_ms, int clock_behind);
	int (*clock_state)(struct store *s, int64_t *newest_ms,
	    int *clock_behind);
	int (*unload_add)(struct store *s, const struct store_unload *u,
	    int local_offset_min, int64_t message_id, int *added);
	int (*unload_weighed)(struct store *s, const char *plate,
	    int64_t first_ms, int64_t second_ms, int loaded, int muck,
	    int *changed);
	int (*unload_event_near)(struct store *s, const char *vehicle,
	    int64_t from_ms, int64_t to_ms, int *found);
	int (*unload_absorb)(struct store *s, const char *vehicle,
	    int64_t from_ms, int64_t to_ms, int *removed);
	int (*vehicle_recent)(struct store *s, const char *vehicle,
	    int64_t before_ms, struct store_fix *out, size_t n, size_t *got);
	int (*vehicle_load)(struct store *s, const char *vehicle,
	    struct store_load *out, int *found);
	int (*violation_add)(struct store *s, const struct store_violation *v,
	    int local_offset_min, int *added);
	int (*alerts_sync)(struct store *s, int64_t now_ms, int64_t budget_us,
	    int *more);
	int (*alerts_pending)(struct store *s, store_alert_fn fn, void *arg);
	int (*alerts_acked)(struct store *s, const int64_t *ids,
	    const enum store_alert_step *steps, size_t n);
	int (*replay_next)(struct store *s, const struct store_replay_filter *f,
	    int64_t after_ms, int64_t after_id, size_t n,
	    struct store_replay_row *rows, size_t *got);
	int (*replay_mark)(struct store *s, int64_t id, int64_t now_ms,
	    const char *outcome, const char *detail, int *changed);
	int (*rederive_next)(struct store *s,
	    const struct store_rederive_filter *f, int64_t after_ms,
	    int64_t after_id, size_t n, struct store_rederive_row *rows,
	    size_t *got);
	int (*rederive_open)(struct store *s, struct store_rederive **out);
	int (*rederive)(struct store_rederive *job, int64_t message_id,
	    const struct ev *evs, size_t n, int local_offset_min,
	    int64_t now_ms, struct store_rd_result *out);
	void (*rederive_close)(struct store_rederive *job);

	/* ---- several daemons on one store: optional (NULL: a store of
	 * one daemon, which leads alone and never learns of duplicates
	 * late) ---- */
	int (*cluster_beat)(struct store *s, const char *instance,
	    const char *group, int64_t now_ms, struct store_cluster *out);
	int64_t (*take_late_duplicates)(struct store *s);

	/* ---- the reader ---- */
	int (*open_reader)(const struct store_where *w, struct store **out);
	int (*read_begin)(struct store *s);
	void (*read_end)(struct store *s);
	int (*data_version)(struct store *s, int64_t *v);
	int (*day_tonnage)(struct store *s, const char *day, store_row_fn fn,
	    void *arg);
	int (
	    *manifest_counts)(struct store *s, struct store_manifest_counts *c);
	int (*day_indicators)(struct store *s, const char *day,
	    store_indicators_fn fn, void *arg);
	int (*day_muck)(struct store *s, const char *day,
	    struct store_muck_day *out);
	int (*manifest_items)(struct store *s, const char *verdict, int limit,
	    store_item_fn fn, void *arg);
	int (*alert_open_by_kind)(struct store *s, store_row_fn fn, void *arg);
	int (*alert_counts)(struct store *s, struct store_alert_counts *c);
	int (*alert_items)(struct store *s, int limit, store_alert_item_fn fn,
	    void *arg);

	/* ---- background maintenance: optional, all of it or none ---- */
	/* NULL: no pressure is ever reported (fn is never called). */
	void (*on_commit_pressure)(struct store *s, store_pressure_fn fn,
	    void *arg);
	/* NULL: nothing to catch up (0). */
	int (*maint_catch_up)(struct store *s);
	/* NULL: store_has_maint() says 0, store_maint_open() refuses. */
	int (
	    *maint_open)(const struct store_where *w, struct store_maint **out);
	int (*maint_step)(struct store_maint *m, int *pending, int *done);
	int (*maint_truncate)(struct store_maint *m);
	int64_t (*maint_log_bytes)(struct store_maint *m);
	const char *(*maint_errmsg)(struct store_maint *m);
	void (*maint_close)(struct store_maint *m);

	/* ---- backup: optional (NULL: refused, the backend's own tools
	 * copy the database, e.g. pg_dump) ---- */
	int (*backup)(const struct store_where *w, const char *dest,
	    struct store_backup_info *info);

	/* ---- read-only named queries ---- */
	int (
	    *query_open)(const struct store_where *w, struct store_query **out);
	void (*query_close)(struct store_query *q);
	int (*query_run)(struct store_query *q, enum store_q id,
	    const struct store_q_args *a, store_rows_fn fn, void *arg);
	void (*query_budget)(struct store_query *q, int ms);
	int (*query_timed_out)(const struct store_query *q);
	int (*query_prune_due)(struct store_query *q,
	    const struct store_retention *r, int64_t due[STORE_PRUNE_KINDS]);
	/* optional (NULL: -1, no plan to show) */
	int (*query_plan)(struct store_query *q, enum store_q id,
	    store_rows_fn fn, void *arg);
};

/* ---- shared by the backends (store_common.c) ---- */

struct ev_weighing;
/* The digest of a ticket's figures (all but its version) that tells a
 * correction from a re-send; out holds 64 hex digits. Every backend
 * stores the same (weighings.fingerprint). */
int store_wb_fingerprint(const struct ev_weighing *w,
    char out[65]) WT_MUST_CHECK;

/*
 * The backend of this name, NULL meaning the default (NULL when there is
 * none, with the reason in err, cut to n: "unknown store backend ..."
 * naming the known ones).
 */
const struct store_backend *store_backend_find(const char *name, char *err,
    size_t n);
/*
 * NULL when every operation the dispatcher calls without checking is set
 * and the optional groups are whole (maintenance all or none); else the
 * name of the first one missing.
 */
const char *store_backend_check(const struct store_backend *be);
/* The backends built in, NULL-terminated (test_store_backend checks
 * each). */
extern const struct store_backend *const store_backends[];
/* Their tables, each in its backend's files. */
extern const struct store_backend store_backend_sqlite; /* store_sqlite_ops.c */
#ifdef WT_HAVE_PG
extern const struct store_backend store_backend_pg; /* store_pg_ops.c */
#endif

#endif
