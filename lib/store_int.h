/*
 * store_int: what the SQLite backend of store.h shares between its files.
 * Included by those files and by the store's unit tests only; the rest of
 * the program sees store.h, whose functions (store.c) reach these files
 * through the table store_backend_sqlite (store_backend.h). Another
 * backend, PostgreSQL's, is a set of files of its own beside these.
 *
 * The files form a one-way stack: each calls only files above it in this
 * list, never one below, so they read bottom-up (check with nm -u). Above
 * them all, store_common.c (backend-neutral: names, freeing rows), which
 * any backend may call; below them all, store.c, the dispatcher, which
 * calls only through the tables of store_backend.h.
 *
 *	store_db.c		a bare connection: exec, PRAGMA, open, file size
 *	store_schema.c		the migrations and the statements' text
 *	store_streams_sql.c	the streams' schema (v11) and alert rules
 *	store_muck_sql.c	the muck trucks' schema (v13) and alert rules
 *	store_stmt.c		bind, run, look up the prepared statements
 *	store_seen.c		the vehicles-seen cache of a transaction
 *	store_version.c		weighings and manifests (rows with versions)
 *	store_write.c		every other write; store_event() dispatches
 *	store_streams.c		the registries' sync, running alert rules
 *	store_muck.c		unloads and muck violations
 *	store_recon_inc.c	the steps of an incremental pass, the runner
 *	store_reconcile.c	manifests against tickets: full, passes
 *	store_read.c		the reports' reads
 *	store_wal.c		the commit hook, the maintenance connection
 *	store_backup.c		a consistent copy of a live database
 *	store_query.c		wastetrackctl's read-only named queries
 *	store_replay.c		rejects a replay may retry, their outcome
 *	store_rederive.c	accepted messages' rows derived again
 *	store_sqlite.c		open, close, transactions, the spool position
 *	store_prune.c		retention in slices, each its own transaction
 *	store_alert.c		alerts from rules, each its own transaction
 *	store_sqlite_ops.c	the table of entry points (store_backend_sqlite)
 *
 * The sections below follow the same order.
 */
#ifndef WT_STORE_INT_H
#define WT_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "store.h"
#include "store_backend.h"

/* The writer's prepared statements; their text is stmt_sql[] in
 * store_schema.c. */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_META_GET,
	S_META_SET,
	S_MSG_FIND,
	S_MSG_INSERT,
	S_MSG_MAX,
	S_REJECT,
	S_POSITION,
	S_VEHICLE_SEEN,
	S_VEVENT,
	S_WB_GET,
	S_WB_INSERT,
	S_WB_TO_HISTORY,
	S_WB_DELETE,
	S_WB_HISTORY,
	S_FSTATUS,
	S_MAN_EVENT,
	S_MAN_EVENT_APPLIED,
	S_MAN_GET,
	S_MAN_UPSERT,
	S_MAN_LINES_DEL,
	S_MAN_LINE,
	S_MAN_TICKET,
	S_PRUNE,
	S_CLOCK_STATE,
	S_BIND_LATEST,
	S_BIND_UPSERT,
	S_BIND_AT,
	S_FACILITY_KNOWN,
	S_UNLOAD_UPSERT,
	S_UNLOAD_CONFIRM,
	S_UNLOAD_DROP,
	S_VIOLATION_ADD,
	S_VEHICLE_RECENT,
	S_VEHICLE_LOAD,
	S_UNLOAD_EVENT_NEAR,
	S_UNLOAD_ABSORB,
	S_COUNT
};

extern const char *const store_stmt_sql[S_COUNT];

/* A vehicle seen in the open transaction: the row it will get. */
struct store_seen {
	char *vehicle, *plate, *device; /* NULL vehicle: a free slot */
	int64_t first, last;
};

#define STORE_SEEN_SLOTS 1024 /* a power of two */

struct store_sqlite {
	struct store pub; /* first: see store_backend.h */
	char *path;
	sqlite3 *db; /* writer, loop thread only */
	sqlite3 *ro; /* reports */
	sqlite3_stmt *st[S_COUNT];
	int in_txn;
	char plate_buf[64];
	store_pressure_fn pressure_fn;
	void *pressure_arg;
	int64_t next_mid;	 /* see load_next_mid(), store_sqlite.c */
	struct store_seen *seen; /* STORE_SEEN_SLOTS, store_seen.c */
	size_t nseen;
	/* Bounds of one reconciliation pass (0: the defaults of
	 * store_reconcile.c); the unit test makes them small. */
	int recon_slice, recon_marks, recon_requeue;
	int recon_adapt; /* the slice the last passes' times suggest */
	/* Alerts: the next rule a sync pass evaluates (a pass that ran out
	 * of time goes on there), and the rows one rule may open or
	 * resolve per transaction (0: the default; the unit test makes it
	 * small). */
	size_t alert_set, alert_rule;
	int alert_slice;
};

/* The SQLite state of a handle the SQLite backend made. */
static inline struct store_sqlite *
store_sqlite_of(struct store *s)
{
	return (struct store_sqlite *)s;
}

/* Readers and checkpoints give up on a lock after this long. */
#define STORE_BUSY_GIVE_UP_MS 5000

/* ---- store_db.c: a bare connection ---- */

int store_db_exec(sqlite3 *db, const char *sql) WT_MUST_CHECK;
/* The integer a one-row PRAGMA returns ("PRAGMA user_version", ...). */
int store_pragma_int(sqlite3 *db, const char *pragma, int64_t *v) WT_MUST_CHECK;
int store_open_conn(const char *path, int flags, sqlite3 **out) WT_MUST_CHECK;
/* Size of path + suffix ("" or "-wal"); 0 when it does not exist. */
int64_t store_file_size(const char *path, const char *suffix);
/* The current row's column col: a copy of its text ("" when NULL), or of
 * its bytes (never NULL when memory allows, even when empty; *len set).
 * NULL when out of memory; the caller frees. */
char *store_db_text_dup(sqlite3_stmt *st, int col);
void *store_db_blob_dup(sqlite3_stmt *st, int col, size_t *len);
/* The current row's column col as a number, NAN when NULL. */
double store_db_real(sqlite3_stmt *st, int col);

/* ---- store_schema.c ---- */

/*
 * Bring the database on db from its user_version up to version upto
 * (1..STORE_SCHEMA_VERSION), one transaction per version. -1 when the
 * database is already newer than STORE_SCHEMA_VERSION (refused) or a step
 * fails. store_open() migrates to STORE_SCHEMA_VERSION; the unit test
 * builds databases of every earlier version with it.
 */
int store_migrate(sqlite3 *db, const char *path, int upto) WT_MUST_CHECK;

/* ---- store_streams_sql.c ---- */

/* One kind of alert condition. sql is one SELECT returning the conditions
 * that hold now, columns in this order: subject TEXT NOT NULL (what the
 * alert is about: a manifest key, a generator id, a facility id...),
 * district TEXT (may be NULL), evidence TEXT (a JSON object built with
 * json_object(), small: < 2 KiB). ?1 is now in UTC milliseconds. A rule
 * must be bounded: it reads recent/open rows through an index, never all
 * history. */
struct store_alert_rule {
	const char *kind;     /* alerts.kind, e.g. "clinic_pickup_overdue" */
	const char *severity; /* "info" | "warning" | "critical" */
	const char *sql;
};
/* clinic_pickup_overdue, station_not_cleared, facility_alarm (one rule
 * per severity, disjoint subjects), facility_silent */
extern const struct store_alert_rule store_alert_rules_streams[];
extern const size_t store_alert_nrules_streams;
/* Schema v11: registries, origins, clinics, agri, station stock. */
extern const char store_streams_v11[];
/* Schema v12: counts of containers (vehicle events, clinics, agri). */
extern const char store_streams_v12[];

/* ---- store_muck_sql.c ---- */

/* unauthorised_unload, night_window, permit */
extern const struct store_alert_rule store_alert_rules_muck[];
extern const size_t store_alert_nrules_muck;
/* Schema v13: unloads, muck violations, their views. */
extern const char store_muck_v13[];

/* ---- store_stmt.c: the writer's prepared statements ---- */

void store_bind_text(sqlite3_stmt *st, int i, const char *v);
void store_bind_real(sqlite3_stmt *st, int i, double v);
void store_bind_time(sqlite3_stmt *st, int i, int64_t v);
/* Step a write statement to completion and reset it; 0 or -1. */
int store_run(struct store_sqlite *s, enum stmt_id id) WT_MUST_CHECK;
/* Step a lookup: 1 with the row's columns readable until
 * store_lookup_end(), 0 when there is no row, -1 on error (reset). */
int store_lookup(struct store_sqlite *s, enum stmt_id id) WT_MUST_CHECK;
void store_lookup_end(struct store_sqlite *s, enum stmt_id id);
/* Whether the last write changed a row. */
int store_changed(struct store_sqlite *s);
/* DQ_UNKNOWN_FACILITY when id names no facility of the registry. */
uint32_t store_facility_flag(struct store_sqlite *s, const char *id);

/* A facility as the registry has it at the time of a write. */
struct store_facility {
	int known, has_district, has_kind;
	int harmless; /* -1: unknown */
	char district[64], kind[32];
};
int store_facility_get(struct store_sqlite *s, const char *id,
    struct store_facility *f) WT_MUST_CHECK;

/* ---- store_streams.c ---- */

/* Write the generators, vehicles and facility alarm settings of cfg
 * (inside store_sync_config()'s transaction, after the facilities). */
int store_streams_sync(struct store_sqlite *s,
    const struct config *cfg) WT_MUST_CHECK;

/* Run rule's SQL at now_ms on the writer's connection: fn once per
 * condition that holds (district and evidence may be NULL). */
typedef void (*store_condition_fn)(void *arg, const char *subject,
    const char *district, const char *evidence);
int store_alert_rule_eval(struct store_sqlite *s,
    const struct store_alert_rule *rule, int64_t now_ms, store_condition_fn fn,
    void *arg) WT_MUST_CHECK;

/* ---- store_seen.c: the vehicles-seen cache of a transaction ---- */

int store_seen_flush(struct store_sqlite *s) WT_MUST_CHECK;
void store_seen_clear(struct store_sqlite *s);
int store_vehicle_seen(struct store_sqlite *s, const char *vehicle,
    const char *plate, const char *device, int64_t ts) WT_MUST_CHECK;

/* ---- store_version.c: versioned rows ---- */

int store_put_weighing(struct store_sqlite *s, const struct ev *e, int64_t mid,
    int off_min, enum store_result *res) WT_MUST_CHECK;
int store_put_manifest(struct store_sqlite *s, const struct ev *e, int64_t mid,
    int off_min, int64_t now_ms, enum store_result *res) WT_MUST_CHECK;

/* ---- store_recon_inc.c: the steps of a reconciliation ---- */

/*
 * The rules of reconciliation as SQL text, used by both the full rebuild
 * (store_reconcile.c, the reference) and the incremental passes
 * (store_recon_inc.c), so that the two cannot drift apart; test_reconcile
 * compares their results. Aliases: w a ticket, m a manifest, l a link.
 * Parameters by name: :window, :now, :tol, :overdue (recon_bind).
 *
 * A ticket flagged NET_MISMATCH, NET_NEGATIVE or IMPLAUSIBLE_WEIGHT
 * (512 | 1024 | 2048 = 3584) is never linked: its net cannot be trusted.
 */
#define RECON_RECEIPT                                                          \
	" w.status = 'complete' AND w.direction IS NOT 'out'"                  \
	" AND (w.dq_flags & 3584) = 0"
/* Ticket numbers are unique per facility and day only: of several tickets
 * with the number, the one weighed nearest the manifest's trip. */
#define RECON_NEAREST_DAY                                                      \
	" AND NOT EXISTS (SELECT 1 FROM weighings w2"                          \
	" WHERE w2.facility = w.facility AND w2.ticket = w.ticket"             \
	" AND abs(w2.first_ms - coalesce(m.departed_ms, m.arrived_ms,"         \
	" w.first_ms)) < abs(w.first_ms - coalesce(m.departed_ms,"             \
	" m.arrived_ms, w.first_ms)))"
/* The first complete inbound ticket of the plate at the receiving
 * facility within the window after departure that no manifest references
 * explicitly, for a manifest without links (after the join on w). */
#define RECON_PLATE_WINDOW                                                     \
	" w.plate = m.plate"                                                   \
	" AND w.facility = m.receiver_facility AND w.direction = 'in'"         \
	" AND w.status = 'complete' AND (w.dq_flags & 3584) = 0"               \
	" AND w.first_ms >= m.departed_ms"                                     \
	" AND w.first_ms <= m.departed_ms + :window"                           \
	" WHERE m.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM"         \
	" reconciliation_links l WHERE l.scheme = m.scheme"                    \
	" AND l.manifest_no = m.manifest_no)"                                  \
	" AND w.first_ms = (SELECT min(w2.first_ms) FROM weighings w2"         \
	" WHERE w2.plate = m.plate AND w2.facility = m.receiver_facility"      \
	" AND w2.direction = 'in' AND w2.status = 'complete'"                  \
	" AND (w2.dq_flags & 3584) = 0"                                        \
	" AND w2.first_ms >= m.departed_ms"                                    \
	" AND w2.first_ms <= m.departed_ms + :window"                          \
	" AND NOT EXISTS (SELECT 1 FROM reconciliation_links l3"               \
	" WHERE l3.facility = w2.facility AND l3.ticket = w2.ticket"           \
	" AND l3.day = w2.day AND l3.method = 'ticket_ref'))"
/* Several manifests on one ticket share its net by declared mass
 * (equally when any declaration is missing, so the shares always add up
 * to the ticket). */
#define RECON_ALLOCATION                                                       \
	"UPDATE reconciliation_links AS l SET allocated_kg ="                  \
	" (SELECT w.net_kg *"                                                  \
	" CASE WHEN t.n = 1 THEN 1.0 WHEN t.undeclared > 0 OR t.decl <= 0"     \
	" THEN 1.0 / t.n ELSE m.declared_kg / t.decl END"                      \
	" FROM weighings w, manifests m,"                                      \
	" (SELECT count(*) AS n, sum(m2.declared_kg) AS decl,"                 \
	" sum(m2.declared_kg IS NULL) AS undeclared FROM"                      \
	" reconciliation_links l2"                                             \
	" JOIN manifests m2 USING (scheme, manifest_no)"                       \
	" WHERE l2.facility = l.facility AND l2.ticket = l.ticket"             \
	" AND l2.day = l.day) t WHERE w.facility = l.facility"                 \
	" AND w.ticket = l.ticket AND w.day = l.day AND m.scheme = l.scheme"   \
	" AND m.manifest_no = l.manifest_no)"
/* The verdict of a manifest: the weighbridge is the truth; a receiver's
 * own figure stands in only when no ticket is linked. RECON_VERDICT,
 * then the manifests and their links summed (lk), then RECON_UPSERT. */
#define RECON_VERDICT                                                          \
	"INSERT INTO reconciliation_results(scheme, manifest_no,"              \
	" declared_kg, received_kg, diff_pct, method, verdict, derived_ms)"    \
	" SELECT scheme, manifest_no, declared_kg, received,"                  \
	" CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"             \
	" (received - declared_kg) * 100.0 / declared_kg END, method,"         \
	" CASE WHEN received IS NOT NULL AND declared_kg > 0 THEN"             \
	" CASE WHEN abs(received - declared_kg) * 100.0 / declared_kg"         \
	" > :tol THEN 'discrepancy' ELSE 'ok' END"                             \
	" WHEN status IN ('created', 'in_transit')"                            \
	" AND departed_ms < :now - :overdue"                                   \
	" THEN 'overdue' ELSE 'pending' END, :now"                             \
	" FROM (SELECT m.scheme AS scheme, m.manifest_no AS manifest_no,"      \
	" m.status AS status, m.declared_kg AS declared_kg,"                   \
	" m.departed_ms AS departed_ms,"                                       \
	" coalesce(lk.kg, m.received_kg) AS received,"                         \
	" CASE WHEN lk.kg IS NOT NULL THEN lk.method"                          \
	" WHEN m.received_kg IS NOT NULL THEN 'receiver_reported' END"         \
	" AS method"
#define RECON_LINK_METHOD                                                      \
	" CASE WHEN count(*) > 1 THEN min(l.method) || '+' || count(*)"        \
	" ELSE min(l.method) END AS method"
#define RECON_UPSERT                                                           \
	" WHERE m.status <> 'cancelled')"                                      \
	" WHERE 1"                                                             \
	" ON CONFLICT(scheme, manifest_no) DO UPDATE SET"                      \
	" declared_kg = excluded.declared_kg,"                                 \
	" received_kg = excluded.received_kg,"                                 \
	" diff_pct = excluded.diff_pct, method = excluded.method,"             \
	" verdict = excluded.verdict, derived_ms = excluded.derived_ms"

struct recon_step {
	const char *name, *sql;
};

/* What the steps bind: numbered ?1 window, ?2 now, ?3 tolerance, ?4
 * overdue (the full rebuild), or the same by name (:window, :now, :tol,
 * :overdue) and :last (the previous pass), :slice, :upto. */
struct recon_args {
	int64_t window_ms, now_ms, overdue_ms, last_ms, slice, upto;
	double tolerance_pct;
};

/* The temporary tables of a pass, created if need be and emptied. */
extern const char store_recon_temp_sql[];
extern const struct recon_step store_recon_mark_steps[];
extern const size_t store_recon_nmark_steps;
extern const struct recon_step store_recon_time_step;
extern const struct recon_step store_recon_slice_steps[];
extern const size_t store_recon_nslice_steps;

int store_recon_run(struct store_sqlite *s, const struct recon_step *step,
    const struct recon_args *a) WT_MUST_CHECK;
int store_recon_steps(struct store_sqlite *s, const struct recon_step *steps,
    size_t n, const struct recon_args *a) WT_MUST_CHECK;

/* ---- store_alert.c: alerts from rules (docs/alerts.md) ---- */

/* struct store_alert_rule: see store_streams_sql.c's section above. */
/* discrepancy, overdue_manifest, unknown_facility */
extern const struct store_alert_rule store_alert_rules_core[];
extern const size_t store_alert_nrules_core;

/* A set of rules as the sync takes them; a list of sets ends with
 * rules NULL. store_alert_sets is the daemon's: every set built in. */
struct store_alert_set {
	const struct store_alert_rule *rules;
	const size_t *nrules;
};
extern const struct store_alert_set store_alert_sets[];
/* store_alerts_sync() over the given sets (tests bring their own). */
int store_alerts_sync_sets(struct store_sqlite *s,
    const struct store_alert_set *sets, int64_t now_ms, int64_t budget_us,
    int *more) WT_MUST_CHECK;

/* The rows with a step still to send (schema v9's alerts_unpublished
 * index is on the same expression, so that the query can use it). */
#define STORE_ALERT_PENDING                                                    \
	"published < CASE WHEN resolved_ms IS NULL THEN 1 ELSE 3 END"

/* ---- the entry points: store_backend_sqlite's operations ----
 *
 * Each is the store.h function of the same name without "sqlite_", on
 * the handle the SQLite backend made (store_sqlite_of() gives its state).
 * By file; store_sqlite_ops.c fills the table. */

/* store_read.c: the reader */
int store_sqlite_read_begin(struct store *pub) WT_MUST_CHECK;
void store_sqlite_read_end(struct store *pub);
int store_sqlite_data_version(struct store *pub, int64_t *v) WT_MUST_CHECK;
int store_sqlite_day_tonnage(struct store *pub, const char *day,
    store_row_fn fn, void *arg) WT_MUST_CHECK;
int store_sqlite_manifest_counts(struct store *pub,
    struct store_manifest_counts *c) WT_MUST_CHECK;
int store_sqlite_day_indicators(struct store *pub, const char *day,
    store_indicators_fn fn, void *arg) WT_MUST_CHECK;
int store_sqlite_day_muck(struct store *pub, const char *day,
    struct store_muck_day *out) WT_MUST_CHECK;
int store_sqlite_manifest_items(struct store *pub, const char *verdict,
    int limit, store_item_fn fn, void *arg) WT_MUST_CHECK;

/* store_wal.c: background maintenance */
void store_sqlite_on_commit_pressure(struct store *pub, store_pressure_fn fn,
    void *arg);
int store_sqlite_maint_catch_up(struct store *pub) WT_MUST_CHECK;
int store_sqlite_maint_open(const char *path,
    struct store_maint **out) WT_MUST_CHECK;
int store_sqlite_maint_step(struct store_maint *pub, int *pending,
    int *done) WT_MUST_CHECK;
int store_sqlite_maint_truncate(struct store_maint *pub) WT_MUST_CHECK;
int64_t store_sqlite_maint_log_bytes(struct store_maint *pub);
const char *store_sqlite_maint_errmsg(struct store_maint *pub);
void store_sqlite_maint_close(struct store_maint *pub);

/* store_backup.c: backup */
int store_sqlite_backup(const char *path, const char *dest,
    struct store_backup_info *info) WT_MUST_CHECK;

/* store_query.c: read-only named queries */
int store_sqlite_query_open(const char *path,
    struct store_query **out) WT_MUST_CHECK;
void store_sqlite_query_close(struct store_query *pub);
void store_sqlite_query_budget(struct store_query *pub, int ms);
int store_sqlite_query_timed_out(const struct store_query *pub);
int store_sqlite_query_run(struct store_query *pub, enum store_q id,
    const struct store_q_args *a, store_rows_fn fn, void *arg) WT_MUST_CHECK;
int store_sqlite_query_plan(struct store_query *pub, enum store_q id,
    store_rows_fn fn, void *arg) WT_MUST_CHECK;
int store_sqlite_query_prune_due(struct store_query *pub,
    const struct store_retention *r,
    int64_t due[STORE_PRUNE_KINDS]) WT_MUST_CHECK;

/* store_replay.c: rejects replayed */
int store_sqlite_replay_next(struct store *pub,
    const struct store_replay_filter *f, int64_t after_ms, int64_t after_id,
    size_t n, struct store_replay_row *rows, size_t *got) WT_MUST_CHECK;
int store_sqlite_replay_mark(struct store *pub, int64_t id, int64_t now_ms,
    const char *outcome, const char *detail, int *changed) WT_MUST_CHECK;

/* store_rederive.c: accepted messages re-derived */
int store_sqlite_rederive_next(struct store *pub,
    const struct store_rederive_filter *f, int64_t after_ms, int64_t after_id,
    size_t n, struct store_rederive_row *rows, size_t *got) WT_MUST_CHECK;
int store_sqlite_rederive_open(struct store *pub,
    struct store_rederive **out) WT_MUST_CHECK;
void store_sqlite_rederive_close(struct store_rederive *pub);
int store_sqlite_rederive(struct store_rederive *pub, int64_t message_id,
    const struct ev *evs, size_t n, int local_offset_min, int64_t now_ms,
    struct store_rd_result *out) WT_MUST_CHECK;

/* store_sqlite.c: open, close, transactions, meta */
int store_sqlite_open(const char *path, int full_sync,
    struct store **out) WT_MUST_CHECK;
int store_sqlite_open_reader(const char *path,
    struct store **out) WT_MUST_CHECK;
void store_sqlite_close(struct store *pub);
const char *store_sqlite_path(const struct store *pub);
const char *store_sqlite_errmsg(struct store *pub);
int store_sqlite_info(struct store *pub, struct store_info *info);
int store_sqlite_begin(struct store *pub) WT_MUST_CHECK;
int store_sqlite_commit(struct store *pub) WT_MUST_CHECK;
void store_sqlite_rollback(struct store *pub);
int store_sqlite_spool_pos(struct store *pub,
    struct spool_pos *pos) WT_MUST_CHECK;
int store_sqlite_set_spool_pos(struct store *pub,
    struct spool_pos pos) WT_MUST_CHECK;
int store_sqlite_db_id(struct store *pub, char *out, size_t n) WT_MUST_CHECK;

/* store_prune.c: retention */
int store_sqlite_prune_slice(struct store *pub, const struct store_retention *r,
    struct store_prune *pr, int max_rows, int64_t budget_us) WT_MUST_CHECK;
int store_sqlite_reclaim_slice(struct store *pub, int pages, int64_t budget_us,
    int64_t *freed, int64_t *left) WT_MUST_CHECK;

/* store_alert.c: alerts */
int store_sqlite_alerts_sync(struct store *pub, int64_t now_ms,
    int64_t budget_us, int *more) WT_MUST_CHECK;
int store_sqlite_alerts_pending(struct store *pub, store_alert_fn fn,
    void *arg) WT_MUST_CHECK;
int store_sqlite_alerts_acked(struct store *pub, const int64_t *ids,
    const enum store_alert_step *steps, size_t n) WT_MUST_CHECK;
int store_sqlite_alert_open_by_kind(struct store *pub, store_row_fn fn,
    void *arg) WT_MUST_CHECK;
int store_sqlite_alert_counts(struct store *pub,
    struct store_alert_counts *c) WT_MUST_CHECK;
int store_sqlite_alert_items(struct store *pub, int limit,
    store_alert_item_fn fn, void *arg) WT_MUST_CHECK;

/* store_write.c: writes */
int store_sqlite_message_find(struct store *pub, const struct store_msg *m,
    int64_t *message_id, enum store_result *res) WT_MUST_CHECK;
int store_sqlite_message_add(struct store *pub, const struct store_msg *m,
    int64_t message_id, const char *outcome, const char *kind) WT_MUST_CHECK;
int store_sqlite_reject(struct store *pub, const struct store_msg *m,
    const char *reason, const char *detail) WT_MUST_CHECK;
int store_sqlite_event(struct store *pub, const struct ev *e,
    int64_t message_id, int local_offset_min, int64_t now_ms,
    enum store_result *res) WT_MUST_CHECK;
int store_sqlite_sync_config(struct store *pub,
    const struct config *cfg) WT_MUST_CHECK;
int store_sqlite_prune_payloads(struct store *pub, int64_t cutoff_ms,
    int64_t *pruned) WT_MUST_CHECK;
int store_sqlite_hold_payloads(struct store *pub, int64_t hold_ms,
    int clock_behind) WT_MUST_CHECK;
int store_sqlite_clock_state(struct store *pub, int64_t *newest_ms,
    int *clock_behind) WT_MUST_CHECK;

/* store_muck.c: muck trucks */
int store_sqlite_unload_add(struct store *pub, const struct store_unload *u,
    int local_offset_min, int64_t message_id, int *added) WT_MUST_CHECK;
int store_sqlite_unload_weighed(struct store *pub, const char *plate,
    int64_t first_ms, int64_t second_ms, int loaded, int muck,
    int *changed) WT_MUST_CHECK;
int store_sqlite_unload_event_near(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *found) WT_MUST_CHECK;
int store_sqlite_unload_absorb(struct store *pub, const char *vehicle,
    int64_t from_ms, int64_t to_ms, int *removed) WT_MUST_CHECK;
int store_sqlite_violation_add(struct store *pub,
    const struct store_violation *v, int local_offset_min,
    int *added) WT_MUST_CHECK;
int store_sqlite_vehicle_recent(struct store *pub, const char *vehicle,
    int64_t before_ms, struct store_fix *out, size_t n,
    size_t *got) WT_MUST_CHECK;
int store_sqlite_vehicle_load(struct store *pub, const char *vehicle,
    struct store_load *out, int *found) WT_MUST_CHECK;

/* store_reconcile.c: reconciliation */
int store_sqlite_reconcile_pass(struct store *pub, int64_t now_ms,
    const struct config *cfg, int *more) WT_MUST_CHECK;
int store_sqlite_reconcile_full(struct store *pub, int64_t now_ms,
    const struct config *cfg) WT_MUST_CHECK;
int store_sqlite_reconcile_behind(struct store *pub, int *behind) WT_MUST_CHECK;

#endif
