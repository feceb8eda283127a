/*
 * store_pg_int: what the PostgreSQL backend of store.h shares between its
 * files (docs/postgresql.md). Included by those files and by their tests
 * only; the rest of the program sees store.h, whose functions (store.c)
 * reach these files through the table store_backend_pg.
 *
 * One handle, struct store_pgsql, is a libpq connection: the writer's
 * (store_open_at), a reader's (store_open_reader_at) or a query thread's
 * (store_query_open_at). The writer runs each transaction in libpq's
 * pipeline mode: statements whose answer nobody waits for are queued
 * (pgq_send) and their results checked when the transaction commits or
 * when a statement that must be answered now (pgq_query) comes after
 * them, so a batch of positions costs one round trip, not one per row.
 *
 * The files, each calling only those above it:
 *
 *	store_pg.c		connect (URI, password file), migrate
 *	store_pg_schema.c	the schema's text
 *	store_pg_conn.c		parameters, prepared statements, the
 *				pipeline of queued results
 *	store_pg_handle.c	open and close, transactions, the spool
 *				position, the reader's snapshots
 *	store_pg_write.c	messages, rejects, positions, vehicle and
 *				facility events, bindings, the registry
 *	store_pg_version.c	weighings and manifests (rows with versions)
 *	store_pg_muck.c		unloads and muck violations
 *	store_pg_recon.c	reconciliation: passes, full, behind
 *	store_pg_alert.c	alert rules, their sync and delivery
 *	store_pg_read.c		the reports' reads (the reader's handle)
 *	store_pg_query.c	wastetrackctl's and the API's named queries
 *	store_pg_prune.c	retention: partitions dropped, rows in slices
 *	store_pg_replay.c	replay of rejects, re-derivation of messages
 *	store_pg_cluster.c	instances, the leader's advisory lock
 *	store_pg_ops.c		the table of entry points (store_backend_pg)
 */
#ifndef WT_STORE_PG_INT_H
#define WT_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "store.h"
#include "store_backend.h"
#include "store_pg.h"

/* ---- store_pg.c ---- */

/* The connection of pg (the handle keeps it; store_pg_close() ends it). */
PGconn *store_pg_conn(struct store_pg *pg);

/* ---- store_pg_conn.c: parameters ---- */

/* At most this many parameters per statement. */
#define PGP_MAX 32

/* The parameters of one statement, as text (bytea as binary), NULL for
 * unknown as SQLite's store_bind_*() do: never 0 for a missing value. */
struct pgp {
	int n;
	const char *v[PGP_MAX];
	int len[PGP_MAX];
	int fmt[PGP_MAX];
	char buf[PGP_MAX][32];
};

void pgp_init(struct pgp *p);
void pgp_null(struct pgp *p);
void pgp_text(struct pgp *p, const char *v); /* NULL: NULL */
void pgp_i64(struct pgp *p, int64_t v);
void pgp_real(struct pgp *p, double v);		       /* NaN: NULL */
void pgp_time(struct pgp *p, int64_t v);	       /* WT_NOTIME: NULL */
void pgp_blob(struct pgp *p, const void *v, size_t n); /* bytea */

/* ---- store_pg_conn.c: statements ---- */

/*
 * A statement, prepared once per connection under its name the first
 * time it runs there. Define each as a static const in the file that
 * runs it; names are unique in the program ("w_position", "r_tonnage":
 * a prefix per file).
 */
struct pg_stmt {
	const char *name;
	const char *sql;
};

struct store_pgsql;

/* Called with a queued statement's result when it is collected (res is
 * never NULL and has succeeded); cookie is the caller's. */
typedef void (*pgq_fn)(struct store_pgsql *s, PGresult *res, int64_t cookie);

/* A result to read back: a statement's, its preparation's, or the sync
 * that ends the pipeline. */
enum pgq_kind { PGQ_STMT, PGQ_PREPARE, PGQ_SYNC };
struct pgq_entry {
	enum pgq_kind kind;
	const struct pg_stmt *st;
	pgq_fn fn;
	int64_t cookie;
};

/*
 * Queue st with p in the writer's open transaction. Its failure, seen
 * when results are collected, fails the transaction: store_commit() then
 * says -1 and store_rollback() undoes it, as for SQLite. fn, when not
 * NULL, sees the result. 0, or -1 when it cannot even be sent (the
 * connection is gone). At most PGQ_MAX statements wait: past that the
 * queue is collected first.
 */
#define PGQ_MAX 8192
int pgq_send(struct store_pgsql *s, const struct pg_stmt *st,
    const struct pgp *p, pgq_fn fn, int64_t cookie) WT_MUST_CHECK;

/*
 * Run st with p and wait for it (after every statement queued before it);
 * the result, to PQclear(), or NULL on failure with the reason in
 * s->err and logged. Works in a transaction (pipelined) and outside one
 * (one statement, committed by itself), on every kind of handle.
 */
PGresult *pgq_query(struct store_pgsql *s, const struct pg_stmt *st,
    const struct pgp *p) WT_MUST_CHECK;

/* pgq_query() for statements whose rows nobody reads: 0 or -1. */
int pgq_run(struct store_pgsql *s, const struct pg_stmt *st,
    const struct pgp *p) WT_MUST_CHECK;

/* Wait for everything queued: 0, or -1 when something failed (then the
 * transaction is lost, as after any failure). */
int pgq_collect(struct store_pgsql *s) WT_MUST_CHECK;

/* One text without parameters, outside the pipeline and any statement
 * cache (DDL, SET, LOCK): 0 or -1 with s->err. Not in a transaction
 * with queued statements. */
int pgq_exec(struct store_pgsql *s, const char *sql) WT_MUST_CHECK;

/* Values of a result: NULL, NaN and WT_NOTIME for SQL NULL. */
const char *pgr_text(const PGresult *r, int row, int col);
int64_t pgr_i64(const PGresult *r, int row, int col, int64_t dflt);
double pgr_real(const PGresult *r, int row, int col);
int64_t pgr_time(const PGresult *r, int row, int col);

/* For store_pg_handle.c: forget the preparations (a new connection),
 * queue the sync that ends a pipeline, and read every result queued. */
void store_pgsql_prepared_clear(struct store_pgsql *s);
int store_pgsql_push_sync(struct store_pgsql *s) WT_MUST_CHECK;
int store_pgsql_drain(struct store_pgsql *s);

/* Before a transaction on a handle: reconnect a lost connection, forget
 * (or deallocate) the preparations a new connection or a failed pipeline
 * lost. store_pg_begin() and the reader's read_begin call it; so does a
 * transaction run outside the pipeline (the retention slice, which
 * drops partitions). 0 or -1 with s->err. */
int store_pgsql_ready(struct store_pgsql *s) WT_MUST_CHECK;

/* Set s->err (and log it at warning level). */
void store_pgsql_fail(struct store_pgsql *s, const char *fmt, ...)
    WT_PRINTF(2, 3);

/* ---- the handle (store_pg_handle.c) ---- */

/* Per-file state a handle carries: each file owns one slot, makes its
 * state when it first needs it and frees it through fn at close. */
enum pg_area {
	PGA_WRITE,
	PGA_VERSION,
	PGA_MUCK,
	PGA_RECON,
	PGA_ALERT,
	PGA_READ,
	PGA_QUERY,
	PGA_PRUNE,
	PGA_REPLAY,
	PGA_CLUSTER,
	PGA_COUNT
};

enum pg_kind { PGK_WRITER, PGK_READER, PGK_QUERY };

struct store_pgsql {
	struct store pub; /* first: see store_backend.h */
	enum pg_kind kind;
	struct store_pg *pg;
	PGconn *conn;
	char *url, *password_file, *instance;
	char *shown; /* store_path(): the URI without its password */
	int full_sync;
	/* The transaction: open, in pipeline mode, failed (a queued
	 * statement's error: commit refuses, rollback cleans). */
	int in_txn, pipelined, failed;
	/* The queue of results to collect, a ring of PGQ_MAX. */
	struct pgq_entry *q;
	size_t qhead, qlen;
	/* Statements prepared on this connection (names), a hash set. */
	const struct pg_stmt **prepared;
	size_t nprepared, prepared_cap;
	int broken;    /* the connection was lost: begin reconnects */
	int reprepare; /* a pipeline failed: DEALLOCATE ALL first */
	int prepared_clear_needed;	/* a new connection: nothing prepared */
	int64_t size_bytes, size_at_ms; /* store_info(), asked now and then */
	char err[512];
	void *area[PGA_COUNT];
	void (*area_free[PGA_COUNT])(void *state);
};

struct store_pgsql *store_pgsql_of(struct store *pub);

/* A handle of kind connected to w->path, not migrated nor checked (the
 * openers of store_pg_handle.c and store_pg_query.c do that); NULL on
 * failure, logged. store_pg_close_handle() frees it. */
struct store_pgsql *store_pgsql_new(enum pg_kind kind,
    const struct store_where *w);

/* The slot of area, made by make (NULL on failure, logged) the first
 * time and freed by release at close. */
void *store_pgsql_area(struct store_pgsql *s, enum pg_area a,
    void *(*make)(void), void (*release)(void *state));

/* Hooks of store_pg_write.c around the end of a transaction: before
 * COMMIT is queued (flush what the transaction kept aside, e.g. the
 * vehicles seen) and after it ended (committed 1, rolled back 0). */
int store_pgw_before_commit(struct store_pgsql *s) WT_MUST_CHECK;
void store_pgw_after_end(struct store_pgsql *s, int committed);

/* ---- the operations, by file (the contract of each is store.h's
 * function of the same name without "pg_") ---- */

/* store_pg_handle.c */
int store_pg_open_writer(const struct store_where *w, int full_sync,
    struct store **out);
int store_pg_open_reader(const struct store_where *w, struct store **out);
void store_pg_close_handle(struct store *pub);
const char *store_pg_path(const struct store *pub);
const char *store_pg_errmsg(struct store *pub);
int store_pg_begin(struct store *pub);
int store_pg_commit(struct store *pub);
void store_pg_rollback(struct store *pub);
int store_pg_spool_pos(struct store *pub, struct spool_pos *pos);
int store_pg_set_spool_pos(struct store *pub, struct spool_pos pos);
int store_pg_db_id(struct store *pub, char *out, size_t n);
int store_pg_info(struct store *pub, struct store_info *info);
int store_pg_read_begin(struct store *pub);
void store_pg_read_end(struct store *pub);
int store_pg_data_version(struct store *pub, int64_t *v);

/* store_pg_write.c */
int store_pg_message_find(struct store *pub, const struct store_msg *m,
    int64_t *message_id, enum store_result *res);
int store_pg_message_add(struct store *pub, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind);
int store_pg_event(struct store *pub, const struct ev *e, int64_t message_id,
    int local_offset_min, int64_t now_ms, enum store_result *res);
int store_pg_reject(struct store *pub, const struct store_msg *m,
    const char *reason, const char *detail);
int store_pg_sync_config(struct store *pub, const struct config *cfg);
int store_pg_prune_payloads(struct store *pub, int64_t cutoff_ms,
    int64_t *pruned);
int store_pg_hold_payloads(struct store *pub, int64_t hold_ms,
    int clock_behind);
int store_pg_clock_state(struct store *pub, int64_t *newest_ms,
    int *clock_behind);
int64_t store_pg_take_late_duplicates(struct store *pub);

/* store_pg_version.c: called by store_pg_event() */
int store_pgv_weighing(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, enum store_result *res);
int store_pgv_manifest(struct store_pgsql *s, const struct ev *e,
    int64_t message_id, int local_offset_min, enum store_result *res);

/* store_pg_muck.c */
int store_pg_unload_add(struct store *pub, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added);
int store_pg_unload_weighed(struct store *pub, const char *plate,
    int64_t first_ms, int64_t second_ms, int loaded, int muck, int *changed);
int store_pg_unload_event_near(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *found);
int store_pg_unload_absorb(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *removed);
int store_pg_vehicle_recent(struct store *pub, const char *vehicle,
    int64_t before_ms, struct store_fix *out, size_t n, size_t *got);
int store_pg_vehicle_load(struct store *pub, const char *vehicle,
    struct store_load *out, int *found);
int store_pg_violation_add(struct store *pub, const struct store_violation *v,
    int local_offset_min, int *added);

/* store_pg_recon.c */
int store_pg_reconcile_pass(struct store *pub, int64_t now_ms,
    const struct config *cfg, int *more);
int store_pg_reconcile_full(struct store *pub, int64_t now_ms,
    const struct config *cfg);
int store_pg_reconcile_behind(struct store *pub, int *behind);

/* store_pg_alert.c */
int store_pg_alerts_sync(struct store *pub, int64_t now_ms, int64_t budget_us,
    int *more);
int store_pg_alerts_pending(struct store *pub, store_alert_fn fn, void *arg);
int store_pg_alerts_acked(struct store *pub, const int64_t *ids,
    const enum store_alert_step *steps, size_t n);

/* store_pg_read.c */
int store_pg_day_tonnage(struct store *pub, const char *day, store_row_fn fn,
    void *arg);
int store_pg_manifest_counts(struct store *pub,
    struct store_manifest_counts *c);
int store_pg_day_indicators(struct store *pub, const char *day,
    store_indicators_fn fn, void *arg);
int store_pg_day_muck(struct store *pub, const char *day,
    struct store_muck_day *out);
int store_pg_manifest_items(struct store *pub, const char *verdict, int limit,
    store_item_fn fn, void *arg);
int store_pg_alert_open_by_kind(struct store *pub, store_row_fn fn, void *arg);
int store_pg_alert_counts(struct store *pub, struct store_alert_counts *c);
int store_pg_alert_items(struct store *pub, int limit, store_alert_item_fn fn,
    void *arg);

/* store_pg_query.c. A query handle (struct store_query) is a struct
 * store_pgsql of kind PGK_QUERY, cast (both begin with the dispatcher's
 * header); what queries keep beside it is in its PGA_QUERY slot. */
struct store_pgsql *store_pgsql_of_query(struct store_query *q);
int store_pg_query_open(const struct store_where *w, struct store_query **out);
void store_pg_query_close(struct store_query *q);
int store_pg_query_run(struct store_query *q, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg);
void store_pg_query_budget(struct store_query *q, int ms);
int store_pg_query_timed_out(const struct store_query *q);
int store_pg_query_plan(struct store_query *q, enum store_q id,
    store_rows_fn fn, void *arg);

/* store_pg_prune.c */
int store_pg_prune_slice(struct store *pub, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us);
int store_pg_query_prune_due(struct store_query *q,
    const struct store_retention *r, int64_t due[STORE_PRUNE_KINDS]);

/* store_pg_replay.c */
int store_pg_replay_next(struct store *pub, const struct store_replay_filter *f,
    int64_t after_ms, int64_t after_id, size_t n, struct store_replay_row *rows,
    size_t *got);
int store_pg_replay_mark(struct store *pub, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed);
int store_pg_rederive_next(struct store *pub,
    const struct store_rederive_filter *f, int64_t after_ms, int64_t after_id,
    size_t n, struct store_rederive_row *rows, size_t *got);
int store_pg_rederive_open(struct store *pub, struct store_rederive **out);
int store_pg_rederive(struct store_rederive *job, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out);
void store_pg_rederive_close(struct store_rederive *job);

/* store_pg_cluster.c */
int store_pg_cluster_beat(struct store *pub, const char *instance,
    const char *group, int64_t now_ms, struct store_cluster *out);

#endif
